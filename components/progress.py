"""Progress lines for long waits (deploy polling, propagation retries): what is awaited, how long it
has been and the budget, at a steady cadence. No output of its own: a wait reports through the
callable it is given (``pulumi.log.info`` in the providers, the CLI's status line or stderr).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field

PROGRESS_ENV = "SALESFORCE_JWT_PROGRESS_SECONDS"
DEFAULT_SECONDS = 30.0
Report = Callable[[str], None]


def cadence(env: dict[str, str] | None = None) -> float:
    """Seconds between two progress lines: ``SALESFORCE_JWT_PROGRESS_SECONDS`` (at least 1), else 30."""
    text = (os.environ if env is None else env).get(PROGRESS_ENV, "").strip()
    try:
        return max(1.0, float(text)) if text else DEFAULT_SECONDS
    except ValueError:
        return DEFAULT_SECONDS


@dataclass
class Wait:
    """One long wait. ``tick(now)`` on every poll or attempt; a line goes out on the first tick and
    then whenever ``every`` seconds have passed since the last one."""

    what: str
    budget: float
    report: Report | None
    start: float
    every: float = field(default_factory=cadence)
    _last: float | None = field(default=None, init=False)

    def tick(self, now: float, detail: str = "") -> None:
        if self.report is None or (self._last is not None and now - self._last < self.every):
            return
        self._last = now
        suffix = f" ({detail})" if detail else ""
        self.report(f"waiting for {self.what}: {now - self.start:.0f} s of {self.budget:.0f} s{suffix}")
