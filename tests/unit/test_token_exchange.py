"""JWT assertion claims, audience rules, error classification and secret hygiene (no network)."""

from __future__ import annotations

import dataclasses

import jwt
import pytest
from cryptography import x509
from hypothesis import given
from hypothesis import strategies as st

from components.salesforce.bundle import CONNECTED_APP, ECA
from components.salesforce.token_exchange import (
    AccessToken,
    ErrorClass,
    JwtLogin,
    RetryPolicy,
    TokenExchangeError,
    assertion_claims,
    build_assertion,
    classify_token_error,
    is_signature_refusal,
    load_rsa_private_key,
    post_token_request,
)
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.certificates import make_ec_key, pem_key
from tests.fixtures.salesforce import RecordingHttp

KEY, CERT, _ = generated_key_pair(0)
OTHER_KEY, OTHER_CERT, _ = generated_key_pair(1)


@given(st.floats(min_value=1.0, max_value=180.0), st.integers(min_value=1_600_000_000, max_value=2_000_000_000))
def test_exp_is_never_more_than_three_minutes_ahead(lifetime: float, now: int) -> None:
    claims = assertion_claims(
        consumer_key="CK", username="u@example.com", audience="https://x", issued_at=now, lifetime=lifetime
    )
    assert now < claims["exp"] <= now + 180
    assert claims["iss"] == "CK" and claims["sub"] == "u@example.com" and claims["aud"] == "https://x"


@pytest.mark.parametrize("lifetime", [0, -1, 180.5, 300])
def test_lifetimes_beyond_three_minutes_are_refused(lifetime: float) -> None:
    with pytest.raises(ValueError, match="lifetime"):
        assertion_claims(consumer_key="CK", username="u@example.com", audience="a", issued_at=0, lifetime=lifetime)


def test_assertion_is_rs256_and_verifies_with_the_certificate_only() -> None:
    claims = assertion_claims(
        consumer_key="CK", username="u@example.com", audience="https://login.salesforce.com", issued_at=1_900_000_000
    )
    token = build_assertion(KEY, claims)
    assert jwt.get_unverified_header(token)["alg"] == "RS256"
    public = x509.load_pem_x509_certificate(CERT.encode()).public_key()
    decoded = jwt.decode(
        token, public, algorithms=["RS256"], audience="https://login.salesforce.com", options={"verify_exp": False}
    )
    assert decoded == claims
    other = x509.load_pem_x509_certificate(OTHER_CERT.encode()).public_key()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other, algorithms=["RS256"], options={"verify_exp": False, "verify_aud": False})


def test_non_rsa_and_unreadable_keys_are_refused_without_echoing_them() -> None:
    ec_pem = pem_key(make_ec_key()).decode()
    with pytest.raises(ValueError, match="RS256") as caught:
        load_rsa_private_key(ec_pem)
    assert ec_pem.splitlines()[1] not in str(caught.value)
    broken = KEY.replace("A", "B", 40)
    with pytest.raises(ValueError, match="private_key_pem") as caught:
        load_rsa_private_key(broken)
    assert broken.splitlines()[1][:20] not in str(caught.value)


@pytest.mark.parametrize(
    ("error", "description", "expected", "hint"),
    [
        ("invalid_client_id", "client identifier invalid", ErrorClass.PROPAGATING, "10 minutes"),
        ("invalid_grant", "invalid assertion", ErrorClass.PROPAGATING, "certificate"),
        ("invalid_client", "invalid client credentials", ErrorClass.PROPAGATING, "certificate"),
        ("app_not_found", "External client app is not installed in this org", ErrorClass.PROPAGATING, "My Domain"),
        ("invalid_grant", "user hasn't approved this consumer", ErrorClass.PERMANENT, "assign the permission set"),
        ("invalid_app_access", "user is not admin approved to access this app", ErrorClass.PERMANENT, "assign"),
        ("invalid_grant", "audience is invalid", ErrorClass.PERMANENT, "My Domain"),
        ("invalid_grant", "inactive user", ErrorClass.PERMANENT, "activate"),
        ("inactive_user", "", ErrorClass.PERMANENT, "activate"),
        ("unsupported_grant_type", "grant type not supported", ErrorClass.PERMANENT, "token URL"),
        (
            "invalid_request",
            "refresh_token scope is required and the connected app should be installed and preauthorized.",
            ErrorClass.PERMANENT,
            "RefreshToken",
        ),
        ("invalid_grant", "expired authorization code", ErrorClass.PERMANENT, "clock"),
    ],
)
def test_errors_are_classified_with_an_actionable_hint(
    error: str, description: str, expected: ErrorClass, hint: str
) -> None:
    error_class, text = classify_token_error(error, description)
    assert error_class is expected
    assert hint in text


def test_invalid_assertion_is_permanent_when_the_certificate_did_not_change() -> None:
    assert (
        classify_token_error("invalid_grant", "invalid assertion", certificate_changed=False)[0] is ErrorClass.PERMANENT
    )


def test_not_approved_is_propagation_only_when_this_run_changed_the_app() -> None:
    """Issue 9, point 6: right after a deploy the new policies may still be propagating."""
    after_deploy, hint = classify_token_error("invalid_grant", "user hasn't approved this consumer", app_changed=True)
    assert after_deploy is ErrorClass.PROPAGATING and "30 minutes" in hint
    assert classify_token_error("invalid_grant", "user hasn't approved this consumer")[0] is ErrorClass.PERMANENT


def test_token_error_message_carries_error_and_fix_and_retryability() -> None:
    exc = TokenExchangeError(
        "invalid_grant",
        "audience is invalid",
        status=400,
        error_class=ErrorClass.PERMANENT,
        hint=classify_token_error("invalid_grant", "audience is invalid")[1],
    )
    assert "HTTP 400" in str(exc) and "audience is invalid" in str(exc) and "My Domain" in str(exc)
    assert not exc.retryable


def test_secrets_stay_out_of_reprs_and_budgets_default_per_kind() -> None:
    login = JwtLogin(
        consumer_key="CK",
        username="u@example.com",
        private_key_pem=KEY,
        token_url="https://acme.my.salesforce.com/services/oauth2/token",
        audience="https://acme.my.salesforce.com",
        app_kind=ECA,
    )
    assert "PRIVATE KEY" not in repr(login)
    assert login.budget == 1800
    assert dataclasses.replace(login, app_kind=CONNECTED_APP).budget == 600
    token = AccessToken(
        access_token="00Dxx!SECRETVALUE",
        instance_url="https://x",
        identity_url="https://x/id/00D000000000001AAA/005000000000001AAA",
    )
    assert "SECRETVALUE" not in repr(token)
    assert token.org_id == "00D000000000001AAA" and token.user_id == "005000000000001AAA"


def test_bad_login_input_fails_before_any_request() -> None:
    with pytest.raises(ValueError, match="token_url"):
        JwtLogin(
            consumer_key="CK",
            username="u@example.com",
            private_key_pem=KEY,
            token_url="http://insecure/services/oauth2/token",
            audience="a",
        )
    with pytest.raises(ValueError, match="username"):
        JwtLogin(
            consumer_key="CK",
            username="not-a-username",
            private_key_pem=KEY,
            token_url="https://x.my.salesforce.com/services/oauth2/token",
            audience="a",
        )
    with pytest.raises(ValueError, match="retry"):
        RetryPolicy(initial=10, max_interval=5)


def test_one_api_version_everywhere() -> None:
    """Issue 9, point 7: stacks, bundles, logins and deployer sessions share one default."""
    import inspect

    from components import settings
    from components.salesforce import bundle, session

    login = JwtLogin(
        consumer_key="CK",
        username="u@example.com",
        private_key_pem=KEY,
        token_url="https://acme.my.salesforce.com/services/oauth2/token",
        audience="https://acme.my.salesforce.com",
    )
    spec_default = bundle.AppSpec.__dataclass_fields__["api_version"].default
    open_default = inspect.signature(session.open_session).parameters["api_version"].default
    session_default = session.SalesforceSession.__dataclass_fields__["api_version"].default
    assert login.api_version == spec_default == open_default == session_default == settings.DEFAULT_API_VERSION
    assert (
        settings.load_settings(
            {
                "salesforceLoginUrl": "https://login.salesforce.com",
                "appName": "A_B",
                "contactEmail": "a@example.com",
                "integrationUsername": "i@example.com",
                "awsRegion": "eu-west-1",
            },
            stack="dev",
            require_deployer=False,
            env={},
        ).salesforce.api_version
        == settings.DEFAULT_API_VERSION
    )


@pytest.mark.parametrize(
    "error, description, refused",
    [
        ("invalid_grant", "invalid assertion", True),  # connected apps; the emulator's default for ECAs too
        ("invalid_client", "invalid client credentials", True),  # reported for External Client Apps
        ("invalid_grant", "audience is invalid", False),
        ("invalid_grant", "user hasn't approved this consumer", False),
        ("invalid_client_id", "client identifier invalid", False),
        ("invalid_grant", "expired authorization code", False),
        ("invalid_grant", "inactive user", False),
    ],
)
def test_signature_refusal_is_what_a_certificate_that_does_not_match_the_key_gets(error, description, refused):
    assert is_signature_refusal(error, description) is refused
    exc = TokenExchangeError(error, description, status=400, error_class=ErrorClass.PERMANENT, hint="h")
    assert exc.signature_refused is refused


def _success_seen(policy: RetryPolicy, window: float, budget: float = 3600.0) -> tuple[float, int]:
    """(when the first attempt at or after ``window`` happens, attempts made): the retry schedule alone."""
    elapsed, attempts = 0.0, 1
    while elapsed < window:
        elapsed += min(policy.wait(elapsed), budget - elapsed)
        attempts += 1
    return elapsed, attempts


@pytest.mark.parametrize("window", [10, 15, 30, 45, 60, 90, 120, 300, 600, 1200, 1800])
def test_propagation_waits_waste_under_a_fifth_of_any_window_from_10_s_to_30_min(window: float) -> None:
    policy = RetryPolicy()
    for _ in range(20):  # jitter is random: every draw must stay inside the bound
        seen, attempts = _success_seen(policy, window)
        assert window <= seen < window * 1.2
        assert attempts <= 90  # ~3 token calls a minute at most over a 30-minute window


def test_propagation_waits_grow_with_the_time_waited_and_are_capped() -> None:
    policy = RetryPolicy(initial=1.0, share=0.15, max_interval=30.0, jitter=0.0)
    assert policy.wait(0) == 1.0 and policy.wait(100) == pytest.approx(15.0) and policy.wait(1000) == 30.0
    with pytest.raises(ValueError, match="retry"):
        RetryPolicy(share=0)


def test_a_proven_stored_key_skips_the_costly_check_but_not_the_rs256_policy() -> None:

    login = JwtLogin(
        consumer_key="CK",
        username="u@example.com",
        private_key_pem=KEY,
        key_proven=True,
        token_url="https://x.my.salesforce.com/services/oauth2/token",
        audience="a",
    )
    assert login.signing_key.key_size >= 2048
    ec_pem = pem_key(make_ec_key()).decode()
    for proven in (False, True):
        with pytest.raises(ValueError, match="RS256"):
            JwtLogin(
                consumer_key="CK",
                username="u@example.com",
                private_key_pem=ec_pem,
                key_proven=proven,
                token_url="https://x.my.salesforce.com/services/oauth2/token",
                audience="a",
            )


def test_a_verified_session_reads_the_environment_once_per_host_and_still_honours_it(monkeypatch) -> None:
    import requests

    from components.salesforce.token_exchange import verified_session

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.example.com:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    reads = []
    original = requests.Session.merge_environment_settings
    monkeypatch.setattr(
        requests.Session,
        "merge_environment_settings",
        lambda self, *args: reads.append(args[0]) or original(self, *args),
    )
    http = verified_session()
    first = http.merge_environment_settings(
        "https://acme.my.salesforce.com/services/oauth2/token", {}, None, True, None
    )
    again = http.merge_environment_settings(
        "https://acme.my.salesforce.com/services/data/v66.0/query/", {}, None, True, None
    )
    other = http.merge_environment_settings("https://other.my.salesforce.com/x", {}, None, True, None)
    assert first == again and first["proxies"]["https"] == "http://proxy.example.com:3128"
    assert other["proxies"]["https"] == "http://proxy.example.com:3128"
    assert len(reads) == 2  # once per host


@pytest.mark.parametrize(
    "url",
    [
        "https://collector.example.net/services/oauth2/token",
        "https://login.salesforce.com.example.net/services/oauth2/token",
        "http://127.0.0.1:8443/services/oauth2/token",
    ],
)
def test_no_jwt_is_sent_to_a_token_url_off_salesforce(url: str) -> None:
    with pytest.raises(ValueError, match="token_url: .*Salesforce host"):
        JwtLogin(consumer_key="CK", username="u@example.com", private_key_pem=KEY, token_url=url, audience="a")
    http = RecordingHttp()
    with pytest.raises(ValueError, match="token_url"):
        post_token_request(http, url, {"assertion": "header.claims.signature"})  # type: ignore[arg-type]
    assert http.posts == []
