"""Salesforce emulator on loopback: start-up time, token requests per second, deploy-to-done latency.

Run: ``.venv/bin/python benchmarks/emulator_bench.py`` (prints figures; asserts nothing).
"""

from __future__ import annotations

import concurrent.futures
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.emulator import builders as B  # noqa: E402
from tests.fixtures.salesforce import READY_FIELDS, SalesforceOrg, start_server  # noqa: E402

TOKENS = 200
THREADS = 4
DEPLOYS = 20


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


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="sf-emulator-bench-") as directory:
        started = time.perf_counter()
        server = start_server(Path(directory))
        startup = time.perf_counter() - started
        try:
            org = SalesforceOrg(**{name: server.ready[name] for name in READY_FIELDS})
            org.reset()
            key, consumer_key = B.jwt_app(org, B.Soap(org))
            jwt_text = B.assertion(key, consumer_key, org.integration_username, org.instance_url,
                                   exp=int(time.time()) + 3600)
            sequential = _token_rate(org, jwt_text, 1)
            concurrent_rate = _token_rate(org, jwt_text, THREADS)
            latencies = _deploy_latencies(org)
        finally:
            server.stop()
    print(f"emulator start-up (process spawn to ready line): {startup * 1000:.0f} ms")
    print(f"token requests/s, 1 client:  {sequential:.1f}  ({TOKENS} JWT bearer exchanges over HTTPS)")
    print(f"token requests/s, {THREADS} clients: {concurrent_rate:.1f}")
    print(f"deploy-to-done latency (deploy + checkDeployStatus polls, deploy_seconds=0): "
          f"median {statistics.median(latencies) * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms over {DEPLOYS}")


if __name__ == "__main__":
    main()
