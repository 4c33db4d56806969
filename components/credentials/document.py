"""The credential document: everything an integration needs to build a Salesforce JWT.

Stored as JSON in AWS Secrets Manager. The schema is versioned (`schema_version`); parsing is strict
(exact field set, checked types) so a malformed or newer document fails loudly instead of half-working.

A version may instead be the *not provisioned* marker (`NOT_PROVISIONED_JSON`: a JSON object with
`"provisioned": false` and no private key), e.g. the placeholder a secret is created with before its
first key is proven; `is_not_provisioned` recognises it, and nothing may log in with it.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from components.app_kinds import APP_KINDS
from components.credentials.errors import CredentialDocumentError, NewerSchemaError
from components.timestamps import iso

SCHEMA_VERSION = 1
_FINGERPRINT = re.compile(r"^[0-9A-F]{2}(:[0-9A-F]{2}){31}$")
_REDACTED = "[redacted]"
NOT_PROVISIONED_FIELD = "provisioned"
NOT_PROVISIONED_JSON = json.dumps(
    {
        NOT_PROVISIONED_FIELD: False,
        "schema_version": SCHEMA_VERSION,
        "note": "placeholder: no key yet; the deployment stages, verifies and promotes the first one",
    },
    sort_keys=True,
    separators=(",", ":"),
)


# The placeholder's version id (its ClientRequestToken): the same in every secret, so a retried
# CreateSecret is idempotent and the placeholder is known by its id without reading its value.
PLACEHOLDER_VERSION_ID = "00000000-0000-4000-8000-000000000000"


def is_not_provisioned(text: str | None) -> bool:
    """True when a secret value is the *not provisioned* marker: a JSON object with
    ``"provisioned": false`` and no private key (never a document to log in with)."""
    try:
        data = json.loads(text) if isinstance(text, str) else None
    except ValueError:
        return False
    return isinstance(data, dict) and data.get(NOT_PROVISIONED_FIELD) is False and "private_key_pem" not in data


@dataclass(frozen=True)
class CredentialDocument:
    """One credential version. `repr` never shows the private key."""

    private_key_pem: str
    certificate_pem: str
    fingerprint_sha256: str
    not_after: datetime
    consumer_key: str
    username: str
    login_url: str
    audience: str
    token_url: str
    app_name: str
    app_kind: str
    slot: str | None
    created_at: datetime
    schema_version: int = SCHEMA_VERSION

    def __post_init__(self) -> None:
        problems = _problems(self)
        if problems:
            raise CredentialDocumentError("Invalid credential document: " + "; ".join(problems))
        object.__setattr__(self, "fingerprint_sha256", self.fingerprint_sha256.upper())
        object.__setattr__(self, "not_after", self.not_after.astimezone(UTC))
        object.__setattr__(self, "created_at", self.created_at.astimezone(UTC))

    def __repr__(self) -> str:
        shown = ", ".join(
            f"{f.name}={_REDACTED if f.name == 'private_key_pem' else repr(getattr(self, f.name))}"
            for f in dataclasses.fields(self)
        )
        return f"CredentialDocument({shown})"

    __str__ = __repr__

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready mapping: datetimes as ISO 8601 UTC with a 'Z' suffix."""
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self)}
        out["not_after"] = _iso(self.not_after)
        out["created_at"] = _iso(self.created_at)
        return out

    def to_json(self) -> str:
        """Canonical JSON (sorted keys, no spaces): equal documents give equal bytes."""
        return json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)

    def content_hash(self) -> str:
        """SHA-256 hex digest of the canonical JSON."""
        return hashlib.sha256(self.to_json().encode("utf-8")).hexdigest()

    def version_token(self) -> str:
        """ClientRequestToken (UUID form) derived from the content: same document, same version id."""
        return str(uuid.UUID(bytes=bytes.fromhex(self.content_hash())[:16]))

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> CredentialDocument:
        """Strictly build a document from a parsed JSON object."""
        if not isinstance(data, Mapping):
            raise CredentialDocumentError(f"Credential document must be a JSON object, got {type(data).__name__}.")
        _check_schema_version(data.get("schema_version"))
        names = {f.name for f in dataclasses.fields(cls)}
        missing = sorted(names - set(data))
        unknown = sorted(str(k) for k in set(data) - names)
        problems = []
        if missing:
            problems.append(f"missing field(s) {', '.join(missing)}")
        if unknown:
            problems.append(f"unknown field(s) {', '.join(unknown)}")
        if problems:
            raise CredentialDocumentError("Invalid credential document: " + "; ".join(problems) + ".")
        values = dict(data)
        for name in ("not_after", "created_at"):
            values[name] = _parse_time(name, values[name])
        return cls(**values)

    @classmethod
    def from_json(cls, text: str) -> CredentialDocument:
        """Strictly parse the JSON stored in the secret. Errors never quote the content."""
        try:
            data = json.loads(text)
        except (TypeError, ValueError) as err:
            msg = getattr(err, "msg", "not text")
            raise CredentialDocumentError(
                f"Credential document is not valid JSON ({msg}). The secret was written by something else "
                "or corrupted; re-run the deployment to write a fresh version."
            ) from None
        return cls.from_dict(data)


def _check_schema_version(value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise CredentialDocumentError(
            f"Credential document field schema_version must be a positive integer, got {value!r}."
        )
    if value > SCHEMA_VERSION:
        raise NewerSchemaError(
            f"Credential document has schema_version {value}, but this code understands up to "
            f"{SCHEMA_VERSION}. It was written by a newer salesforce-jwt-pulumi; upgrade this tool."
        )


def _iso(moment: datetime) -> str:
    return iso(moment, timespec="auto")  # full precision: the document's bytes name its version


def _parse_time(name: str, value: Any) -> datetime:
    if not isinstance(value, str):
        raise CredentialDocumentError(f"Credential document field {name} must be an ISO 8601 string.")
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        raise CredentialDocumentError(f"Credential document field {name} is not ISO 8601: {value[:40]!r}.") from None
    if parsed.tzinfo is None:
        raise CredentialDocumentError(
            f"Credential document field {name} must carry a time zone (e.g. '2026-01-01T00:00:00Z')."
        )
    return parsed


def _https_url(value: str) -> bool:
    parts = urlsplit(value)
    return parts.scheme == "https" and bool(parts.hostname)


def _problems(doc: CredentialDocument) -> list[str]:
    """Every field problem; values are quoted only for non-secret fields."""
    out: list[str] = []
    if isinstance(doc.schema_version, bool) or doc.schema_version != SCHEMA_VERSION:
        out.append(f"schema_version must be {SCHEMA_VERSION}")
    texts = (
        "private_key_pem",
        "certificate_pem",
        "fingerprint_sha256",
        "consumer_key",
        "username",
        "login_url",
        "audience",
        "token_url",
        "app_name",
        "app_kind",
    )
    for name in texts:
        value = getattr(doc, name)
        if not isinstance(value, str) or not value.strip():
            out.append(f"{name} must be a non-empty string")
    if out:
        return out
    if "PRIVATE KEY-----" not in doc.private_key_pem or "-----BEGIN" not in doc.private_key_pem:
        out.append("private_key_pem must be a PEM private key (-----BEGIN ... PRIVATE KEY-----)")
    if "ENCRYPTED" in doc.private_key_pem:
        out.append("private_key_pem must not be encrypted (the integration has no passphrase)")
    if "-----BEGIN CERTIFICATE-----" not in doc.certificate_pem:
        out.append("certificate_pem must be a PEM certificate (-----BEGIN CERTIFICATE-----)")
    if not _FINGERPRINT.match(doc.fingerprint_sha256.upper()):
        out.append(f"fingerprint_sha256 must be SHA-256 in colon hex (AB:CD:...), got {doc.fingerprint_sha256[:100]!r}")
    if "@" not in doc.username:
        out.append(f"username must be a Salesforce username (user@example.com), got {doc.username[:100]!r}")
    for name in ("login_url", "audience", "token_url"):
        if not _https_url(getattr(doc, name)):
            out.append(f"{name} must be an https URL, got {getattr(doc, name)[:200]!r}")
    if doc.app_kind not in APP_KINDS:
        out.append(f"app_kind must be one of {', '.join(APP_KINDS)}, got {doc.app_kind[:60]!r}")
    if doc.slot is not None and (not isinstance(doc.slot, str) or not doc.slot.strip()):
        out.append("slot must be null (single app) or a non-empty string such as 'a' or 'b'")
    for name in ("not_after", "created_at"):
        value = getattr(doc, name)
        if not isinstance(value, datetime) or value.tzinfo is None:
            out.append(f"{name} must be a timezone-aware datetime")
    return out
