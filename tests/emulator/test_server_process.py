"""The ``python -m emulator.salesforce serve`` process: ready line, TLS, clean stop."""

from __future__ import annotations

import signal
import ssl
import subprocess
import sys

import pytest
import requests

from emulator.salesforce.launcher import READY_FIELDS, REPO_ROOT, start_server


def test_ready_line_fields(salesforce_server):
    ready = salesforce_server.ready
    assert set(ready) == set(READY_FIELDS)
    assert ready["instance_url"].startswith("https://127.0.0.1:")
    assert ready["control_url"] == ready["instance_url"] + "/__emulator__"
    assert ready["integration_username"] == "integration@example.com"
    assert len(ready["org_id"]) == 18


def test_tls_verification_stays_on(salesforce_server):
    url = salesforce_server.ready["instance_url"] + "/services/data/"
    untrusting = requests.Session()
    untrusting.trust_env = False
    untrusting.verify = True
    with pytest.raises(requests.exceptions.SSLError):
        untrusting.get(url, timeout=10)
    context = ssl.create_default_context(cafile=salesforce_server.ready["ca_bundle"])
    assert context.cert_store_stats()["x509_ca"] == 1


def test_localhost_name_is_in_the_certificate(salesforce_server):
    url = salesforce_server.ready["instance_url"].replace("127.0.0.1", "localhost") + "/services/data/"
    response = requests.get(url, verify=salesforce_server.ready["ca_bundle"], timeout=10)
    assert response.status_code == 200


def test_separate_process_starts_prints_one_line_and_stops_on_sigterm(tmp_path):
    server = start_server(tmp_path / "one")
    try:
        assert server.process.poll() is None
        response = requests.get(server.ready["control_url"] + "/health", verify=server.ready["ca_bundle"], timeout=10)
        assert response.json()["ok"] is True
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(timeout=10) == 0
        assert server.process.stdout.read() == ""  # exactly one line was printed
    finally:
        server.stop()


def test_data_dir_reuses_the_ca(tmp_path):
    first = start_server(tmp_path / "shared")
    first.stop()
    ca = (tmp_path / "shared" / "ca.pem").read_bytes()
    second = start_server(tmp_path / "shared")
    try:
        assert (tmp_path / "shared" / "ca.pem").read_bytes() == ca
        requests.get(second.ready["instance_url"] + "/services/data/", verify=second.ready["ca_bundle"], timeout=10)
    finally:
        second.stop()


def test_cli_rejects_bad_port_with_the_option_name():
    result = subprocess.run(
        [sys.executable, "-m", "emulator.salesforce", "serve", "--port", "70000"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "--port" in result.stderr
    assert result.stdout == ""
