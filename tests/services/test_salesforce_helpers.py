"""Helpers shared by the Salesforce client service tests (no tests here): emulator clock, specs, logins."""

from __future__ import annotations

import time

from components.salesforce.bundle import ECA, AppKind, AppSpec, PermissionSetSpec
from components.salesforce.metadata_api import MetadataClient, PollPolicy
from components.salesforce.session import AccessTokenAuth, SalesforceSession, open_session
from components.salesforce.token_exchange import JwtLogin, RetryPolicy
from tests.fixtures.aws import generated_key_pair

ACCESS_PS = PermissionSetSpec("Acme_JWT_Access", "Acme JWT Access")
KEY = "AcmeJwtKey0001"  # the consumer key app_spec() creates the app with


class EmulatorClock:
    """The product's injectable clock, driven by the emulator: sleeping advances the org clock."""

    def __init__(self, org) -> None:
        self.org = org
        self.offset = 0.0
        self.sleeps: list[float] = []

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        if seconds > 0:
            self.org.advance_clock(seconds)
            self.offset += seconds


def admin_session(org) -> SalesforceSession:
    return open_session(AccessTokenAuth(org.instance_url, org.admin_access_token), ca_bundle=org.ca_bundle)


def client(org, clock: EmulatorClock | None = None) -> MetadataClient:
    return MetadataClient(
        admin_session(org),
        clock=clock or EmulatorClock(org),
        poll=PollPolicy(initial=0.5, multiplier=2.0, max_interval=8.0, jitter=0.0, deadline=120),
    )


def app_spec(kind: AppKind = ECA, key_index: int = 0, **changes: object) -> AppSpec:
    fields: dict[str, object] = dict(
        kind=kind,
        name="Acme_JWT",
        label="Acme JWT",
        contact_email="admin@example.com",
        certificate_pem=generated_key_pair(key_index)[1],
        consumer_key=KEY,
        access_permission_set=ACCESS_PS,
    )
    fields.update(changes)
    return AppSpec(**fields)  # type: ignore[arg-type]


def jwt_login(org, kind: AppKind = ECA, key_index: int = 0, **changes: object) -> JwtLogin:
    fields: dict[str, object] = dict(
        consumer_key=KEY,
        username=org.integration_username,
        private_key_pem=generated_key_pair(key_index)[0],
        token_url=f"{org.instance_url}/services/oauth2/token",
        audience=org.instance_url if kind == ECA else "https://login.salesforce.com",
        app_kind=kind,
        expected_org_id=org.org_id,
        ca_bundle=org.ca_bundle,
        retry=RetryPolicy(),
    )
    fields.update(changes)
    return JwtLogin(**fields)  # type: ignore[arg-type]


def same_fingerprint(left: str | None, right: str | None) -> bool:
    """Compare two colon-hex fingerprints ignoring case and separators."""
    norm = lambda value: (value or "").replace(":", "").lower()  # noqa: E731
    return bool(left) and bool(right) and norm(left) == norm(right)
