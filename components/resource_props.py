"""The inputs and outputs of each dynamic resource, typed once (no ``pulumi`` here).

The component builds these dictionaries, the providers read them back (the engine hands them over
as plain dicts: each provider casts once at its boundary) and ``preview_summary`` reads them out of
``pulumi preview --json``. Fields typed ``Any`` are Pulumi Outputs in the component (known only
during the deployment) and their resolved values in the providers.
"""

from __future__ import annotations

from typing import Any, NotRequired, TypedDict


class Where(TypedDict):
    """Which org and which AWS region and endpoint a resource talks to."""

    login_url: str
    ca_bundle: str | None
    aws_region: str
    aws_endpoint_url: str | None


class AppSettings(Where):
    """The plain (known at preview) inputs of one slot's app: what its verification revises on."""

    api_version: str
    deploy_timeout_seconds: int
    app_name: str
    app_label: str
    app_kind: str
    slot: str
    description: str
    contact_email: str
    scopes: list[str]
    permission_set_name: str
    permission_sets: list[str]
    profiles: list[str]
    pre_authorized: bool
    integration_username: Any
    delete_on_destroy: bool
    stack: str
    existing_consumer_key: str | None
    test_level: str | None


class AppProps(AppSettings):
    """AppDeployment's inputs: the settings plus the certificate and what reviewers see of it."""

    certificate_pem: Any
    certificate_fingerprint: Any
    certificate_not_after: Any
    certificate_subject: Any
    key_algorithm: str
    key_size: int
    rotation: int
    rotation_strategy: str


class AppOutputs(TypedDict):
    """What AppDeployment reads back from Salesforce (compared with the inputs for drift)."""

    consumer_key: str | None
    certificate_fingerprint: str | None
    scopes: list[str]
    pre_authorized: bool | None
    permission_sets: list[str]
    profiles: list[str]
    component_names: dict[str, str]


class Store(TypedDict):
    """The secret a resource works on."""

    secret_name: str
    aws_region: str
    aws_endpoint_url: str | None


class CredentialProps(Store):
    """CredentialVersion's inputs: the credential document and how the secret is kept."""

    kms_key_id: Any
    tags: Any
    reader_arns: Any
    recovery_window_days: int
    description: str
    private_key_pem: Any
    certificate_pem: Any
    consumer_key: Any
    username: Any
    login_url: str
    audience: str
    token_url: str
    app_name: str
    app_kind: str
    slot: str | None
    certificate_fingerprint: Any
    certificate_not_after: Any
    scheduled_for_deletion: NotRequired[bool]
    version_missing: NotRequired[bool]


class VerificationProps(Store):
    """Verification's inputs: which stored version to prove, against which app."""

    version_id: Any
    certificate_fingerprint: Any
    app_revision: Any
    app: AppSettings
    ca_bundle: str | None
    api_version: str
    budget_seconds: float
    app_org_id: NotRequired[Any]
    app_certificate_fingerprint: NotRequired[Any]


class PromotionProps(Store):
    """Promotion's inputs: the proven version that becomes AWSCURRENT."""

    version_id: Any
    verified_at: Any
    ca_bundle: str | None
    api_version: str
    budget_seconds: float
