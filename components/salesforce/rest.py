"""The few Salesforce REST calls the product makes, straight on a verified ``requests`` session.

``query`` (SOQL, first batch), ``create`` (one sObject record) and ``userinfo``. A client library
would cost more than the calls: simple-salesforce imports zeep and its Metadata API machinery for
these two or three requests. A refused call raises :class:`ApiError` with the HTTP status and
Salesforce's error list (``[{"errorCode", "message"}]``); the token never appears in a message.
"""

from __future__ import annotations

from typing import Any

import requests

_SOQL_ESCAPES = str.maketrans(
    {"\\": "\\\\", "'": "\\'", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t", "\b": "\\b", "\f": "\\f"}
)


class ApiError(Exception):
    """Salesforce refused a REST call; ``content`` is its decoded error body."""

    def __init__(self, status: int, content: Any, what: str) -> None:
        self.status, self.content = status, content
        super().__init__(f"{what}: HTTP {status} {self.code or ''}".rstrip())

    @property
    def first(self) -> dict[str, Any]:
        """The first entry of Salesforce's error list (empty when the body is not one)."""
        entries = self.content if isinstance(self.content, list) else []
        return entries[0] if entries and isinstance(entries[0], dict) else {}

    @property
    def code(self) -> str:
        return str(self.first.get("errorCode", ""))

    @property
    def message(self) -> str:
        return str(self.first.get("message", ""))


def soql_quote(value: str) -> str:
    """A SOQL string literal (quotes and backslashes escaped as Salesforce's SOQL reference says)."""
    return "'" + value.translate(_SOQL_ESCAPES) + "'"


def data_url(instance_url: str, api_version: str, path: str) -> str:
    return f"{instance_url.rstrip('/')}/services/data/v{api_version}/{path.lstrip('/')}"


def call(http: requests.Session, method: str, url: str, token: str, what: str, **kwargs: Any) -> Any:
    """One REST call with the bearer token; its decoded JSON body, or ``ApiError``."""
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    response = http.request(method, url, headers=headers, **kwargs)
    try:
        body = response.json() if response.content else None
    except ValueError:
        body = response.text[:200]
    if response.status_code >= 300:
        raise ApiError(response.status_code, body, what)
    return body


def query(http: requests.Session, instance_url: str, token: str, soql: str, api_version: str) -> list[dict[str, Any]]:
    """The records of a SOQL query (its first batch: every query here asks for a few rows)."""
    body = call(http, "GET", data_url(instance_url, api_version, "query/"), token, "SOQL query", params={"q": soql})
    return list((body or {}).get("records") or [])


def create(
    http: requests.Session, instance_url: str, token: str, sobject: str, fields: dict[str, Any], api_version: str
) -> dict[str, Any]:
    """Insert one record; Salesforce's answer (``id``, ``success``)."""
    url = data_url(instance_url, api_version, f"sobjects/{sobject}/")
    return call(http, "POST", url, token, f"create {sobject}", json=fields) or {}


def userinfo(http: requests.Session, instance_url: str, token: str) -> dict[str, Any]:
    """The OpenID Connect userinfo of the token's user (needs an ``id``/``openid``/``full`` scope)."""
    return call(http, "GET", f"{instance_url.rstrip('/')}/services/oauth2/userinfo", token, "userinfo") or {}
