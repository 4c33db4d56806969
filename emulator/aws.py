"""Start and stop a moto server (AWS stand-in) on loopback.

Used by the test fixtures and the local demo. `python -m emulator.aws` runs one in the foreground and
prints a JSON ready line with the endpoint. The server dies with the process that started it, even a
SIGKILLed one (see emulator/parent_death.py).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import IO

from emulator.parent_death import die_with_parent

DEFAULT_REGION = "us-east-1"
LOOPBACK = "127.0.0.1"


class MotoServerError(RuntimeError):
    """The moto server could not be started or did not answer in time."""


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that was free a moment ago on `host`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@dataclass
class MotoServer:
    """A running `python -m moto.server` process."""

    process: subprocess.Popen[bytes]
    host: str
    port: int
    region: str = DEFAULT_REGION
    log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def endpoint_url(self) -> str:
        """Base URL for boto3's endpoint_url."""
        return f"http://{self.host}:{self.port}"

    def running(self) -> bool:
        """True while the process is alive."""
        return self.process.poll() is None

    def reset(self) -> None:
        """Forget every AWS resource (moto's POST /moto-api/reset)."""
        _post(f"{self.endpoint_url}/moto-api/reset", b"")

    def set_auth(self, enforced: bool, initial_free_actions: int = 0) -> None:
        """Turn moto's IAM checks on (after `initial_free_actions` unchecked calls) or off."""
        value = str(initial_free_actions) if enforced else "inf"
        _post(f"{self.endpoint_url}/moto-api/reset-auth", value.encode())

    def stop(self, timeout: float = 10.0) -> None:
        """Terminate the process (SIGTERM, then SIGKILL after `timeout`)."""
        if self.running():
            self.process.terminate()
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=timeout)
        if self.log is not None:
            self.log.close()
            self.log = None

    def __enter__(self) -> MotoServer:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _post(url: str, body: bytes) -> None:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "text/plain"})
    with urllib.request.urlopen(request, timeout=10) as response:
        response.read()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(f"{url}/moto-api/", timeout=1) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):
        return False


def _log_tail(log: IO[bytes]) -> str:
    log.flush()
    log.seek(0)
    return log.read().decode("utf-8", "replace")[-2000:]


def _port_is_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def _launch(host: str, port: int, region: str, timeout: float) -> MotoServer:
    # Checked first: otherwise a server already on the port would answer the readiness probe.
    if not _port_is_free(host, port):
        raise MotoServerError(f"port {port} on {host} is already in use; choose another port or none.")
    log = tempfile.TemporaryFile()  # noqa: SIM115 - the server writes to it for its whole life; closed by stop()
    env = {**os.environ, "AWS_DEFAULT_REGION": region, "PYTHONUNBUFFERED": "1"}
    process = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", host, "-p", str(port)],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
        env=env,
        start_new_session=True,
        preexec_fn=die_with_parent(),
    )  # gone with its parent, even a SIGKILLed one
    server = MotoServer(process, host, port, region, log)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not server.running():
            tail = _log_tail(log)
            server.stop()
            raise MotoServerError(f"moto server exited with code {process.returncode} on port {port}:\n{tail}")
        if _answers(server.endpoint_url) and server.running():
            return server
        time.sleep(0.1)
    tail = _log_tail(log)
    server.stop()
    raise MotoServerError(f"moto server did not answer on {server.endpoint_url} within {timeout:.0f}s:\n{tail}")


def start_moto_server(
    host: str = LOOPBACK,
    port: int | None = None,
    region: str = DEFAULT_REGION,
    timeout: float = 60.0,
    attempts: int = 3,
) -> MotoServer:
    """Start moto server on `host` (a free port unless given) and wait until it answers.

    With no port given, a port taken by someone else between probe and bind is retried elsewhere.
    """
    last: MotoServerError | None = None
    for _ in range(1 if port else attempts):
        try:
            return _launch(host, port or free_port(host), region, timeout)
        except MotoServerError as err:
            last = err
    assert last is not None
    raise last


def main(argv: list[str] | None = None) -> int:
    """Run a moto server in the foreground until SIGTERM or Ctrl-C."""
    parser = argparse.ArgumentParser(prog="python -m emulator.aws", description=__doc__)
    parser.add_argument("--host", default=LOOPBACK)
    parser.add_argument("--port", type=int, default=None, help="default: a free port")
    parser.add_argument("--region", default=DEFAULT_REGION)
    args = parser.parse_args(argv)
    stop = threading.Event()
    for signum in (signal.SIGTERM, signal.SIGINT):
        signal.signal(signum, lambda *_: stop.set())
    server = start_moto_server(args.host, args.port, args.region)
    try:
        print(
            json.dumps({"endpoint_url": server.endpoint_url, "region": server.region, "pid": server.process.pid}),
            flush=True,
        )
        while server.running() and not stop.wait(0.5):
            pass
        crashed = not stop.is_set()
    finally:
        server.stop()
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
