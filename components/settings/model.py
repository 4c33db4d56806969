"""The typed, frozen model of one integration's configuration (pydantic v2).

Each section model validates itself from the flat Pulumi config (its fields' validation aliases
are the camelCase keys) plus a :class:`LoadContext` for what it depends on in other sections
(stack, app kind, rotation strategy, app name). Derived defaults are computed by ``mode="before"``
validators so they pass the same rules as given values; when the setting they derive from is
invalid they give up quietly (:func:`~components.settings.fields.dependency_failed`).
"""

from __future__ import annotations

from dataclasses import FrozenInstanceError, dataclass
from functools import partial
from pathlib import Path
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from components import keys
from components.credentials.aws_ids import DEFAULT_RECOVERY_DAYS, MAX_RECOVERY_DAYS, MIN_RECOVERY_DAYS
from components.settings import rules
from components.settings.fields import CONSTRAINT, Flag, Text, WholeNumber, dependency_failed, from_text, setting
from components.settings.rules import RuleError


class Secret(SecretStr):
    """A secret string whose repr and str never show the value; call :meth:`reveal` to use it."""

    def reveal(self) -> str:
        return self.get_secret_value()

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__


@dataclass(frozen=True)
class LoadContext:
    """What a section needs from outside itself; ``None`` where that setting is invalid."""

    stack: str | None = None
    app_kind: str | None = None
    strategy: str | None = None
    app_name: str | None = None


def context(info: ValidationInfo) -> LoadContext:
    return info.context if isinstance(info.context, LoadContext) else LoadContext()


class SettingsModel(BaseModel):
    """Frozen (assignment raises ``FrozenInstanceError``), ignores other sections' keys."""

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)
    SECTION: ClassVar[str] = ""

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")


LoginUrl = Annotated[Text, AfterValidator(rules.validate_login_url)]
TokenUrl = Annotated[Text, AfterValidator(rules.validate_token_url)]
AudienceUrl = Annotated[Text, AfterValidator(rules.validate_audience)]
InstanceUrl = Annotated[Text, AfterValidator(rules.validate_instance_url)]
EndpointUrl = Annotated[Text, AfterValidator(rules.validate_aws_endpoint_url)]
Email = Annotated[Text, AfterValidator(rules.validate_email)]
OneLine = Annotated[Text, AfterValidator(rules.validate_one_line)]
PermissionSetName = Annotated[Text, AfterValidator(rules.validate_permission_set_name)]
SecretName = Annotated[Text, AfterValidator(rules.validate_secret_name)]
SecretId = Annotated[Text, AfterValidator(rules.validate_secret_id)]
KmsKeyId = Annotated[Text, AfterValidator(rules.validate_kms_key_id)]
Region = Annotated[Text, AfterValidator(rules.validate_region)]
ConsumerKey = Annotated[Text, AfterValidator(rules.validate_consumer_key)]
# List settings: JSON text or a list of non-empty strings, each item checked, then the whole list.
Scopes = Annotated[
    tuple[Annotated[Text, AfterValidator(rules.validate_scope)], ...],
    BeforeValidator(partial(rules.string_list, example=rules.LIST_EXAMPLES["scopes"])),
    AfterValidator(rules.validate_scopes),
]
PermissionSets = Annotated[
    tuple[Annotated[Text, AfterValidator(rules.validate_extra_permission_set)], ...],
    BeforeValidator(partial(rules.string_list, example=rules.LIST_EXAMPLES["permission sets"])),
    AfterValidator(rules.unique),
]
Profiles = Annotated[
    tuple[Annotated[Text, AfterValidator(rules.validate_profile_name)], ...],
    BeforeValidator(partial(rules.string_list, example=rules.LIST_EXAMPLES["profiles"])),
    AfterValidator(rules.unique),
]
ReaderArns = Annotated[
    tuple[Annotated[Text, AfterValidator(rules.validate_reader_arn)], ...],
    BeforeValidator(partial(rules.string_list, example=rules.LIST_EXAMPLES["reader ARNs"])),
    AfterValidator(rules.unique),
]
# Map settings, stored as sorted (key, value) pairs so the model stays hashable.
Tags = Annotated[tuple[tuple[str, str], ...], BeforeValidator(lambda v: rules.validate_tags(rules.string_map(v)))]
ExistingPath = Annotated[Path, from_text(rules.validate_ca_bundle)]
KeyFile = Annotated[Path, from_text(rules.validate_key_file)]
INTEGRATIONS_EXAMPLE = '[{"appName": "Orders_JWT", "integrationUsername": "orders@acme.example.com"}]'
IntegrationItems = Annotated[
    tuple[dict[str, Any], ...], BeforeValidator(lambda v: rules.list_of_maps(v, INTEGRATIONS_EXAMPLE))
]


# --------------------------------------------------------------------------- Salesforce org


class SalesforceSettings(SettingsModel):
    SECTION: ClassVar[str] = "Salesforce org"

    login_url: LoginUrl = setting(
        "salesforceLoginUrl",
        stack_wide=True,
        required="the org's login URL, e.g. https://login.salesforce.com or https://<mydomain>.my.salesforce.com",
        rule="`https://login.salesforce.com`, `https://test.salesforce.com`, or a My Domain "
        "`https://<x>.my.salesforce.com` / `https://<x>--<sbx>.sandbox.my.salesforce.com` "
        "(also `.develop.`, `.scratch.`, `.trailblaze.`, `.demo.`, `.patch.`); loopback "
        "`https://127.0.0.1[:port]` or `https://localhost[:port]` for the emulator. https only; origin only "
        "(no path, query).",
    )
    token_url: TokenUrl = setting(
        "salesforceTokenUrl",
        derived=True,
        stack_wide=True,
        doc_default="`<salesforceLoginUrl>/services/oauth2/token`",
        rule="https URL whose path ends in `/services/oauth2/token`; no query.",
    )
    audience: AudienceUrl = setting(
        "jwtAudience",
        derived=True,
        stack_wide=True,
        doc_default="`<salesforceLoginUrl>`",
        rule="https URL, no query. With `appKind: external-client-app`, `https://test.salesforce.com` is refused "
        "(ECAs answer `app_not_found`): use the org's My Domain URL.",
    )
    ca_bundle: ExistingPath | None = setting(
        "salesforceCaBundle",
        None,
        stack_wide=True,
        doc_default="none (system CAs)",
        rule="Path to an existing PEM file with at least one CA certificate (the emulator's CA).",
    )
    api_version: Annotated[str, BeforeValidator(rules.validate_api_version)] = setting(
        "apiVersion",
        rules.DEFAULT_API_VERSION,
        stack_wide=True,
        rule=f"`NN.0` with NN from {rules.API_VERSION_RANGE[0]} to {rules.API_VERSION_RANGE[1]}.",
    )
    test_level: Annotated[rules.TestLevel, BeforeValidator(rules.validate_test_level)] | None = setting(
        "testLevel",
        None,
        doc_default="none (not sent)",
        rule=f"{CONSTRAINT}: the deploy's test level. Unset, no test level is sent and Salesforce runs no tests for a "
        "deploy without Apex (what the Salesforce CLI does). Production orgs refuse `NoTestRun` "
        f"(`{rules.NO_TEST_RUN_REFUSED}`), so it is refused with `salesforceLoginUrl` "
        "`https://login.salesforce.com` or a production My Domain `https://<x>.my.salesforce.com`.",
    )

    @field_validator("token_url", mode="before")
    @classmethod
    def _default_token_url(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        if "login_url" not in info.data:
            dependency_failed()
        return f"{info.data['login_url']}/services/oauth2/token"

    @field_validator("audience", mode="before")
    @classmethod
    def _default_audience(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        if "login_url" not in info.data:
            dependency_failed()
        return info.data["login_url"]

    @field_validator("test_level")
    @classmethod
    def _production_test_level(cls, value: str | None, info: ValidationInfo) -> str | None:
        if "login_url" in info.data:
            rules.check_test_level(value, info.data["login_url"])
        return value

    @model_validator(mode="after")
    def _eca_audience(self, info: ValidationInfo) -> SalesforceSettings:
        try:
            rules.check_eca_audience(self.audience, context(info).app_kind)
        except ValueError as exc:
            key = "jwtAudience" if "audience" in self.model_fields_set else "salesforceLoginUrl"
            raise RuleError(str(exc), key=key, value=self.audience) from None
        return self

    @property
    def is_loopback(self) -> bool:
        return rules.is_loopback(self.login_url)


# --------------------------------------------------------------------------- Salesforce app


class Slot(SettingsModel):
    """One app of the integration: slot ``a`` (and ``b`` with blue-green)."""

    name: str
    app_name: str
    label: str


class AppSettings(SettingsModel):
    SECTION: ClassVar[str] = "Salesforce app"

    kind: rules.AppKind = setting("appKind", "external-client-app", rule=f"{CONSTRAINT}.")
    name: Text = setting(
        "appName",
        required="the app's API name, e.g. Acme_JWT",
        rule="Developer name: letter first; letters, digits, underscores; no `__`, no trailing `_`; at most "
        f"{rules.APP_NAME_MAX} characters ({rules.app_name_limit('blue-green')} with "
        "`rotationStrategy: blue-green`, which adds `_A`/`_B`).",
    )
    label: OneLine = setting(
        "appLabel",
        derived=True,
        min_length=1,
        max_length=255,
        doc_default="`appName` with `_` as spaces",
        rule=f"{CONSTRAINT}, one line.",
    )
    description: Text = setting(
        "appDescription",
        derived=True,
        max_length=256,
        doc_default="`Salesforce JWT bearer integration managed by Pulumi (<stack>)`",
        rule=f"{CONSTRAINT}.",
    )
    contact_email: Email = setting(
        "contactEmail", required="an address Salesforce shows as the app's contact", rule="Email address."
    )
    scopes: Scopes = setting(
        "scopes",
        rules.DEFAULT_SCOPES,
        rule=f"List of `{rules.SCOPE_ENUM}` values from the Metadata API WSDL (case-sensitive, e.g. `Api`, `Web`); "
        "must include `RefreshToken` (pre-authorized JWT logins fail without it); no duplicates; "
        f"aliases ({', '.join(f'`{a}`' for a in rules.SCOPE_ALIASES)}) are refused in favour of the name "
        "Salesforce stores.",
    )
    permission_set_name: PermissionSetName = setting(
        "permissionSetName",
        derived=True,
        doc_default="`<appName>_Access`",
        rule=f"Developer name, at most {rules.PERMISSION_SET_NAME_MAX} characters. Created by the component and "
        "assigned to the integration user.",
    )
    extra_permission_sets: PermissionSets = setting(
        "extraPermissionSets",
        (),
        rule="List of existing permission set API names (optional `ns__` prefix) also pre-authorized; no duplicates.",
    )
    profiles: Profiles = setting(
        "profiles", (), rule="List of profile names (e.g. `System Administrator`) also pre-authorized."
    )
    integration_username: Email = setting(
        "integrationUsername",
        required="the Salesforce username the integration logs in as",
        rule=f"Salesforce username (email-shaped), at most {rules.USERNAME_MAX} characters.",
    )
    existing_consumer_keys: tuple[tuple[str, str], ...] = setting(
        "existingConsumerKeys",
        (),
        doc_default="`{}`",
        rule="Map of app name (`appName`, or `<appName>_A`/`<appName>_B` with blue-green) to the consumer key of an "
        "app that already exists in the org, for adopting it when Salesforce does not return its key: the "
        "Metadata API shows an External Client App's consumer key only when the org allows \"Access to OAuth "
        'Consumer Secrets via Metadata API" and the deployer holds "View External Client Apps Consumer Secrets '
        'in Metadata". Keys: 8-256 letters, digits, `.` or `_`. Apps this project creates need no entry.',
    )
    delete_on_destroy: Flag = setting(
        "deleteAppOnDestroy", False, rule="`true` or `false`. With `false`, `pulumi destroy` keeps the Salesforce app."
    )

    @field_validator("name")
    @classmethod
    def _developer_name(cls, value: str, info: ValidationInfo) -> str:
        return rules.validate_developer_name(value, max_length=rules.app_name_limit(context(info).strategy))

    @field_validator("label", mode="before")
    @classmethod
    def _default_label(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        if "name" not in info.data:
            dependency_failed()
        return rules.default_label(info.data["name"])

    @field_validator("description", mode="before")
    @classmethod
    def _default_description(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        return rules.default_description(context(info).stack or dependency_failed())

    @field_validator("permission_set_name", mode="before")
    @classmethod
    def _default_permission_set(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        if "name" not in info.data:
            dependency_failed()
        return rules.default_permission_set_name(info.data["name"])

    @field_validator("extra_permission_sets")
    @classmethod
    def _not_the_own_permission_set(cls, value: tuple[str, ...], info: ValidationInfo) -> tuple[str, ...]:
        own = info.data.get("permission_set_name")
        if own in value:
            raise ValueError(f"repeats {own!r}, the permission set the component creates")
        return value

    @field_validator("existing_consumer_keys", mode="before")
    @classmethod
    def _existing_consumer_keys(cls, value: Any, info: ValidationInfo) -> Any:
        mapping = rules.string_map(value)
        if "name" in info.data:
            rules.validate_existing_consumer_keys(mapping, info.data["name"], context(info).strategy)
        return tuple(sorted(mapping.items()))

    @property
    def permission_sets(self) -> tuple[str, ...]:
        """Every pre-authorized permission set: the component's own first."""
        return (self.permission_set_name, *self.extra_permission_sets)


# --------------------------------------------------------------------------- key and certificate


class CertificateSettings(SettingsModel):
    SECTION: ClassVar[str] = "Key and certificate"

    key_algorithm: Annotated[Literal["RSA"], BeforeValidator(rules.validate_key_algorithm)] = setting(
        "keyAlgorithm", "RSA", rule=f"{CONSTRAINT} only: {keys.RS256_ONLY}."
    )
    key_size: Annotated[int, BeforeValidator(rules.key_size_number), AfterValidator(rules.validate_key_size)] = setting(
        "keySize", 2048, rule=rules.or_list([f"`{b}`" for b in keys.ALLOWED_RSA_BITS]) + "."
    )
    validity_days: WholeNumber = setting("certificateValidityDays", 365, ge=1, le=3650, rule=f"{CONSTRAINT}.")
    renew_before_days: WholeNumber | None = setting(
        "renewBeforeDays",
        None,
        ge=1,
        doc_default="one third of the validity",
        rule=f"{CONSTRAINT} and less than `certificateValidityDays`; the certificate is replaced on the first "
        "`pulumi up` inside this window.",
    )
    common_name: Text = setting(
        "certificateCommonName",
        derived=True,
        min_length=1,
        max_length=64,
        doc_default="`appName`",
        rule=f"{CONSTRAINT}.",
    )
    organization: Text | None = setting(
        "certificateOrganization", None, min_length=1, max_length=64, rule=f"{CONSTRAINT}."
    )
    mode: rules.CertificateMode = setting(
        "certificateMode",
        "self-signed",
        rule=f"{CONSTRAINT}. In `ca-signed` mode without `caCertificatePem` the component only outputs the CSR and "
        "deploys nothing.",
    )
    ca_certificate_pem: Text | None = setting(
        "caCertificatePem",
        None,
        shown=False,
        rule="Only with `certificateMode: ca-signed`: the PEM certificate your CA issued for the CSR (RSA >= "
        f"{keys.MIN_RSA_BITS}); checked against the key.",
    )

    @field_validator("renew_before_days")
    @classmethod
    def _inside_validity(cls, value: int | None, info: ValidationInfo) -> int | None:
        if value is not None and "validity_days" in info.data:
            rules.check_renewal_window(value, info.data["validity_days"])
        return value

    @field_validator("common_name", mode="before")
    @classmethod
    def _default_common_name(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        return context(info).app_name or dependency_failed()

    @field_validator("ca_certificate_pem")
    @classmethod
    def _ca_certificate(cls, value: str | None, info: ValidationInfo) -> str | None:
        return None if value is None else rules.validate_ca_certificate(value, info.data.get("mode"))

    @property
    def validity_hours(self) -> int:
        return self.validity_days * 24

    @property
    def early_renewal_hours(self) -> int:
        """Hours before not-after at which pulumi-tls replaces the certificate."""
        if self.renew_before_days is not None:
            return self.renew_before_days * 24
        return keys.default_renew_before_hours(self.validity_hours)

    @property
    def awaiting_ca_signature(self) -> bool:
        """ca-signed mode without the signed certificate yet: only the CSR is produced."""
        return self.mode == "ca-signed" and self.ca_certificate_pem is None


# --------------------------------------------------------------------------- AWS


class SecretSettings(SettingsModel):
    SECTION: ClassVar[str] = "AWS Secrets Manager"

    name: SecretName = setting(
        "secretName",
        derived=True,
        doc_default="`salesforce/jwt/<stack>/<appName>`",
        rule="1-512 characters of `A-Za-z0-9/_+=.@-`; must not end in `-` plus six characters.",
    )
    kms_key_id: KmsKeyId | None = setting(
        "kmsKeyId",
        None,
        doc_default="none (aws/secretsmanager)",
        rule="KMS key id, `mrk-` id, `alias/<name>`, or a key/alias ARN.",
    )
    user_tags: Tags = setting(
        "tags",
        (),
        doc_default="`{}`",
        rule="Map of string to string: keys 1-128, values 0-256 characters of letters, digits, spaces and "
        f"`_.:/=+-@`; keys not starting with `aws:`; at most {rules.user_tag_limit()} (the component adds "
        + ", ".join(f"`{k}`" for k in rules.RESERVED_TAG_KEYS)
        + ").",
    )
    reader_arns: ReaderArns = setting(
        "secretReaderArns",
        (),
        rule="List of IAM role/user/root ARNs allowed to read the secret (resource policy: every other principal "
        "is denied); no duplicates. The role running `pulumi up` is added automatically (it verifies the "
        "pending version).",
    )
    recovery_window_days: WholeNumber = setting(
        "recoveryWindowDays",
        DEFAULT_RECOVERY_DAYS,
        ge=MIN_RECOVERY_DAYS,
        le=MAX_RECOVERY_DAYS,
        rule=f"{CONSTRAINT}: deleting the secret always keeps it recoverable.",
    )
    stack: Text = Field(None, validate_default=True)
    app_name: Text = Field(None, validate_default=True)

    @field_validator("name", mode="before")
    @classmethod
    def _default_name(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        ctx = context(info)
        if ctx.stack is None or ctx.app_name is None:
            dependency_failed()
        return rules.default_secret_name(ctx.stack, ctx.app_name)

    @field_validator("stack", "app_name", mode="before")
    @classmethod
    def _from_context(cls, value: Any, info: ValidationInfo) -> Any:
        if value is None:
            value = getattr(context(info), info.field_name or "")
        return value if value is not None else dependency_failed()

    @property
    def tags(self) -> dict[str, str]:
        """User tags plus the ones that mark the secret as managed by this project."""
        return {
            **dict(self.user_tags),
            rules.MANAGED_BY_TAG[0]: rules.MANAGED_BY_TAG[1],
            rules.STACK_TAG: self.stack,
            rules.APP_TAG: self.app_name,
        }


class AwsSettings(SettingsModel):
    SECTION: ClassVar[str] = "AWS Secrets Manager"

    region: Region = setting(
        "awsRegion",
        stack_wide=True,
        required="set it (pulumi config set awsRegion eu-west-1) or export AWS_REGION",
        doc_default="`AWS_REGION`, else `AWS_DEFAULT_REGION`",
        rule="Region name such as `eu-west-1`; required.",
    )
    endpoint_url: EndpointUrl | None = setting(
        "awsEndpointUrl",
        None,
        stack_wide=True,
        doc_default="none (AWS)",
        rule="https URL; plain http only for loopback (moto server).",
    )


# --------------------------------------------------------------------------- rotation and timing


class OperationSettings(SettingsModel):
    SECTION: ClassVar[str] = "Rotation and timing"

    rotation: WholeNumber = setting("rotation", 0, ge=0, rule=f"{CONSTRAINT}; bump it to force a new key pair.")
    rotation_strategy: rules.RotationStrategy = setting(
        "rotationStrategy",
        "single",
        rule="`single` (one app, name `appName`) or `blue-green` (two apps `<appName>_A`, `<appName>_B`).",
    )
    verification_budget_seconds: WholeNumber = setting(
        "verificationBudgetSeconds",
        derived=True,
        ge=0,
        le=7200,
        doc_default=", ".join(f"`{s}` for {k}" for k, s in rules.VERIFICATION_BUDGET_DEFAULTS.items()),
        rule=f"{CONSTRAINT}: how long to retry the post-deploy JWT login while the app propagates.",
    )
    deploy_timeout_seconds: WholeNumber = setting("deployTimeoutSeconds", 600, ge=30, le=7200, rule=f"{CONSTRAINT}.")

    @field_validator("verification_budget_seconds", mode="before")
    @classmethod
    def _default_budget(cls, value: Any, info: ValidationInfo) -> Any:
        if value is not None:
            return value
        return rules.VERIFICATION_BUDGET_DEFAULTS.get(
            context(info).app_kind or "connected-app", rules.VERIFICATION_BUDGET_DEFAULTS["connected-app"]
        )


# --------------------------------------------------------------------------- deployer


def _deployer_key(key: str, rule: str, *, secret: bool = False, doc_default: str = "none") -> Any:
    return setting(
        key, None, rule=rule, secret=secret, env=rules.DEPLOYER_ENV[key], stack_wide=True, doc_default=doc_default
    )


class DeployerConfig(SettingsModel):
    """The deployer* keys as given (config, or the environment's SF_* variables); see deployer.py."""

    SECTION: ClassVar[str] = "Deployer credentials"

    access_token: Secret | None = _deployer_key(
        "deployerAccessToken", "Access token of the deploying user.", secret=True
    )
    instance_url: Text | None = _deployer_key(
        "deployerInstanceUrl",
        "https instance URL (`*.salesforce.com` or loopback); with `deployerAccessToken` only.",
        doc_default="`salesforceLoginUrl` when it is a My Domain or loopback",
    )
    auth_url: Secret | None = _deployer_key(
        "deployerAuthUrl",
        "SFDX auth URL `force://<clientId>:<clientSecret>:<refreshToken>@<host>` (secret may be empty).",
        secret=True,
    )
    jwt_consumer_key: Text | None = _deployer_key(
        "deployerJwtConsumerKey", "Consumer key of an existing app for the JWT method."
    )
    username: Text | None = _deployer_key("deployerUsername", "Username (email-shaped) for the JWT or password method.")
    jwt_key_file: Text | None = _deployer_key(
        "deployerJwtKeyFile", "Path to the deployer's unencrypted PEM RSA private key."
    )
    jwt_key_secret_id: Text | None = _deployer_key(
        "deployerJwtKeySecretId", "AWS secret name or ARN holding the deployer's PEM private key (instead of a file)."
    )
    refresh_token: Secret | None = _deployer_key("deployerRefreshToken", "OAuth refresh token.", secret=True)
    client_id: Text | None = _deployer_key("deployerClientId", "Client id of the app that issued the refresh token.")
    client_secret: Secret | None = _deployer_key(
        "deployerClientSecret", "Client secret, if that app requires one.", secret=True
    )
    password: Secret | None = _deployer_key(
        "deployerPassword",
        "Legacy SOAP `login()` password (+ security token). SOAP login is unavailable from API "
        "65.0 and disabled in new orgs; prefer another method.",
        secret=True,
    )


Source = Literal["config", "environment"]


class AccessTokenDeployer(SettingsModel):
    method: Literal["access-token"] = "access-token"
    source: Source
    instance_url: InstanceUrl = Field(validation_alias="deployerInstanceUrl")
    access_token: Secret = Field(validation_alias="deployerAccessToken")


class AuthUrlDeployer(SettingsModel):
    method: Literal["auth-url"] = "auth-url"
    source: Source
    instance_url: str
    client_id: str
    refresh_token: Secret
    client_secret: Secret | None = None


class JwtDeployer(SettingsModel):
    method: Literal["jwt"] = "jwt"
    source: Source
    consumer_key: ConsumerKey = Field(validation_alias="deployerJwtConsumerKey")
    username: Email = Field(validation_alias="deployerUsername")
    key_file: KeyFile | None = Field(None, validation_alias="deployerJwtKeyFile")
    key_secret_id: SecretId | None = Field(None, validation_alias="deployerJwtKeySecretId")


class RefreshTokenDeployer(SettingsModel):
    method: Literal["refresh-token"] = "refresh-token"
    source: Source
    client_id: ConsumerKey = Field(validation_alias="deployerClientId")
    refresh_token: Secret = Field(validation_alias="deployerRefreshToken")
    client_secret: Secret | None = Field(None, validation_alias="deployerClientSecret")
    instance_url: None = None  # the session finds the instance from the login URL


class PasswordDeployer(SettingsModel):
    method: Literal["password"] = "password"
    source: Source
    username: Email = Field(validation_alias="deployerUsername")
    password: Secret = Field(validation_alias="deployerPassword")


#: How the deployer authenticates: exactly one method, told apart by ``method``; secrets are :class:`Secret`.
DeployerCredentials = Annotated[
    AccessTokenDeployer | AuthUrlDeployer | JwtDeployer | RefreshTokenDeployer | PasswordDeployer,
    Field(discriminator="method"),
]
DEPLOYER_METHODS: dict[str, type[SettingsModel]] = {
    "access-token": AccessTokenDeployer,
    "auth-url": AuthUrlDeployer,
    "jwt": JwtDeployer,
    "refresh-token": RefreshTokenDeployer,
    "password": PasswordDeployer,
}


# --------------------------------------------------------------------------- several integrations


class IntegrationsConfig(SettingsModel):
    SECTION: ClassVar[str] = "Several integrations"

    items: IntegrationItems = setting(
        "integrations",
        (),
        doc_default="none (one integration, from the top-level keys)",
        shown=False,
        rule="List of maps, one per integration of the stack, each holding that integration's keys (e.g. `appName`, "
        "`integrationUsername`, `scopes`); every top-level key is the default for every item. Stack-wide keys "
        "may only be set at the top level: {stack_wide}. Two items may not share an app name (blue-green slot "
        "names included), a permission set or a secret name. Errors name the item, e.g. "
        "`integrations[1].appName`. Read by `load_integrations`, one `Settings` per item.",
    )


# --------------------------------------------------------------------------- the whole


class Settings(SettingsModel):
    """The validated configuration of one integration and the values derived from it."""

    stack: str
    salesforce: SalesforceSettings
    app: AppSettings
    certificate: CertificateSettings
    secret: SecretSettings
    aws: AwsSettings
    operations: OperationSettings
    deployer: DeployerCredentials | None = None
    warnings: tuple[str, ...] = ()  # not part of equality

    def _compared(self) -> tuple[Any, ...]:
        return tuple(v for k, v in self.__dict__.items() if k != "warnings")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Settings) and self._compared() == other._compared()

    def __hash__(self) -> int:
        return hash(self._compared())

    @property
    def slots(self) -> tuple[Slot, ...]:
        """``single``: slot a named ``appName``; ``blue-green``: ``<appName>_A`` and ``<appName>_B``."""
        if self.operations.rotation_strategy == "single":
            return (Slot(name="a", app_name=self.app.name, label=self.app.label),)
        return tuple(
            Slot(name=s, app_name=self.app.name + suffix, label=f"{self.app.label} ({s.upper()})")
            for s, suffix in rules.SLOT_SUFFIXES.items()
        )

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"no slot {name!r} with rotationStrategy {self.operations.rotation_strategy!r}")


SECTION_MODELS: tuple[type[SettingsModel], ...] = (
    SalesforceSettings,
    AppSettings,
    CertificateSettings,
    SecretSettings,
    AwsSettings,
    OperationSettings,
    DeployerConfig,
    IntegrationsConfig,
)
