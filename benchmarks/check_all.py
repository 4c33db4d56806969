"""Benchmark: `check --all` over 1 vs N integrations against moto server (and the org emulator).

Prints wall time, the ratio to checking one integration (target: under 3x for 100) and the
tracemalloc peak per run (target: flat as N grows). Run: `.venv/bin/python benchmarks/check_all.py`
(options: --sizes 1 10 100, --no-verify). Starts and stops its own servers on 127.0.0.1.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import sys
import tempfile
import time
import tracemalloc
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from components.cli import main  # noqa: E402
from components.credentials import CredentialDocument, CredentialStore  # noqa: E402
from components.salesforce.bundle import ECA, AppSpec, PermissionSetSpec  # noqa: E402
from components.salesforce.metadata_api import MetadataClient  # noqa: E402
from components.salesforce.session import AccessTokenAuth, open_session  # noqa: E402
from emulator.aws import start_moto_server  # noqa: E402
from tests.fixtures.salesforce import start_server  # noqa: E402
from tests.unit.test_health import make_document  # noqa: E402

TARGET_RATIO = 3.0
APP, PERMISSION_SET = "Bench_App", "Bench_App_Access"


def document(org: dict[str, str] | None) -> CredentialDocument:
    """One credential document (all integrations share it: the work per check is the same)."""
    issued = datetime.now(timezone.utc) - timedelta(days=10)
    changes = {}
    if org:
        url = org["instance_url"]
        changes = dict(consumer_key="3MVG9benchConsumerKey000001", username=org["integration_username"],
                       login_url=url, audience=url, token_url=f"{url}/services/oauth2/token", app_name=APP)
    return CredentialDocument.from_dict(make_document(issued=issued, days=90, **changes))


def deploy_app(org: dict[str, str], doc: CredentialDocument) -> None:
    session = open_session(AccessTokenAuth(instance_url=org["instance_url"], access_token=org["admin_access_token"]),
                           ca_bundle=org["ca_bundle"])
    client = MetadataClient(session)
    client.deploy_app(AppSpec(kind=ECA, name=APP, label="Bench App", contact_email="ops@example.com",
                              certificate_pem=doc.certificate_pem, consumer_key=doc.consumer_key,
                              permission_sets=(PERMISSION_SET,),
                              access_permission_set=PermissionSetSpec(PERMISSION_SET, "Bench App")))
    client.assign_permission_set(org["integration_username"], PERMISSION_SET)


def provision(region: str, endpoint: str, prefix: str, count: int, doc: CredentialDocument) -> None:
    def one(index: int) -> None:
        store = CredentialStore(f"{prefix}/{index:04d}", region, endpoint)
        store.ensure_secret()
        store.promote(store.put_pending(doc))

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(one, range(count)))


def timed_check(args: list[str]) -> tuple[float, int]:
    """(seconds, exit code) of one in-process `check` run (no tracing: it would skew the time)."""
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(args)
    return time.perf_counter() - start, code


def peak_memory(args: list[str]) -> float:
    """tracemalloc peak (MiB) of one in-process `check` run."""
    tracemalloc.start()
    with contextlib.redirect_stdout(io.StringIO()):
        main(args)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return peak


def run(sizes: list[int], verify: bool, repeats: int, concurrency: int) -> int:
    moto = start_moto_server()
    server = start_server(Path(tempfile.mkdtemp(prefix="bench-sf-"))) if verify else None
    try:
        org = server.ready if server else None
        os.environ.update(AWS_ACCESS_KEY_ID="testing", AWS_SECRET_ACCESS_KEY="testing", AWS_SESSION_TOKEN="testing")
        if org:
            os.environ["REQUESTS_CA_BUNDLE"] = org["ca_bundle"]
        doc = document(org)
        if org:
            deploy_app(org, doc)
        base = ["check", "--all", "--region", moto.region, "--endpoint-url", moto.endpoint_url, "--format", "json",
                "--concurrency", str(concurrency)]
        if org:
            base += ["--verify", "--ca-bundle", org["ca_bundle"]]
        for size in sizes:
            provision(moto.region, moto.endpoint_url, f"bench{size}", size, doc)
        timed_check([*base, "--prefix", f"bench{sizes[0]}/"])  # warm-up: imports, first TLS handshakes
        print(f"check --all{' --verify' if verify else ''} --concurrency {concurrency} "
              f"(moto server{' + emulator' if verify else ''}; {os.cpu_count()} CPUs), best of {repeats}")
        print(f"{'integrations':>12} {'seconds':>9} {'ratio':>7} {'peak MiB':>9} {'exit':>5}")
        baseline = None
        worst_ratio = 0.0
        for size in sizes:
            args = [*base, "--prefix", f"bench{size}/"]
            seconds, code = min(timed_check(args) for _ in range(repeats))
            peak = peak_memory(args)
            baseline = baseline or seconds
            ratio = seconds / baseline
            worst_ratio = max(worst_ratio, ratio) if size <= 100 else worst_ratio
            print(f"{size:>12} {seconds:>9.3f} {ratio:>6.2f}x {peak:>9.2f} {code:>5}")
        verdict = "meets" if worst_ratio < TARGET_RATIO else "MISSES"
        print(f"largest ratio {worst_ratio:.2f}x: {verdict} the target (< {TARGET_RATIO:.0f}x one integration)")
        return 0
    finally:
        if server:
            server.stop()
        moto.stop()


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-verify", action="store_true", help="AWS only (no live JWT logins)")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    status = run(options.sizes, False, options.repeats, options.concurrency)
    if not options.no_verify:
        print()
        status = status or run(options.sizes, True, options.repeats, options.concurrency)
    sys.exit(status)
