"""The runtime client against a real moto server and the org emulator: cache, expiry, concurrency,
rotation fallbacks (AWSPENDING, blue-green AWSPREVIOUS), refusals, metrics, and no secret in sight.

Apps are deployed through the Metadata API like the component does; a rotation in progress is made by
changing the app's certificate (``patch_app``) and staging versions in the secret, in the order the
rollout uses. Waiting is on an injected clock: no test sleeps or times anything.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from prometheus_client import CollectorRegistry

from components.client import (
    ClientOptions,
    LoginRefused,
    LoginUnavailable,
    NotProvisioned,
    SalesforceJwtClient,
    SecretUnreadable,
)
from components.client_metrics import LoginCounters, PrometheusMetrics
from components.credentials import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    NOT_PROVISIONED_JSON,
    CredentialDocument,
    CredentialStore,
    make_client,
)
from components.salesforce.bundle import ECA, AppSpec, PermissionSetSpec
from components.salesforce.metadata_api import MetadataClient
from components.salesforce.session import AccessTokenAuth, open_session
from tests.fixtures.aws import credential_document, generated_key_pair
from tests.fixtures.salesforce import RecordingHttp

SECRET = "prod/orders"
APP = "Orders_Sync"
ACCESS = "Orders_Sync_Access"
API = "/services/data/v66.0/"


class SteppingClock:
    """Wall time plus an offset that ``sleep`` advances at once; ``on_sleep`` runs at each sleep."""

    def __init__(self, on_sleep: Callable[[int], None] | None = None) -> None:
        self.offset, self.sleeps = 0.0, 0
        self.on_sleep = on_sleep

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps += 1
        self.offset += seconds
        if self.on_sleep is not None:
            self.on_sleep(self.sleeps)


@dataclass
class Org:
    """The emulated org, the secret, and helpers to stage a rotation."""

    org: Any
    aws: Any
    store: CredentialStore

    def document(self, index: int, app: str = APP, slot: str | None = None) -> CredentialDocument:
        url = self.org.instance_url
        return credential_document(
            index,
            consumer_key="SJPorders" + app.replace("_", "") + "Key",
            username=self.org.integration_username,
            login_url=url,
            audience=url,
            token_url=f"{url}/services/oauth2/token",
            app_name=app,
            slot=slot,
        )

    def deploy(self, doc: CredentialDocument) -> None:
        session = open_session(
            AccessTokenAuth(self.org.instance_url, self.org.admin_access_token), ca_bundle=self.org.ca_bundle
        )
        metadata = MetadataClient(session)
        metadata.deploy_app(
            AppSpec(
                kind=ECA,
                name=doc.app_name,
                label=doc.app_name.replace("_", " "),
                contact_email="ops@example.com",
                certificate_pem=doc.certificate_pem,
                consumer_key=doc.consumer_key,
                access_permission_set=PermissionSetSpec(ACCESS, ACCESS),
            )
        )
        metadata.assign_permission_set(self.org.integration_username, ACCESS)

    def give_app(self, doc: CredentialDocument, index: int) -> None:
        """The app now holds key ``index``'s certificate (what the rollout's deploy does)."""
        self.org.patch_app(doc.app_name, certificate_pem=generated_key_pair(index)[1])

    def promote(self, doc: CredentialDocument) -> str:
        version = self.store.put_pending(doc)
        self.store.promote(version)
        return version

    def token_calls(self) -> int:
        return self.org.calls().get("token", 0)

    def client(
        self,
        clock: SteppingClock | None = None,
        metrics: Any = None,
        store: CredentialStore | None = None,
        **options: Any,
    ) -> SalesforceJwtClient:
        return SalesforceJwtClient(
            SECRET,
            region=self.aws.region,
            endpoint_url=self.aws.endpoint_url,
            ca_bundle=self.org.ca_bundle,
            clock=clock or SteppingClock(),
            metrics=metrics,
            store=store,
            options=ClientOptions(**{"wait_seconds": 30.0, **options}),
        )


@pytest.fixture
def env(aws, salesforce_org, monkeypatch) -> Org:
    """One ECA holding key 0, its document promoted to AWSCURRENT."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce_org.ca_bundle)  # zeep builds its own session
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    store.ensure_secret()
    org = Org(salesforce_org, aws, store)
    org.deploy(org.document(0))
    org.promote(org.document(0))
    return org


def ok(client: SalesforceJwtClient) -> None:
    response = client.session().get(API)
    assert response.status_code == 200, response.text


# -- cache and expiry ---------------------------------------------------------------------------------
def test_requests_share_one_cached_token_and_carry_it_to_the_instance_only(env):
    client = env.client()
    for _ in range(5):
        ok(client)
    assert env.token_calls() == 1
    sent = client.session().get(API).request.headers["Authorization"]
    assert sent == f"Bearer {client.token().access_token}"
    elsewhere = client.session().get(f"{env.aws.endpoint_url}/moto-api/data.json")  # another host
    assert "Authorization" not in elsewhere.request.headers


def test_a_token_due_for_renewal_is_replaced_before_it_expires(env):
    clock = SteppingClock()
    client = env.client(clock, token_lifetime=600.0, refresh_margin=60.0)
    ok(client)
    first = client.token()
    clock.offset += 539  # not yet inside the margin
    assert client.token() is first
    clock.offset += 2
    assert client.token() is not first
    assert env.token_calls() == 2


def test_a_401_drops_the_token_and_the_request_succeeds_with_a_new_login(env):
    client = env.client()
    sf = client.salesforce()
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1
    env.org.expire_sessions()  # Salesforce revoked or timed out the session early
    assert sf.query("SELECT Id FROM User")["totalSize"] >= 1  # the same Salesforce object keeps working
    assert env.token_calls() == 2


def test_the_document_is_read_once_per_ttl(env):
    reads: list[str] = []
    boto = make_client(env.aws.region, env.aws.endpoint_url)
    boto.meta.events.register(
        "provide-client-params.secrets-manager.GetSecretValue", lambda params, **_: reads.append(params["VersionStage"])
    )
    clock = SteppingClock()
    client = env.client(clock, document_ttl=300.0, store=CredentialStore(SECRET, env.aws.region, client=boto))
    for _ in range(3):
        client.login(prove=False)
    assert reads == [AWSCURRENT] and env.token_calls() == 3
    clock.offset += 301
    client.login(prove=False)
    assert reads == [AWSCURRENT, AWSCURRENT]


def test_a_cached_document_whose_key_is_refused_is_reread_at_once(env):
    clock = SteppingClock()
    client = env.client(clock, document_ttl=3600.0)
    ok(client)
    env.give_app(env.document(1), 1)  # the rotation: the app holds key 1, then AWSCURRENT moves to it
    env.promote(env.document(1))
    client.invalidate()
    result = client.login()
    assert result.stage == AWSCURRENT and result.errors_seen == ("AWSCURRENT: invalid_grant",)
    assert result.version_id == env.store.describe().version_for(AWSCURRENT)
    assert clock.sleeps == 0


def test_concurrent_requests_make_one_login_and_all_succeed(env):
    client = env.client()
    failures: list[BaseException] = []

    def work() -> None:
        try:
            for _ in range(10):
                ok(client)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert env.token_calls() == 1


# -- rotations ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "signature_error", [["invalid_grant", "invalid assertion"], ["invalid_client", "invalid client credentials"]]
)
def test_single_app_mid_rotation_logs_in_with_awspending_and_reports_it(env, signature_error):
    env.org.settings(eca_signature_error=signature_error)  # both answers are reported for ECAs
    client = env.client()
    ok(client)
    env.give_app(env.document(1), 1)  # deployed and verified, not promoted yet
    env.store.put_pending(env.document(1))
    client.invalidate()
    result = client.login()
    assert result.stage == AWSPENDING and result.proved
    assert result.errors_seen == (f"AWSCURRENT: {signature_error[0]}",)
    ok(client)
    env.promote(env.document(1))
    client.invalidate()
    assert client.login().stage == AWSCURRENT


def test_the_gap_before_awspending_is_staged_is_waited_through(env):
    """Single mode deploys the new certificate before it stages the new key: neither stage logs in
    for a moment; the client re-reads the secret until AWSPENDING appears."""
    clock = SteppingClock(on_sleep=lambda n: env.store.put_pending(env.document(1)) if n == 2 else None)
    client = env.client(clock)
    ok(client)
    env.give_app(env.document(1), 1)
    client.invalidate()
    result = client.login()
    assert result.stage == AWSPENDING
    assert clock.sleeps == 2
    assert result.errors_seen.count("AWSCURRENT: invalid_grant") == 3


def test_blue_green_falls_back_to_the_previous_app_through_awsprevious(env):
    slot_a, slot_b = env.document(1, f"{APP}_A", "a"), env.document(2, f"{APP}_B", "b")
    env.deploy(slot_a)
    env.deploy(slot_b)
    env.promote(slot_a)
    env.promote(slot_b)  # AWSCURRENT slot b, AWSPREVIOUS slot a
    env.give_app(slot_b, 3)  # slot b's app does not verify its key (yet)
    counters = LoginCounters()
    client = env.client(metrics=counters)
    result = client.login()
    assert result.stage == AWSPREVIOUS and result.app_name == f"{APP}_A"
    assert counters.logins == {AWSPREVIOUS: 1}
    assert counters.refusals == {(AWSCURRENT, "invalid_grant"): 1}


def test_a_single_app_never_tries_awsprevious_and_gives_up_after_the_wait(env):
    env.promote(env.document(1))  # AWSPREVIOUS holds key 0, which the app still has...
    env.give_app(env.document(1), 2)  # ...but the one app holds neither: no rotation explains it
    clock = SteppingClock()
    client = env.client(clock, wait_seconds=20.0)
    with pytest.raises(LoginUnavailable, match="no rotation is in progress") as raised:
        client.session().get(API)
    assert raised.value.elapsed_seconds >= 20.0 and clock.sleeps > 1
    assert all(error == "AWSCURRENT: invalid_grant" for error in raised.value.errors)
    assert env.token_calls() == raised.value.attempts


# -- refusals -----------------------------------------------------------------------------------------
def test_a_not_provisioned_current_version_is_refused_without_a_login(aws, salesforce_org):
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    store.ensure_secret()
    aws.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString=NOT_PROVISIONED_JSON)
    client = SalesforceJwtClient(
        SECRET, region=aws.region, endpoint_url=aws.endpoint_url, ca_bundle=salesforce_org.ca_bundle
    )
    with pytest.raises(NotProvisioned, match="not provisioned yet"):
        client.session().get(f"{salesforce_org.instance_url}{API}")
    assert salesforce_org.calls().get("token", 0) == 0


def test_a_not_provisioned_pending_version_is_never_used(env):
    env.aws.client("secretsmanager").put_secret_value(
        SecretId=SECRET, SecretString=NOT_PROVISIONED_JSON, VersionStages=[AWSPENDING]
    )
    env.give_app(env.document(1), 1)
    client = env.client(wait_seconds=0.0)
    with pytest.raises(LoginUnavailable) as raised:
        client.login()
    assert "AWSPENDING: not-provisioned" in raised.value.errors
    assert env.token_calls() == 1  # AWSCURRENT only


def test_a_refusal_that_is_not_a_rotation_fails_at_once_without_fallback(env):
    env.give_app(env.document(1), 1)
    env.store.put_pending(env.document(1))  # a pending key that would log in...
    env.org.update_user(env.org.integration_username, active=False)  # ...but the user is the problem
    clock = SteppingClock()
    client = env.client(clock)
    with pytest.raises(LoginRefused, match="inactive") as raised:
        client.login(stage=AWSPENDING)
    assert clock.sleeps == 0 and raised.value.attempts == 1


def test_a_pinned_stage_fails_at_once_when_its_signature_is_refused(env):
    env.store.put_pending(env.document(1))  # staged, but the app still holds key 0
    clock = SteppingClock()
    with pytest.raises(LoginRefused, match="invalid assertion"):
        env.client(clock).login(stage=AWSPENDING)
    assert clock.sleeps == 0


# -- what verify reports, metrics, secrecy --------------------------------------------------------------
def test_login_reports_what_verify_shows(env):
    result = env.client().login()
    assert (result.stage, result.app_name, result.username) == (AWSCURRENT, APP, env.org.integration_username)
    assert result.org_id[:15] == env.org.org_id[:15] and result.user_id.startswith("005")
    assert result.instance_url == env.org.instance_url and result.attempts == 1 and result.proved
    assert result.version_id == env.store.describe().version_for(AWSCURRENT)


def test_prometheus_metrics_count_logins_by_stage_refusals_failures_and_token_age(env):
    registry = CollectorRegistry()
    client = env.client(metrics=PrometheusMetrics(registry), wait_seconds=0.0)
    ok(client)
    labels = {"secret": SECRET}
    assert registry.get_sample_value("salesforce_jwt_client_logins_total", {**labels, "stage": AWSCURRENT}) == 1
    assert registry.get_sample_value("salesforce_jwt_client_stage", {**labels, "stage": AWSCURRENT}) == 1
    assert registry.get_sample_value("salesforce_jwt_client_token_age_seconds", labels) >= 0
    env.give_app(env.document(1), 1)
    client.invalidate()
    with pytest.raises(LoginUnavailable):
        ok(client)
    assert (
        registry.get_sample_value(
            "salesforce_jwt_client_login_refusals_total", {**labels, "stage": AWSCURRENT, "error": "invalid_grant"}
        )
        == 1
    )
    assert registry.get_sample_value("salesforce_jwt_client_login_failures_total", {**labels, "reason": "gave-up"}) == 1


def test_no_key_or_token_in_logs_reprs_or_errors(env, caplog):
    caplog.set_level(logging.DEBUG)
    client = env.client(wait_seconds=0.0)
    ok(client)
    token = client.token()
    env.give_app(env.document(1), 1)
    client.invalidate()
    with pytest.raises(LoginUnavailable) as raised:
        client.login()
    shown = " ".join([caplog.text, repr(client), repr(token), str(raised.value), repr(raised.value)])
    key_body = env.document(0).private_key_pem.splitlines()[1]
    assert token.access_token not in shown and token.access_token.split("!")[1] not in shown
    assert key_body not in shown and "PRIVATE KEY" not in shown


def test_a_placeholder_left_as_awsprevious_is_skipped_silently(aws, salesforce_org, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce_org.ca_bundle)
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    store.ensure_secret()
    aws.client("secretsmanager").put_secret_value(SecretId=SECRET, SecretString=NOT_PROVISIONED_JSON)
    org = Org(salesforce_org, aws, store)
    org.deploy(org.document(0))
    org.promote(org.document(0))  # the first promotion: AWSPREVIOUS is the placeholder
    org.give_app(org.document(1), 1)  # the app no longer verifies AWSCURRENT: the client falls back
    with pytest.raises(LoginUnavailable) as raised:
        org.client(wait_seconds=0.0).login()
    assert raised.value.errors == ("AWSCURRENT: invalid_grant",)


def test_a_document_whose_token_url_is_off_salesforce_is_never_sent_a_jwt(aws):
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    store.ensure_secret()
    foreign = "https://collector.example.net/services/oauth2/token"
    store.promote(store.put_pending(credential_document(0, token_url=foreign)))
    http = RecordingHttp()
    client = SalesforceJwtClient(SECRET, region=aws.region, endpoint_url=aws.endpoint_url, http=http)
    with pytest.raises(SecretUnreadable, match="token_url: .*Salesforce host") as raised:
        client.login()
    assert http.posts == [] and "PRIVATE KEY" not in str(raised.value)
