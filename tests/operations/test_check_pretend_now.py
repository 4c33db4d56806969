"""`check --pretend-now`: the hidden clock the demo and the alert tests move (against a real moto server)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

from components.cli import main
from components.credentials import CredentialDocument, CredentialStore
from components.inspection import PretendClock
from tests.fixtures.documents import make_document

SECRET = "prod/orders"
NOT_AFTER = datetime(2031, 6, 1, 12, 0, tzinfo=UTC)  # far from today: only the pretend clock gets there


def provision(aws) -> None:
    doc = CredentialDocument.from_dict(make_document(issued=NOT_AFTER - timedelta(days=90), days=90))
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    store.ensure_secret()
    store.promote(store.put_pending(doc))


def check(aws, capsys, *args: str) -> tuple[int, dict | str]:
    code = main(
        [
            "check",
            "--region",
            aws.region,
            "--endpoint-url",
            aws.endpoint_url,
            "--secret-id",
            SECRET,
            "--format",
            "json",
            *args,
        ]
    )
    out, err = capsys.readouterr()
    return code, (json.loads(out) if out else err)


def at(moment: datetime) -> str:
    return moment.isoformat().replace("+00:00", "Z")


def test_pretend_now_moves_the_check_through_the_certificate_lifetime(aws, capsys):
    provision(aws)
    for moment, code, findings in (
        (NOT_AFTER - timedelta(days=60), 0, []),
        (NOT_AFTER - timedelta(days=20), 1, ["renewal-due"]),
        (NOT_AFTER + timedelta(hours=1), 2, ["expired"]),
    ):
        exit_code, report = check(aws, capsys, "--pretend-now", at(moment))
        assert exit_code == code, report
        integration = report["integrations"][0]
        assert [f["code"] for f in integration["findings"]] == findings
        generated = datetime.fromisoformat(report["generated_at"].replace("Z", "+00:00"))
        assert moment <= generated < moment + timedelta(minutes=5)  # the report is dated by the pretend clock


def test_without_pretend_now_the_same_secret_is_checked_today(aws, capsys):
    provision(aws)
    exit_code, report = check(aws, capsys)
    assert exit_code == 0 and report["integrations"][0]["certificate"]["days_left"] > 365


def test_a_time_without_offset_is_utc_and_a_bad_one_is_a_usage_error(aws, capsys):
    provision(aws)
    exit_code, report = check(aws, capsys, "--pretend-now", "2031-06-01T13:00:00")
    assert exit_code == 2 and report["generated_at"].startswith("2031-06-01T13:00")
    exit_code, error = check(aws, capsys, "--pretend-now", "next tuesday")
    assert exit_code == 3
    assert "--pretend-now 'next tuesday' is not an RFC 3339 time" in error


def test_the_option_is_hidden_from_help(capsys):
    assert main(["check", "--help"]) == 0
    assert "--pretend-now" not in capsys.readouterr().out


def test_pretend_clock_starts_at_the_instant_and_keeps_ticking():
    start = datetime(2030, 1, 1, tzinfo=UTC)
    clock = PretendClock(start)
    first = clock.now()
    assert abs(first - start.timestamp()) < 5
    time.sleep(0.05)
    assert clock.now() > first
