"""The authenticated ``requests`` session the runtime client hands out.

Every request to the org's instance carries the client's current access token (``Authorization:
Bearer``), replacing whatever the caller (e.g. simple-salesforce) put there, so a long-lived session or
``Salesforce`` object never sends a stale token. A 401 drops the token and the request is sent once more
with a fresh login. Requests to any other host get no token. TLS verification and timeouts come from
:class:`components.salesforce.token_exchange.VerifiedSession`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urljoin, urlsplit

import requests
from requests.structures import CaseInsensitiveDict

from components.salesforce.token_exchange import HTTP_TIMEOUT, AccessToken, VerifiedSession


@dataclass(frozen=True)
class Token:
    """A cached access token and where it came from; ``repr`` never shows the token."""

    access: AccessToken = field(repr=False)
    stage: str  # the staging label whose key logged in
    version_id: str
    app_name: str
    username: str
    obtained_at: float  # client clock, seconds

    @property
    def access_token(self) -> str:
        return self.access.access_token

    @property
    def instance_url(self) -> str:
        return self.access.instance_url

    def age(self, now: float) -> float:
        return max(0.0, now - self.obtained_at)


class TokenSource(Protocol):
    """Where the session gets its token (the runtime client)."""

    def token(self) -> Token: ...

    def invalidate(self, token: Token) -> None: ...


def _origin(url: str) -> tuple[str, str, int | None]:
    parts = urlsplit(url)
    return parts.scheme, (parts.hostname or "").lower(), parts.port


class AuthenticatedSession(VerifiedSession):
    """A ``requests.Session`` whose requests to the instance carry the current token; relative URLs
    (``/services/data/v66.0/...``) are resolved against the instance URL."""

    def __init__(
        self, tokens: TokenSource, *, ca_bundle: str | None = None, timeout: tuple[float, float] = HTTP_TIMEOUT
    ) -> None:
        super().__init__()
        self.verify = ca_bundle if ca_bundle else True
        self.timeout = timeout
        self._tokens = tokens

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        token = self._tokens.token()
        target = urljoin(token.instance_url.rstrip("/") + "/", url)
        if _origin(target) != _origin(token.instance_url):
            return super().request(method, target, *args, **kwargs)
        response = self._send(method, target, token, args, kwargs)
        if response.status_code == 401:
            response.close()
            self._tokens.invalidate(token)
            response = self._send(method, target, self._tokens.token(), args, kwargs)
        return response

    def _send(
        self, method: str, url: str, token: Token, args: tuple[Any, ...], kwargs: dict[str, Any]
    ) -> requests.Response:
        headers: CaseInsensitiveDict[str] = CaseInsensitiveDict(kwargs.get("headers") or {})
        headers["Authorization"] = f"Bearer {token.access_token}"
        return super().request(method, url, *args, **{**kwargs, "headers": headers})
