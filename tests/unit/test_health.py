"""health.evaluate: every finding and the exit code it leads to (pure, no I/O)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from components.health import (
    CheckReport,
    LiveApp,
    LoginCheck,
    Policy,
    SecretState,
    Severity,
    evaluate,
    unreadable,
)
from tests.fixtures.certificates import (
    key_and_certificate,
    make_ec_key,
    make_rsa_key,
)
from tests.fixtures.documents import NOW, make_document


def codes(health) -> list[str]:
    return [f.code for f in health.findings]


def test_healthy_integration_reports_certificate_facts_and_exit_0():
    doc = make_document()
    health = evaluate(SecretState("prod/orders", doc), NOW)
    assert health.exit_code == 0 and health.findings == ()
    assert health.fingerprint == doc["fingerprint_sha256"]
    assert health.days_left == 80 and health.org == "acme.my.salesforce.com"
    assert health.renew_after == NOW - timedelta(days=10) + timedelta(days=60)  # 2/3 of 90 days
    assert health.ready is True and not health.renewal_due


def test_inside_renewal_window_is_a_warning():
    health = evaluate(SecretState("s", make_document(issued=NOW - timedelta(days=70))), NOW)
    assert codes(health) == ["renewal-due"] and health.exit_code == 1
    assert "20 days left" in health.findings[0].message and health.renewal_due and health.ready


def test_explicit_renewal_window_overrides_two_thirds_rule():
    doc = make_document(issued=NOW - timedelta(days=10))  # 80 days left
    assert evaluate(SecretState("s", doc), NOW, policy=Policy(renew_before=timedelta(days=85))).exit_code == 1
    assert evaluate(SecretState("s", doc), NOW, policy=Policy(renew_before=timedelta(days=30))).exit_code == 0


def test_renewal_window_longer_than_lifetime_is_a_usage_error():
    health = evaluate(SecretState("s", make_document()), NOW, policy=Policy(renew_before=timedelta(days=400)))
    assert "bad-renewal-window" in codes(health) and health.exit_code == 3


def test_expired_certificate_is_critical():
    health = evaluate(SecretState("s", make_document(issued=NOW - timedelta(days=91))), NOW)
    assert codes(health) == ["expired"] and health.exit_code == 2
    assert health.days_left < 0 and health.ready is False


def test_scheduled_for_deletion_is_critical():
    state = SecretState("s", make_document(), deletion_date=NOW + timedelta(days=30))
    health = evaluate(state, NOW)
    assert codes(health) == ["scheduled-for-deletion"] and health.exit_code == 2
    assert "restore-secret" in health.findings[0].message


def test_pending_version_is_in_progress_then_stuck():
    doc, pending = make_document(), make_document(key_index=1)
    fresh = evaluate(SecretState("s", doc, pending=pending, pending_created=NOW - timedelta(minutes=5)), NOW)
    assert codes(fresh) == ["rotation-in-progress"] and fresh.exit_code == 1 and fresh.pending
    stuck = evaluate(SecretState("s", doc, pending=pending, pending_created=NOW - timedelta(hours=2)), NOW)
    assert codes(stuck) == ["rotation-stuck"] and stuck.exit_code == 2
    undated = evaluate(SecretState("s", doc, pending=pending), NOW)
    assert undated.exit_code == 2
    patient = Policy(stuck_after=timedelta(hours=3))
    assert (
        evaluate(
            SecretState("s", doc, pending=pending, pending_created=NOW - timedelta(hours=2)), NOW, policy=patient
        ).exit_code
        == 1
    )


def test_missing_current_document_is_critical():
    health = evaluate(SecretState("s", None), NOW)
    assert codes(health) == ["no-current-version"] and health.exit_code == 2


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"certificate_pem": "not a pem"}, "invalid-document"),
        ({"certificate_pem": None}, "invalid-document"),
        ({"private_key_pem": ""}, "invalid-document"),
        # deliberate fake: a PEM frame around 3 bytes, no key (real keys are generated at run time)
        ({"private_key_pem": "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"}, "invalid-document"),
        ({"fingerprint_sha256": "00:11"}, "fingerprint-mismatch"),
        ({"cert_key_index": 1}, "key-mismatch"),
    ],
)
def test_broken_documents_are_critical_without_echoing_the_key(overrides, code):
    health = evaluate(SecretState("s", make_document(**overrides)), NOW)
    assert code in codes(health) and health.exit_code == 2
    assert all("PRIVATE KEY" not in f.message and "AAAA" not in f.message for f in health.findings)


def test_failed_verification_is_critical_and_successful_is_not():
    doc = make_document()
    bad = LoginCheck(ok=False, attempts=1, error="user hasn't approved this consumer")
    health = evaluate(SecretState("s", doc), NOW, verification=bad)
    assert codes(health) == ["verification-failed"] and health.exit_code == 2
    assert "user hasn't approved this consumer" in health.findings[0].message
    good = LoginCheck(ok=True, username="integration@example.com", org_id="00D000000000001AAA", attempts=1)
    assert evaluate(SecretState("s", doc), NOW, verification=good).exit_code == 0


def test_drift_of_certificate_scopes_pre_authorization_and_missing_app():
    doc = make_document()
    same = LiveApp(True, doc["fingerprint_sha256"], "3MVG9orders", ("Api", "RefreshToken"), True)
    assert evaluate(SecretState("s", doc), NOW, live_app=same).exit_code == 0
    assert (
        evaluate(
            SecretState("s", doc),
            NOW,
            live_app=LiveApp(True, doc["fingerprint_sha256"].lower(), None, ("RefreshToken",), True),
        ).exit_code
        == 0
    )
    drifted = LiveApp(True, "AB:CD", "3MVG9other", ("Api",), False)
    health = evaluate(SecretState("s", doc), NOW, live_app=drifted)
    assert codes(health) == ["drift-certificate", "drift-consumer-key", "drift-scopes", "drift-pre-authorization"]
    assert health.exit_code == 2
    gone = evaluate(SecretState("s", doc), NOW, live_app=LiveApp(False))
    assert codes(gone) == ["drift-app-missing"]
    strict = Policy(required_scopes=frozenset({"Api", "RefreshToken", "Full"}))
    assert "drift-scopes" in codes(evaluate(SecretState("s", doc), NOW, live_app=same, policy=strict))


def test_unreadable_secret_is_exit_3_and_unknown_ready():
    health = unreadable("nope", "secret not found")
    assert health.exit_code == 3 and health.ready is None


def test_report_exit_code_is_the_worst_result():
    healthy = evaluate(SecretState("a", make_document()), NOW)
    warning = evaluate(SecretState("b", make_document(issued=NOW - timedelta(days=70))), NOW)
    critical = evaluate(SecretState("c", make_document(issued=NOW - timedelta(days=100))), NOW)
    assert CheckReport((), NOW).exit_code == 0
    assert CheckReport((healthy, warning), NOW).exit_code == 1
    assert CheckReport((healthy, critical, warning), NOW).severity is Severity.CRITICAL
    assert CheckReport((healthy, unreadable("x", "denied")), NOW).exit_code == 3


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="timezone-aware"):
        evaluate(SecretState("s", make_document()), datetime(2026, 1, 1))


def _document_with_key(key) -> dict:
    """A document whose key and self-signed certificate are ``key`` (consistent, but maybe refused)."""
    key_pem, cert_pem, cert_fingerprint = key_and_certificate(
        key, common_name="orders-sync", not_before=NOW - timedelta(days=10), days=90, serial=None
    )
    return make_document(private_key_pem=key_pem, certificate_pem=cert_pem, fingerprint_sha256=cert_fingerprint)


@pytest.mark.parametrize(
    ("make_key", "reason"),
    [
        (make_ec_key, "EC keys are refused"),
        (lambda: make_rsa_key(1024), "1024 bits is refused"),
    ],
)
def test_a_stored_key_the_policy_refuses_is_a_critical_key_refused_finding(make_key, reason):
    health = evaluate(SecretState("prod/orders", _document_with_key(make_key())), NOW)
    assert codes(health) == ["key-refused"]
    (finding,) = health.findings
    assert finding.severity is Severity.CRITICAL and reason in finding.message
    assert "PRIVATE KEY" not in finding.message


@pytest.mark.parametrize(
    ("field", "url"),
    [
        ("token_url", "https://collector.example.net/services/oauth2/token"),
        ("token_url", "https://acme.my.salesforce.com.example.net/services/oauth2/token"),
        ("login_url", "https://login.salesforce.evil.com"),
    ],
)
def test_a_stored_url_off_salesforce_is_a_critical_finding(field, url):
    health = evaluate(SecretState("prod/orders", make_document(**{field: url})), NOW)
    assert codes(health) == ["url-not-salesforce"]
    (finding,) = health.findings
    assert finding.severity is Severity.CRITICAL and field in finding.message and url in finding.message


@pytest.mark.parametrize(
    "url",
    [
        "https://login.salesforce.com",
        "https://test.salesforce.com",
        "https://acme.my.salesforce.com",
        "https://acme--uat.sandbox.my.salesforce.com",
        "https://acme.lightning.force.com",
        "https://127.0.0.1:8443",
        "https://localhost:8443",
    ],
)
def test_salesforce_and_loopback_urls_are_accepted(url):
    health = evaluate(SecretState("prod/orders", make_document(login_url=url)), NOW)
    assert codes(health) == []
