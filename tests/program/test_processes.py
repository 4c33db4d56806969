"""A killed `pulumi up` leaves nothing behind: not the language host, not the program, not a provider.

The CLI is started in a session of its own and killed with SIGKILL (it gets no chance to clean up)
while a provider waits on a slow Metadata API deploy; every process of that session must be gone
within seconds, because each one watches the engine that started it.
"""

from __future__ import annotations

import os
import signal
import time

import pytest

from tests.fixtures.processes import session_members, wait_for
from tests.fixtures.pulumi import LocalStack

pytestmark = pytest.mark.slow
GONE_WITHIN_SECONDS = 20


def deploy_is_hanging(stack: LocalStack) -> bool:
    """The injected slow deploy has been taken by a request (the emulator holds it for a minute)."""
    return all(fault.get("count", 0) < 1 for fault in stack.org.control("GET", "faults"))


def test_sigkill_of_pulumi_up_leaves_no_process_behind(local_stack: LocalStack):
    local_stack.org.fault("deploy", delay_seconds=60)  # the app deployment hangs on the deploy call
    cli = local_stack.cli.start("up", "--yes", "--skip-preview", "--stack", "local")
    try:
        running = wait_for(
            lambda: (
                (p := session_members({cli.pid}))
                and any("pulumi.dynamic" in c for c in p.values())
                and deploy_is_hanging(local_stack)
                and p
            ),
            60,
            "the dynamic provider host to send the deploy",
        )
        kinds = " ".join(running.values())
        assert ("pulumi-language-python" in kinds and "pulumi-resource-tls" in kinds) or "tls_plugin" in kinds
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
        left = {}
        deadline = time.monotonic() + GONE_WITHIN_SECONDS
        while time.monotonic() < deadline:
            left = session_members({cli.pid})
            if not left:
                break
            time.sleep(0.5)
        assert not left, f"still running {GONE_WITHIN_SECONDS} s after the CLI was killed: {left}"
    finally:
        for pid in session_members({cli.pid}):
            os.kill(pid, signal.SIGKILL)
