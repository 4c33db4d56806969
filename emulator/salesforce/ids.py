"""Salesforce-style record ids: 15 characters plus the 3-character case-safe suffix."""

from __future__ import annotations

import itertools
import threading

_SUFFIX_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def case_safe(id15: str) -> str:
    """Return the 18-character form of a 15-character id (Salesforce's checksum suffix)."""
    if len(id15) != 15:
        raise ValueError(f"expected a 15-character id, got {len(id15)} characters")
    suffix = ""
    for chunk in (id15[0:5], id15[5:10], id15[10:15]):
        bits = sum(1 << i for i, ch in enumerate(chunk) if "A" <= ch <= "Z")
        suffix += _SUFFIX_ALPHABET[bits]
    return id15 + suffix


def same_id(a: str, b: str) -> bool:
    """Compare ids the way Salesforce does: 15- and 18-character forms are equal."""
    return bool(a) and bool(b) and a[:15] == b[:15]


def _base62(number: int, width: int) -> str:
    digits = ""
    while number:
        number, rest = divmod(number, 62)
        digits = _BASE62[rest] + digits
    return digits.rjust(width, "0")


class IdFactory:
    """Hands out unique 18-character ids with a given 3-character key prefix."""

    def __init__(self, pod: str = "5g") -> None:
        self._pod = pod
        self._counter = itertools.count(1)
        self._lock = threading.Lock()

    def new(self, prefix: str) -> str:
        """A fresh 18-character id such as ``0Af5g0000000001CAA``, unique for this process."""
        if len(prefix) != 3:
            raise ValueError("an id key prefix has exactly 3 characters")
        with self._lock:
            number = next(self._counter)
        return case_safe(prefix + self._pod + _base62(number, 12 - len(self._pod)))
