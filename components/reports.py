"""Renderers for a CheckReport: a rich table for people, JSON, Markdown, Prometheus text.

Prometheus names and labels follow cert-manager's certificate collector
(`certmanager_certificate_expiration_timestamp_seconds`, `..._renewal_timestamp_seconds`,
`..._ready_status{condition=...}`) under our own prefix, labelled by secret, app and org.
Nothing here can print a key or a token: reports are built from IntegrationHealth, which holds
neither.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from rich.console import Group
from rich.table import Table
from rich.text import Text

from components.health import CheckReport, IntegrationHealth, Severity
from components.timestamps import iso

PREFIX = "salesforce_jwt"
LABELS = ("secret", "app", "org")
_STYLE = {Severity.OK: "green", Severity.WARNING: "yellow", Severity.CRITICAL: "bold red", Severity.ERROR: "magenta"}


def _iso(moment: datetime | None) -> str | None:
    return iso(moment, timespec="auto") if moment else None


def _verification_dict(health: IntegrationHealth) -> dict[str, Any] | None:
    v = health.verification
    if v is None:
        return None
    return {
        "ok": v.ok,
        "stage": v.stage,
        "username": v.username,
        "org_id": v.org_id,
        "instance_url": v.instance_url,
        "attempts": v.attempts,
        "elapsed_seconds": round(v.elapsed_seconds, 3),
        "error": v.error,
    }


def _drift_dict(health: IntegrationHealth) -> dict[str, Any] | None:
    if health.live_app is None:
        return None
    live = health.live_app
    return {
        "drifted": _drifted(health),
        "compared": "certificate" if health.certificate_only else "all",
        "app_found": live.found,
        "live_fingerprint": live.fingerprint,
        "live_scopes": list(live.scopes),
        "pre_authorized": live.pre_authorized,
        "error": live.error,
    }


def _drifted(health: IntegrationHealth) -> bool | None:
    """True/False once the live app was compared; None when it could not be read."""
    if health.live_app is None or health.live_app.error:
        return None
    return any(f.code.startswith("drift-") for f in health.findings)


def integration_dict(health: IntegrationHealth) -> dict[str, Any]:
    """A JSON-ready view of one result."""
    return {
        "secret_id": health.secret_id,
        "status": health.severity.label,
        "exit_code": health.exit_code,
        "app_name": health.app_name,
        "app_kind": health.app_kind,
        "slot": health.slot,
        "username": health.username,
        "org": health.org,
        "certificate": {
            "fingerprint_sha256": health.fingerprint,
            "not_before": _iso(health.not_before),
            "not_after": _iso(health.not_after),
            "days_left": health.days_left,
            "renew_after": _iso(health.renew_after),
            "renewal_due": health.renewal_due,
        },
        "pending_rotation": health.pending,
        "deletion_date": _iso(health.deletion_date),
        "ready": health.ready,
        "verification": _verification_dict(health),
        "drift": _drift_dict(health),
        "findings": [{"code": f.code, "severity": f.severity.label, "message": f.message} for f in health.findings],
    }


def report_dict(report: CheckReport) -> dict[str, Any]:
    """A JSON-ready view of the whole report."""
    return {
        "generated_at": _iso(report.generated_at),
        "status": report.severity.label,
        "exit_code": report.exit_code,
        "notes": list(report.notes),
        "integrations": [integration_dict(h) for h in report.results],
    }


def render_json(report: CheckReport) -> str:
    """Stable, indented JSON for machines."""
    return json.dumps(report_dict(report), indent=2, sort_keys=False) + "\n"


def _short(fingerprint: str | None) -> str:
    return f"{fingerprint[:11]}…" if fingerprint else "—"


def _date(moment: datetime | None) -> str:
    return moment.strftime("%Y-%m-%d") if moment else "—"


def _verify_cell(health: IntegrationHealth) -> str:
    v = health.verification
    if v is None:
        return "—"
    return f"ok ({v.attempts}×, {v.elapsed_seconds:.1f}s)" if v.ok else "FAILED"


def _drift_cell(health: IntegrationHealth) -> str:
    drifted = _drifted(health)
    if drifted is None:
        return "—" if health.live_app is None else "unknown"
    what = "cert " if health.certificate_only else ""
    return f"{what}drift" if drifted else f"{what}in sync"


def _row(health: IntegrationHealth) -> list[str]:
    return [
        health.secret_id,
        health.app_name or "—",
        _short(health.fingerprint),
        _date(health.not_after),
        "—" if health.days_left is None else str(health.days_left),
        _date(health.renew_after),
        _verify_cell(health),
        _drift_cell(health),
        health.severity.label,
    ]


HEADERS = ("Secret", "App", "Fingerprint", "Not after", "Days left", "Renew after", "Verify", "Drift", "Status")


def _finding_lines(report: CheckReport) -> list[tuple[Severity, str]]:
    """One line per finding, as both table layouts print them."""
    return [
        (f.severity, f"{h.secret_id}: [{f.severity.label}] {f.message}") for h in report.results for f in h.findings
    ]


def render_table(report: CheckReport) -> Group:
    """A rich renderable: the summary table, then one line per finding."""
    table = Table(title=f"Salesforce JWT integrations — {report.severity.label}", title_justify="left")
    for header in HEADERS:
        table.add_column(header, no_wrap=header in {"Fingerprint", "Not after", "Renew after"})
    for health in report.results:
        table.add_row(*_row(health), style=_STYLE[health.severity] if health.severity else None)
    lines = [Text(line, style=_STYLE[severity]) for severity, line in _finding_lines(report)]
    lines += [Text(note, style="dim") for note in report.notes]
    return Group(table, *lines)


def render_plain(report: CheckReport) -> str:
    """The table for pipes, cron mail and CI logs: one line per integration, columns padded with
    spaces (never wrapped or squeezed to a width), then one line per finding and the notes."""
    rows = [list(HEADERS), *(_row(health) for health in report.results)]
    widths = [max(len(row[column]) for row in rows) for column in range(len(HEADERS))]
    lines = [f"Salesforce JWT integrations — {report.severity.label}"]
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip() for row in rows]
    lines += [line for _, line in _finding_lines(report)]
    lines += list(report.notes)
    return "\n".join(lines) + "\n"


def _md_cell(value: str) -> str:
    return value.replace("|", "\\|").replace("\n", " ")


def render_check_markdown(report: CheckReport) -> str:
    """Markdown for PR and issue comments."""
    lines = [
        f"## Salesforce JWT integrations — {report.severity.label} (exit {report.exit_code})",
        "",
        f"Checked {len(report.results)} integration(s) at {_iso(report.generated_at)}.",
        "",
    ]
    if report.results:
        lines += ["| " + " | ".join(HEADERS) + " |", "|" + "---|" * len(HEADERS)]
        lines += ["| " + " | ".join(_md_cell(c) for c in _row(h)) + " |" for h in report.results]
        lines.append("")
    findings = [(h, f) for h in report.results for f in h.findings]
    if findings:
        lines += ["### Findings", ""]
        lines += [
            f"- **{f.severity.label}** `{_md_cell(h.secret_id)}` ({f.code}): {_md_cell(f.message)}" for h, f in findings
        ]
        lines.append("")
    lines += [f"_{_md_cell(note)}_" for note in report.notes]
    return "\n".join(lines).rstrip() + "\n"


class _ReportCollector(Collector):
    """Exposes one report as cert-manager-style gauges."""

    def __init__(self, report: CheckReport) -> None:
        self.report = report

    def _labels(self, health: IntegrationHealth) -> list[str]:
        return [health.secret_id, health.app_name or "", health.org or ""]

    def collect(self) -> Iterator[GaugeMetricFamily]:
        def gauge(name: str, doc: str, extra: tuple[str, ...] = ()) -> GaugeMetricFamily:
            return GaugeMetricFamily(f"{PREFIX}_{name}", doc, labels=[*LABELS, *extra])

        expiration = gauge(
            "certificate_expiration_timestamp_seconds",
            "The date after which the certificate expires, as a Unix timestamp.",
        )
        renewal = gauge(
            "certificate_renewal_timestamp_seconds",
            "The time after which the certificate is due for renewal, as a Unix timestamp.",
        )
        ready = gauge("certificate_ready_status", "The ready status of the integration's certificate.", ("condition",))
        severity = gauge("check_status", "Worst finding: 0 healthy, 1 warning, 2 critical, 3 error.")
        pending = gauge("rotation_pending", "1 when an AWSPENDING version waits for promotion.")
        verified = gauge("verification_success", "1 when the live JWT login succeeded.")
        duration = gauge("verification_duration_seconds", "Time the live JWT login took.")
        drift = gauge("drift_detected", "1 when the live app differs from the credential document.")
        for health in self.report.results:
            labels = self._labels(health)
            if health.not_after:
                expiration.add_metric(labels, health.not_after.timestamp())
            if health.renew_after:
                renewal.add_metric(labels, health.renew_after.timestamp())
            state = {True: "True", False: "False", None: "Unknown"}[health.ready]
            for condition in ("True", "False", "Unknown"):
                ready.add_metric([*labels, condition], 1.0 if condition == state else 0.0)
            severity.add_metric(labels, float(health.exit_code))
            pending.add_metric(labels, 1.0 if health.pending else 0.0)
            if health.verification is not None:
                verified.add_metric(labels, 1.0 if health.verification.ok else 0.0)
                duration.add_metric(labels, health.verification.elapsed_seconds)
            if _drifted(health) is not None:
                drift.add_metric(labels, 1.0 if _drifted(health) else 0.0)
        yield from (expiration, renewal, ready, severity, pending, verified, duration, drift)


def render_prometheus(report: CheckReport) -> str:
    """Prometheus text exposition format (for node_exporter's textfile collector or a pushgateway)."""
    registry = CollectorRegistry(auto_describe=False)
    registry.register(_ReportCollector(report))
    return generate_latest(registry).decode("utf-8")
