"""Benchmark: Salesforce calls of a first `pulumi up`, of a rotation, and the writes of a no-op `up`.

The real Pulumi CLI (tools/pulumi_cli.Stack, file backend) runs stack `local` against moto server and
the org emulator on loopback; the emulator's counters give the Salesforce calls per operation, the
secret's versions, staging labels and last-changed time show whether anything was written.
Goals: a first `up` makes at most 17 Salesforce calls (a rotation at most as many); a no-op `up`
makes 0 deploys and 0 secret writes.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from types import SimpleNamespace
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import emulators
from _goals import goal

from emulator.salesforce.launcher import READY_FIELDS
from tests.fixtures.pulumi import calls_since, new_local_stack
from tests.fixtures.salesforce import SalesforceOrg

MAX_CALLS = 17


def secret_marks(stack: Any) -> tuple[Any, ...]:
    """What any secret write would change: versions, their labels, the last-changed time."""
    described = stack.store.describe()
    return tuple(sorted(described.versions.items())), described.last_changed


def timed_up(stack: Any, **config: Any) -> tuple[dict[str, int], float]:
    before, started = stack.org.calls(), time.perf_counter()
    stack.up(**config).check()
    return calls_since(stack.org, before), time.perf_counter() - started


def main() -> int:
    with emulators() as env:
        org = SalesforceOrg(**{name: env.org[name] for name in READY_FIELDS})
        stack = new_local_stack(
            env.work / "pulumi", SimpleNamespace(region=env.region, endpoint_url=env.endpoint_url), org
        )
        first, first_s = timed_up(stack)
        marks = secret_marks(stack)
        noop, noop_s = timed_up(stack)
        noop_writes = sum(v for k, v in noop.items() if k.endswith("deploy")) + (secret_marks(stack) != marks)
        rotation, rotation_s = timed_up(stack, rotation=1)
    print(f"first up:  {sum(first.values()):3d} Salesforce calls in {first_s:.1f} s  {first}")
    print(f"no-op up:  {sum(noop.values()):3d} Salesforce calls in {noop_s:.1f} s  {noop}")
    print(f"rotation:  {sum(rotation.values()):3d} Salesforce calls in {rotation_s:.1f} s  {rotation}")
    print(f"(target: at most {MAX_CALLS} for a first up and for a rotation; a no-op up deploys and writes nothing)")
    calls = sum(first.values())
    goal("first-up-salesforce-calls", calls, MAX_CALLS, calls <= MAX_CALLS and sum(rotation.values()) <= MAX_CALLS)
    goal("noop-up-writes", noop_writes, 0, noop_writes == 0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
