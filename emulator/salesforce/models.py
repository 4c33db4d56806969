"""Org records held by the emulator: users, profiles, assignments, metadata, jobs, sessions, faults."""

from __future__ import annotations

import time
from dataclasses import dataclass, field, fields
from typing import Any

SPRING_26_BLOCK = (
    "You can't create a connected app. To enable connected app creation, contact Salesforce Customer Support."
)
EDITIONS = ("production", "sandbox", "developer", "scratch")
CERTIFICATE_READBACK = ("base64", "pem")
#: Settings that take one of a few strings.
CHOICES: dict[str, tuple[str, ...]] = {"edition": EDITIONS, "certificate_readback": CERTIFICATE_READBACK}


@dataclass
class Settings:
    """Behaviour switches, changed with ``PUT /__emulator__/settings``."""

    allow_connected_app_creation: bool = False
    #: production refuses testLevel NoTestRun; Organization.IsSandbox/OrganizationType follow it.
    edition: str = "production"
    #: How readMetadata/retrieve return a stored certificate: bare base64 DER (what real orgs send) or PEM.
    certificate_readback: str = "base64"
    #: Setup > "Allow Access to OAuth Consumer Secrets via Metadata API" (ECA consumer keys in readMetadata).
    consumer_secret_api_access: bool = False
    propagation_seconds: dict[str, float] = field(
        default_factory=lambda: {"ConnectedApp": 0.0, "ExternalClientApplication": 0.0}
    )
    deploy_seconds: float = 0.0
    session_seconds: float = 7200.0
    max_api_version: str = "66.0"
    connected_app_creation_error: str = SPRING_26_BLOCK
    #: [error, error_description] pairs for the JWT outcomes whose real text is unverified.
    unassigned_user_error: list[str] = field(
        default_factory=lambda: ["invalid_app_access", "user is not admin approved to access this app"]
    )
    unknown_user_error: list[str] = field(
        default_factory=lambda: ["invalid_grant", "user hasn't approved this consumer"]
    )
    inactive_user_error: list[str] = field(default_factory=lambda: ["invalid_grant", "inactive user"])
    expired_assertion_error: list[str] = field(default_factory=lambda: ["invalid_grant", "expired authorization code"])
    eca_signature_error: list[str] = field(default_factory=lambda: ["invalid_grant", "invalid assertion"])
    #: Consumer keys "taken" by other orgs (consumer keys are globally unique).
    taken_consumer_keys: list[str] = field(default_factory=list)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update; unknown keys and wrong shapes raise ValueError naming the key."""
        known = {f.name: f for f in fields(self)}
        for key in changes:
            if key not in known:
                raise ValueError(f"unknown setting {key!r}; known settings: {', '.join(sorted(known))}")
        for key, value in changes.items():
            current = getattr(self, key)
            if key == "propagation_seconds":
                if not isinstance(value, dict) or not set(value) <= {"ConnectedApp", "ExternalClientApplication"}:
                    raise ValueError(
                        'setting \'propagation_seconds\' takes {"ConnectedApp": n, "ExternalClientApplication": n}'
                    )
                value = {**current, **{k: float(v) for k, v in value.items()}}
            elif isinstance(current, bool):
                if not isinstance(value, bool):
                    raise ValueError(f"setting {key!r} takes true or false")
            elif isinstance(current, float):
                if not isinstance(value, (int, float)) or isinstance(value, bool) or value < 0:
                    raise ValueError(f"setting {key!r} takes a number of seconds >= 0")
                value = float(value)
            elif isinstance(current, list) and key.endswith("_error"):
                if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
                    raise ValueError(f"setting {key!r} takes [error, error_description]")
            elif isinstance(current, list):
                if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
                    raise ValueError(f"setting {key!r} takes a list of strings")
            elif key in CHOICES:
                if value not in CHOICES[key]:
                    raise ValueError(f"setting {key!r} takes one of {', '.join(CHOICES[key])}")
            elif not isinstance(value, str):
                raise ValueError(f"setting {key!r} takes a string")
            setattr(self, key, value)

    def as_dict(self) -> dict[str, Any]:
        """JSON view."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


class Clock:
    """Wall clock plus an offset that ``POST /__emulator__/clock`` advances."""

    def __init__(self) -> None:
        self.offset = 0.0

    def now(self) -> float:
        """Emulated epoch seconds."""
        return time.time() + self.offset


@dataclass
class Profile:
    id: str
    name: str


@dataclass
class User:
    id: str
    username: str
    profile: str
    active: bool = True
    first_name: str = ""
    last_name: str = ""
    email: str = ""
    #: User permissions from the profile (API names such as ``ApiEnabled``, ``ViewSetup``).
    permissions: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip() or self.username


@dataclass
class Assignment:
    id: str
    assignee_id: str
    permission_set_id: str


@dataclass
class Component:
    """One deployed metadata component; ``xml`` is the stored document (no fullName element)."""

    type: str
    full_name: str
    xml: bytes
    id: str
    created_at: float
    modified_at: float
    created_by: str


@dataclass
class AppRuntime:
    """Timing facts the token endpoint needs: when the app appeared, when its certificate changed."""

    created_at: float
    certificate_changed_at: float | None = None
    previous_certificate: str | None = None


@dataclass
class DeployMessage:
    """One componentSuccesses / componentFailures entry."""

    component_type: str
    full_name: str
    file_name: str
    success: bool
    created: bool = False
    changed: bool = False
    deleted: bool = False
    problem: str | None = None
    problem_type: str | None = None
    id: str | None = None
    line: int | None = None
    column: int | None = None


@dataclass
class DeployJob:
    id: str
    created_at: float
    due_at: float
    created_by: str
    options: dict[str, bool]
    zip_bytes: bytes | None
    status: str = "Pending"
    completed_at: float | None = None
    messages: list[DeployMessage] = field(default_factory=list)
    error_message: str | None = None
    error_status_code: str | None = None
    total: int = 0
    deployed: int = 0
    errors: int = 0

    @property
    def done(self) -> bool:
        return self.completed_at is not None


@dataclass
class RetrieveJob:
    id: str
    zip_bytes: bytes
    file_properties: list[dict[str, Any]]
    messages: list[dict[str, str]]


@dataclass
class Session:
    """An access token's owner and reach (the token itself is the dict key, never logged)."""

    user_id: str
    scopes: list[str]
    issued_at: float
    expires_at: float | None
    app_name: str | None = None


@dataclass
class Fault:
    """An injected failure: answer ``status`` (and/or wait ``delay_seconds``) ``count`` times."""

    operation: str
    status: int | None
    count: int
    delay_seconds: float = 0.0
