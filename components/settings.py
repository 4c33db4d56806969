"""One typed model of the stack configuration, with every validation rule and message.

``load_settings`` takes the raw Pulumi config of this project (camelCase keys, with or without
the ``salesforce-jwt:`` prefix; lists and maps as JSON strings or parsed values) and returns a
frozen :class:`Settings`, or raises one :class:`SettingsError` that lists every problem. Each
problem names the config key, shows the bad value (never for secrets) and says what is accepted.
Nothing here talks to the network or imports ``pulumi``.
"""

from __future__ import annotations

import difflib
import json
import os
import re
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import SplitResult, urlsplit

from cryptography import x509

from components import keys
from components.salesforce.wsdl import enum_values

PROJECT = "salesforce-jwt"
MANAGED_BY_TAG = ("managed-by", "salesforce-jwt-pulumi")
STACK_TAG = "salesforce-jwt:stack"
APP_TAG = "salesforce-jwt:app-name"
RESERVED_TAG_KEYS = (MANAGED_BY_TAG[0], STACK_TAG, APP_TAG)
APP_KINDS = ("external-client-app", "connected-app")
ROTATION_STRATEGIES = ("single", "blue-green")
CERTIFICATE_MODES = ("self-signed", "ca-signed")
SLOT_SUFFIXES = {"a": "_A", "b": "_B"}
API_VERSION_RANGE = (60, 67)
#: The one Salesforce API version every part of the product defaults to (stacks, bundles, check/verify).
DEFAULT_API_VERSION = "66.0"
#: Deploy test levels this project can send (RunSpecifiedTests needs test class names it does not have).
TEST_LEVELS = ("NoTestRun", "RunLocalTests", "RunAllTestsInOrg")
NO_TEST_RUN_REFUSED = "INVALID_OPERATION: testLevel of NoTestRun cannot be used in production organizations"
DEFAULT_SCOPES = ("Api", "RefreshToken")
SCOPE_ENUM = "ConnectedAppOauthAccessScope"
APP_NAME_MAX = 40
PERMISSION_SET_NAME_MAX = 80
SOAP_LOGIN_MAX_API_VERSION = "64.0"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
# Scopes Salesforce stores under another name (a retrieve returns the right-hand side).
SCOPE_ALIASES = {"OfflineAccess": "RefreshToken", "Profile": "Basic", "Email": "Basic",
                 "Address": "Basic", "Phone": "Basic"}
# OAuth wire names people copy from token responses -> metadata tokens.
_WIRE_SCOPES = {"api": "Api", "refresh_token": "RefreshToken", "offline_access": "RefreshToken",
                "web": "Web", "full": "Full", "openid": "OpenID", "id": "Basic", "chatter_api": "Chatter",
                "visualforce": "CustomApplications", "custom_permissions": "CustomPermissions",
                "wave_api": "Wave", "lightning": "Lightning", "content": "Content"}
_DEPLOYER_ENV = {
    "deployerAccessToken": "SF_ACCESS_TOKEN", "deployerInstanceUrl": "SF_INSTANCE_URL",
    "deployerAuthUrl": "SFDX_AUTH_URL", "deployerJwtConsumerKey": "SF_JWT_CONSUMER_KEY",
    "deployerUsername": "SF_USERNAME", "deployerJwtKeyFile": "SF_JWT_KEY_FILE",
    "deployerJwtKeySecretId": "SF_JWT_KEY_SECRET_ID", "deployerRefreshToken": "SF_REFRESH_TOKEN",
    "deployerClientId": "SF_CLIENT_ID", "deployerClientSecret": "SF_CLIENT_SECRET",
    "deployerPassword": "SF_PASSWORD",
}


# --------------------------------------------------------------------------- specification

@dataclass(frozen=True)
class SettingSpec:
    """One stack setting as documented in docs/configuration.md."""

    key: str
    section: str
    default: str
    rule: str
    secret: bool = False
    env: str | None = None


def _specs() -> tuple[SettingSpec, ...]:
    org, app, cert, aws, ops, dep = ("Salesforce org", "Salesforce app", "Key and certificate",
                                     "AWS Secrets Manager", "Rotation and timing", "Deployer credentials")
    scopes = ", ".join(f"`{s}`" for s in DEFAULT_SCOPES)
    rows = [
        (org, "salesforceLoginUrl", "required",
         "`https://login.salesforce.com`, `https://test.salesforce.com`, or a My Domain "
         "`https://<x>.my.salesforce.com` / `https://<x>--<sbx>.sandbox.my.salesforce.com` "
         "(also `.develop.`, `.scratch.`, `.trailblaze.`, `.demo.`, `.patch.`); loopback "
         "`https://127.0.0.1[:port]` or `https://localhost[:port]` for the emulator. https only; origin only "
         "(no path, query)."),
        (org, "salesforceTokenUrl", "`<salesforceLoginUrl>/services/oauth2/token`",
         "https URL whose path ends in `/services/oauth2/token`; no query."),
        (org, "jwtAudience", "`<salesforceLoginUrl>`",
         "https URL, no query. With `appKind: external-client-app`, `https://test.salesforce.com` is refused "
         "(ECAs answer `app_not_found`): use the org's My Domain URL."),
        (org, "salesforceCaBundle", "none (system CAs)",
         "Path to an existing PEM file with at least one CA certificate (the emulator's CA)."),
        (org, "apiVersion", f"`{DEFAULT_API_VERSION}`",
         f"`NN.0` with NN from {API_VERSION_RANGE[0]} to {API_VERSION_RANGE[1]}."),
        (org, "testLevel", "none (not sent)",
         f"{', '.join(f'`{t}`' for t in TEST_LEVELS)}: the deploy's test level. Unset, no test level is sent and "
         "Salesforce runs no tests for a deploy without Apex (what the Salesforce CLI does). Production orgs "
         f"refuse `NoTestRun` (`{NO_TEST_RUN_REFUSED}`), so it is refused with `salesforceLoginUrl` "
         "`https://login.salesforce.com` or a production My Domain `https://<x>.my.salesforce.com`."),
        (app, "appKind", "`external-client-app`", "`external-client-app` or `connected-app`."),
        (app, "appName", "required",
         f"Developer name: letter first; letters, digits, underscores; no `__`, no trailing `_`; at most "
         f"{APP_NAME_MAX} characters ({APP_NAME_MAX - 2} with `rotationStrategy: blue-green`, which adds `_A`/`_B`)."),
        (app, "appLabel", "`appName` with `_` as spaces", "1-255 characters, one line."),
        (app, "appDescription", "`Salesforce JWT bearer integration managed by Pulumi (<stack>)`",
         "At most 256 characters."),
        (app, "contactEmail", "required", "Email address."),
        (app, "scopes", scopes,
         f"List of `{SCOPE_ENUM}` values from the Metadata API WSDL (case-sensitive, e.g. `Api`, `Web`); "
         "must include `RefreshToken` (pre-authorized JWT logins fail without it); no duplicates; "
         "aliases (`OfflineAccess`, `Profile`, `Email`, `Address`, `Phone`) are refused in favour of the name "
         "Salesforce stores."),
        (app, "permissionSetName", "`<appName>_Access`",
         f"Developer name, at most {PERMISSION_SET_NAME_MAX} characters. Created by the component and assigned "
         "to the integration user."),
        (app, "extraPermissionSets", "`[]`",
         "List of existing permission set API names (optional `ns__` prefix) also pre-authorized; no duplicates."),
        (app, "profiles", "`[]`", "List of profile names (e.g. `System Administrator`) also pre-authorized."),
        (app, "integrationUsername", "required", "Salesforce username (email-shaped), at most 80 characters."),
        (app, "existingConsumerKeys", "`{}`",
         "Map of app name (`appName`, or `<appName>_A`/`<appName>_B` with blue-green) to the consumer key of an "
         "app that already exists in the org, for adopting it when Salesforce does not return its key: the "
         "Metadata API shows an External Client App's consumer key only when the org allows \"Access to OAuth "
         "Consumer Secrets via Metadata API\" and the deployer holds \"View External Client Apps Consumer Secrets "
         "in Metadata\". Keys: 8-256 letters, digits, `.` or `_`. Apps this project creates need no entry."),
        (app, "deleteAppOnDestroy", "`false`",
         "`true` or `false`. With `false`, `pulumi destroy` keeps the Salesforce app."),
        (cert, "keyAlgorithm", "`RSA`", "`RSA` only: Salesforce's JWT bearer flow accepts RS256 signatures only."),
        (cert, "keySize", "`2048`", "`2048`, `3072` or `4096`."),
        (cert, "certificateValidityDays", "`365`", "Whole number 1-3650."),
        (cert, "renewBeforeDays", "one third of the validity",
         "Whole number >= 1 and less than `certificateValidityDays`; the certificate is replaced on the first "
         "`pulumi up` inside this window."),
        (cert, "certificateCommonName", "`appName`", "1-64 characters."),
        (cert, "certificateOrganization", "none", "1-64 characters."),
        (cert, "certificateMode", "`self-signed`",
         "`self-signed` or `ca-signed`. In `ca-signed` mode without `caCertificatePem` the component only "
         "outputs the CSR and deploys nothing."),
        (cert, "caCertificatePem", "none",
         "Only with `certificateMode: ca-signed`: the PEM certificate your CA issued for the CSR (RSA >= 2048); "
         "checked against the key."),
        (aws, "secretName", "`salesforce/jwt/<stack>/<appName>`",
         "1-512 characters of `A-Za-z0-9/_+=.@-`; must not end in `-` plus six characters."),
        (aws, "kmsKeyId", "none (aws/secretsmanager)",
         "KMS key id, `mrk-` id, `alias/<name>`, or a key/alias ARN."),
        (aws, "tags", "`{}`",
         "Map of string to string: keys 1-128, values 0-256 characters of letters, digits, spaces and "
         f"`_.:/=+-@`; keys not starting with `aws:`; at most {50 - len(RESERVED_TAG_KEYS)} (the component adds "
         + ", ".join(f"`{k}`" for k in RESERVED_TAG_KEYS) + ")."),
        (aws, "secretReaderArns", "`[]`",
         "List of IAM role/user/root ARNs allowed to read the secret (resource policy: every other principal "
         "is denied); no duplicates. The role running `pulumi up` is added automatically (it verifies the "
         "pending version)."),
        (aws, "recoveryWindowDays", "`30`", "Whole number 7-30: deleting the secret always keeps it recoverable."),
        (aws, "awsRegion", "`AWS_REGION`, else `AWS_DEFAULT_REGION`", "Region name such as `eu-west-1`; required."),
        (aws, "awsEndpointUrl", "none (AWS)",
         "https URL; plain http only for loopback (moto server)."),
        (ops, "rotation", "`0`", "Whole number >= 0; bump it to force a new key pair."),
        (ops, "rotationStrategy", "`single`",
         "`single` (one app, name `appName`) or `blue-green` (two apps `<appName>_A`, `<appName>_B`)."),
        (ops, "verificationBudgetSeconds", "`1800` for external-client-app, `600` for connected-app",
         "Whole number 0-7200: how long to retry the post-deploy JWT login while the app propagates."),
        (ops, "deployTimeoutSeconds", "`600`", "Whole number 30-7200."),
        (dep, "deployerAccessToken", "none", "Access token of the deploying user.", True),
        (dep, "deployerInstanceUrl", "`salesforceLoginUrl` when it is a My Domain or loopback",
         "https instance URL (`*.salesforce.com` or loopback); with `deployerAccessToken` only."),
        (dep, "deployerAuthUrl", "none",
         "SFDX auth URL `force://<clientId>:<clientSecret>:<refreshToken>@<host>` (secret may be empty).", True),
        (dep, "deployerJwtConsumerKey", "none", "Consumer key of an existing app for the JWT method."),
        (dep, "deployerUsername", "none", "Username (email-shaped) for the JWT or password method."),
        (dep, "deployerJwtKeyFile", "none", "Path to the deployer's unencrypted PEM RSA private key."),
        (dep, "deployerJwtKeySecretId", "none",
         "AWS secret name or ARN holding the deployer's PEM private key (instead of a file)."),
        (dep, "deployerRefreshToken", "none", "OAuth refresh token.", True),
        (dep, "deployerClientId", "none", "Client id of the app that issued the refresh token."),
        (dep, "deployerClientSecret", "none", "Client secret, if that app requires one.", True),
        (dep, "deployerPassword", "none",
         "Legacy SOAP `login()` password (+ security token). SOAP login is unavailable from API 65.0 and "
         "disabled in new orgs; prefer another method.", True),
    ]
    return tuple(SettingSpec(key=r[1], section=r[0], default=r[2], rule=r[3],
                             secret=bool(r[4]) if len(r) > 4 else False, env=_DEPLOYER_ENV.get(r[1]))
                 for r in rows)


SPECS: tuple[SettingSpec, ...] = _specs()
_UNSHOWN_KEYS = frozenset({"caCertificatePem"})  # long PEM text; a pasted key must never be echoed
KNOWN_KEYS: frozenset[str] = frozenset(s.key for s in SPECS)
SECRET_KEYS: frozenset[str] = frozenset(s.key for s in SPECS if s.secret)


# --------------------------------------------------------------------------- model

class Secret:
    """A secret string whose repr and str never show the value; call :meth:`reveal` to use it."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))


@dataclass(frozen=True)
class SalesforceSettings:
    login_url: str  # origin, no trailing slash
    token_url: str
    audience: str
    ca_bundle: Path | None
    api_version: str  # "66.0"
    test_level: str | None = None  # None: no testLevel in the deploy

    @property
    def is_loopback(self) -> bool:
        return _host_of(self.login_url) in LOOPBACK_HOSTS


@dataclass(frozen=True)
class Slot:
    """One app of the integration: slot ``a`` (and ``b`` with blue-green)."""

    name: str
    app_name: str
    label: str


@dataclass(frozen=True)
class AppSettings:
    kind: str
    name: str
    label: str
    description: str
    contact_email: str
    scopes: tuple[str, ...]
    permission_set_name: str
    extra_permission_sets: tuple[str, ...]
    profiles: tuple[str, ...]
    integration_username: str
    delete_on_destroy: bool
    existing_consumer_keys: tuple[tuple[str, str], ...] = ()  # (app name, key) of adopted apps

    @property
    def permission_sets(self) -> tuple[str, ...]:
        """Every pre-authorized permission set: the component's own first."""
        return (self.permission_set_name, *self.extra_permission_sets)


@dataclass(frozen=True)
class CertificateSettings:
    key_algorithm: str
    key_size: int
    validity_days: int
    renew_before_days: int | None  # None: cert-manager's third of the validity
    common_name: str
    organization: str | None
    mode: str
    ca_certificate_pem: str | None

    @property
    def validity_hours(self) -> int:
        return self.validity_days * 24

    @property
    def early_renewal_hours(self) -> int:
        """Hours before not-after at which pulumi-tls replaces the certificate."""
        if self.renew_before_days is not None:
            return self.renew_before_days * 24
        return self.validity_hours // 3

    @property
    def awaiting_ca_signature(self) -> bool:
        """ca-signed mode without the signed certificate yet: only the CSR is produced."""
        return self.mode == "ca-signed" and self.ca_certificate_pem is None


@dataclass(frozen=True)
class SecretSettings:
    name: str
    kms_key_id: str | None
    user_tags: tuple[tuple[str, str], ...]
    reader_arns: tuple[str, ...]
    recovery_window_days: int
    stack: str
    app_name: str

    @property
    def tags(self) -> dict[str, str]:
        """User tags plus the ones that mark the secret as managed by this project."""
        return {**dict(self.user_tags), MANAGED_BY_TAG[0]: MANAGED_BY_TAG[1],
                STACK_TAG: self.stack, APP_TAG: self.app_name}


@dataclass(frozen=True)
class AwsSettings:
    region: str
    endpoint_url: str | None


@dataclass(frozen=True)
class OperationSettings:
    rotation: int
    rotation_strategy: str
    verification_budget_seconds: int
    deploy_timeout_seconds: int


@dataclass(frozen=True)
class DeployerCredentials:
    """How the deployer authenticates. Exactly one ``method``; secret fields are :class:`Secret`."""

    method: str  # access-token | auth-url | jwt | refresh-token | password
    source: str  # "config" or "environment"
    instance_url: str | None = None
    access_token: Secret | None = None
    username: str | None = None
    consumer_key: str | None = None
    key_file: Path | None = None
    key_secret_id: str | None = None
    client_id: str | None = None
    client_secret: Secret | None = None
    refresh_token: Secret | None = None
    password: Secret | None = None


@dataclass(frozen=True)
class Settings:
    """The validated stack configuration and the values derived from it."""

    stack: str
    salesforce: SalesforceSettings
    app: AppSettings
    certificate: CertificateSettings
    secret: SecretSettings
    aws: AwsSettings
    operations: OperationSettings
    deployer: DeployerCredentials | None
    warnings: tuple[str, ...] = field(default=(), compare=False)

    @property
    def slots(self) -> tuple[Slot, ...]:
        """``single``: slot a named ``appName``; ``blue-green``: ``<appName>_A`` and ``<appName>_B``."""
        if self.operations.rotation_strategy == "single":
            return (Slot("a", self.app.name, self.app.label),)
        return tuple(Slot(s, self.app.name + suffix, f"{self.app.label} ({s.upper()})")
                     for s, suffix in SLOT_SUFFIXES.items())

    def slot(self, name: str) -> Slot:
        for slot in self.slots:
            if slot.name == name:
                return slot
        raise KeyError(f"no slot {name!r} with rotationStrategy {self.operations.rotation_strategy!r}")


# --------------------------------------------------------------------------- errors

@dataclass(frozen=True)
class Problem:
    key: str
    message: str

    def __str__(self) -> str:
        return f"{self.key}: {self.message}"


class SettingsError(ValueError):
    """Every problem found in the stack configuration, reported together."""

    def __init__(self, problems: Collection[Problem], stack: str) -> None:
        self.problems = tuple(problems)
        self.stack = stack
        count = len(self.problems)
        lines = [f"stack {stack!r}: {count} configuration problem{'s' if count != 1 else ''} "
                 "(fix with `pulumi config set <key> <value>`; secrets with --secret):"]
        lines += [f"  - {p}" for p in self.problems]
        super().__init__("\n".join(lines))


class _Invalid:
    def __repr__(self) -> str:
        return "<invalid>"


INVALID: Any = _Invalid()


def _show(value: Any) -> str:
    text = repr(value)
    if "PRIVATE KEY" in text:
        return "<redacted: looks like a private key>"
    return text if len(text) <= 80 else text[:77] + "..."


# --------------------------------------------------------------------------- pure validators
# Each takes a value and returns it normalised, or raises ValueError with a message that does
# not repeat the value (the reader adds it unless the key is secret).

_DEV_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*")
_EMAIL = re.compile(r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
                    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+")
_MY_DOMAIN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*(?:--[a-z0-9]+\.sandbox|\.(?:develop|scratch|trailblaze|demo|patch))?"
                        r"\.my\.salesforce\.com")
_PRODUCTION_MY_DOMAIN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.my\.salesforce\.com")
_SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
_SECRET_ARN = re.compile(r"arn:aws[a-z-]*:secretsmanager:[a-z0-9-]+:\d{12}:secret:[A-Za-z0-9/_+=.@-]{1,512}")
_KMS = re.compile(r"(?:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}"
                  r"|alias/[A-Za-z0-9/_-]{1,250}"
                  r"|arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:(?:key/[A-Za-z0-9-]+|alias/[A-Za-z0-9/_-]+))")
_IAM_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(?:root|(?:role|user)/[A-Za-z0-9+=,.@_/-]{1,512})")
_REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
_AUTH_URL = re.compile(r"force://(?P<client_id>[^:@/\s]+):(?P<client_secret>[^:@/\s]*):(?P<refresh_token>[^@\s]+)"
                       r"@(?P<host>[A-Za-z0-9.-]+(?::\d{1,5})?)/?")
_CONSUMER_KEY = re.compile(r"[A-Za-z0-9._]{8,256}")
_TAG_CHARS = set("_.:/=+-@")


def validate_developer_name(value: str, *, max_length: int = APP_NAME_MAX, namespaced: bool = False) -> str:
    """Salesforce developer (API) name rules; ``namespaced`` also allows an ``ns__`` prefix."""
    name = value
    if namespaced and "__" in value:
        prefix, _, name = value.partition("__")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9]{0,14}", prefix):
            raise ValueError("the namespace prefix before '__' must be 1-15 letters/digits, starting with a letter")
    if not name:
        raise ValueError("must not be empty")
    if len(value) > max_length:
        raise ValueError(f"is {len(value)} characters; at most {max_length} are allowed")
    if not name[0].isascii() or not name[0].isalpha():
        raise ValueError("must start with a letter (A-Z, a-z)")
    if "__" in name:
        raise ValueError("must not contain two underscores in a row")
    if name.endswith("_"):
        raise ValueError("must not end with an underscore")
    if not _DEV_NAME.fullmatch(name):
        raise ValueError("may contain only letters, digits and single underscores")
    return value


def validate_email(value: str, *, max_length: int = 80) -> str:
    if len(value) > max_length:
        raise ValueError(f"is {len(value)} characters; at most {max_length} are allowed")
    if not _EMAIL.fullmatch(value):
        raise ValueError("is not email-shaped; expected name@example.com")
    return value


def _host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _split_https(value: str, *, allow_http_loopback: bool = False) -> SplitResult:
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme == "http":
        if not (allow_http_loopback and host in LOOPBACK_HOSTS):
            raise ValueError("plain http is never accepted (credentials would travel unencrypted); use https"
                             + (" (http is allowed for 127.0.0.1/localhost only)" if allow_http_loopback else
                                ", which the local emulator serves too"))
    elif scheme != "https":
        raise ValueError("must be an https:// URL")
    if not host:
        raise ValueError("has no host; expected https://<host>")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain user:password@; credentials belong in the deployer settings")
    try:
        parts.port
    except ValueError:
        raise ValueError("has an invalid port") from None
    if parts.query or parts.fragment:
        raise ValueError("must not have a query string or fragment")
    return parts


def _origin(parts: SplitResult) -> str:
    host = (parts.hostname or "").lower()
    host = f"[{host}]" if ":" in host else host
    return f"https://{host}" + (f":{parts.port}" if parts.port else "")


def validate_login_url(value: str) -> str:
    """login/test/My Domain origin, or a loopback origin for the emulator; returns it normalised."""
    parts = _split_https(value)
    host = (parts.hostname or "").lower()
    if parts.path not in ("", "/"):
        raise ValueError("must be the origin only, without a path (e.g. https://login.salesforce.com)")
    if host in LOOPBACK_HOSTS:
        return _origin(parts)
    if parts.port not in (None, 443):
        raise ValueError("a port is only allowed for loopback hosts (the emulator)")
    if host in ("login.salesforce.com", "test.salesforce.com") or _MY_DOMAIN.fullmatch(host):
        return f"https://{host}"
    if host.endswith(".lightning.force.com"):
        raise ValueError("is the Lightning UI host; use the org's My Domain login URL "
                         "https://<mydomain>.my.salesforce.com instead")
    raise ValueError("is not a Salesforce login URL; accepted: https://login.salesforce.com, "
                     "https://test.salesforce.com, https://<mydomain>.my.salesforce.com, "
                     "https://<mydomain>--<sandbox>.sandbox.my.salesforce.com, or https://127.0.0.1[:port] / "
                     "https://localhost[:port] for the emulator")


def validate_token_url(value: str) -> str:
    parts = _split_https(value)
    path = parts.path.rstrip("/")
    if not path.endswith("/services/oauth2/token"):
        raise ValueError("must end with /services/oauth2/token")
    return _origin(parts) + path


def validate_audience(value: str) -> str:
    parts = _split_https(value)
    return _origin(parts) + parts.path.rstrip("/")


def validate_instance_url(value: str) -> str:
    parts = _split_https(value)
    host = (parts.hostname or "").lower()
    if parts.path not in ("", "/"):
        raise ValueError("must be the origin only, without a path")
    if host not in LOOPBACK_HOSTS and not host.endswith(".salesforce.com"):
        raise ValueError("must be a Salesforce instance (https://<x>.my.salesforce.com) or a loopback host")
    return _origin(parts)


def validate_aws_endpoint_url(value: str) -> str:
    _split_https(value, allow_http_loopback=True)
    return value.strip().rstrip("/")


def validate_api_version(value: Any) -> str:
    text = format(value, ".1f") if isinstance(value, float) else str(value).strip()
    match = re.fullmatch(r"(\d+)(?:\.0)?", text)
    lo, hi = API_VERSION_RANGE
    if not match or not lo <= int(match.group(1)) <= hi:
        raise ValueError(f"must be NN.0 between {lo}.0 and {hi}.0 (e.g. \"{DEFAULT_API_VERSION}\")")
    return f"{int(match.group(1))}.0"


def suggest(value: str, choices: Collection[str]) -> str | None:
    """The closest choice: exact case-insensitive match first, else difflib."""
    folded = {c.lower().replace("_", "").replace("-", ""): c for c in choices}
    key = value.lower().replace("_", "").replace("-", "")
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def validate_test_level(value: str) -> str:
    if value in TEST_LEVELS:
        return value
    if value == "RunSpecifiedTests":
        raise ValueError("needs the names of the tests to run, which this project does not deploy; use "
                         "RunLocalTests, or leave testLevel unset")
    hint = suggest(value, TEST_LEVELS)
    raise ValueError((f"did you mean {hint!r}? " if hint else "") + f"accepted: {', '.join(TEST_LEVELS)}")


def is_production_login(url: str) -> bool:
    """True for https://login.salesforce.com and a production My Domain (no sandbox/dev/scratch marker)."""
    host = _host_of(url)
    if host == "login.salesforce.com":
        return True
    return _PRODUCTION_MY_DOMAIN.fullmatch(host) is not None and not host.endswith("-dev-ed.my.salesforce.com")


def validate_scope(value: str) -> str:
    allowed = enum_values(SCOPE_ENUM)
    if value in SCOPE_ALIASES:
        raise ValueError(f"is stored by Salesforce as {SCOPE_ALIASES[value]!r}; write {SCOPE_ALIASES[value]!r} "
                         "so drift checks compare like with like")
    if value in allowed:
        return value
    hint = _WIRE_SCOPES.get(value.lower()) or suggest(value, allowed)
    did_you_mean = f"did you mean {hint!r}? " if hint else ""
    accepted = ", ".join(s for s in allowed if s not in SCOPE_ALIASES)
    raise ValueError(f"is not a {SCOPE_ENUM} value (case-sensitive); {did_you_mean}accepted: {accepted}")


def validate_scopes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Scope list rules other than per-item validity."""
    if not values:
        raise ValueError(f"must not be empty; the default is {list(DEFAULT_SCOPES)}")
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"lists {', '.join(dupes)} more than once")
    if "RefreshToken" not in values:
        raise ValueError("must include 'RefreshToken': the app is admin-approved and pre-authorized, and "
                         "Salesforce refuses JWT bearer logins to such apps without it")
    return values


def validate_secret_name(value: str) -> str:
    if not _SECRET_NAME.fullmatch(value):
        raise ValueError("must be 1-512 characters of letters, digits and /_+=.@-")
    if re.search(r"-[A-Za-z0-9]{6}$", value):
        raise ValueError("must not end with '-' followed by six characters (AWS reserves that for ARN suffixes)")
    return value


def validate_tag(key: str, value: str) -> None:
    def ok(text: str) -> bool:
        return all(c.isalnum() or c.isspace() or c in _TAG_CHARS for c in text)

    if not 1 <= len(key) <= 128 or not ok(key):
        raise ValueError(f"tag key {key!r} must be 1-128 letters, digits, spaces or _.:/=+-@")
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} uses the reserved prefix 'aws:'")
    if key in RESERVED_TAG_KEYS:
        raise ValueError(f"tag key {key!r} is set by the component; remove it")
    if len(value) > 256 or not ok(value):
        raise ValueError(f"tag {key!r} value must be 0-256 letters, digits, spaces or _.:/=+-@")


def validate_region(value: str) -> str:
    if not _REGION.fullmatch(value):
        raise ValueError("is not an AWS region name such as 'eu-west-1'")
    return value


def validate_kms_key_id(value: str) -> str:
    if not _KMS.fullmatch(value):
        raise ValueError("must be a KMS key id (uuid), an mrk- id, alias/<name>, or a key/alias ARN")
    return value


def validate_reader_arn(value: str) -> str:
    if not _IAM_ARN.fullmatch(value):
        raise ValueError("must be an IAM ARN like arn:aws:iam::123456789012:role/<name> (role, user or root)")
    return value


def parse_auth_url(value: str) -> dict[str, str]:
    """Split an SFDX auth URL; the message never repeats the value (it holds a refresh token)."""
    match = _AUTH_URL.fullmatch(value.strip())
    if not match:
        raise ValueError("is not an SFDX auth URL; expected force://<clientId>:<clientSecret>:<refreshToken>@<host> "
                         "(the client secret may be empty), as printed by `sf org display --verbose`")
    return match.groupdict()


# --------------------------------------------------------------------------- reading raw config

class _Reader:
    """Raw values by key, with typed accessors that record problems instead of raising."""

    def __init__(self, raw: Mapping[str, Any], problems: list[Problem]) -> None:
        self.raw = raw
        self.problems = problems

    def has(self, key: str) -> bool:
        assert key in KNOWN_KEYS, key
        value = self.raw.get(key)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def fail(self, key: str, message: str, value: Any = None, *, secret: bool = False) -> Any:
        """Record a problem; the value is shown unless the key is secret."""
        label = key
        if secret or key in SECRET_KEYS or key in _UNSHOWN_KEYS:
            label = f"{key} (value hidden)"
        elif value is not None:
            label = f"{key} = {_show(value)}"
        self.problems.append(Problem(label, message))
        return INVALID

    def check(self, key: str, value: Any, validator: Callable[[Any], Any]) -> Any:
        if value is INVALID:
            return INVALID
        try:
            return validator(value)
        except ValueError as exc:
            return self.fail(key, str(exc), value)

    def text(self, key: str, *, default: str | None = None, required: str | None = None,
             max_length: int | None = None) -> Any:
        if not self.has(key):
            if required:
                return self.fail(key, f"is required: {required}")
            return default
        value = self.raw[key]
        if not isinstance(value, str):
            return self.fail(key, f"must be a string, not {type(value).__name__}", value)
        value = value.strip()
        if max_length is not None and len(value) > max_length:
            return self.fail(key, f"is {len(value)} characters; at most {max_length} are allowed", value)
        return value

    def integer(self, key: str, *, default: int | None, low: int, high: int | None = None) -> Any:
        if not self.has(key):
            return default
        value = self.raw[key]
        number: int | None = None
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"\s*[+-]?\d+\s*", value):
            number = int(value)
        bounds = f"between {low} and {high}" if high is not None else f">= {low}"
        if number is None or number < low or (high is not None and number > high):
            return self.fail(key, f"must be a whole number {bounds}", value)
        return number

    def boolean(self, key: str, *, default: bool) -> Any:
        if not self.has(key):
            return default
        value = self.raw[key]
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        return self.fail(key, "must be true or false", value)

    def choice(self, key: str, choices: tuple[str, ...], *, default: str) -> Any:
        value = self.text(key, default=default)
        if value is INVALID or value in choices:
            return value
        hint = suggest(value, choices)
        return self.fail(key, (f"did you mean {hint!r}? " if hint else "")
                         + f"accepted: {', '.join(choices)}", value)

    def _structured(self, key: str, kind: type, example: str) -> Any:
        value = self.raw[key]
        noun = "list" if kind is list else "map"
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                return self.fail(key, f"must be a {noun} written as YAML or JSON, e.g. {example}", value)
        if not isinstance(value, kind):
            return self.fail(key, f"must be a {noun}, e.g. {example}", value)
        return value

    def string_list(self, key: str, *, default: tuple[str, ...] = ()) -> Any:
        if not self.has(key):
            return default
        value = self._structured(key, list, '["Api", "RefreshToken"]')
        if value is INVALID:
            return value
        if not all(isinstance(v, str) and v.strip() for v in value):
            return self.fail(key, "every item must be a non-empty string", value)
        return tuple(v.strip() for v in value)

    def string_map(self, key: str) -> Any:
        if not self.has(key):
            return {}
        value = self._structured(key, dict, '{"team": "integrations"}')
        if value is INVALID:
            return value
        if not all(isinstance(k, str) and isinstance(v, str) for k, v in value.items()):
            return self.fail(key, "keys and values must all be strings (quote numbers and booleans)", value)
        return value

    def path(self, key: str) -> Any:
        value = self.text(key)
        if value in (None, INVALID):
            return value
        path = Path(value).expanduser()
        if not path.is_file():
            return self.fail(key, f"file not found (relative paths start at {Path.cwd()})", value)
        return path.resolve()


def _normalise_keys(config: Mapping[str, Any], reader_problems: list[Problem]) -> dict[str, Any]:
    raw: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, sep, key = str(full_key).rpartition(":")
        if sep and namespace != PROJECT:
            continue  # another provider's config (aws:region, ...) is not ours to validate
        if key not in KNOWN_KEYS:
            hint = suggest(key, KNOWN_KEYS)
            reader_problems.append(Problem(key, "is not a setting of this project; "
                                           + (f"did you mean {hint!r}? " if hint else "")
                                           + "see docs/configuration.md"))
            continue
        raw[key] = value
    return raw


# --------------------------------------------------------------------------- sections

def _salesforce(r: _Reader, app_kind: str, warnings: list[str]) -> Any:
    login = r.text("salesforceLoginUrl", required="the org's login URL, e.g. https://login.salesforce.com "
                   "or https://<mydomain>.my.salesforce.com")
    if login not in (None, INVALID):
        login = r.check("salesforceLoginUrl", login, validate_login_url)
    token = r.text("salesforceTokenUrl")
    token = r.check("salesforceTokenUrl", token, validate_token_url) if token else None
    audience_set = r.has("jwtAudience")
    audience = r.check("jwtAudience", r.text("jwtAudience"), validate_audience) if audience_set else None
    ca_bundle = r.path("salesforceCaBundle")
    if isinstance(ca_bundle, Path):
        try:
            x509.load_pem_x509_certificates(ca_bundle.read_bytes())
        except ValueError:
            ca_bundle = r.fail("salesforceCaBundle", "contains no PEM certificate; expected the CA bundle "
                               "('-----BEGIN CERTIFICATE-----' blocks)", str(ca_bundle))
    raw_version = r.raw["apiVersion"] if r.has("apiVersion") else DEFAULT_API_VERSION
    api_version = r.check("apiVersion", raw_version, validate_api_version)
    test_level = r.text("testLevel")
    test_level = r.check("testLevel", test_level, validate_test_level) if isinstance(test_level, str) else test_level
    if test_level == "NoTestRun" and isinstance(login, str) and is_production_login(login):
        test_level = r.fail("testLevel", f"production orgs refuse it ({NO_TEST_RUN_REFUSED}); leave testLevel "
                            "unset (no tests run for a deploy without Apex) or use RunLocalTests", test_level)
    if login is INVALID or login is None:
        return INVALID
    token = token or f"{login}/services/oauth2/token"
    audience = audience or login
    if audience is INVALID or INVALID in (token, ca_bundle, api_version, test_level):
        return INVALID
    if app_kind == "external-client-app" and _host_of(audience) == "test.salesforce.com":
        key = "jwtAudience" if audience_set else "salesforceLoginUrl"
        return r.fail(key, "External Client Apps reject the audience https://test.salesforce.com with "
                      "app_not_found; use the org's My Domain URL, e.g. "
                      "https://<mydomain>--<sandbox>.sandbox.my.salesforce.com", audience)
    if app_kind == "external-client-app" and _host_of(audience) == "login.salesforce.com":
        warnings.append("jwtAudience is https://login.salesforce.com; External Client Apps are most reliable "
                        "with the org's My Domain URL as login URL and audience")
    if _host_of(login) in LOOPBACK_HOSTS and ca_bundle is None:
        warnings.append("salesforceLoginUrl is a loopback host but salesforceCaBundle is not set: TLS "
                        "verification will use the system CAs and reject the emulator's certificate")
    return SalesforceSettings(login, token, audience, ca_bundle, api_version, test_level)


def _app(r: _Reader, stack: str, app_kind: str, strategy: str) -> Any:
    name = r.text("appName", required="the app's API name, e.g. Acme_JWT")
    if name not in (None, INVALID):
        limit = APP_NAME_MAX - (2 if strategy == "blue-green" else 0)
        name = r.check("appName", name, lambda v: validate_developer_name(v, max_length=limit))
    label = r.text("appLabel", max_length=255)
    if isinstance(label, str) and ("\n" in label or not label):
        label = r.fail("appLabel", "must be one line of 1-255 characters", label)
    description = r.text("appDescription", max_length=256)
    email = r.text("contactEmail", required="an address Salesforce shows as the app's contact")
    if email not in (None, INVALID):
        email = r.check("contactEmail", email, validate_email)
    scopes = r.string_list("scopes", default=DEFAULT_SCOPES)
    if scopes is not INVALID:
        checked = tuple(r.check("scopes", s, validate_scope) for s in scopes)
        scopes = INVALID if INVALID in checked else r.check("scopes", scopes, validate_scopes)
    perm_set = r.text("permissionSetName")
    if perm_set is None and isinstance(name, str):
        perm_set = f"{name}_Access"
    perm_set = r.check("permissionSetName", perm_set,
                       lambda v: validate_developer_name(v, max_length=PERMISSION_SET_NAME_MAX)) if perm_set else perm_set
    extra = _unique_list(r, "extraPermissionSets", lambda v: validate_developer_name(
        v, max_length=PERMISSION_SET_NAME_MAX, namespaced=True))
    if isinstance(extra, tuple) and isinstance(perm_set, str) and perm_set in extra:
        extra = r.fail("extraPermissionSets", f"repeats {perm_set!r}, the permission set the component creates",
                       list(extra))
    profiles = _unique_list(r, "profiles", _profile_name)
    username = r.text("integrationUsername", required="the Salesforce username the integration logs in as")
    if username not in (None, INVALID):
        username = r.check("integrationUsername", username, validate_email)
    delete = r.boolean("deleteAppOnDestroy", default=False)
    existing = _existing_consumer_keys(r, name, strategy)
    values = (name, label, description, email, scopes, perm_set, extra, profiles, username, delete, existing)
    if INVALID in values or name is None or email is None or username is None:
        return INVALID
    return AppSettings(
        kind=app_kind, name=name, label=label or name.replace("_", " "),
        description=description or f"Salesforce JWT bearer integration managed by Pulumi ({stack})",
        contact_email=email, scopes=scopes, permission_set_name=perm_set, extra_permission_sets=extra,
        profiles=profiles, integration_username=username, delete_on_destroy=delete,
        existing_consumer_keys=tuple(sorted(existing.items())))


def _existing_consumer_keys(r: _Reader, name: Any, strategy: str) -> Any:
    """{app name: consumer key} of apps to adopt; names must be this stack's apps."""
    keys_ = r.string_map("existingConsumerKeys")
    if keys_ is INVALID or not isinstance(name, str):
        return keys_
    apps = [name] if strategy == "single" else [name + suffix for suffix in SLOT_SUFFIXES.values()]
    for app, key in keys_.items():
        if app not in apps:
            return r.fail("existingConsumerKeys", f"names the app {app!r}; this stack's apps are "
                          f"{', '.join(apps)}", keys_)
        try:
            validate_consumer_key(key)
        except ValueError as exc:
            return r.fail("existingConsumerKeys", f"the key for {app}: {exc}")
    return keys_


def _profile_name(value: str) -> str:
    if len(value) > 255 or "\n" in value:
        raise ValueError("must be one line of at most 255 characters")
    return value


def _unique_list(r: _Reader, key: str, validator: Callable[[str], str]) -> Any:
    values = r.string_list(key)
    if values is INVALID:
        return values
    checked = tuple(r.check(key, v, validator) for v in values)
    if INVALID in checked:
        return INVALID
    dupes = sorted({v for v in checked if checked.count(v) > 1})
    if dupes:
        return r.fail(key, f"lists {', '.join(map(repr, dupes))} more than once", list(values))
    return checked


def _certificate(r: _Reader, app_name: Any, warnings: list[str]) -> Any:
    algorithm = r.text("keyAlgorithm", default="RSA")
    if isinstance(algorithm, str):
        if algorithm.upper() in ("ECDSA", "ED25519", "EC"):
            algorithm = r.fail("keyAlgorithm", f"is refused: {keys.RS256_ONLY}; use RSA", algorithm)
        elif algorithm.upper() != "RSA":
            algorithm = r.fail("keyAlgorithm", "accepted: RSA", algorithm)
        else:
            algorithm = "RSA"
    size = r.integer("keySize", default=2048, low=0)
    if isinstance(size, int) and size not in keys.ALLOWED_RSA_BITS:
        reason = f"RSA below {keys.MIN_RSA_BITS} bits is refused; " if size < keys.MIN_RSA_BITS else ""
        size = r.fail("keySize", f"{reason}accepted: 2048, 3072 or 4096", size)
    validity = r.integer("certificateValidityDays", default=365, low=1, high=3650)
    renew = r.integer("renewBeforeDays", default=None, low=1)
    if isinstance(renew, int) and isinstance(validity, int) and renew >= validity:
        renew = r.fail("renewBeforeDays", f"must be less than certificateValidityDays ({validity}); "
                       f"leave it unset for one third ({validity * 24 // 3} hours)", renew)
    common_name = r.text("certificateCommonName", max_length=64)
    organization = r.text("certificateOrganization", max_length=64)
    mode = r.choice("certificateMode", CERTIFICATE_MODES, default="self-signed")
    ca_pem = r.text("caCertificatePem")
    if isinstance(ca_pem, str):
        if mode == "self-signed":
            ca_pem = r.fail("caCertificatePem", "is only used with certificateMode: ca-signed; remove it or set "
                            "certificateMode to ca-signed")
        else:
            ca_pem = r.check("caCertificatePem", ca_pem, _ca_certificate)
    elif mode == "ca-signed":
        warnings.append("certificateMode is ca-signed and caCertificatePem is empty: the component only outputs "
                        "the CSR (csrPem); have your CA sign it, then set caCertificatePem")
    values = (algorithm, size, validity, renew, common_name, organization, mode, ca_pem)
    if INVALID in values or not isinstance(app_name, str):
        return INVALID
    return CertificateSettings(algorithm, size, validity, renew, common_name or app_name, organization, mode, ca_pem)


def _ca_certificate(pem: str) -> str:
    try:
        keys.check_key_policy(keys.load_certificate(pem).public_key())
    except keys.KeyPolicyError as exc:
        raise ValueError(str(exc)) from None
    return pem.strip() + "\n"


def _secret(r: _Reader, stack: str, app_name: Any) -> Any:
    name = r.text("secretName")
    if name is None and isinstance(app_name, str):
        name = f"salesforce/jwt/{stack}/{app_name}"
    if isinstance(name, str):
        name = r.check("secretName", name, validate_secret_name)
    kms = r.text("kmsKeyId")
    kms = r.check("kmsKeyId", kms, validate_kms_key_id) if isinstance(kms, str) else kms
    tags = r.string_map("tags")
    if isinstance(tags, dict):
        for key, value in list(tags.items()):
            try:
                validate_tag(key, value)
            except ValueError as exc:
                tags = r.fail("tags", str(exc))
        limit = 50 - len(RESERVED_TAG_KEYS)
        if tags is not INVALID and len(tags) > limit:
            tags = r.fail("tags", f"has {len(tags)} tags; at most {limit} (AWS allows 50 and the component adds "
                          f"{len(RESERVED_TAG_KEYS)})")
    readers = _unique_list(r, "secretReaderArns", validate_reader_arn)
    window = r.integer("recoveryWindowDays", default=30, low=7, high=30)
    values = (name, kms, tags, readers, window)
    if INVALID in values or not isinstance(app_name, str):
        return INVALID
    return SecretSettings(name, kms, tuple(sorted(tags.items())), readers, window, stack, app_name)


def _aws(r: _Reader, env: Mapping[str, str]) -> Any:
    region = r.text("awsRegion")
    if region is None:
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if not region:
            region = r.fail("awsRegion", "is required: set it (pulumi config set awsRegion eu-west-1) or export "
                            "AWS_REGION")
    if isinstance(region, str):
        region = r.check("awsRegion", region, validate_region)
    endpoint = r.text("awsEndpointUrl")
    if isinstance(endpoint, str):
        endpoint = r.check("awsEndpointUrl", endpoint, validate_aws_endpoint_url)
    return INVALID if INVALID in (region, endpoint) else AwsSettings(region, endpoint)


def _operations(r: _Reader, app_kind: str, strategy: Any) -> Any:
    rotation = r.integer("rotation", default=0, low=0)
    budget = r.integer("verificationBudgetSeconds", default=1800 if app_kind == "external-client-app" else 600,
                       low=0, high=7200)
    timeout = r.integer("deployTimeoutSeconds", default=600, low=30, high=7200)
    values = (rotation, strategy, budget, timeout)
    return INVALID if INVALID in values else OperationSettings(*values)


# --------------------------------------------------------------------------- deployer

_METHOD_MARKERS = {
    "access-token": ("deployerAccessToken", "deployerInstanceUrl"),
    "auth-url": ("deployerAuthUrl",),
    "jwt": ("deployerJwtConsumerKey", "deployerJwtKeyFile", "deployerJwtKeySecretId"),
    "refresh-token": ("deployerRefreshToken", "deployerClientId", "deployerClientSecret"),
    "password": ("deployerPassword",),
}


class _DeployerInput:
    """Deployer values from config (if any deployer* key is set there) or else the environment."""

    def __init__(self, r: _Reader, env: Mapping[str, str]) -> None:
        self.r = r
        self.in_config = any(r.has(k) for k in _DEPLOYER_ENV)
        self.source = "config" if self.in_config else "environment"
        self.values: dict[str, str | None] = {
            key: (r.text(key) if r.has(key) else None) if self.in_config else (env.get(var, "").strip() or None)
            for key, var in _DEPLOYER_ENV.items()}

    def __getitem__(self, key: str) -> Any:
        return self.values[key]

    def name(self, key: str) -> str:
        return key if self.in_config else f"{_DEPLOYER_ENV[key]} (environment)"

    def fail(self, key: str, message: str) -> Any:
        return self.r.fail(self.name(key), message, secret=key in SECRET_KEYS)

    def incomplete(self, method: str, missing: list[str]) -> Any:
        return self.r.fail("deployer credentials", f"the {method} method is incomplete: missing {', '.join(missing)}")

    def missing(self, *keys_: str) -> list[str]:
        return [self.name(k) for k in keys_ if not self.values[k]]

    def check(self, key: str, validator: Callable[[Any], Any]) -> Any:
        return self.r.check(self.name(key), self.values[key], validator)


def _select_method(d: _DeployerInput, required: bool) -> Any:
    started = [m for m, markers in _METHOD_MARKERS.items() if any(d[k] for k in markers)]
    if len(started) == 1:
        return started[0]
    if not started:
        if not required:
            return None
        options = ("SF_ACCESS_TOKEN (+ SF_INSTANCE_URL); SFDX_AUTH_URL; SF_JWT_CONSUMER_KEY + SF_USERNAME + "
                   "SF_JWT_KEY_FILE; SF_REFRESH_TOKEN + SF_CLIENT_ID; or the deployer* config keys "
                   "(pulumi config set --secret deployerAuthUrl ...)")
        return d.r.fail("deployer credentials", f"none found; set exactly one method: {options}")
    listing = "; ".join(f"{m} ({', '.join(d.name(k) for k in _METHOD_MARKERS[m] if d[k])})" for m in started)
    where = "config" if d.in_config else "the environment"
    return d.r.fail("deployer credentials", f"more than one method is set in {where}: {listing}; keep exactly one")


def _access_token(d: _DeployerInput, login: Any) -> Any:
    if not d["deployerAccessToken"]:
        return d.fail("deployerAccessToken", "is missing: the access-token method needs it "
                      "(deployerInstanceUrl alone is not a credential)")
    creds = {"access_token": Secret(d["deployerAccessToken"])}
    if d["deployerInstanceUrl"]:
        return {**creds, "instance_url": d.check("deployerInstanceUrl", validate_instance_url)}
    if not isinstance(login, str):
        return INVALID
    if _MY_DOMAIN.fullmatch(_host_of(login)) or _host_of(login) in LOOPBACK_HOSTS:
        return {**creds, "instance_url": login}
    return d.fail("deployerInstanceUrl", "is required with an access token when salesforceLoginUrl is "
                  "login/test.salesforce.com: set the org's instance URL (https://<mydomain>.my.salesforce.com)")


def _auth_url(d: _DeployerInput) -> Any:
    try:
        parts = parse_auth_url(d["deployerAuthUrl"])
    except ValueError as exc:
        return d.fail("deployerAuthUrl", str(exc))
    return {"client_id": parts["client_id"], "refresh_token": Secret(parts["refresh_token"]),
            "client_secret": Secret(parts["client_secret"]) if parts["client_secret"] else None,
            "instance_url": f"https://{parts['host'].lower()}"}


def _jwt(d: _DeployerInput) -> Any:
    missing = d.missing("deployerJwtConsumerKey", "deployerUsername")
    if not (d["deployerJwtKeyFile"] or d["deployerJwtKeySecretId"]):
        missing.append(f"{d.name('deployerJwtKeyFile')} or {d.name('deployerJwtKeySecretId')}")
    if missing:
        return d.incomplete("jwt", missing)
    if d["deployerJwtKeyFile"] and d["deployerJwtKeySecretId"]:
        return d.fail("deployerJwtKeySecretId", f"set either it or {d.name('deployerJwtKeyFile')}, not both")
    creds = {"consumer_key": d.check("deployerJwtConsumerKey", validate_consumer_key),
             "username": d.check("deployerUsername", validate_email)}
    if d["deployerJwtKeyFile"]:
        return {**creds, "key_file": d.check("deployerJwtKeyFile", _key_file)}
    return {**creds, "key_secret_id": d.check("deployerJwtKeySecretId", _secret_id)}


def _refresh_token(d: _DeployerInput) -> Any:
    missing = d.missing("deployerRefreshToken", "deployerClientId")
    if missing:
        return d.incomplete("refresh-token", missing)
    secret = d["deployerClientSecret"]
    return {"refresh_token": Secret(d["deployerRefreshToken"]),
            "client_id": d.check("deployerClientId", validate_consumer_key),
            "client_secret": Secret(secret) if secret else None}


def _password(d: _DeployerInput, warnings: list[str]) -> Any:
    missing = d.missing("deployerUsername")
    if missing:
        return d.incomplete("password", missing)
    warnings.append("the deployer uses SOAP login() with a password: Salesforce offers it only up to API "
                    f"{SOAP_LOGIN_MAX_API_VERSION}, disables it in new orgs and retires it in Summer '27; "
                    "prefer an auth URL or the JWT method")
    return {"username": d.check("deployerUsername", validate_email), "password": Secret(d["deployerPassword"])}


def _deployer(r: _Reader, env: Mapping[str, str], login: Any, required: bool, warnings: list[str]) -> Any:
    d = _DeployerInput(r, env)
    method = _select_method(d, required)
    if method is None or method is INVALID:
        return method
    if INVALID in d.values.values():
        return INVALID  # a deployer value is not even a string; already reported
    creds = {"access-token": lambda: _access_token(d, login), "auth-url": lambda: _auth_url(d),
             "jwt": lambda: _jwt(d), "refresh-token": lambda: _refresh_token(d),
             "password": lambda: _password(d, warnings)}[method]()
    if creds is INVALID or INVALID in creds.values():
        return INVALID
    return DeployerCredentials(method=method, source=d.source, **creds)


def validate_consumer_key(value: str) -> str:
    if not _CONSUMER_KEY.fullmatch(value):
        raise ValueError("must be 8-256 letters, digits, '.' or '_' (the app's consumer key)")
    return value


def _secret_id(value: str) -> str:
    if not (_SECRET_ARN.fullmatch(value) or _SECRET_NAME.fullmatch(value)):
        raise ValueError("must be an AWS secret name or ARN")
    return value


def _key_file(value: str) -> Path:
    path = Path(value).expanduser()
    if not path.is_file():
        raise ValueError(f"file not found (relative paths start at {Path.cwd()})")
    try:
        keys.load_private_key(path.read_bytes())
    except keys.KeyPolicyError as exc:
        raise ValueError(f"unusable private key: {exc}") from None
    return path.resolve()


# --------------------------------------------------------------------------- entry point

def load_settings(config: Mapping[str, Any], *, stack: str, env: Mapping[str, str] | None = None,
                  secret_keys: Collection[str] | None = None, require_deployer: bool = True) -> Settings:
    """Validate the raw Pulumi config of this project; raise one SettingsError listing every problem.

    ``secret_keys`` (as in ``PULUMI_CONFIG_SECRET_KEYS``), when given, makes it an error to store a
    secret setting in plain text. ``require_deployer=False`` lets read-only tools run without
    deployer credentials (``Settings.deployer`` is then None when none are set).
    """
    env = os.environ if env is None else env
    problems: list[Problem] = []
    if not stack or not re.fullmatch(r"[A-Za-z0-9_.-]+", stack):
        problems.append(Problem("stack", f"{stack!r} is not a stack name (letters, digits, '_', '.', '-')"))
    raw = _normalise_keys(config, problems)
    r = _Reader(raw, problems)
    if secret_keys is not None:
        marked = {str(k).rpartition(":")[2] for k in secret_keys}
        for key in sorted(SECRET_KEYS & raw.keys() - marked):
            r.fail(key, f"is stored in plain text; re-set it with `pulumi config set --secret {key} <value>` "
                   "and make sure the plain value never reached version control")
    warnings: list[str] = []
    app_kind = r.choice("appKind", APP_KINDS, default="external-client-app")
    strategy = r.choice("rotationStrategy", ROTATION_STRATEGIES, default="single")
    salesforce = _salesforce(r, app_kind, warnings)
    app = _app(r, stack, app_kind, strategy)
    app_name = app.name if isinstance(app, AppSettings) else INVALID
    certificate = _certificate(r, app_name, warnings)
    secret = _secret(r, stack, app_name)
    aws = _aws(r, env)
    operations = _operations(r, app_kind, strategy)
    login = salesforce.login_url if isinstance(salesforce, SalesforceSettings) else INVALID
    deployer = _deployer(r, env, login, require_deployer, warnings)
    if r.has("certificateMode") and raw.get("certificateMode") == "ca-signed" and strategy == "blue-green":
        r.fail("certificateMode", "ca-signed works with rotationStrategy single only (caCertificatePem holds "
               "one certificate, and blue-green needs one per app); use self-signed or rotationStrategy single",
               "ca-signed")
    if problems:
        raise SettingsError(_dedupe(problems), stack)
    return Settings(stack, salesforce, app, certificate, secret, aws, operations, deployer, tuple(warnings))


def _dedupe(problems: list[Problem]) -> list[Problem]:
    return list(dict.fromkeys(problems))


# --------------------------------------------------------------------------- documentation

DOC_BEGIN = "<!-- BEGIN GENERATED: python -m components.settings -->"
DOC_END = "<!-- END GENERATED -->"


def render_reference() -> str:
    """Markdown tables of every setting (default and rule), grouped by section."""
    out: list[str] = []
    for section in dict.fromkeys(s.section for s in SPECS):
        out += [f"### {section}", "", "| Key | Default | Rule |", "|---|---|---|"]
        for spec in (s for s in SPECS if s.section == section):
            notes = [" **Secret**: set it with `pulumi config set --secret`." if spec.secret else "",
                     f" Environment: `{spec.env}`." if spec.env else ""]
            out.append(f"| `{spec.key}` | {spec.default} | {spec.rule}{''.join(notes)} |")
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_reference(document: str) -> str:
    """Replace the generated block of docs/configuration.md with the current reference."""
    head, begin, rest = document.partition(DOC_BEGIN)
    _, end, tail = rest.partition(DOC_END)
    if not begin or not end:
        raise ValueError(f"the document lacks the {DOC_BEGIN!r} ... {DOC_END!r} markers")
    return f"{head}{DOC_BEGIN}\n{render_reference()}{DOC_END}{tail}"


if __name__ == "__main__":  # regenerate the reference: python -m components.settings docs/configuration.md
    import sys

    target = Path(sys.argv[1]) if len(sys.argv) > 1 else None
    if target is None:
        print(render_reference(), end="")
    else:
        target.write_text(update_reference(target.read_text()))


def load_deployer(config: Mapping[str, Any], *, login_url: str,
                  env: Mapping[str, str] | None = None) -> DeployerCredentials:
    """Only the deployer credentials, for dynamic providers that get the stack config at configure time.

    Takes the raw config (any keys; only ``deployer*`` ones are read) so that secrets never have to
    travel as resource inputs. Raises SettingsError naming what is missing.
    """
    env = os.environ if env is None else env
    problems: list[Problem] = []
    raw = {k.rpartition(":")[2]: v for k, v in config.items()
           if k.rpartition(":")[2] in _DEPLOYER_ENV and v not in (None, "")}
    warnings: list[str] = []
    deployer = _deployer(_Reader(raw, problems), env, login_url, True, warnings)
    if problems:
        raise SettingsError(_dedupe(problems), "(provider)")
    return deployer
