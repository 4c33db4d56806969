"""emulator.aws: the moto server the credential tests and the demo run against."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import pytest

from emulator.aws import MotoServerError, free_port, start_moto_server


def test_start_answers_then_stop_ends_the_process():
    with start_moto_server() as server:
        assert server.running() and server.host == "127.0.0.1"
        server.reset()
    assert not server.running()
    assert server.process.returncode is not None


def test_a_taken_port_is_reported_with_moto_output(moto_server):
    with pytest.raises(MotoServerError, match=f"port {moto_server.port} on 127.0.0.1 is already in use"):
        start_moto_server(port=moto_server.port, timeout=20)


def test_module_entry_point_prints_a_ready_line_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "emulator.aws", "--port", str(free_port())], stdout=subprocess.PIPE, text=True
    )
    try:
        ready = json.loads(process.stdout.readline())
        assert ready["endpoint_url"].startswith("http://127.0.0.1:") and ready["region"] == "us-east-1"
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
