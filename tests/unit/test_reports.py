"""Report renderers: JSON, Markdown, Prometheus text and the rich table."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from prometheus_client.parser import text_string_to_metric_families
from rich.console import Console

from components.health import CheckReport, LiveApp, LoginCheck, SecretState, evaluate, unreadable
from components.reports import render_check_markdown, render_json, render_prometheus, render_table
from tests.fixtures.documents import NOW, make_document


def sample_report() -> CheckReport:
    healthy_doc = make_document()
    healthy = evaluate(
        SecretState("prod/orders", healthy_doc),
        NOW,
        verification=LoginCheck(
            True, username="integration@example.com", org_id="00D000000000001AAA", attempts=2, elapsed_seconds=1.5
        ),
        live_app=LiveApp(True, healthy_doc["fingerprint_sha256"], "3MVG9orders", ("Api", "RefreshToken"), True),
    )
    warning = evaluate(
        SecretState("prod/billing", make_document(issued=NOW - timedelta(days=70), app_name="Billing|Sync")), NOW
    )
    critical = evaluate(
        SecretState("prod/hr", make_document(issued=NOW - timedelta(days=100))),
        NOW,
        verification=LoginCheck(False, attempts=1, error="invalid_grant: user hasn't approved this consumer"),
        live_app=LiveApp(True, "AB:CD", None, ("Api", "RefreshToken"), True),
    )
    return CheckReport((healthy, warning, critical, unreadable("prod/gone", "secret not found")), NOW)


def test_json_has_exit_code_certificate_facts_and_findings():
    data = json.loads(render_json(sample_report()))
    assert data["exit_code"] == 3 and data["status"] == "error"
    first, second, third, fourth = data["integrations"]
    assert first["status"] == "healthy" and first["certificate"]["days_left"] == 80
    assert first["certificate"]["not_after"].endswith("Z")
    assert first["verification"] == {
        "ok": True,
        "stage": "AWSCURRENT",
        "username": "integration@example.com",
        "org_id": "00D000000000001AAA",
        "instance_url": None,
        "attempts": 2,
        "elapsed_seconds": 1.5,
        "error": None,
    }
    assert first["drift"]["drifted"] is False
    assert second["certificate"]["renewal_due"] is True and second["exit_code"] == 1
    assert {f["code"] for f in third["findings"]} == {"expired", "verification-failed", "drift-certificate"}
    assert third["drift"]["drifted"] is True and third["ready"] is False
    assert fourth["ready"] is None and fourth["findings"][0]["severity"] == "error"


def test_reports_never_contain_key_material():
    report = sample_report()
    outputs = [render_json(report), render_check_markdown(report), render_prometheus(report)]
    console = Console(record=True, width=200)
    console.print(render_table(report))
    outputs.append(console.export_text())
    for text in outputs:
        assert "PRIVATE KEY" not in text and "BEGIN CERTIFICATE" not in text


def test_markdown_table_and_findings():
    md = render_check_markdown(sample_report())
    assert md.startswith("## Salesforce JWT integrations — error (exit 3)")
    assert "| Secret | App | Fingerprint |" in md
    assert "Billing\\|Sync" in md  # pipes escaped inside cells
    assert "- **critical** `prod/hr` (expired):" in md
    assert "- **warning** `prod/billing` (renewal-due):" in md
    assert "ok (2×, 1.5s)" in md


def test_prometheus_exposition_parses_with_cert_manager_style_series():
    report = sample_report()
    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(report))}
    expiration = families["salesforce_jwt_certificate_expiration_timestamp_seconds"]
    by_secret = {s.labels["secret"]: s for s in expiration.samples}
    assert by_secret["prod/orders"].value == report.results[0].not_after.timestamp()
    assert by_secret["prod/orders"].labels == {
        "secret": "prod/orders",
        "app": "Orders_Sync",
        "org": "acme.my.salesforce.com",
    }
    assert "prod/gone" not in by_secret  # nothing known, nothing invented
    renewal = {
        s.labels["secret"]: s.value for s in families["salesforce_jwt_certificate_renewal_timestamp_seconds"].samples
    }
    assert renewal["prod/billing"] == report.results[1].renew_after.timestamp()
    ready = {
        (s.labels["secret"], s.labels["condition"]): s.value
        for s in families["salesforce_jwt_certificate_ready_status"].samples
    }
    assert ready[("prod/orders", "True")] == 1 and ready[("prod/orders", "False")] == 0
    assert ready[("prod/hr", "False")] == 1 and ready[("prod/gone", "Unknown")] == 1
    status = {s.labels["secret"]: s.value for s in families["salesforce_jwt_check_status"].samples}
    assert status == {"prod/orders": 0, "prod/billing": 1, "prod/hr": 2, "prod/gone": 3}
    verified = {s.labels["secret"]: s.value for s in families["salesforce_jwt_verification_success"].samples}
    assert verified == {"prod/orders": 1, "prod/hr": 0}
    drift = {s.labels["secret"]: s.value for s in families["salesforce_jwt_drift_detected"].samples}
    assert drift == {"prod/orders": 0, "prod/hr": 1}


def test_prometheus_escapes_label_values():
    doc = make_document(app_name='we"ird\\name')
    report = CheckReport((evaluate(SecretState('a"b', doc), NOW),), NOW)
    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(report))}
    (sample,) = families["salesforce_jwt_check_status"].samples
    assert sample.labels["secret"] == 'a"b' and sample.labels["app"] == 'we"ird\\name'


def test_table_lists_every_integration_and_finding():
    console = Console(record=True, width=220, color_system=None)
    console.print(render_table(sample_report()))
    text = console.export_text()
    for secret in ("prod/orders", "prod/billing", "prod/hr", "prod/gone"):
        assert secret in text
    assert "prod/hr: [critical] certificate expired" in text
    assert "in sync" in text and "drift" in text and "FAILED" in text


def test_unreadable_live_app_is_neither_drift_nor_in_sync():
    doc = make_document()
    health = evaluate(SecretState("prod/x", doc), NOW, live_app=LiveApp(False, error="SessionError: refused"))
    report = CheckReport((health,), NOW)
    data = json.loads(render_json(report))["integrations"][0]
    assert data["drift"]["drifted"] is None and data["exit_code"] == 3
    assert data["findings"][0]["code"] == "drift-unreadable"
    families = {f.name: f for f in text_string_to_metric_families(render_prometheus(report))}
    assert families["salesforce_jwt_drift_detected"].samples == []
    assert "| unknown |" in render_check_markdown(report)


def test_every_timestamp_the_product_writes_ends_in_z():
    from datetime import datetime, timedelta, timezone

    from components.rollout import iso as output_iso
    from components.timestamps import iso, iso_from_timestamp

    east = datetime(2026, 12, 2, 16, 30, 5, 123456, tzinfo=timezone(timedelta(hours=2)))
    assert iso(east) == output_iso(east) == "2026-12-02T14:30:05Z"
    assert iso(east, timespec="auto") == "2026-12-02T14:30:05.123456Z"
    assert iso_from_timestamp(0) == "1970-01-01T00:00:00Z"


def test_the_plain_table_keeps_one_line_per_integration_at_any_length():
    """Issue 12: in pipes the rich table was squeezed to 80 columns and wrapped long secret names."""
    from components.reports import HEADERS, render_plain

    report = sample_report()
    long_name = "salesforce/jwt/production-eu-central/Orders_Fulfilment_Integration_Slot_A"
    report = CheckReport(
        tuple(dataclasses.replace(r, secret_id=long_name) for r in report.results), report.generated_at, ("a note",)
    )
    lines = render_plain(report).splitlines()
    assert lines[0].startswith("Salesforce JWT integrations — ")
    assert lines[1].split()[:2] == list(HEADERS[:2])
    rows = lines[2 : 2 + len(report.results)]
    assert all(row.startswith(long_name) and len(row) > 100 for row in rows)
    assert not any(ch in "".join(lines) for ch in "│┃━─┏") and "\x1b[" not in "".join(lines)
    assert lines[-1] == "a note"
    columns = lines[1].index(HEADERS[2]), rows[0].index(rows[0].split()[2])
    assert columns[0] == columns[1]  # cells line up under their headers
