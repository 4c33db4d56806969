"""The plugin's notion of "now": real UTC time, or ``PULUMI_TLS_STANDIN_NOW`` when tests move the clock."""

from __future__ import annotations

import os
from collections.abc import Mapping
from datetime import UTC, datetime

NOW_ENV = "PULUMI_TLS_STANDIN_NOW"


def parse_rfc3339(text: str) -> datetime:
    """Parse an RFC 3339 / ISO 8601 timestamp; a missing offset means UTC."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rfc3339(moment: datetime) -> str:
    """Format as RFC 3339 UTC with a ``Z`` suffix and whole seconds, like the TLS provider's state."""
    return moment.astimezone(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def now(env: Mapping[str, str] | None = None) -> datetime:
    """Current UTC time, or the ``PULUMI_TLS_STANDIN_NOW`` override read from ``env`` (default: the environment)."""
    raw = (os.environ if env is None else env).get(NOW_ENV, "").strip()
    if not raw:
        return datetime.now(UTC)
    try:
        return parse_rfc3339(raw)
    except ValueError:
        raise ValueError(f"{NOW_ENV}={raw!r} is not an RFC 3339 timestamp; use e.g. 2030-01-01T00:00:00Z") from None
