"""The shipped Prometheus alert rules, checked by promtool on series our own `check` printed.

The scenarios run the real `check --format prometheus` against moto server and the org emulator (an
app deployed with the certificate, the document in Secrets Manager), moving the org emulator's clock
and the check's (``--pretend-now``) through the certificate's life, failing the login and drifting
the app. ``monitoring/prometheus/salesforce-jwt-alerts.test.yml`` is what those runs produce; a test
regenerates it and fails when it differs (``UPDATE_ALERT_TESTS=1`` rewrites it), and promtool runs it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from datetime import datetime, timedelta

import pytest

from components.cli import main
from tests.fixtures.documents import make_document, provision
from tests.fixtures.integrations import APP, deploy, deployer_env, org_document
from tests.operations.promtool_tests import RULES, TEST_FILE, Scenario, render
from tests.operations.required_tools import missing

SECRET = "prod/orders"
LIFETIME_DAYS = 90  # renewal window: the last third (30 days)
HEADER = f"""\
# promtool unit tests for salesforce-jwt-alerts.yml:  promtool test rules salesforce-jwt-alerts.test.yml
#
# GENERATED - do not edit by hand. Each test group's input series is what
# `python -m components check --format prometheus` printed in tests/operations/test_alert_rules.py,
# run against moto server and the org emulator for one integration ({SECRET}, app {APP}) whose
# certificate lives {LIFETIME_DAYS} days; the org emulator's clock was moved with the check's.
# promtool's clock starts at 0, so the *_timestamp_seconds values are shifted by the moment the check ran
# (time 0 of each group is that moment); verification_duration_seconds (no rule reads it) is left out.
# Regenerate: UPDATE_ALERT_TESTS=1 .venv/bin/python -m pytest tests/operations/test_alert_rules.py
"""


@pytest.fixture(scope="module")
def promtool() -> str:
    found = shutil.which("promtool")
    if found is None:
        missing("promtool is not installed (Debian/Ubuntu: apt-get install prometheus; .ci/run installs it)")
    return found


def run_promtool(promtool: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([promtool, *args], capture_output=True, text=True, timeout=120)


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def produce_scenarios(aws, org, capsys, monkeypatch) -> list[Scenario]:
    """Real check runs, in the order the org's clock allows (it only moves forward)."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", org.ca_bundle)  # zeep builds its own session
    deployer_env(monkeypatch, org)
    doc = org_document(org, age_days=0, days=LIFETIME_DAYS)
    deploy(org, doc)
    provision(aws, SECRET, doc)
    issued = doc.not_after - timedelta(days=LIFETIME_DAYS)
    base = [
        "check",
        "--region",
        aws.region,
        "--endpoint-url",
        aws.endpoint_url,
        "--ca-bundle",
        org.ca_bundle,
        "--format",
        "prometheus",
    ]
    scenarios = []

    def check(name: str, days: float, options: tuple[str, ...], firing: set[str], secret: str = SECRET) -> None:
        moment = issued + timedelta(days=days)
        org_now = float(org.control("GET", "clock")["now"])
        org.advance_clock(max(0.0, moment.timestamp() - org_now))
        main([*base, "--secret-id", secret, *options, "--pretend-now", at(moment)])
        when = f"--pretend-now <issued + {days:g} day{'s' * (days != 1)}>"
        shown = " ".join(["check --secret-id", secret, *options, when])
        scenarios.append(Scenario(name, shown, capsys.readouterr().out, moment.timestamp(), frozenset(firing)))

    check("healthy", 1, ("--verify", "--drift"), set())
    org.update_user(org.integration_username, active=False)
    check(
        "login failing (user deactivated)",
        1,
        ("--verify", "--drift"),
        {"SalesforceJwtVerificationFailing", "SalesforceJwtCredentialNotReady"},
    )
    org.update_user(org.integration_username, active=True)
    org.patch_app(APP, certificate_pem=make_document(key_index=1)["certificate_pem"])
    check(
        "drift (another certificate uploaded in Setup)",
        1,
        ("--drift",),
        {"SalesforceJwtDriftDetected", "SalesforceJwtCredentialNotReady"},
    )
    org.patch_app(APP, certificate_pem=doc.certificate_pem)
    check("renewal window reached", 61, ("--verify", "--drift"), {"SalesforceJwtRenewalWindowReached"})
    check("3 days before not-after", 87, ("--verify", "--drift"), {"SalesforceJwtCertificateExpiresSoon"})
    check(
        "1 day past not-after",
        91,
        ("--verify", "--drift"),
        {"SalesforceJwtCertificateExpiresSoon", "SalesforceJwtCredentialNotReady"},
    )
    check("secret missing (cannot check)", 91, (), {"SalesforceJwtCheckCannotRun"}, secret="prod/missing")
    return scenarios


def test_alert_rules_pass_promtool_check(promtool):
    result = run_promtool(promtool, "check", "rules", str(RULES))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS: 6 rules found" in result.stdout


def test_promtool_unit_tests_pass_on_the_check_series(promtool):
    result = run_promtool(promtool, "test", "rules", str(TEST_FILE))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_promtool_unit_tests_catch_a_broken_rule(promtool, tmp_path):
    """The unit tests can fail: a 1-day threshold instead of 7 misses the '3 days before' series."""
    seven_days = "- time() < 7 * 86400\n        for: 10m"
    broken = RULES.read_text().replace(seven_days, seven_days.replace("7 *", "1 *"))
    assert broken != RULES.read_text()
    (tmp_path / RULES.name).write_text(broken)
    shutil.copy(TEST_FILE, tmp_path / TEST_FILE.name)
    result = run_promtool(promtool, "test", "rules", str(tmp_path / TEST_FILE.name))
    assert result.returncode != 0
    assert "SalesforceJwtCertificateExpiresSoon" in result.stdout + result.stderr


def test_committed_series_are_what_check_prints_today(aws, salesforce_org, capsys, monkeypatch):
    generated = render(produce_scenarios(aws, salesforce_org, capsys, monkeypatch), HEADER)
    if os.environ.get("UPDATE_ALERT_TESTS") == "1":
        TEST_FILE.write_text(generated)
    assert generated == TEST_FILE.read_text(), (
        f"{TEST_FILE.name} is not what `check --format prometheus` prints now; review the change and "
        "regenerate it with UPDATE_ALERT_TESTS=1 .venv/bin/python -m pytest tests/operations/test_alert_rules.py"
    )
