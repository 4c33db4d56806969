"""The org emulator's control API (``/__emulator__/``), as far as the demo moves it: its clock and the app."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import requests


@dataclass
class OrgControl:
    """Control calls over HTTPS, trusting only the emulator's own CA (verification stays on)."""

    control_url: str
    ca_bundle: str
    _http: requests.Session = field(default_factory=requests.Session, repr=False)

    def __post_init__(self) -> None:
        self._http.verify = self.ca_bundle
        self._http.trust_env = False  # REQUESTS_CA_BUNDLE would override verify

    def call(self, method: str, path: str, body: Any = None) -> Any:
        response = self._http.request(method, f"{self.control_url}/{path}", json=body, timeout=30)
        if response.status_code >= 400:
            raise RuntimeError(f"{method} /__emulator__/{path} -> {response.status_code}: {response.text[:300]}")
        return response.json()

    def clock(self) -> dict[str, Any]:
        """``{"now", "iso", "offset_seconds"}`` of the org's clock."""
        return self.call("GET", "clock")

    def advance_clock_to(self, moment: float) -> dict[str, Any]:
        """Move the org's clock forward to ``moment`` (epoch seconds; it never goes back)."""
        return self.call("POST", "clock", {"advance_seconds": max(0.0, moment - float(self.clock()["now"]))})

    def app(self, name: str) -> dict[str, Any]:
        return self.call("GET", f"apps/{name}")

    def patch_app(self, name: str, **changes: Any) -> dict[str, Any]:
        """Out-of-band change, as an admin clicking in Setup would make it."""
        return self.call("PATCH", f"apps/{name}", changes)


class OrgClock:
    """A JWT clock that tells the org's time (``components.salesforce.token_exchange.Clock``).

    Once the demo has moved the org's clock forward, an integration whose host agrees with the org's
    time dates its JWT by it; the wall clock would make every assertion look expired.
    """

    def __init__(self, offset_seconds: float) -> None:
        self.offset_seconds = offset_seconds

    def now(self) -> float:
        return time.time() + self.offset_seconds

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)
