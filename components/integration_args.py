"""SalesforceJwtIntegrationArgs: the typed inputs of one integration, for stack config and for programs.

Field names are the snake_case forms of the Pulumi config keys (``app_name`` is ``appName``), and
every rule is the settings module's: :meth:`SalesforceJwtIntegrationArgs.settings` turns the plain
values into that module's config mapping and validates it, reporting every problem together before
any resource is registered. Four fields follow Pulumi's conventions for values users wire from other
resources and take ``pulumi.Input``: ``integration_username``, ``kms_key_id``, ``tags`` and
``secret_reader_arns``. A plain value is validated at once; an Output is validated by the same rule
when it resolves, and the error names the field.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import pulumi

from components import settings as rules
from components.settings import PROJECT, Settings, load_settings

# Stand-ins that let the plain fields be validated while an Input field is still an Output; the
# component never sends them anywhere: it wires the Input itself (see ``deferred_inputs``).
_DEFERRED_STANDIN: dict[str, Any] = {
    "integration_username": "deferred.output@example.com",
    "kms_key_id": None,
    "tags": None,
    "secret_reader_arns": None,
}


@dataclass(frozen=True, kw_only=True)
class SalesforceJwtIntegrationArgs:
    """Inputs of one SalesforceJwtIntegration; ``None`` means the documented default."""

    # Salesforce org
    salesforce_login_url: str
    salesforce_token_url: str | None = None
    jwt_audience: str | None = None
    salesforce_ca_bundle: str | None = None
    api_version: str | None = None
    test_level: str | None = None
    # the app
    app_name: str
    app_kind: str | None = None
    app_label: str | None = None
    app_description: str | None = None
    contact_email: str
    scopes: Sequence[str] | None = None
    permission_set_name: str | None = None
    extra_permission_sets: Sequence[str] | None = None
    profiles: Sequence[str] | None = None
    integration_username: pulumi.Input[str]
    existing_consumer_keys: Mapping[str, str] | None = None
    delete_app_on_destroy: bool | None = None
    # key and certificate
    key_algorithm: str | None = None
    key_size: int | None = None
    certificate_validity_days: int | None = None
    renew_before_days: int | None = None
    certificate_common_name: str | None = None
    certificate_organization: str | None = None
    certificate_mode: str | None = None
    ca_certificate_pem: str | None = None
    # AWS Secrets Manager
    secret_name: str | None = None
    kms_key_id: pulumi.Input[str] | None = None
    tags: pulumi.Input[Mapping[str, pulumi.Input[str]]] | None = None
    secret_reader_arns: pulumi.Input[Sequence[pulumi.Input[str]]] | None = None
    recovery_window_days: int | None = None
    aws_region: str | None = None
    aws_endpoint_url: str | None = None
    # rotation and timing
    rotation: int | None = None
    rotation_strategy: str | None = None
    verification_budget_seconds: int | None = None
    deploy_timeout_seconds: int | None = None

    # -- to and from settings --------------------------------------------------------------------
    def config(self) -> dict[str, Any]:
        """The settings module's config mapping (``salesforce-jwt:<camelCase>``) of the set fields."""
        mapping: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if field.name in _DEFERRED_STANDIN and _has_output(value):
                value = _DEFERRED_STANDIN[field.name]
            if value is not None:
                mapping[f"{PROJECT}:{config_key(field.name)}"] = _plain(value)
        return mapping

    def settings(
        self,
        stack: str,
        *,
        deployer_config: Mapping[str, Any] | None = None,
        secret_keys: Sequence[str] | None = None,
        env: Mapping[str, str] | None = None,
    ) -> Settings:
        """Validated settings (raise SettingsError naming every bad field); deployer credentials come
        from ``deployer_config`` (the stack's ``salesforce-jwt:deployer*`` keys) or the environment."""
        config = {**(deployer_config or {}), **self.config()}
        return load_settings(config, stack=stack, secret_keys=secret_keys, env=env)

    def deferred_inputs(self) -> dict[str, pulumi.Output[Any]]:
        """The Input fields whose values are Outputs, each checked by its rule once it resolves."""
        checks: dict[str, Callable[[Any], Any]] = {
            "integration_username": _check_username,
            "kms_key_id": _check_kms,
            "tags": _check_tags,
            "secret_reader_arns": _check_readers,
        }
        return {
            name: pulumi.Output.from_input(getattr(self, name)).apply(check)
            for name, check in checks.items()
            if _has_output(getattr(self, name))
        }

    @classmethod
    def from_settings(cls, settings: Settings) -> SalesforceJwtIntegrationArgs:
        """The Args that stand for validated settings (the stack-config path)."""
        s = settings
        return cls(
            salesforce_login_url=s.salesforce.login_url,
            salesforce_token_url=s.salesforce.token_url,
            jwt_audience=s.salesforce.audience,
            salesforce_ca_bundle=str(s.salesforce.ca_bundle) if s.salesforce.ca_bundle else None,
            api_version=s.salesforce.api_version,
            test_level=s.salesforce.test_level,
            app_name=s.app.name,
            app_kind=s.app.kind,
            app_label=s.app.label,
            app_description=s.app.description,
            contact_email=s.app.contact_email,
            scopes=list(s.app.scopes),
            permission_set_name=s.app.permission_set_name,
            extra_permission_sets=list(s.app.extra_permission_sets),
            profiles=list(s.app.profiles),
            integration_username=s.app.integration_username,
            existing_consumer_keys=dict(s.app.existing_consumer_keys),
            delete_app_on_destroy=s.app.delete_on_destroy,
            key_algorithm=s.certificate.key_algorithm,
            key_size=s.certificate.key_size,
            certificate_validity_days=s.certificate.validity_days,
            renew_before_days=s.certificate.renew_before_days,
            certificate_common_name=s.certificate.common_name,
            certificate_organization=s.certificate.organization,
            certificate_mode=s.certificate.mode,
            ca_certificate_pem=s.certificate.ca_certificate_pem,
            secret_name=s.secret.name,
            kms_key_id=s.secret.kms_key_id,
            tags=dict(s.secret.user_tags),
            secret_reader_arns=list(s.secret.reader_arns),
            recovery_window_days=s.secret.recovery_window_days,
            aws_region=s.aws.region,
            aws_endpoint_url=s.aws.endpoint_url,
            rotation=s.operations.rotation,
            rotation_strategy=s.operations.rotation_strategy,
            verification_budget_seconds=s.operations.verification_budget_seconds,
            deploy_timeout_seconds=s.operations.deploy_timeout_seconds,
        )


def config_key(field_name: str) -> str:
    """``app_name`` -> ``appName``: the Pulumi config key of an Args field."""
    head, *rest = field_name.split("_")
    return head + "".join(part[:1].upper() + part[1:] for part in rest)


def _has_output(value: Any) -> bool:
    """True for an Output, or a mapping or sequence holding one."""
    if isinstance(value, pulumi.Output):
        return True
    if isinstance(value, Mapping):
        return any(_has_output(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(_has_output(v) for v in value)
    return False


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): v for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


class InvalidInput(ValueError):
    """An Input field's Output resolved to a value its rule refuses."""


def _fail(field: str, error: Exception) -> None:
    raise InvalidInput(f"SalesforceJwtIntegrationArgs.{field} ({config_key(field)}): {error}") from None


def _check_username(value: str) -> str:
    try:
        return rules.validate_email(value)
    except ValueError as error:
        _fail("integration_username", error)
        raise


def _check_kms(value: str | None) -> str | None:
    try:
        return None if value is None else rules.validate_kms_key_id(value)
    except ValueError as error:
        _fail("kms_key_id", error)
        raise


def _check_tags(value: Mapping[str, str] | None) -> dict[str, str]:
    try:
        for key, tag in (value or {}).items():
            rules.validate_tag(key, tag)
    except ValueError as error:
        _fail("tags", error)
    return dict(value or {})


def _check_readers(value: Sequence[str] | None) -> list[str]:
    try:
        return [rules.validate_reader_arn(arn) for arn in value or []]
    except ValueError as error:
        _fail("secret_reader_arns", error)
        raise
