"""Start and stop ``python -m emulator.salesforce serve`` from Python (test fixtures, the demo).

Like ``emulator.aws`` does for moto server: a free loopback port, the JSON ready line, a clean stop,
and no emulator left running when the process that started it dies, even by SIGKILL
(``emulator.parent_death``).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.parent_death import die_with_parent

REPO_ROOT = Path(__file__).resolve().parents[2]
START_TIMEOUT = 30.0
READY_FIELDS = (
    "instance_url",
    "login_url",
    "ca_bundle",
    "org_id",
    "admin_username",
    "admin_access_token",
    "integration_username",
    "control_url",
)


class EmulatorError(RuntimeError):
    """The emulator did not start, or a control call failed."""


@dataclass
class SalesforceServer:
    """A running emulator process and the facts of its ready line."""

    process: subprocess.Popen
    ready: dict[str, str]
    data_dir: Path

    def stop(self) -> None:
        """Terminate the process (kill after 10 s)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def _read_ready_line(process: subprocess.Popen, timeout: float) -> dict[str, str]:
    box: dict[str, Any] = {}

    def reader() -> None:
        box["line"] = process.stdout.readline()

    thread = threading.Thread(target=reader, daemon=True)
    thread.start()
    thread.join(timeout)
    line = box.get("line")
    if not line:
        process.kill()
        raise EmulatorError(f"the Salesforce emulator printed no ready line within {timeout:.0f} s")
    try:
        ready = json.loads(line)
    except ValueError:
        process.kill()
        raise EmulatorError(f"the Salesforce emulator's ready line is not JSON: {line[:200]!r}") from None
    missing = [name for name in READY_FIELDS if name not in ready]
    if missing:
        process.kill()
        raise EmulatorError(f"the ready line lacks {missing}")
    return ready


def start_server(data_dir: Path, timeout: float = START_TIMEOUT) -> SalesforceServer:
    """Start ``python -m emulator.salesforce serve`` on a free loopback port."""
    data_dir.mkdir(parents=True, exist_ok=True)
    stderr = open(data_dir / "stderr.log", "wb")  # noqa: SIM115 - owned by the process
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "emulator.salesforce",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--data-dir",
            str(data_dir),
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=stderr,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        preexec_fn=die_with_parent(),
    )
    stderr.close()
    return SalesforceServer(process, _read_ready_line(process, timeout), data_dir)
