"""Long waits say what they wait for, for how long and the budget, at a steady cadence (issue 12)."""

from __future__ import annotations

import itertools
import re

from components.progress import PROGRESS_ENV, Wait, cadence
from components.salesforce.bundle import ECA, build_bundle
from components.salesforce.metadata_api import MetadataClient, PollPolicy
from components.salesforce.token_exchange import verify_jwt_login
from tests.fixtures.salesforce_apps import (
    ACCESS_PS,
    EmulatorClock,
    admin_session,
    app_spec,
    client,
    jwt_login,
)

LINE = re.compile(r"^waiting for (?P<what>.+): (?P<elapsed>\d+) s of (?P<budget>\d+) s(?: \((?P<detail>.+)\))?$")


def elapsed(lines: list[str]) -> list[int]:
    matches = [LINE.match(line) for line in lines]
    assert all(matches), lines
    return [int(m["elapsed"]) for m in matches if m]


def test_deploy_polling_reports_every_cadence_with_the_deadline(salesforce_org, monkeypatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "10")
    salesforce_org.settings(deploy_seconds=60)
    lines: list[str] = []
    mdapi = MetadataClient(
        admin_session(salesforce_org),
        clock=EmulatorClock(salesforce_org),
        poll=PollPolicy(initial=1.0, multiplier=2.0, max_interval=8.0, jitter=0.0, deadline=300),
        progress=lines.append,
    )
    assert mdapi.deploy(build_bundle(app_spec(ECA))).success
    seconds = elapsed(lines)
    assert all(line.startswith("waiting for deploy 0Af") and " s of 300 s (" in line for line in lines)
    assert seconds[0] < 10 and 4 <= len(seconds) <= 8  # about one line per 10 s of a 60 s deploy
    assert all(10 <= later - earlier < 20 for earlier, later in itertools.pairwise(seconds))


def test_propagation_retries_report_the_budget_and_the_last_error(salesforce_org, monkeypatch) -> None:
    monkeypatch.setenv(PROGRESS_ENV, "30")
    salesforce_org.settings(propagation_seconds={"ExternalClientApplication": 240})
    clock = EmulatorClock(salesforce_org)
    mdapi = client(salesforce_org, clock)
    mdapi.deploy_app(app_spec(ECA))
    mdapi.assign_permission_set(salesforce_org.integration_username, ACCESS_PS.name)
    lines: list[str] = []
    verify_jwt_login(jwt_login(salesforce_org, budget_seconds=600), clock=clock, progress=lines.append)
    seconds = elapsed(lines)
    assert lines[0].startswith(
        f"waiting for Salesforce to accept the JWT login of {salesforce_org.integration_username}"
    )
    assert all(" s of 600 s (attempt " in line and "invalid_client_id" in line for line in lines)
    assert seconds[0] < 30 and seconds[-1] >= 180 and 5 <= len(lines) <= 10


def test_the_cadence_setting_is_read_and_bounded() -> None:
    assert cadence({}) == 30 and cadence({PROGRESS_ENV: "5"}) == 5 and cadence({PROGRESS_ENV: "0"}) == 1
    assert cadence({PROGRESS_ENV: "soon"}) == 30
    quiet = Wait("x", 10, None, 0.0)
    quiet.tick(5.0)  # no reporter: nothing to do, nothing raised
