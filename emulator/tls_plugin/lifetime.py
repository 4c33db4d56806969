"""When the plugin stops: never outlive the engine that started it.

The CLI stops a plugin with SIGINT to its process group (SIGKILL 5 s later). Should the CLI die
instead, the plugin notices either its stdin pipe (held open by the CLI) reaching end-of-file or its
parent process id changing. Signal handlers and the stdin watcher only write a byte to a pipe that the
main thread selects on, so no lock is ever taken inside a signal handler.
"""

from __future__ import annotations

import os
import select
import signal
import stat
import threading

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)


class Lifetime:
    """Wakes :meth:`wait` on a stop signal, stdin EOF, or a new parent process."""

    def __init__(self, poll_s: float = 0.5):
        self._poll_s = poll_s
        self._parent = os.getppid()
        self._read_end, self._write_end = os.pipe()
        os.set_blocking(self._write_end, False)
        self.reason: str | None = None

    def install(self) -> None:
        """Install the signal handlers (main thread only) and, when stdin is a pipe, the stdin watcher."""
        for sig in STOP_SIGNALS:
            signal.signal(sig, self._on_signal)
        if _stdin_is_pipe():
            threading.Thread(target=self._watch_stdin, name="stdin-watch", daemon=True).start()

    def stop(self, reason: str) -> None:
        """Ask :meth:`wait` to return (safe from signal handlers and any thread)."""
        if self.reason is None:
            self.reason = reason
        try:
            os.write(self._write_end, b".")
        except (BlockingIOError, OSError):
            pass  # already woken

    def wait(self) -> str:
        """Block until a stop is asked for or the parent changes; returns the reason."""
        while True:
            ready, _, _ = select.select([self._read_end], [], [], self._poll_s)
            if ready:
                return self.reason or "stopped"
            if os.getppid() != self._parent:
                return "parent process went away"

    def _on_signal(self, signum: int, _frame: object) -> None:
        self.stop(f"signal {signal.Signals(signum).name}")

    def _watch_stdin(self) -> None:
        try:
            while os.read(0, 4096):
                pass
        except OSError:
            pass
        self.stop("engine closed stdin")


def _stdin_is_pipe() -> bool:
    try:
        mode = os.fstat(0).st_mode
    except OSError:
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)
