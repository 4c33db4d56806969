"""One way to write a moment: ISO 8601 in UTC with a ``Z`` (outputs, documents, reports, logins)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(moment: datetime, *, timespec: str = "seconds") -> str:
    """``2026-12-02T14:44:10Z``; ``timespec`` as ``datetime.isoformat`` (``auto`` keeps microseconds)."""
    return moment.astimezone(UTC).isoformat(timespec=timespec).replace("+00:00", "Z")


def iso_from_timestamp(seconds: float) -> str:
    """:func:`iso` of a POSIX timestamp."""
    return iso(datetime.fromtimestamp(seconds, tz=UTC))
