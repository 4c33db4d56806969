"""The runtime client's pure parts: option rules, metrics hooks, secrecy of reprs, no pulumi import."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry

from components.client import ClientOptions, LoginFailed, LoginUnavailable, Token
from components.client_metrics import LoginCounters, PrometheusMetrics
from components.salesforce.token_exchange import AccessToken

SECRET_TOKEN = "00D000000000001!AQsecretpart"


@pytest.mark.parametrize(
    "changes",
    [
        {"token_lifetime": 0},
        {"document_ttl": -1},
        {"retry_initial": 0},
        {"refresh_margin": 900.0},
        {"refresh_margin": -1},
        {"wait_seconds": -1},
        {"retry_initial": 6, "retry_max": 5},
    ],
)
def test_options_that_cannot_work_are_refused(changes):
    with pytest.raises(ValueError):
        ClientOptions(**changes)


def test_default_options_renew_tokens_within_salesforces_shortest_session_timeout():
    options = ClientOptions()
    assert options.token_lifetime - options.refresh_margin < 15 * 60
    assert options.wait_seconds > 0


def test_a_token_repr_never_shows_the_access_token():
    token = Token(AccessToken(SECRET_TOKEN, "https://acme.my.salesforce.com"), "AWSPENDING", "v1", "Acme", "u@x.com", 0)
    assert SECRET_TOKEN not in repr(token) and "secretpart" not in str(token)
    assert token.access_token == SECRET_TOKEN and token.age(now=10.0) == 10.0


def test_failure_reasons_label_the_failure_metric():
    assert LoginFailed.reason == "failed" and LoginUnavailable.reason == "gave-up"
    assert isinstance(LoginUnavailable("x"), LoginFailed)


class FakeClient:
    secret_id = "prod/orders"

    def __init__(self) -> None:
        self.age: float | None = None

    def token_age(self) -> float | None:
        return self.age


def test_prometheus_metrics_label_by_secret_and_mark_the_stage_in_use():
    registry = CollectorRegistry()
    metrics, client = PrometheusMetrics(registry), FakeClient()
    metrics.watch(client)
    labels = {"secret": "prod/orders"}
    assert math.isnan(registry.get_sample_value("salesforce_jwt_client_token_age_seconds", labels))
    client.age = 12.5
    assert registry.get_sample_value("salesforce_jwt_client_token_age_seconds", labels) == 12.5
    metrics.login_refused("prod/orders", "AWSCURRENT", "invalid_grant")
    metrics.login_succeeded("prod/orders", "AWSPENDING", 0.2)
    value = registry.get_sample_value
    assert value("salesforce_jwt_client_logins_total", {**labels, "stage": "AWSPENDING"}) == 1
    assert value("salesforce_jwt_client_stage", {**labels, "stage": "AWSPENDING"}) == 1
    assert value("salesforce_jwt_client_stage", {**labels, "stage": "AWSCURRENT"}) == 0
    assert (
        value("salesforce_jwt_client_login_refusals_total", {**labels, "stage": "AWSCURRENT", "error": "invalid_grant"})
        == 1
    )
    assert value("salesforce_jwt_client_login_duration_seconds_count", labels) == 1
    metrics.login_failed("prod/orders", "gave-up")
    assert value("salesforce_jwt_client_login_failures_total", {**labels, "reason": "gave-up"}) == 1


def test_login_counters_count_per_stage_error_and_reason():
    counters, client = LoginCounters(), FakeClient()
    counters.watch(client)
    client.age = 3.0
    counters.login_succeeded("s", "AWSCURRENT", 0.1)
    counters.login_succeeded("s", "AWSPREVIOUS", 0.1)
    counters.login_refused("s", "AWSCURRENT", "invalid_grant")
    counters.login_failed("s", "refused")
    assert counters.logins == {"AWSCURRENT": 1, "AWSPREVIOUS": 1} and counters.last_stage == "AWSPREVIOUS"
    assert counters.refusals == {("AWSCURRENT", "invalid_grant"): 1} and counters.failures == {"refused": 1}
    assert counters.token_age() == 3.0


def test_the_client_modules_do_not_import_pulumi():
    code = (
        "import sys, components.client, components.client_metrics, components.client_session; "
        "print(sorted(m for m in sys.modules if m == 'pulumi' or m.startswith('pulumi.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        cwd=Path(__file__).resolve().parents[2],
    ).stdout
    assert out.strip() == "[]"
