"""How configuration problems are reported: one :class:`SettingsError` listing every :class:`Problem`."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass
from typing import Any

HIDDEN = "(value hidden)"


@dataclass(frozen=True)
class Problem:
    """One problem: ``key`` names the setting (and shows its value unless hidden), ``message`` the fix."""

    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class SettingsError(ValueError):
    """Every problem found in the stack configuration, reported together."""

    def __init__(self, problems: Collection[Problem], stack: str) -> None:
        self.problems = tuple(problems)
        self.stack = stack
        count = len(self.problems)
        lines = [
            f"stack {stack!r}: {count} configuration problem{'s' if count != 1 else ''} "
            "(fix with `pulumi config set <key> <value>`; secrets with --secret):"
        ]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


def show(value: Any) -> str:
    """A value as a message shows it: repr, shortened, never a private key."""
    text = repr(value)
    if "PRIVATE KEY" in text:
        return "<redacted: looks like a private key>"
    return text if len(text) <= 80 else text[:77] + "..."


def label(key: str, value: Any = None, *, hidden: bool = False) -> str:
    """``key = 'value'``, ``key (value hidden)`` or just ``key``."""
    if hidden:
        return f"{key} {HIDDEN}"
    return key if value is None else f"{key} = {show(value)}"


def dedupe(problems: Iterable[Problem]) -> list[Problem]:
    """The same problem found twice (e.g. a default shared by several integrations) is listed once."""
    return list(dict.fromkeys(problems))
