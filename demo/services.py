"""Start and stop the local stand-ins the demo needs: moto server and the Salesforce org emulator."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulator.aws import MotoServer, start_moto_server

READY_TIMEOUT = 30.0


@dataclass
class SalesforceEmulator:
    """A running ``python -m emulator.salesforce serve`` and its ready line."""

    process: subprocess.Popen
    ready: dict[str, Any]

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)


def start_salesforce(data_dir: Path) -> SalesforceEmulator:
    """Start the org emulator on a free loopback port and wait for its JSON ready line."""
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.salesforce", "serve", "--host", "127.0.0.1", "--port", "0",
         "--data-dir", str(data_dir)],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    line: list[str] = []
    reader = threading.Thread(target=lambda: line.append(process.stdout.readline()), daemon=True)
    reader.start()
    reader.join(READY_TIMEOUT)
    if not line or not line[0].strip():
        process.kill()
        raise RuntimeError(f"the Salesforce emulator did not start within {READY_TIMEOUT:.0f} s")
    return SalesforceEmulator(process, json.loads(line[0]))


@dataclass
class Services:
    """Both stand-ins; ``stop`` is safe to call more than once."""

    aws: MotoServer
    salesforce: SalesforceEmulator

    def stop(self) -> None:
        self.salesforce.stop()
        self.aws.stop()


def start_services(work_dir: Path) -> Services:
    aws = start_moto_server()
    try:
        return Services(aws, start_salesforce(work_dir / "salesforce"))
    except BaseException:
        aws.stop()
        raise
