"""``python -m emulator.salesforce serve --host 127.0.0.1 --port 0 [--data-dir DIR]``."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import typer

from .server import ready_line, start

cli = typer.Typer(add_completion=False, help="Local Salesforce org emulator (HTTPS, own CA).")


@cli.callback()
def main() -> None:
    """Local Salesforce org emulator."""


@cli.command()
def serve(
    host: str = typer.Option("127.0.0.1", help="Address to bind; keep it on loopback."),
    port: int = typer.Option(0, min=0, max=65535, help="TCP port; 0 picks a free one."),
    data_dir: Path | None = typer.Option(
        None, help="Where the CA and server certificate are written (default: a temp dir)."
    ),
) -> None:
    """Serve HTTPS and print one JSON line with the URLs, CA bundle and credentials when ready."""
    running = start(host, port, data_dir)

    def stop(signum: int, frame: object) -> None:
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    print(ready_line(running), flush=True)
    try:
        running.serve()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        running.stop()
    sys.exit(0)


if __name__ == "__main__":
    cli()
