"""JWT verification against the org emulator: propagation retries on the emulator clock, every error
class, transient faults, identity checks."""

from __future__ import annotations

import pytest

from components.salesforce.bundle import ECA
from components.salesforce.token_exchange import (
    ErrorClass,
    RetryPolicy,
    TokenExchangeError,
    VerificationFailed,
    post_token_request,
    verified_session,
    verify_jwt_login,
)
from tests.fixtures.salesforce_apps import KEY, EmulatorClock, app_spec, client, jwt_login

USER_PS = "Acme_JWT_Access"
MAX_WAIT = RetryPolicy().max_interval * (1 + RetryPolicy().jitter)


@pytest.fixture
def deployed(salesforce_org):
    """An ECA deployed and its permission set assigned to the integration user."""
    mdapi = client(salesforce_org)
    mdapi.deploy_app(app_spec(ECA))
    mdapi.assign_permission_set(salesforce_org.integration_username, USER_PS)
    return mdapi


def token_calls(org) -> int:
    return org.calls().get("token", 0)


@pytest.mark.parametrize("window", [120, 600])  # 1800 s: see benchmarks/salesforce_client.py
def test_success_is_seen_within_one_backoff_interval_after_propagation(salesforce_org, window: int) -> None:
    salesforce_org.settings(propagation_seconds={"ExternalClientApplication": window})
    clock = EmulatorClock(salesforce_org)
    mdapi = client(salesforce_org, clock)
    deployed_at = clock.now()
    mdapi.deploy_app(app_spec(ECA))
    mdapi.assign_permission_set(salesforce_org.integration_username, USER_PS)

    result = verify_jwt_login(jwt_login(salesforce_org), clock=clock)

    assert result.attempts > 1 and set(result.errors_seen) == {"invalid_client_id"}
    assert token_calls(salesforce_org) == result.attempts
    # seen less than 20 % of the window after it closed, never waiting more than a capped interval
    assert window <= clock.now() - deployed_at <= window * 1.2
    assert max(clock.sleeps) <= MAX_WAIT


def test_budget_runs_out_with_a_message_that_says_what_to_check(salesforce_org) -> None:
    salesforce_org.settings(propagation_seconds={"ExternalClientApplication": 900})
    mdapi = client(salesforce_org)
    mdapi.deploy_app(app_spec(ECA))
    mdapi.assign_permission_set(salesforce_org.integration_username, USER_PS)
    clock = EmulatorClock(salesforce_org)
    with pytest.raises(VerificationFailed) as caught:
        verify_jwt_login(jwt_login(salesforce_org, budget_seconds=120), clock=clock)
    assert "budget 120 s" in str(caught.value) and "client identifier invalid" in str(caught.value)
    assert "30 minutes" in str(caught.value)
    assert 120 <= caught.value.elapsed_seconds <= 125 and sum(clock.sleeps) <= 120
    assert caught.value.attempts == token_calls(salesforce_org) > 1


def test_new_certificate_is_retried_until_it_is_live(salesforce_org, deployed) -> None:
    salesforce_org.settings(propagation_seconds={"ExternalClientApplication": 300})
    salesforce_org.advance_clock(301)  # the app itself is long live; only its certificate changes now
    clock = EmulatorClock(salesforce_org)
    clock.offset = 301
    deployed.deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
    changed_at = clock.now()
    result = verify_jwt_login(jwt_login(salesforce_org, key_index=1), clock=clock)
    assert result.attempts > 1 and set(result.errors_seen) == {"invalid_grant"}  # invalid assertion meanwhile
    assert 300 <= clock.now() - changed_at <= 300 * 1.2


def test_transient_token_and_api_faults_are_retried(salesforce_org, deployed) -> None:
    salesforce_org.fault("token", 503, count=2)
    salesforce_org.fault("rest", 503, count=1)
    result = verify_jwt_login(jwt_login(salesforce_org), clock=EmulatorClock(salesforce_org))
    assert result.attempts == 3 and result.errors_seen == ("server_error", "server_error")
    assert result.username == salesforce_org.integration_username


def _refused(org, **changes: object) -> VerificationFailed:
    before = token_calls(org)
    with pytest.raises(VerificationFailed) as caught:
        verify_jwt_login(jwt_login(org, **changes), clock=EmulatorClock(org))
    assert caught.value.attempts == 1 and token_calls(org) - before == 1  # failed fast, no retry
    assert "PRIVATE KEY" not in str(caught.value)
    return caught.value


def test_unassigned_user_fails_fast(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA))
    error = _refused(salesforce_org)
    assert error.cause is not None and error.cause.error_class is ErrorClass.PERMANENT
    assert "assign one of the app's permission sets" in str(error)


def test_self_authorized_app_fails_fast(salesforce_org, deployed) -> None:
    salesforce_org.patch_app("Acme_JWT", admin_approved=False)
    assert "AdminApprovedPreAuthorized" in str(_refused(salesforce_org))


def test_invalid_audience_fails_fast(salesforce_org, deployed) -> None:
    assert "audience is invalid" in str(_refused(salesforce_org, audience="https://elsewhere.example.com"))


def test_inactive_user_fails_fast(salesforce_org, deployed) -> None:
    salesforce_org.add_user("dormant@example.com", permission_sets=[USER_PS], active=False)
    assert "activate the user" in str(_refused(salesforce_org, username="dormant@example.com"))


def test_missing_refresh_token_scope_fails_fast(salesforce_org, deployed) -> None:
    salesforce_org.patch_app("Acme_JWT", scopes=["Api"])
    assert "add the RefreshToken scope" in str(_refused(salesforce_org))


def test_wrong_key_fails_fast_when_the_certificate_did_not_change(salesforce_org, deployed) -> None:
    error = _refused(salesforce_org, key_index=3, certificate_changed=False)
    assert "does not belong to the deployed certificate" in str(error)


def test_eca_with_the_test_audience_is_retried_then_names_my_domain(salesforce_org, deployed) -> None:
    with pytest.raises(VerificationFailed, match="My Domain") as caught:
        verify_jwt_login(
            jwt_login(salesforce_org, audience="https://test.salesforce.com", budget_seconds=40),
            clock=EmulatorClock(salesforce_org),
        )
    assert caught.value.attempts > 1


def test_unsupported_grant_is_permanent(salesforce_org) -> None:
    http = verified_session(salesforce_org.ca_bundle)
    with pytest.raises(TokenExchangeError) as caught:
        post_token_request(http, f"{salesforce_org.instance_url}/services/oauth2/token", {"grant_type": "password"})
    assert caught.value.error == "unsupported_grant_type" and not caught.value.retryable


def test_token_for_another_org_is_rejected(salesforce_org, deployed) -> None:
    with pytest.raises(VerificationFailed, match="expected 00D000000000000AAA"):
        verify_jwt_login(
            jwt_login(salesforce_org, expected_org_id="00D000000000000AAA"), clock=EmulatorClock(salesforce_org)
        )


def test_tls_stays_verified(salesforce_org, deployed) -> None:
    with pytest.raises(VerificationFailed, match="the system CAs do not trust this host.s certificate"):
        verify_jwt_login(jwt_login(salesforce_org, ca_bundle=None), clock=EmulatorClock(salesforce_org))


def test_token_without_the_api_scope_is_reported_naming_the_scope(salesforce_org, deployed) -> None:
    salesforce_org.patch_app("Acme_JWT", scopes=["Web", "RefreshToken"])
    with pytest.raises(VerificationFailed, match="refused by the API .*scopes must include Api"):
        verify_jwt_login(jwt_login(salesforce_org), clock=EmulatorClock(salesforce_org))


def test_user_without_api_enabled_is_reported_naming_the_permission(salesforce_org, deployed) -> None:
    salesforce_org.update_user(salesforce_org.integration_username, permissions=[])
    with pytest.raises(VerificationFailed, match="HTTP 403 .*lacks the 'API Enabled' permission"):
        verify_jwt_login(jwt_login(salesforce_org), clock=EmulatorClock(salesforce_org))


# -- issue 9, point 2: a least-privilege integration user verifies ---------------------------------------------
def test_least_privilege_user_without_view_setup_or_identity_scopes_verifies(salesforce_org, deployed) -> None:
    user = next(u for u in salesforce_org.users() if u["username"] == salesforce_org.integration_username)
    assert (user["profile"], user["permissions"]) == ("Minimum Access - API Only Integrations", ["ApiEnabled"])
    before = salesforce_org.calls()
    result = verify_jwt_login(jwt_login(salesforce_org), clock=EmulatorClock(salesforce_org))
    assert (result.username, result.org_id, result.api_calls) == (
        salesforce_org.integration_username,
        salesforce_org.org_id,
        1,
    )
    after = salesforce_org.calls()
    assert after.get("rest:query", 0) - before.get("rest:query", 0) == 1
    for refused in ("rest:limits", "rest:userinfo", "rest:identity"):  # calls a real org would refuse
        assert after.get(refused, 0) == before.get(refused, 0)


# -- issue 9, point 6: "user hasn't approved this consumer" right after a deploy --------------------------------
class PolicyPropagation(EmulatorClock):
    """The emulator clock, plus Salesforce applying the app's new pre-authorization ``after`` seconds later."""

    def __init__(self, org, after: float) -> None:
        super().__init__(org)
        self.after, self.applied = after, False

    def sleep(self, seconds: float) -> None:
        super().sleep(seconds)
        if not self.applied and self.offset >= self.after:
            self.org.patch_app("Acme_JWT", permitted_users_policy="AdminApprovedPreAuthorized")
            self.applied = True


def test_not_approved_after_this_run_changed_the_app_is_retried_within_the_budget(salesforce_org, deployed) -> None:
    salesforce_org.patch_app("Acme_JWT", permitted_users_policy="AllSelfAuthorized")  # the old policy still live
    clock = PolicyPropagation(salesforce_org, after=120)
    result = verify_jwt_login(jwt_login(salesforce_org, app_changed=True), clock=clock)
    assert result.attempts > 1 and set(result.errors_seen) == {"invalid_grant"}
    assert clock.applied and clock.offset < 120 + 35


def test_not_approved_that_outlasts_the_budget_says_it_may_be_propagation(salesforce_org, deployed) -> None:
    salesforce_org.patch_app("Acme_JWT", permitted_users_policy="AllSelfAuthorized")
    with pytest.raises(VerificationFailed) as caught:
        verify_jwt_login(
            jwt_login(salesforce_org, app_changed=True, budget_seconds=60), clock=EmulatorClock(salesforce_org)
        )
    assert caught.value.attempts > 1 and "still failing" in str(caught.value) and "30 minutes" in str(caught.value)


def test_rollout_retries_not_approved_only_when_the_app_was_redeployed(salesforce_org, deployed, aws) -> None:
    from components.credentials import CredentialStore
    from components.rollout import RolloutFailed, VerificationRequest, verify_version
    from tests.fixtures.aws import credential_document

    store = CredentialStore("prod/propagation", aws.region, aws.endpoint_url)
    store.ensure_secret()
    version = store.put_pending(
        credential_document(
            0,
            consumer_key=KEY,
            app_name="Acme_JWT",
            login_url=salesforce_org.login_url,
            audience=salesforce_org.instance_url,
            token_url=f"{salesforce_org.instance_url}/services/oauth2/token",
        )
    )
    request = VerificationRequest(version, salesforce_org.ca_bundle, "66.0", 600, expected_org_id=salesforce_org.org_id)
    salesforce_org.patch_app("Acme_JWT", permitted_users_policy="AllSelfAuthorized")
    with pytest.raises(RolloutFailed, match="refused: invalid_grant: user hasn't approved"):  # nothing changed: fast
        verify_version(store, request, clock=EmulatorClock(salesforce_org))
    clock = PolicyPropagation(salesforce_org, after=90)
    result = verify_version(store, request, prepare=lambda doc: True, clock=clock)  # prepare redeployed the app
    assert result.attempts > 1 and clock.applied
