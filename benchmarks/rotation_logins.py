"""Failed requests of a live integration while a real `pulumi up` rotates its key.

Run: ``.venv/bin/python benchmarks/rotation_logins.py`` (starts moto server and the org emulator on
loopback, and drives stack ``local`` of this project with the real Pulumi CLI on a scratch copy).

Two worker threads share one runtime client (``components.client``) and make authenticated REST calls
(a SOQL query of the integration user) without pause but for a short think time, bounded in number and
time. The client's token lifetime is 0.2 s, so it logs in afresh about every 0.1 s and crosses every
part of the rotation window. While they run:

1. ``single``: two ``pulumi up`` with ``rotation`` bumped (the one app gets the new certificate, then
   the new key is staged AWSPENDING, verified and promoted): the first with a certificate that applies
   at once (the old key stops working before the new one is staged), the second with a 3 s
   propagation (the old key works until the new certificate applies, then only AWSPENDING does);
2. ``blue-green``: ``pulumi up`` switching to ``rotationStrategy: blue-green``, then two rotations
   (each rekeys the idle slot's app and promotes it).

A failed request is an API call that raised or did not answer 200. Prints per phase the calls, the
logins by the stage whose key worked, the refusals and the slowest call, then
``GOAL rotation-failed-logins-<phase> <failed requests> 0 met|missed``. Exits non-zero only when it
could not run (an emulator or `pulumi up` failed).
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import requests  # noqa: E402

from components.client import ClientOptions, LoginFailed, SalesforceJwtClient  # noqa: E402
from components.client_metrics import LoginCounters  # noqa: E402
from emulator.aws import start_moto_server  # noqa: E402
from emulator.salesforce.launcher import READY_FIELDS, start_server  # noqa: E402
from tests.fixtures.aws import FAKE_CREDENTIALS  # noqa: E402
from tests.fixtures.pulumi import LOCAL_SECRET, deployer_env, emulator_config  # noqa: E402
from tests.fixtures.salesforce import SalesforceOrg  # noqa: E402
from tools import pulumi_tools  # noqa: E402
from tools.pulumi_cli import PulumiError, Stack  # noqa: E402

WORKERS = 2
THINK_SECONDS = 0.02
MAX_CALLS = 40_000  # per phase, all workers together
MAX_SECONDS = 1_200.0  # per phase
SETTLE_SECONDS = 3.0  # calls before the first and after the last `up` of a phase
OPTIONS = ClientOptions(token_lifetime=0.2, refresh_margin=0.1, wait_seconds=120.0)  # a login every 0.1 s
PROPAGATION = 3.0  # seconds the org takes to apply a changed certificate (the old one verifies meanwhile)


@dataclass(frozen=True)
class Up:
    """One `pulumi up`: the config it changes, and how long the org takes to apply a new certificate."""

    config: dict[str, Any]
    propagation: float = 0.0


PHASES: dict[str, list[Up]] = {
    "single": [Up({"rotation": 1}), Up({"rotation": 2}, PROPAGATION)],
    "blue-green": [
        Up({"rotationStrategy": "blue-green"}, PROPAGATION),
        Up({"rotation": 3}),
        Up({"rotation": 4}, PROPAGATION),
    ],
}


@dataclass
class Tally:
    """What the workers saw in one phase."""

    calls: int = 0
    failed: int = 0
    slowest: float = 0.0
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, seconds: float, error: str | None) -> None:
        with self.lock:
            self.calls += 1
            self.slowest = max(self.slowest, seconds)
            if error:
                self.failed += 1
                if len(self.failures) < 5:
                    self.failures.append(error)


def call_once(client: SalesforceJwtClient, username: str) -> str | None:
    """One authenticated API call; the reason when it failed, else None."""
    query = f"SELECT Id FROM User WHERE Username = '{username}'"
    try:
        response = client.session().get(f"/services/data/v{OPTIONS.api_version}/query", params={"q": query})
    except (LoginFailed, requests.RequestException) as exc:
        return f"{type(exc).__name__}: {str(exc)[:300]}"
    return None if response.status_code == 200 else f"HTTP {response.status_code}: {response.text[:200]}"


def worker(client: SalesforceJwtClient, username: str, tally: Tally, stop: threading.Event) -> None:
    deadline = time.monotonic() + MAX_SECONDS
    while not stop.is_set() and tally.calls < MAX_CALLS and time.monotonic() < deadline:
        started = time.monotonic()
        error = call_once(client, username)
        tally.record(time.monotonic() - started, error)
        time.sleep(THINK_SECONDS)


def measure(stack: Stack, org: SalesforceOrg, client: SalesforceJwtClient, ups: list[Up]) -> Tally:
    """Run the workers around the given `pulumi up`s; fail if an `up` fails."""
    tally, stop = Tally(), threading.Event()
    threads = [
        threading.Thread(target=worker, args=(client, org.integration_username, tally, stop), daemon=True)
        for _ in range(WORKERS)
    ]
    for thread in threads:
        thread.start()
    try:
        time.sleep(SETTLE_SECONDS)
        for up in ups:
            org.settings(
                propagation_seconds=dict.fromkeys(("ExternalClientApplication", "ConnectedApp"), up.propagation)
            )
            started = time.monotonic()
            stack.up(**up.config).check()
            print(
                f"   pulumi up {up.config} (certificate propagation {up.propagation:.0f} s): "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )
        time.sleep(SETTLE_SECONDS)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=OPTIONS.wait_seconds + 60)
    return tally


def report(phase: str, tally: Tally, counters: LoginCounters, before: LoginCounters) -> None:
    """The phase's figures and its GOAL line."""
    logins = {k: v - before.logins.get(k, 0) for k, v in counters.logins.items() if v - before.logins.get(k, 0)}
    refusals = {
        f"{s} {e}": v - before.refusals.get((s, e), 0)
        for (s, e), v in counters.refusals.items()
        if v - before.refusals.get((s, e), 0)
    }
    print(f"   {tally.calls} API calls, {tally.failed} failed; logins by stage {logins}; refusals {refusals}")
    print(
        f"   slowest call {tally.slowest:.2f} s; slowest login {counters.slowest_login:.2f} s "
        "(a wait through the gap between the new certificate and the new key shows here)"
    )
    for failure in tally.failures:
        print(f"   failure: {failure}")
    verdict = "met" if tally.failed == 0 else "missed"
    print(f"GOAL rotation-failed-logins-{phase} {tally.failed} 0 {verdict}", flush=True)


def snapshot(counters: LoginCounters) -> LoginCounters:
    """Counts so far (the slowest login restarts per phase)."""
    copy = LoginCounters()
    copy.logins.update(counters.logins)
    copy.refusals.update(counters.refusals)
    counters.slowest_login = 0.0
    return copy


def run(work: Path) -> None:
    moto = start_moto_server()
    server = start_server(work / "salesforce")
    try:
        org = SalesforceOrg(**{name: server.ready[name] for name in READY_FIELDS})
        stack = Stack(ROOT, "local", work / "pulumi", env=deployer_env(org))
        stack.set_config(**emulator_config(moto, org))
        started = time.monotonic()
        stack.up().check()
        print(f"first pulumi up (single app): {time.monotonic() - started:.1f} s", flush=True)
        counters = LoginCounters()
        client = SalesforceJwtClient(
            LOCAL_SECRET,
            region=moto.region,
            endpoint_url=moto.endpoint_url,
            ca_bundle=org.ca_bundle,
            options=OPTIONS,
            metrics=counters,
        )
        client.login()  # the integration works before the rotation starts
        for phase, ups in PHASES.items():
            every = OPTIONS.token_lifetime - OPTIONS.refresh_margin
            print(f"{phase}: {WORKERS} workers, a fresh login every {every:.1f} s", flush=True)
            before = snapshot(counters)
            report(phase, measure(stack, org, client, ups), counters, before)
    finally:
        server.stop()
        moto.stop()


def main() -> int:
    os.environ.update(FAKE_CREDENTIALS)
    os.environ.update(
        AWS_DEFAULT_REGION="us-east-1", AWS_CONFIG_FILE=os.devnull, AWS_SHARED_CREDENTIALS_FILE=os.devnull
    )
    os.environ.pop("AWS_PROFILE", None)
    if pulumi_tools.ambient_pulumi() is None:
        pulumi_tools.build()
    try:
        with tempfile.TemporaryDirectory(prefix="rotation-logins-") as work:
            run(Path(work))
    except (PulumiError, OSError, RuntimeError) as exc:
        print(f"rotation_logins: could not run: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
