"""Entry point: ``python -m emulator.tls_plugin [flags] ENGINE_ADDRESS`` (what bin/pulumi-resource-tls runs).

Prints the listening port and a newline on stdout, as the engine expects first, serves on 127.0.0.1,
and exits when the engine stops it or goes away. Unknown flags are ignored.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from .clock import NOW_ENV, now
from .lifetime import Lifetime
from .server import TlsProvider, serve

log = logging.getLogger("tls-standin")
STOP_GRACE_S = 2.0


def parse_args(argv: list[str]) -> argparse.Namespace:
    """The engine passes ``[--logtostderr] [-v=N] [--tracing URL] ENGINE_ADDRESS``; anything else is ignored."""
    parser = argparse.ArgumentParser(prog="pulumi-resource-tls", description="Stand-in pulumi-tls provider plugin.")
    parser.add_argument("engine", nargs="?", default="", help="the engine's gRPC address")
    parser.add_argument("--tracing", default="", help="ignored")
    parser.add_argument("--logtostderr", action="store_true", help="ignored")
    parser.add_argument("--logflow", action="store_true", help="ignored")
    parser.add_argument("-v", dest="verbose", default="0", help="log verbosity")
    args, unknown = parser.parse_known_args(argv)
    positional = [a for a in [args.engine, *unknown] if a and not a.startswith("-")]
    args.engine = positional[-1] if positional else ""
    return args


def _verbosity(raw: str) -> int:
    try:
        return int(raw.lstrip("="))
    except ValueError:
        return 0


def main(argv: list[str] | None = None) -> int:
    """Run the plugin until stopped; returns the exit status."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    level = logging.INFO if _verbosity(args.verbose) > 0 else logging.WARNING
    logging.basicConfig(stream=sys.stderr, level=level, format="tls-standin: %(levelname)s %(message)s")
    try:
        now()
    except ValueError as error:
        print(f"tls-standin: {error}", file=sys.stderr)
        return 2
    lifetime = Lifetime()
    lifetime.install()
    server, port = serve(TlsProvider(engine_address=args.engine))
    sys.stdout.write(f"{port}\n")
    sys.stdout.flush()
    sys.stdout = sys.stderr  # the port line is the only thing the engine may read from stdout first
    clock = f"{NOW_ENV} {now().isoformat()}" if os.environ.get(NOW_ENV) else "real time"
    log.info("serving on 127.0.0.1:%d (engine %s; clock: %s)", port, args.engine or "-", clock)
    reason = lifetime.wait()
    log.info("stopping: %s", reason)
    server.stop(grace=STOP_GRACE_S).wait(STOP_GRACE_S + 1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
