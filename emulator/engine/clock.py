"""The engine's notion of "now", movable by tests with ``OFFLINE_ENGINE_NOW`` (ISO 8601)."""

from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Mapping

NOW_ENV = "OFFLINE_ENGINE_NOW"


def now(env: Mapping[str, str] | None = None) -> datetime:
    """Current UTC time, or the ``OFFLINE_ENGINE_NOW`` override from ``env`` / the process environment."""
    raw = (env or {}).get(NOW_ENV) or os.environ.get(NOW_ENV)
    if not raw:
        return datetime.now(timezone.utc)
    try:
        moment = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{NOW_ENV}={raw!r} is not an ISO 8601 timestamp; use e.g. 2030-01-01T00:00:00Z") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def rfc3339(moment: datetime) -> str:
    """Format as RFC 3339 UTC with a Z suffix, like the TLS provider."""
    return moment.astimezone(timezone.utc).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 timestamp."""
    return datetime.fromisoformat(text.replace("Z", "+00:00"))
