"""The stand-in servers die with the process that started them, even when it is SIGKILLed.

A parent process starts moto server and the org emulator exactly as `make demo` does
(`demo.services.start_services`), prints their pids and waits; it is killed with SIGKILL, which
gives it no chance to stop them. Both must be gone soon after: the kernel signals them
(PR_SET_PDEATHSIG, set by emulator/parent_death.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

from tests.fixtures.processes import alive, wait_until

ROOT = Path(__file__).resolve().parents[2]
GONE_WITHIN_SECONDS = 20
PARENT = """
import json, sys, time
from pathlib import Path
from demo.services import start_services
services = start_services(Path(sys.argv[1]))
print(json.dumps({"moto": services.aws.process.pid, "salesforce": services.salesforce.process.pid}), flush=True)
time.sleep(600)
"""


def test_sigkilled_parent_leaves_neither_moto_nor_the_org_emulator(tmp_path: Path):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(tmp_path)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    pids: dict[str, int] = {}
    try:
        pids = json.loads(parent.stdout.readline())
        assert all(alive(pid) for pid in pids.values()), pids
        os.kill(parent.pid, signal.SIGKILL)
        parent.wait()
        wait_until(lambda: not any(alive(pid) for pid in pids.values()), GONE_WITHIN_SECONDS)
        left = [name for name, pid in pids.items() if alive(pid)]
        assert not left, f"still running {GONE_WITHIN_SECONDS} s after their parent was killed: {left}"
    finally:
        for pid in pids.values():
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
        if parent.poll() is None:
            parent.kill()
