"""Ends the dynamic-provider host when the engine that started it is gone.

The SDK's provider host (``python -m pulumi.dynamic <engine address>``) serves until the engine stops
it; when the CLI is killed it would stay behind for good. The first ``configure`` of one of our
providers starts a daemon thread that connects to the engine's address every few seconds and ends
the process once the engine refuses twice in a row: nobody is left to receive a result.
"""

from __future__ import annotations

import os
import re
import socket
import sys
import threading
from collections.abc import Sequence

CHECK_SECONDS = 2.0
MISSES_BEFORE_EXIT = 2
_ADDRESS = re.compile(r"^(127\.0\.0\.1|localhost|\[::1\]):(\d{1,5})$")
_started = threading.Event()


def engine_address(argv: Sequence[str]) -> tuple[str, int] | None:
    """The loopback ``host:port`` the engine passed on the host's command line, if any."""
    for arg in argv[1:]:
        match = _ADDRESS.match(arg)
        if match:
            return match.group(1).strip("[]"), int(match.group(2))
    return None


def engine_alive(address: tuple[str, int], timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def in_provider_host(argv: Sequence[str] | None = None) -> bool:
    """True inside the SDK's provider host (started with the engine's loopback address)."""
    return engine_address(sys.argv if argv is None else argv) is not None


def watch_engine(argv: Sequence[str] | None = None) -> bool:
    """Start the watch once per process, only inside a provider host; True when it is running."""
    address = engine_address(sys.argv if argv is None else argv)
    if address is None or _started.is_set():
        return _started.is_set()
    _started.set()
    threading.Thread(target=_watch, args=(address,), name="engine-watch", daemon=True).start()
    return True


def _watch(address: tuple[str, int]) -> None:
    misses = 0
    while misses < MISSES_BEFORE_EXIT:
        threading.Event().wait(CHECK_SECONDS)
        misses = 0 if engine_alive(address) else misses + 1
    os._exit(0)
