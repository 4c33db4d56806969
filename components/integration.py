"""SalesforceJwtIntegration: the ComponentResource. Wiring and ordering only, no business logic.

Build it from :class:`SalesforceJwtIntegrationArgs` in your own program, or from the stack config
with :func:`from_stack_config` (one integration, or one per item of the ``integrations`` key).

Per slot: PrivateKey -> certificate (SelfSignedCert, or a CA-signed one for a CertRequest) ->
AppDeployment. For the active slot: CredentialVersion (AWSPENDING) -> Verification (a real JWT
login) -> Promotion (AWSCURRENT). The new public key is therefore deployed and proven before the
new private key becomes the one integrations read.
"""

from __future__ import annotations

import hashlib
import json
from datetime import timedelta
from typing import Any, cast

import pulumi
import pulumi_tls as tls
from pulumi.runtime import config as runtime_config

from components import keys
from components.credentials import runtime_policy_document, runtime_stages
from components.integration_args import SalesforceJwtIntegrationArgs, config_key
from components.providers.app_deployment import AppDeployment
from components.providers.credential_version import CredentialVersion
from components.providers.promotion import Promotion
from components.providers.verification import Verification
from components.resource_props import AppSettings, Store, Where
from components.rollout import SlotPlan, iso, plan_slots
from components.settings import PROJECT, Settings, SettingsError, load_integrations

__all__ = ["SalesforceJwtIntegration", "SalesforceJwtIntegrationArgs", "from_stack_config", "stack_config"]

TYPE = "salesforce-jwt:index:Integration"
ALLOWED_USES = ["digital_signature", "key_encipherment", "client_auth"]
SECRET_DESCRIPTION = "Salesforce JWT bearer credential (managed by the salesforce-jwt Pulumi component)"


DEFAULT_NAME = PROJECT  # the component's name for a stack with one integration (keeps its URNs)


def _project_config() -> dict[str, Any]:
    return {k: v for k, v in runtime_config.CONFIG.get().items() if k.startswith(f"{PROJECT}:")}


def _load_all(raw: dict[str, Any]) -> tuple[Settings, ...]:
    """Every integration the config declares: one per ``integrations`` item, else one."""
    return tuple(
        load_integrations(raw, stack=pulumi.get_stack(), secret_keys=runtime_config.get_config_secret_keys_env())
    )


# Pulumi registers the stack's root resource before any program code runs, so a first run that stops
# here still counts "1 created": say what that is.
NOTHING_CREATED = (
    "Nothing was created in Salesforce or AWS: the one resource `pulumi up` counts as created is the "
    "stack's own root entry in its state (pulumi:pulumi:Stack)."
)


def from_stack_config() -> list[tuple[str, SalesforceJwtIntegrationArgs]]:
    """(component name, Args) for each integration in the current stack's config, validated; a config
    problem stops the program before any resource is registered."""
    try:
        all_settings = _load_all(_project_config())
    except SettingsError as problem:
        raise pulumi.RunError(f"{problem}\n{NOTHING_CREATED}") from None
    for settings in all_settings:
        for warning in settings.warnings:
            pulumi.log.warn(warning)
    if len(all_settings) == 1:
        return [(DEFAULT_NAME, SalesforceJwtIntegrationArgs.from_settings(all_settings[0]))]
    return [(f"{DEFAULT_NAME}-{s.app.name}", SalesforceJwtIntegrationArgs.from_settings(s)) for s in all_settings]


def stack_config() -> Settings:
    """The current stack's single integration, validated (kept for programs written against it)."""
    ((_, args),) = from_stack_config()
    return _settings_of("salesforce-jwt", args)


def _deployer_config() -> dict[str, Any]:
    """The stack's deployer keys: they reach the providers through configure(), never as inputs."""
    return {k: v for k, v in _project_config().items() if k.rpartition(":")[2].startswith("deployer")}


def _settings_of(name: str, args: SalesforceJwtIntegrationArgs) -> Settings:
    """Validate Args as the stack config would be; name the Args fields in the error."""
    try:
        return args.settings(
            pulumi.get_stack(),
            deployer_config=_deployer_config(),
            secret_keys=runtime_config.get_config_secret_keys_env(),
        )
    except SettingsError as error:
        fields = {config_key(f): f for f in SalesforceJwtIntegrationArgs.__dataclass_fields__}
        lines = [f"SalesforceJwtIntegration {name!r}: {len(error.problems)} invalid argument(s):"]
        for problem in error.problems:
            key, _, shown = problem.key.rpartition(":")[2].partition(" ")
            where = f"{key} (SalesforceJwtIntegrationArgs.{fields[key]})" if key in fields else key
            lines.append(f"  - {where}{' ' + shown if shown else ''}: {problem.message}")
        raise pulumi.RunError("\n".join([*lines, NOTHING_CREATED])) from None


def certificate_facts(certificate_pem: str, renew_before_days: int | None) -> dict[str, Any]:
    """What a reviewer needs to see of a certificate, instead of a PEM blob."""
    info = keys.certificate_info(certificate_pem)
    renew_before = timedelta(days=renew_before_days) if renew_before_days is not None else None
    return {
        "fingerprint": info.fingerprint_sha256,
        "not_after": iso(info.not_after),
        "renew_after": iso(info.renew_after(renew_before)),
        "subject": info.subject,
        "key_algorithm": info.key_algorithm,
        "key_size": info.key_size,
    }


class _Slot:
    """The resources of one app slot."""

    def __init__(
        self,
        key: tls.PrivateKey,
        certificate_pem: pulumi.Output[str],
        facts: pulumi.Output[dict],
        app: AppDeployment | None,
        app_props: AppSettings,
        csr_pem: pulumi.Output[str] | None,
    ) -> None:
        self.key, self.certificate_pem, self.facts = key, certificate_pem, facts
        self.app, self.app_props, self.csr_pem = app, app_props, csr_pem


class SalesforceJwtIntegration(pulumi.ComponentResource):
    """Key, certificate, Salesforce app, staged secret, verification and promotion of one integration."""

    secret_arn: pulumi.Output[str]
    secret_version_id: pulumi.Output[str]
    consumer_key: pulumi.Output[str]
    certificate_fingerprint: pulumi.Output[str]
    certificate_not_after: pulumi.Output[str]
    renew_after: pulumi.Output[str]
    verified_at: pulumi.Output[str]

    def __init__(
        self,
        name: str,
        args: SalesforceJwtIntegrationArgs | None = None,
        opts: pulumi.ResourceOptions | None = None,
        *,
        settings: Settings | None = None,
    ) -> None:
        """``args`` are validated before any resource is registered (``settings``: already validated)."""
        if settings is None:
            if args is None:
                raise TypeError("SalesforceJwtIntegration needs args (SalesforceJwtIntegrationArgs)")
            settings = _settings_of(name, args)
        self._deferred = args.deferred_inputs() if args is not None else {}
        super().__init__(TYPE, name, None, opts)
        self._name, self._settings = name, settings
        plans = plan_slots(settings)
        self._slots = {plan.slot: self._slot(plan) for plan in plans}
        active = next(plan for plan in plans if plan.active)
        self.app_name = pulumi.Output.from_input(active.app_name)
        self.app_kind = pulumi.Output.from_input(settings.app.kind)
        self.active_slot = pulumi.Output.from_input(active.slot)
        slot = self._slots[active.slot]
        self.certificate_pem = slot.certificate_pem
        self.private_key_pem: pulumi.Output[str] = pulumi.Output.secret(slot.key.private_key_pem)
        self.csr_pem = slot.csr_pem
        self.certificate_fingerprint = slot.facts.apply(lambda f: cast(str, f.get("fingerprint")))
        self.certificate_not_after = slot.facts.apply(lambda f: cast(str, f.get("not_after")))
        self.renew_after = slot.facts.apply(lambda f: cast(str, f.get("renew_after")))
        if slot.app is None:  # ca-signed, waiting for the CA: only the CSR exists
            self._register()
            return
        self._credential(active, slot)
        self._register()

    # -- per slot -----------------------------------------------------------------------------------
    def _child(self, **kwargs: Any) -> pulumi.ResourceOptions:
        return pulumi.ResourceOptions(parent=self, **kwargs)

    def _slot(self, plan: SlotPlan) -> _Slot:
        s, suffix = self._settings, ("" if _single(self._settings) else f"-{plan.slot}")
        cert = s.certificate
        key = tls.PrivateKey(
            f"{self._name}-key{suffix}",
            algorithm=cert.key_algorithm,
            rsa_bits=cert.key_size,
            opts=self._child(replacement_trigger=plan.generation),
        )
        csr_pem = None
        if cert.mode == "ca-signed":
            csr = tls.CertRequest(
                f"{self._name}-csr{suffix}",
                private_key_pem=key.private_key_pem,
                subject=tls.CertRequestSubjectArgs(common_name=cert.common_name, organization=cert.organization),
                opts=self._child(),
            )
            csr_pem = csr.cert_request_pem
            certificate_pem = _ca_signed(cert.ca_certificate_pem, key)
        else:
            certificate_pem = tls.SelfSignedCert(
                f"{self._name}-cert{suffix}",
                private_key_pem=key.private_key_pem,
                validity_period_hours=cert.validity_hours,
                early_renewal_hours=cert.early_renewal_hours,
                allowed_uses=ALLOWED_USES,
                subject=tls.SelfSignedCertSubjectArgs(common_name=cert.common_name, organization=cert.organization),
                opts=self._child(),
            ).cert_pem
        facts = certificate_pem.apply(lambda pem: certificate_facts(pem, cert.renew_before_days) if pem else {})
        props = self._app_props(plan)
        if cert.awaiting_ca_signature:
            return _Slot(key, certificate_pem, facts, None, props, csr_pem)
        app = AppDeployment(
            f"{self._name}-app{suffix}",
            {
                **props,
                "certificate_pem": certificate_pem,
                "certificate_fingerprint": facts.apply(lambda f: f["fingerprint"]),
                "certificate_not_after": facts.apply(lambda f: f["not_after"]),
                "certificate_subject": facts.apply(lambda f: f["subject"]),
                "key_algorithm": cert.key_algorithm,
                "key_size": cert.key_size,
                "rotation": s.operations.rotation,
                "rotation_strategy": s.operations.rotation_strategy,
            },
            opts=self._child(retain_on_delete=self._retain()),
        )
        return _Slot(key, certificate_pem, facts, app, props, csr_pem)

    def _retain(self) -> bool:
        """ca-signed: a rotation goes through a CSR-only run that declares no app or credential; they
        must survive it untouched, so these stacks never delete them (destroy included)."""
        return self._settings.certificate.mode == "ca-signed"

    def _app_props(self, plan: SlotPlan) -> AppSettings:
        """Plain (known at preview) inputs of one slot's app."""
        s = self._settings
        return {
            **self._where(),
            "api_version": s.salesforce.api_version,
            "deploy_timeout_seconds": s.operations.deploy_timeout_seconds,
            "app_name": plan.app_name,
            "app_label": plan.app_label,
            "app_kind": s.app.kind,
            "slot": plan.slot,
            "description": s.app.description,
            "contact_email": s.app.contact_email,
            "scopes": sorted(s.app.scopes),
            "permission_set_name": s.app.permission_set_name,
            "permission_sets": sorted(s.app.permission_sets),
            "profiles": sorted(s.app.profiles),
            "pre_authorized": True,
            "integration_username": self._input("integration_username"),
            "delete_on_destroy": s.app.delete_on_destroy,
            "stack": s.stack,
            "existing_consumer_key": dict(s.app.existing_consumer_keys).get(plan.app_name),
            "test_level": s.salesforce.test_level,
        }

    def _input(self, field: str) -> Any:
        """An Input field as the user gave it (an Output, checked as it resolves) or as validated."""
        if field in self._deferred:
            return self._deferred[field]
        s = self._settings
        return {
            "integration_username": s.app.integration_username,
            "kms_key_id": s.secret.kms_key_id,
            "tags": s.secret.tags,
            "secret_reader_arns": list(s.secret.reader_arns),
        }[field]

    def _tags(self) -> Any:
        """User tags (possibly an Output) plus the tags that mark the secret as managed by us."""
        managed = self._settings.secret.tags
        if "tags" not in self._deferred:
            return managed
        return self._deferred["tags"].apply(lambda user: {**user, **managed})

    def _where(self) -> Where:
        s = self._settings
        return {
            "login_url": s.salesforce.login_url,
            "ca_bundle": str(s.salesforce.ca_bundle) if s.salesforce.ca_bundle else None,
            "aws_region": s.aws.region,
            "aws_endpoint_url": s.aws.endpoint_url,
        }

    # -- the active slot's credential ------------------------------------------------------------------
    def _credential(self, plan: SlotPlan, slot: _Slot) -> None:
        assert slot.app is not None, "only a slot with a deployed app has a credential"
        s = self._settings
        store: Store = {
            "secret_name": s.secret.name,
            "aws_region": s.aws.region,
            "aws_endpoint_url": s.aws.endpoint_url,
        }
        credential = CredentialVersion(
            f"{self._name}-credential",
            {
                **store,
                "kms_key_id": self._input("kms_key_id"),
                "tags": self._tags(),
                "reader_arns": self._input("secret_reader_arns"),
                "recovery_window_days": s.secret.recovery_window_days,
                "description": SECRET_DESCRIPTION,
                "private_key_pem": pulumi.Output.secret(slot.key.private_key_pem),
                "certificate_pem": slot.certificate_pem,
                "consumer_key": slot.app.consumer_key,
                "username": self._input("integration_username"),
                "login_url": s.salesforce.login_url,
                "audience": s.salesforce.audience,
                "token_url": s.salesforce.token_url,
                "app_name": plan.app_name,
                "app_kind": s.app.kind,
                "slot": None if _single(s) else plan.slot,
                "certificate_fingerprint": slot.facts.apply(lambda f: f["fingerprint"]),
                "certificate_not_after": slot.facts.apply(lambda f: f["not_after"]),
            },
            opts=self._child(depends_on=[slot.app], retain_on_delete=self._retain()),
        )
        verification = Verification(
            f"{self._name}-verification",
            {
                **store,
                "version_id": credential.version_id,
                "certificate_fingerprint": slot.facts.apply(lambda f: f["fingerprint"]),
                "app_revision": pulumi.Output.from_input(slot.app_props).apply(_revision),
                "app": slot.app_props,
                "ca_bundle": self._where()["ca_bundle"],
                "api_version": s.salesforce.api_version,
                "budget_seconds": s.operations.verification_budget_seconds,
            },
            opts=self._child(depends_on=[credential, slot.app]),
        )
        promotion = Promotion(
            f"{self._name}-promotion",
            {
                **store,
                "version_id": credential.version_id,
                "verified_at": verification.verified_at,
                "ca_bundle": self._where()["ca_bundle"],
                "api_version": s.salesforce.api_version,
                "budget_seconds": s.operations.verification_budget_seconds,
            },
            opts=self._child(depends_on=[verification]),
        )
        self.secret_arn = credential.arn
        self.secret_version_id = promotion.current_version_id
        self.consumer_key = slot.app.consumer_key
        self.verified_at = verification.verified_at
        stages = runtime_stages(blue_green=not _single(s))  # what the runtime client reads, nothing more
        self.runtime_policy_json = pulumi.Output.all(credential.arn, self._input("kms_key_id")).apply(
            lambda both: (
                json.dumps(runtime_policy_document(both[0], both[1], stages=stages), sort_keys=True)
                if both[0]
                else None
            )
        )

    # -- outputs ---------------------------------------------------------------------------------------
    def outputs(self) -> dict[str, Any]:
        """Everything the stack exports; the private key only as a secret."""
        names = (
            "app_name",
            "app_kind",
            "active_slot",
            "certificate_fingerprint",
            "certificate_not_after",
            "renew_after",
            "certificate_pem",
            "csr_pem",
            "private_key_pem",
            "secret_arn",
            "secret_version_id",
            "consumer_key",
            "verified_at",
            "runtime_policy_json",
        )
        return {name: getattr(self, name) for name in names if getattr(self, name, None) is not None}

    def _register(self) -> None:
        self.register_outputs(self.outputs())

    def export_outputs(self) -> None:
        """``pulumi.export`` each output under its camelCase name (a stack with one integration)."""
        for name, value in self.outputs().items():
            pulumi.export(config_key(name), value)

    def public_outputs(self) -> dict[str, Any]:
        """The outputs under camelCase names, without the private key (for a stack's summary export)."""
        return {config_key(n): v for n, v in self.outputs().items() if n != "private_key_pem"}


def export_all(integrations: list[SalesforceJwtIntegration]) -> None:
    """One integration: its outputs at the top level, as always. Several: ``integrations`` maps each
    app name to its outputs (no private key: integrations read it from Secrets Manager)."""
    if len(integrations) == 1:
        integrations[0].export_outputs()
        return
    pulumi.export("integrations", {i._settings.app.name: i.public_outputs() for i in integrations})


def _single(settings: Settings) -> bool:
    return settings.operations.rotation_strategy == "single"


def _ca_signed(ca_certificate_pem: str | None, key: tls.PrivateKey) -> pulumi.Output[str]:
    """The CA-signed certificate from config, refused unless it belongs to this slot's key."""
    if ca_certificate_pem is None:
        return pulumi.Output.from_input("")

    def check(private_key_pem: str) -> str:
        certificate = keys.load_certificate(ca_certificate_pem)
        keys.require_match(certificate, keys.load_private_key(private_key_pem))
        return ca_certificate_pem

    return key.private_key_pem.apply(check)


def _revision(app_props: AppSettings) -> str:
    """A digest of the app's desired settings: a change re-runs the verification."""
    return hashlib.sha256(json.dumps(app_props, sort_keys=True, default=str).encode()).hexdigest()[:16]
