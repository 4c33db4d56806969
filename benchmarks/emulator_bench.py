"""Salesforce emulator on loopback: start-up time, token requests per second, deploy-to-done latency.

The token rate is measured on the emulator as it serves (cheroot, connections kept alive) and on the
same emulator application served by Werkzeug's threaded development server, the server it replaced
(one TLS handshake per request), both in processes of their own, measured round by round. Goal: the
emulator at least doubles Werkzeug's token rate (``GOAL emulator-token-rate-ratio``; the smaller of the
1-client and 4-client ratios). Run: ``.venv/bin/python benchmarks/emulator_bench.py``.
"""

from __future__ import annotations

import concurrent.futures
import json
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from _goals import goal  # noqa: E402

from tests.fixtures import emulator_builders as B  # noqa: E402
from tests.fixtures.salesforce import READY_FIELDS, SalesforceOrg, start_server  # noqa: E402

TOKENS = 200
THREADS = 4
DEPLOYS = 20
ROUNDS = 3
TARGET = 2.0


def serve_with_werkzeug(data_dir: str) -> None:
    """The emulator application behind Werkzeug's threaded development server (the baseline)."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from emulator.salesforce import control, server
    from emulator.salesforce.state import DEFAULT_INTEGRATION, Org
    from emulator.salesforce.tls import create_tls_files, server_context

    class Quiet(WSGIRequestHandler):
        """The handler the emulator had: no log lines, Nagle off (no delayed-ACK stalls), 30 s socket timeout."""

        timeout = 30

        def setup(self) -> None:
            self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            super().setup()

        def log(self, *args: object) -> None:
            return

    files = create_tls_files(Path(data_dir), "127.0.0.1")
    holder: dict[str, server.EmulatorApp] = {}
    http = make_server(
        "127.0.0.1",
        0,
        lambda e, s: holder["app"](e, s),
        threaded=True,
        request_handler=Quiet,
        ssl_context=server_context(files),
    )
    url = f"https://127.0.0.1:{http.server_port}"
    org = Org(url)
    holder["app"] = server.EmulatorApp(org)
    print(
        json.dumps(
            {
                "instance_url": url,
                "login_url": url,
                "ca_bundle": str(files.ca_bundle),
                "org_id": org.org_id,
                "admin_username": next(iter(org.users)),
                "admin_access_token": org.admin_access_token,
                "integration_username": DEFAULT_INTEGRATION,
                "control_url": url + control.PREFIX,
            }
        ),
        flush=True,
    )
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    http.serve_forever(poll_interval=0.2)


def start_werkzeug(data_dir: Path) -> tuple[subprocess.Popen, dict[str, str]]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--werkzeug", str(data_dir)], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None
    return process, json.loads(process.stdout.readline())


def _token_rate(org: SalesforceOrg, jwt_text: str, threads: int) -> float:
    sessions = [org.session() for _ in range(threads)]

    def worker(index: int) -> int:
        http = sessions[index % threads]
        ok = 0
        for _ in range(TOKENS // threads):
            response = http.post(org.token_url, data={"grant_type": B.JWT_BEARER, "assertion": jwt_text}, timeout=30)
            ok += response.status_code == 200
        return ok

    started = time.perf_counter()
    with concurrent.futures.ThreadPoolExecutor(threads) as pool:
        ok = sum(pool.map(worker, range(threads)))
    elapsed = time.perf_counter() - started
    if ok != TOKENS:
        raise SystemExit(f"only {ok}/{TOKENS} token requests succeeded")
    return TOKENS / elapsed


def _deploy_latencies(org: SalesforceOrg) -> list[float]:
    soap = B.Soap(org)
    latencies = []
    for index in range(DEPLOYS):
        bundle = B.bundle({"PermissionSet": {f"Bench{index}": B.permission_set()}})
        started = time.perf_counter()
        job = soap.deploy(bundle)
        while B.field(soap.status(job), "done") != "true":
            pass
        latencies.append(time.perf_counter() - started)
    return latencies


def _assertion(org: SalesforceOrg) -> str:
    org.reset()
    key, consumer_key = B.jwt_app(org, B.Soap(org))
    return B.assertion(key, consumer_key, org.integration_username, org.instance_url, exp=int(time.time()) + 3600)


def _rates(orgs: dict[str, SalesforceOrg]) -> dict[str, dict[int, float]]:
    """Best token rate per server and client count, measured round by round."""
    assertions = {name: _assertion(org) for name, org in orgs.items()}
    best: dict[str, dict[int, float]] = {name: {} for name in orgs}
    for _ in range(ROUNDS):
        for name, org in orgs.items():
            for threads in (1, THREADS):
                rate = _token_rate(org, assertions[name], threads)
                best[name][threads] = max(best[name].get(threads, 0.0), rate)
    return best


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sf-emulator-bench-") as directory:
        started = time.perf_counter()
        server = start_server(Path(directory) / "emulator")
        startup = time.perf_counter() - started
        baseline, baseline_ready = start_werkzeug(Path(directory) / "werkzeug")
        try:
            orgs = {
                "cheroot": SalesforceOrg(**{name: server.ready[name] for name in READY_FIELDS}),
                "werkzeug": SalesforceOrg(**{name: baseline_ready[name] for name in READY_FIELDS}),
            }
            rates = _rates(orgs)
            _assertion(orgs["cheroot"])
            latencies = _deploy_latencies(orgs["cheroot"])
        finally:
            server.stop()
            baseline.terminate()
            baseline.wait(timeout=10)
    print(f"emulator start-up (process spawn to ready line): {startup * 1000:.0f} ms")
    ratios = {}
    for threads in (1, THREADS):
        ours, theirs = rates["cheroot"][threads], rates["werkzeug"][threads]
        ratios[threads] = ours / theirs
        print(
            f"token requests/s, {threads} client(s): {ours:.1f} kept alive (cheroot) vs {theirs:.1f} one handshake "
            f"per request (Werkzeug dev server): {ratios[threads]:.2f}x  (best of {ROUNDS}, {TOKENS} exchanges)"
        )
    print(
        f"deploy-to-done latency (deploy + checkDeployStatus polls, deploy_seconds=0): "
        f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms over {DEPLOYS}"
    )
    ratio = min(ratios.values())
    goal("emulator-token-rate-ratio", round(ratio, 2), TARGET, ratio >= TARGET)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--werkzeug":
        serve_with_werkzeug(sys.argv[2])
    else:
        main()
