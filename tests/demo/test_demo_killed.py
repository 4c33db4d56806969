"""A SIGKILLed `make demo` leaves nothing running: no moto server, no org emulator, no pulumi.

`make` gets no chance to clean up. The demo it started learns of its death from the kernel
(PR_SET_PDEATHSIG -> SIGTERM) and stops what it started; anything the demo could not stop (were it
killed too) dies with it the same way. The kill comes while the first `pulumi up` runs, when every
kind of process is there: the demo, both stand-ins, the CLI and its plugins.
"""

from __future__ import annotations

import os
import signal
import subprocess
from pathlib import Path

import pytest

from tests.fixtures.processes import alive, descendants, session_members, session_of, wait_until

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
STARTED_WITHIN_SECONDS = 240
GONE_WITHIN_SECONDS = 30


def everything_running(make_pid: int) -> dict[int, str] | None:
    """The processes below make once the stand-ins and a `pulumi up` are all there."""
    found = descendants(make_pid)
    commands = " ".join(found.values())
    wanted = ("-m demo", "moto.server", "emulator.salesforce", "--non-interactive up")
    return found if all(w in commands for w in wanted) else None


def test_sigkill_of_make_demo_leaves_no_process_behind(tmp_path: Path, pulumi_bin: Path):
    env = {**os.environ, "SALESFORCE_JWT_DEMO_DIR": str(tmp_path / "demo")}
    log = tmp_path / "make-demo.log"
    with log.open("wb") as sink:
        make = subprocess.Popen(
            ["make", "-s", "demo"], cwd=ROOT, env=env, stdout=sink, stderr=subprocess.STDOUT, start_new_session=True
        )
    seen: dict[int, str] = {}
    sessions: set[int] = set()
    try:
        running = wait_until(lambda: everything_running(make.pid), STARTED_WITHIN_SECONDS)
        assert running, f"the demo never reached `pulumi up`: {descendants(make.pid)}"
        seen = dict(running)
        sessions = {s for s in (session_of(pid) for pid in seen) if s is not None}
        os.kill(make.pid, signal.SIGKILL)
        make.wait()

        def left() -> dict[int, str]:
            return {**{pid: cmd for pid, cmd in seen.items() if alive(pid)}, **session_members(sessions)}

        wait_until(lambda: not left(), GONE_WITHIN_SECONDS, interval=0.5)
        assert not left(), f"still running {GONE_WITHIN_SECONDS} s after make was killed: {left()}"
        printed = log.read_text(errors="replace")
        assert "interrupted (SIGTERM)" in printed and "Stopped the emulators." in printed, printed[-2000:]
        assert "demo passed" not in printed  # it stopped because make died, not because it was done
    finally:
        for pid in {**seen, **session_members(sessions)}:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
