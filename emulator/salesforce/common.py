"""Helpers shared by the protocol handlers: JSON responses, timestamps, bearer tokens, API versions."""

from __future__ import annotations

import datetime
import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

_VERSION = re.compile(r"^v?(\d{2,3})\.0$")


def json_response(payload: Any, status: int = 200) -> Response:
    """``application/json;charset=UTF-8`` like Salesforce."""
    return Response(json.dumps(payload), status=status, content_type="application/json;charset=UTF-8")


def iso(epoch: float) -> str:
    """Salesforce dateTime text, e.g. ``2026-03-02T10:15:07.000Z``."""
    moment = datetime.datetime.fromtimestamp(epoch, datetime.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def bearer(request: Request) -> str | None:
    """The token of an ``Authorization: Bearer``/``OAuth`` header."""
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() in ("bearer", "oauth") and token.strip() else None


def api_version(text: str) -> int | None:
    """``v66.0``/``66.0`` -> 66; None when not a version."""
    match = _VERSION.match(text)
    return int(match.group(1)) if match else None


def release_label(version: int) -> str:
    """API version -> release name (63 = Spring '25, 64 = Summer '25, 65 = Winter '26)."""
    cycle, position = divmod(version - 63, 3)
    year = 25 + cycle
    season = ("Spring", "Summer", "Winter")[position]
    return f"{season} '{year + 1 if season == 'Winter' else year:02d}"
