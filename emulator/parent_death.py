"""Stand-in servers that do not outlive the process that started them, even when it is SIGKILLed.

Linux's ``prctl(PR_SET_PDEATHSIG)`` asks the kernel to signal a child when its parent dies; it is
set in the child between ``fork`` and ``exec`` (it survives ``exec``) through ``preexec_fn``. Two
caveats, both handled here: the parent may die before the child has set it (the child then checks
that its parent is still the one that forked it and exits otherwise), and the kernel sends the
signal when the *thread* that forked the child ends, so it is only set for children started from
the main thread (a fixture or the demo); from other threads, the caller's ``stop()`` is all there is.
"""

from __future__ import annotations

import ctypes
import os
import signal
import sys
import threading
from collections.abc import Callable

PR_SET_PDEATHSIG = 1  # <linux/prctl.h>
PARENT_GONE_EXIT = 70  # the child exits with this when its parent died before PDEATHSIG was set


def _prctl() -> Callable[..., int] | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _prctl()  # looked up once, in the parent: the child only calls it


def die_with_parent(signum: int = signal.SIGKILL) -> Callable[[], None] | None:
    """A ``preexec_fn`` that makes the child receive ``signum`` when this process dies.

    None (nothing to do) off Linux and outside the main thread.
    """
    if _PRCTL is None or threading.current_thread() is not threading.main_thread():
        return None
    parent, prctl = os.getpid(), _PRCTL

    def preexec() -> None:  # runs in the child: no allocation-heavy work, no locks
        prctl(PR_SET_PDEATHSIG, int(signum), 0, 0, 0)
        if os.getppid() != parent:
            os._exit(PARENT_GONE_EXIT)

    return preexec


def die_with_parent_now(signum: int = signal.SIGTERM) -> bool:
    """Make *this* process receive ``signum`` when its parent dies (``make demo`` killed); False if not possible."""
    if _PRCTL is None:
        return False
    parent = os.getppid()
    if _PRCTL(PR_SET_PDEATHSIG, int(signum), 0, 0, 0) != 0:
        return False
    if os.getppid() != parent:  # the parent died just before: act as if the signal had come
        os.kill(os.getpid(), signum)
    return True
