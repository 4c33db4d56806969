"""What the operations CLI and the inspection service share, kept light (no I/O, no heavy imports)."""

from __future__ import annotations

DEFAULT_VERIFY_BUDGET = 20.0  # seconds a live login may retry while an app change propagates


class UsageProblem(Exception):
    """Bad arguments or settings, found before any side effect (exit code 3)."""
