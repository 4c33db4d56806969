"""Benchmark: `check --all --verify` over 1, 100 and 300 integrations against moto server and the org emulator.

Each run is the command as cron runs it, `python -m components check --all --verify ...` in a process
of its own (wall time from start to exit, peak RSS from the kernel); sizes are interleaved round by
round, best of `--repeats`; the figure is the ratio to checking one integration. Goals: 100
integrations < 3x one, 300 < 8x one, memory flat (peak RSS about the same for 300 as for one). Every
check lists the secrets, reads them in batches and logs in live with each stored key. Run:
`.venv/bin/python benchmarks/check_all.py [--sizes 1 100 300] [--repeats 3] [--no-verify]`.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _fleet import FAKE_AWS, ROOT, Emulators, deployed, emulators, provision
from _goals import goal

TARGETS = {100: 3.0, 300: 8.0}


def run_check(args: list[str]) -> tuple[float, float, int]:
    """(seconds, peak RSS in MiB, exit code) of one `python -m components` process."""
    start = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "components", *args], cwd=ROOT, stdout=subprocess.DEVNULL, env={**os.environ, **FAKE_AWS}
    )
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    return time.perf_counter() - start, usage.ru_maxrss / 1024, process.returncode


def arguments(env: Emulators, verify: bool, concurrency: int) -> list[str]:
    args = [
        "check",
        "--all",
        "--region",
        env.region,
        "--endpoint-url",
        env.endpoint_url,
        "--format",
        "json",
        "--concurrency",
        str(concurrency),
    ]
    return [*args, "--verify", "--ca-bundle", env.org["ca_bundle"]] if verify else args


def measure(sizes: list[int], verify: bool, repeats: int, concurrency: int) -> dict[int, tuple[float, float, int]]:
    """size -> (best seconds, peak RSS MiB, exit code)."""
    with emulators() as env:
        doc = deployed(env)
        for size in sizes:
            provision(env, [f"bench{size}/{i:04d}" for i in range(size)], doc)
        base = arguments(env, verify, concurrency)
        run_check([*base, "--prefix", f"bench{sizes[0]}/"])  # warm-up: disk caches
        best: dict[int, tuple[float, float, int]] = {}
        for _ in range(repeats):  # round by round, so load from other processes falls on every size
            for size in sizes:
                figures = run_check([*base, "--prefix", f"bench{size}/"])
                best[size] = min(best.get(size, figures), figures)
        return best


def report(sizes: list[int], verify: bool, repeats: int, concurrency: int) -> dict[int, float]:
    figures = measure(sizes, verify, repeats, concurrency)
    print(
        f"check --all{' --verify' if verify else ''} --concurrency {concurrency} "
        f"(moto server{' + org emulator' if verify else ''}; {os.cpu_count()} CPUs), best of {repeats}"
    )
    print(f"{'integrations':>12} {'seconds':>9} {'ratio':>7} {'peak RSS MiB':>13} {'exit':>5}")
    one = figures[sizes[0]][0]
    ratios = {}
    for size in sizes:
        seconds, peak, code = figures[size]
        ratios[size] = seconds / one
        print(f"{size:>12} {seconds:>9.3f} {ratios[size]:>6.2f}x {peak:>13.1f} {code:>5}")
    growth = figures[sizes[-1]][1] / figures[sizes[0]][1]
    print(f"peak RSS for {sizes[-1]} integrations is {growth:.2f}x that for {sizes[0]} (memory flat: close to 1)")
    return ratios


def parse() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[1, 100, 300])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--no-verify", action="store_true", help="AWS only (no live JWT logins)")
    return parser.parse_args()


if __name__ == "__main__":
    options = parse()
    ratios = report(options.sizes, not options.no_verify, options.repeats, options.concurrency)
    if not options.no_verify:
        for size, target in TARGETS.items():
            if size in ratios:
                goal(f"check-all-verify-{size}", round(ratios[size], 2), target, ratios[size] < target)
    sys.exit(0)
