"""OAuth 2.0 JWT bearer token endpoint, validated in the order of reference section 5.7.

Signatures are verified with joserfc (not PyJWT) so the product and the emulator do not share a bug.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import RSAKey
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Request, Response

from .apps import AppView
from .common import json_response
from .state import Org

JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
LOGIN_AUDIENCES = ("https://login.salesforce.com", "https://test.salesforce.com")
INVALID_ASSERTION = ("invalid_grant", "invalid assertion")


class TokenError(Exception):
    """An OAuth error answered as HTTP 400 ``{"error", "error_description"}``."""

    def __init__(self, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.error, self.description = error, description


def form_parameters(request: Request) -> MultiDict:
    """Form body merged over query-string parameters (both work against Salesforce)."""
    merged = MultiDict(request.args)
    body = request.get_data(cache=True)
    if body:
        for key, value in parse_qsl(body.decode("utf-8", "replace"), keep_blank_values=True):
            merged[key] = value
    return merged


def handle(org: Org, request: Request) -> Response:
    """``POST /services/oauth2/token`` (caller holds ``org.lock``)."""
    try:
        payload = exchange(org, form_parameters(request))
    except TokenError as exc:
        return json_response({"error": exc.error, "error_description": exc.description}, 400)
    return json_response(payload)


def _claims(assertion: str) -> tuple[dict[str, Any], Any]:
    try:
        token = jws.extract_compact(assertion.encode("ascii"))
        claims = json.loads(token.payload)
    except (JoseError, ValueError, UnicodeError, TypeError):
        raise TokenError(*INVALID_ASSERTION) from None
    if token.protected.get("alg") != "RS256" or not isinstance(claims, dict):
        raise TokenError(*INVALID_ASSERTION)
    return claims, token


def _verify(assertion: str, certificate_pem: str | None, error: tuple[str, str]) -> None:
    if not certificate_pem:
        raise TokenError(*error)
    try:
        public_key = x509.load_pem_x509_certificate(certificate_pem.encode()).public_key()
        if not isinstance(public_key, rsa.RSAPublicKey):
            raise TokenError(*error)
        jws.deserialize_compact(assertion, RSAKey.import_key(public_key), algorithms=["RS256"])
    except (JoseError, ValueError):
        raise TokenError(*error) from None


def _audience_ok(org: Org, app: AppView, audience: Any) -> None:
    values = audience if isinstance(audience, list) else [audience]
    accepted = {org.instance_url, *LOGIN_AUDIENCES}
    cleaned = [v.rstrip("/") for v in values if isinstance(v, str)]
    if app.kind == "ExternalClientApplication" and "https://test.salesforce.com" in cleaned:
        raise TokenError("app_not_found", "External client app is not installed in this org")
    if not any(v in accepted for v in cleaned):
        raise TokenError("invalid_grant", "audience is invalid")


def _expiry(org: Org, claims: dict[str, Any]) -> None:
    raw = claims.get("exp")
    try:
        if isinstance(raw, bool):
            raise ValueError
        exp = float(raw)
    except (TypeError, ValueError):
        raise TokenError(*INVALID_ASSERTION) from None
    if exp <= org.now():
        raise TokenError(*org.settings.expired_assertion_error)


def exchange(org: Org, params: MultiDict) -> dict[str, Any]:
    """Validate a JWT bearer request and return the success JSON (reference 5.4)."""
    if params.get("grant_type") != JWT_BEARER:
        raise TokenError("unsupported_grant_type", "grant type not supported")
    assertion = params.get("assertion") or ""
    claims, _ = _claims(assertion)
    app = org.app_by_consumer_key(str(claims.get("iss", "")))
    if app is None or not org.app_ready(app) or not app.enabled:
        raise TokenError("invalid_client_id", "client identifier invalid")
    signature_error = INVALID_ASSERTION
    if app.kind == "ExternalClientApplication":
        signature_error = tuple(org.settings.eca_signature_error)
    _verify(assertion, org.live_certificate(app), signature_error)
    _audience_ok(org, app, claims.get("aud"))
    _expiry(org, claims)
    username = claims.get("prn") or claims.get("sub")
    user = org.user(str(username)) if username else None
    if user is None:
        raise TokenError(*org.settings.unknown_user_error)
    if not user.active:
        raise TokenError(*org.settings.inactive_user_error)
    _authorized(org, app, user)
    token, session = org.issue_token(user, app)
    return {
        "access_token": token,
        "scope": " ".join(session.scopes),
        "instance_url": org.instance_url,
        "id": f"{org.instance_url}/id/{org.org_id}/{user.id}",
        "token_type": "Bearer",
        "issued_at": str(int(session.issued_at * 1000)),
    }


def _authorized(org: Org, app: AppView, user) -> None:
    if not app.admin_approved:
        raise TokenError("invalid_grant", "user hasn't approved this consumer")
    if (
        app.kind == "ExternalClientApplication"
        and "RefreshToken" not in app.scopes
        and "OfflineAccess" not in app.scopes
    ):
        raise TokenError(
            "invalid_request",
            "refresh_token scope is required and the connected app should be installed and preauthorized.",
        )
    held = set(org.assigned_permission_sets(user))
    if user.profile not in app.profiles and not held & set(app.permission_sets):
        raise TokenError(*org.settings.unassigned_user_error)
