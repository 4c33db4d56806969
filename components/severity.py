"""Severity of a finding; the highest one is the operations CLI's exit code (no I/O, no imports)."""

from __future__ import annotations

from enum import IntEnum


class Severity(IntEnum):
    """Severity of a finding; the highest one is the process exit code."""

    OK = 0
    WARNING = 1
    CRITICAL = 2
    ERROR = 3  # could not check: usage or configuration error

    @property
    def label(self) -> str:
        return {0: "healthy", 1: "warning", 2: "critical", 3: "error"}[int(self)]
