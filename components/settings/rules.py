"""Every rule of the stack configuration: constants, patterns, validators and value coercions.

Pure functions, no pydantic and no ``pulumi``: the models in :mod:`components.settings.model`
attach them to fields, and other modules (bundle, session, ...) import the constants from here.
Each validator takes a value and returns it normalised, or raises ``ValueError`` with a message
that does not repeat the value (the loader adds it unless the setting is secret).
"""

from __future__ import annotations

import difflib
import json
import re
from collections.abc import Collection, Mapping
from pathlib import Path
from typing import Any, Literal, get_args
from urllib.parse import SplitResult, unquote, urlsplit

from cryptography import x509

from components import keys
from components.app_kinds import APP_KINDS as APP_KINDS
from components.app_kinds import AppKind as AppKind
from components.credentials.aws_ids import IAM_PRINCIPAL_ARN, KMS_KEY, REGION, SECRET_ARN, SECRET_NAME
from components.credentials.stages import MANAGED_BY_KEY, MANAGED_BY_VALUE
from components.salesforce.wsdl import enum_values

PROJECT = "salesforce-jwt"
MANAGED_BY_TAG = (MANAGED_BY_KEY, MANAGED_BY_VALUE)
STACK_TAG = "salesforce-jwt:stack"
APP_TAG = "salesforce-jwt:app-name"
RESERVED_TAG_KEYS = (MANAGED_BY_TAG[0], STACK_TAG, APP_TAG)
AWS_TAG_LIMIT = 50
RotationStrategy = Literal["single", "blue-green"]
CertificateMode = Literal["self-signed", "ca-signed"]
#: Deploy test levels this project can send (RunSpecifiedTests needs test class names it does not have).
TestLevel = Literal["NoTestRun", "RunLocalTests", "RunAllTestsInOrg"]
ROTATION_STRATEGIES: tuple[str, ...] = get_args(RotationStrategy)
CERTIFICATE_MODES: tuple[str, ...] = get_args(CertificateMode)
TEST_LEVELS: tuple[str, ...] = get_args(TestLevel)
#: How long the post-deploy login may wait for propagation, by app kind (ECAs propagate slower).
VERIFICATION_BUDGET_DEFAULTS = {"external-client-app": 1800, "connected-app": 600}
SLOT_SUFFIXES = {"a": "_A", "b": "_B"}
API_VERSION_RANGE = (60, 67)
#: The one Salesforce API version every part of the product defaults to (stacks, bundles, check/verify).
DEFAULT_API_VERSION = "66.0"
NO_TEST_RUN_REFUSED = "INVALID_OPERATION: testLevel of NoTestRun cannot be used in production organizations"
DEFAULT_SCOPES = ("Api", "RefreshToken")
SCOPE_ENUM = "ConnectedAppOauthAccessScope"
APP_NAME_MAX = 40
PERMISSION_SET_NAME_MAX = 80
USERNAME_MAX = 80
SOAP_LOGIN_MAX_API_VERSION = "64.0"
LOOPBACK_HOSTS = ("127.0.0.1", "localhost", "::1")
#: Salesforce's own domains: login/test, My Domains (sandbox, dev, scratch too), instances, Lightning,
#: Experience Cloud sites (*.my.site.com, *.my.salesforce-sites.com) and Government Cloud (*.salesforce.mil).
SALESFORCE_DOMAINS = ("salesforce.com", "force.com", "my.site.com", "salesforce-sites.com", "salesforce.mil")
SALESFORCE_HOSTS_TEXT = (
    "*.salesforce.com, *.force.com, *.my.site.com, *.salesforce-sites.com, *.salesforce.mil or loopback (the emulator)"
)
# Scopes Salesforce stores under another name (a retrieve returns the right-hand side).
SCOPE_ALIASES = {
    "OfflineAccess": "RefreshToken",
    "Profile": "Basic",
    "Email": "Basic",
    "Address": "Basic",
    "Phone": "Basic",
}
# OAuth wire names people copy from token responses -> metadata tokens.
WIRE_SCOPES = {
    "api": "Api",
    "refresh_token": "RefreshToken",
    "offline_access": "RefreshToken",
    "web": "Web",
    "full": "Full",
    "openid": "OpenID",
    "id": "Basic",
    "chatter_api": "Chatter",
    "visualforce": "CustomApplications",
    "custom_permissions": "CustomPermissions",
    "wave_api": "Wave",
    "lightning": "Lightning",
    "content": "Content",
}
#: Deployer config keys and the environment variables read when no deployer key is in the config.
DEPLOYER_ENV = {
    "deployerAccessToken": "SF_ACCESS_TOKEN",
    "deployerInstanceUrl": "SF_INSTANCE_URL",
    "deployerAuthUrl": "SFDX_AUTH_URL",
    "deployerJwtConsumerKey": "SF_JWT_CONSUMER_KEY",
    "deployerUsername": "SF_USERNAME",
    "deployerJwtKeyFile": "SF_JWT_KEY_FILE",
    "deployerJwtKeySecretId": "SF_JWT_KEY_SECRET_ID",
    "deployerRefreshToken": "SF_REFRESH_TOKEN",
    "deployerClientId": "SF_CLIENT_ID",
    "deployerClientSecret": "SF_CLIENT_SECRET",
    "deployerPassword": "SF_PASSWORD",
}


def deployer_names(*keys: str) -> str:
    """How the deployer settings are named to people: ``deployerUsername (SF_USERNAME)``, and so on;
    the config key when set in the stack, else the environment variable (never both at once)."""
    return ", ".join(f"{key} ({DEPLOYER_ENV[key]})" for key in keys)


STACK_NAME = re.compile(r"[A-Za-z0-9_.-]+")

DEV_NAME = re.compile(r"[A-Za-z](?:[A-Za-z0-9]|_(?!_))*")
NAMESPACE_PREFIX = re.compile(r"[A-Za-z][A-Za-z0-9]{0,14}")
EMAIL = re.compile(
    r"[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?"
    r"(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)+"
)
MY_DOMAIN = re.compile(
    r"[a-z0-9]+(?:-[a-z0-9]+)*(?:--[a-z0-9]+\.sandbox|\.(?:develop|scratch|trailblaze|demo|patch))?"
    r"\.my\.salesforce\.com"
)
PRODUCTION_MY_DOMAIN = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*\.my\.salesforce\.com")
AUTH_URL = re.compile(
    r"force://(?P<client_id>[^:@/\s]+):(?P<client_secret>[^:@/\s]*):(?P<refresh_token>[^@\s]+)"
    r"@(?P<host>[A-Za-z0-9.-]+(?::\d{1,5})?)/?"
)
CONSUMER_KEY = re.compile(r"[A-Za-z0-9._]{8,256}")  # any key Salesforce shows (its own 3MVG9... keys have . and _)
NEW_CONSUMER_KEY = re.compile(r"[A-Za-z0-9]{8,256}")  # one a deploy may set on create: letters and digits only
TAG_CHARS = frozenset("_.:/=+-@")
WHOLE_NUMBER = re.compile(r"\s*[+-]?\d+\s*")


class RuleError(ValueError):
    """A rule violation with what the message needs beyond its text.

    ``key``: the setting to blame when the rule spans several (default: the field's own key);
    ``value``: the value to show instead of the input; ``quiet``: show no value at all (the
    message already names what is wrong, e.g. a tag key); ``also``: more problems of the same
    setting, each reported on its own (e.g. every bad tag).
    """

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        value: Any = None,
        quiet: bool = False,
        also: tuple[str, ...] = (),
    ) -> None:
        super().__init__(message)
        self.key, self.value, self.quiet, self.also = key, value, quiet, also


# --------------------------------------------------------------------------- coercions
# Pulumi passes config values as strings ("2048", "true", JSON text for lists and maps) or
# already parsed. These turn both forms into one; anything else is left for the type to refuse.


def whole_number(value: Any) -> Any:
    """int from an int, an integral float or a string of digits; anything else unchanged."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and WHOLE_NUMBER.fullmatch(value):
        return int(value)
    return value


def boolean(value: Any) -> Any:
    """bool from a bool or the strings true/false (any case); anything else unchanged."""
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def structured(value: Any, kind: type, example: str) -> Any:
    """A list or map given as such or as JSON text; refused with an example otherwise."""
    noun = "list" if kind is list else "map"
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ValueError(f"must be a {noun} written as YAML or JSON, e.g. {example}") from None
    if isinstance(value, tuple) and kind is list:
        value = list(value)
    if not isinstance(value, kind):
        raise ValueError(f"must be a {noun}, e.g. {example}")
    return value


LIST_EXAMPLES = {
    "scopes": '["Api", "RefreshToken"]',
    "permission sets": '["Orders_API_Access"]',
    "profiles": '["Integration User"]',
    "reader ARNs": '["arn:aws:iam::123456789012:role/orders-reader"]',
}


def string_list(value: Any, example: str = LIST_EXAMPLES["scopes"]) -> tuple[str, ...]:
    """A list of non-empty strings, stripped; a refusal shows ``example`` (one per setting)."""
    items = structured(value, list, example)
    if not all(isinstance(v, str) and v.strip() for v in items):
        raise ValueError("every item must be a non-empty string")
    return tuple(v.strip() for v in items)


def string_map(value: Any, example: str = '{"team": "integrations"}') -> dict[str, str]:
    """A map of string to string (also from the sorted pairs the model stores it as)."""
    if isinstance(value, tuple) and all(isinstance(pair, tuple) and len(pair) == 2 for pair in value):
        value = dict(value)
    mapping = structured(value, dict, example)
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()):
        raise ValueError("keys and values must all be strings (quote numbers and booleans)")
    return mapping


def list_of_maps(value: Any, example: str) -> tuple[dict[str, Any], ...]:
    """A non-empty list whose items are maps (the ``integrations`` key)."""
    items = structured(value, list, example)
    if not items:
        raise ValueError(f"must list at least one integration, e.g. {example}; remove the key for a single one")
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"item {index} must be a map of settings, e.g. {example}")
    return tuple(items)


def unique(values: tuple[str, ...]) -> tuple[str, ...]:
    """No item listed twice."""
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"lists {', '.join(map(repr, dupes))} more than once")
    return values


# --------------------------------------------------------------------------- names and text


def validate_developer_name(value: str, *, max_length: int = APP_NAME_MAX, namespaced: bool = False) -> str:
    """Salesforce developer (API) name rules; ``namespaced`` also allows an ``ns__`` prefix."""
    name = value
    if namespaced and "__" in value:
        prefix, _, name = value.partition("__")
        if not NAMESPACE_PREFIX.fullmatch(prefix):
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
    if not DEV_NAME.fullmatch(name):
        raise ValueError("may contain only letters, digits and single underscores")
    return value


def validate_permission_set_name(value: str) -> str:
    return validate_developer_name(value, max_length=PERMISSION_SET_NAME_MAX)


def validate_extra_permission_set(value: str) -> str:
    return validate_developer_name(value, max_length=PERMISSION_SET_NAME_MAX, namespaced=True)


def app_name_limit(strategy: str | None) -> int:
    """blue-green adds ``_A``/``_B`` to the app name, so it leaves two characters fewer."""
    return APP_NAME_MAX - (len(SLOT_SUFFIXES["a"]) if strategy == "blue-green" else 0)


def slot_app_names(app_name: str, strategy: str | None) -> tuple[str, ...]:
    """The Salesforce apps of one integration: ``appName``, or one per blue-green slot."""
    if strategy == "blue-green":
        return tuple(app_name + suffix for suffix in SLOT_SUFFIXES.values())
    return (app_name,)


def default_label(app_name: str) -> str:
    return app_name.replace("_", " ")


def default_permission_set_name(app_name: str) -> str:
    """The permission set the component creates and assigns to the integration user."""
    return f"{app_name}_Access"


def default_secret_name(stack: str, app_name: str) -> str:
    return f"salesforce/jwt/{stack}/{app_name}"


def default_description(stack: str) -> str:
    return f"Salesforce JWT bearer integration managed by Pulumi ({stack})"


def validate_email(value: str, *, max_length: int = USERNAME_MAX) -> str:
    if len(value) > max_length:
        raise ValueError(f"is {len(value)} characters; at most {max_length} are allowed")
    if not EMAIL.fullmatch(value):
        raise ValueError("is not email-shaped; expected name@example.com")
    return value


def validate_one_line(value: str) -> str:
    if "\n" in value or not value:
        raise ValueError("must be one line of 1-255 characters")
    return value


def validate_profile_name(value: str) -> str:
    if len(value) > 255 or "\n" in value:
        raise ValueError("must be one line of at most 255 characters")
    return value


def validate_consumer_key(value: str) -> str:
    if not CONSUMER_KEY.fullmatch(value):
        raise ValueError("must be 8-256 letters, digits, '.' or '_' (the app's consumer key)")
    return value


def validate_existing_consumer_keys(keys_: Mapping[str, str], app_name: str, strategy: str | None) -> None:
    """``{app name: consumer key}`` of apps to adopt; the names must be this stack's apps."""
    apps = slot_app_names(app_name, strategy)
    for app, key in keys_.items():
        if app not in apps:
            raise ValueError(f"names the app {app!r}; this stack's apps are {', '.join(apps)}")
        try:
            validate_consumer_key(key)
        except ValueError as exc:
            raise RuleError(f"the key for {app}: {exc}", quiet=True) from None


# --------------------------------------------------------------------------- URLs


def host_of(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def is_loopback(url: str) -> bool:
    return host_of(url) in LOOPBACK_HOSTS


def is_salesforce_host(host: str) -> bool:
    """The one host rule for where keys, JWTs and tokens may go: a subdomain of salesforce.com or
    force.com, or loopback (the emulator)."""
    host = host.lower().rstrip(".")
    return host in LOOPBACK_HOSTS or any(host.endswith(f".{domain}") for domain in SALESFORCE_DOMAINS)


def salesforce_url_problem(url: Any) -> str | None:
    """Why ``url`` is not an https URL on a Salesforce host (or loopback), or None when it is."""
    parts = urlsplit(url) if isinstance(url, str) else None
    if parts is None or parts.scheme != "https" or not parts.hostname:
        return "is not an https URL"
    if not is_salesforce_host(parts.hostname):
        return f"is not on a Salesforce host ({SALESFORCE_HOSTS_TEXT})"
    return None


def _split_https(value: str, *, allow_http_loopback: bool = False) -> SplitResult:
    parts = urlsplit(value.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if scheme == "http":
        if not (allow_http_loopback and host in LOOPBACK_HOSTS):
            raise ValueError(
                "plain http is never accepted (credentials would travel unencrypted); use https"
                + (
                    " (http is allowed for 127.0.0.1/localhost only)"
                    if allow_http_loopback
                    else ", which the local emulator serves too"
                )
            )
    elif scheme != "https":
        raise ValueError("must be an https:// URL")
    if not host:
        raise ValueError("has no host; expected https://<host>")
    if parts.username is not None or parts.password is not None:
        raise ValueError("must not contain user:password@; credentials belong in the deployer settings")
    try:
        _ = parts.port  # urllib raises here for a port that is not a number in range
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
    if host in ("login.salesforce.com", "test.salesforce.com") or MY_DOMAIN.fullmatch(host):
        return f"https://{host}"
    if host.endswith(".lightning.force.com"):
        raise ValueError(
            "is the Lightning UI host; use the org's My Domain login URL https://<mydomain>.my.salesforce.com instead"
        )
    raise ValueError(
        "is not a Salesforce login URL; accepted: https://login.salesforce.com, "
        "https://test.salesforce.com, https://<mydomain>.my.salesforce.com, "
        "https://<mydomain>--<sandbox>.sandbox.my.salesforce.com, or https://127.0.0.1[:port] / "
        "https://localhost[:port] for the emulator"
    )


def validate_token_url(value: str) -> str:
    parts = _split_https(value)
    if not is_salesforce_host(parts.hostname or ""):
        raise ValueError(f"must be on a Salesforce host ({SALESFORCE_HOSTS_TEXT}): the JWT is sent there")
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
    if not is_salesforce_host(host):
        raise ValueError("must be a Salesforce instance (https://<x>.my.salesforce.com) or a loopback host")
    return _origin(parts)


def default_instance_url(login_url: str) -> str | None:
    """A My Domain or loopback login URL is also the instance URL; login/test.salesforce.com is not."""
    host = host_of(login_url)
    return login_url if MY_DOMAIN.fullmatch(host) or host in LOOPBACK_HOSTS else None


def validate_aws_endpoint_url(value: str) -> str:
    _split_https(value, allow_http_loopback=True)
    return value.strip().rstrip("/")


def is_production_login(url: str) -> bool:
    """True for https://login.salesforce.com and a production My Domain (no sandbox/dev/scratch marker)."""
    host = host_of(url)
    if host == "login.salesforce.com":
        return True
    return PRODUCTION_MY_DOMAIN.fullmatch(host) is not None and not host.endswith("-dev-ed.my.salesforce.com")


def check_eca_audience(audience: str, app_kind: str | None) -> None:
    """External Client Apps answer app_not_found for the audience https://test.salesforce.com."""
    if app_kind == "external-client-app" and host_of(audience) == "test.salesforce.com":
        raise ValueError(
            "External Client Apps reject the audience https://test.salesforce.com with "
            "app_not_found; use the org's My Domain URL, e.g. "
            "https://<mydomain>--<sandbox>.sandbox.my.salesforce.com"
        )


# --------------------------------------------------------------------------- API version, test level, scopes


def validate_api_version(value: Any) -> str:
    text = format(value, ".1f") if isinstance(value, float) else str(value).strip()
    match = re.fullmatch(r"(\d+)(?:\.0)?", text)
    lo, hi = API_VERSION_RANGE
    if isinstance(value, bool) or not match or not lo <= int(match.group(1)) <= hi:
        raise ValueError(f'must be NN.0 between {lo}.0 and {hi}.0 (e.g. "{DEFAULT_API_VERSION}")')
    return f"{int(match.group(1))}.0"


def suggest(value: str, choices: Collection[str]) -> str | None:
    """The closest choice: exact case-insensitive match first, else difflib."""
    folded = {c.lower().replace("_", "").replace("-", ""): c for c in choices}
    key = value.lower().replace("_", "").replace("-", "")
    if key in folded:
        return folded[key]
    close = difflib.get_close_matches(value, list(choices), n=1, cutoff=0.6)
    return close[0] if close else None


def did_you_mean(value: Any, choices: Collection[str]) -> str:
    """``did you mean 'x'? accepted: a, b`` for a value outside ``choices``."""
    hint = suggest(value, choices) if isinstance(value, str) else None
    return (f"did you mean {hint!r}? " if hint else "") + f"accepted: {', '.join(map(str, choices))}"


def validate_test_level(value: Any) -> Any:
    if not isinstance(value, str) or value in TEST_LEVELS:
        return value
    if value == "RunSpecifiedTests":
        raise ValueError(
            "needs the names of the tests to run, which this project does not deploy; use "
            "RunLocalTests, or leave testLevel unset"
        )
    raise ValueError(did_you_mean(value, TEST_LEVELS))


def check_test_level(test_level: str | None, login_url: str) -> None:
    """Production orgs refuse NoTestRun."""
    if test_level == "NoTestRun" and is_production_login(login_url):
        raise ValueError(
            f"production orgs refuse it ({NO_TEST_RUN_REFUSED}); leave testLevel unset (no tests "
            "run for a deploy without Apex) or use RunLocalTests"
        )


def validate_scope(value: str) -> str:
    allowed = enum_values(SCOPE_ENUM)
    if value in SCOPE_ALIASES:
        raise ValueError(
            f"is stored by Salesforce as {SCOPE_ALIASES[value]!r}; write {SCOPE_ALIASES[value]!r} "
            "so drift checks compare like with like"
        )
    if value in allowed:
        return value
    hint = WIRE_SCOPES.get(value.lower()) or suggest(value, allowed)
    did_you = f"did you mean {hint!r}? " if hint else ""
    accepted = ", ".join(s for s in allowed if s not in SCOPE_ALIASES)
    raise ValueError(f"is not a {SCOPE_ENUM} value (case-sensitive); {did_you}accepted: {accepted}")


def validate_scopes(values: tuple[str, ...]) -> tuple[str, ...]:
    """Scope list rules other than per-item validity."""
    if not values:
        raise ValueError(f"must not be empty; the default is {list(DEFAULT_SCOPES)}")
    dupes = sorted({v for v in values if values.count(v) > 1})
    if dupes:
        raise ValueError(f"lists {', '.join(dupes)} more than once")
    if "RefreshToken" not in values:
        raise ValueError(
            "must include 'RefreshToken': the app is admin-approved and pre-authorized, and "
            "Salesforce refuses JWT bearer logins to such apps without it"
        )
    return values


# --------------------------------------------------------------------------- key and certificate


def validate_key_algorithm(value: Any) -> Any:
    if not isinstance(value, str):
        return value
    if value.upper() in ("ECDSA", "ED25519", "EC"):
        raise ValueError(f"is refused: {keys.RS256_ONLY}; use RSA")
    if value.upper() != "RSA":
        raise ValueError("accepted: RSA")
    return "RSA"


def or_list(items: Collection[str]) -> str:
    """``a, b or c``."""
    words = list(items)
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} or {words[-1]}"


def key_size_number(value: Any) -> int:
    """keySize as a whole number; anything else is refused naming the accepted sizes."""
    number = whole_number(value)
    if not isinstance(number, int) or isinstance(number, bool):
        raise ValueError(f"must be a whole number: {or_list([str(b) for b in keys.ALLOWED_RSA_BITS])}")
    return number


def validate_key_size(value: int) -> int:
    if value not in keys.ALLOWED_RSA_BITS:
        reason = f"RSA below {keys.MIN_RSA_BITS} bits is refused; " if value < keys.MIN_RSA_BITS else ""
        raise ValueError(f"{reason}accepted: {or_list([str(b) for b in keys.ALLOWED_RSA_BITS])}")
    return value


def check_renewal_window(renew_before_days: int, validity_days: int) -> None:
    if renew_before_days >= validity_days:
        raise ValueError(
            f"must be less than certificateValidityDays ({validity_days}); leave it unset for one "
            f"third ({keys.default_renew_before_hours(validity_days * 24)} hours)"
        )


def read_file(value: str) -> tuple[Path, bytes]:
    """An existing file's resolved path and content; an unreadable path is a clear error, not a crash."""
    path = Path(value).expanduser()
    try:
        if not path.is_file():
            raise ValueError(f"file not found (relative paths start at {Path.cwd()})")
        return path.resolve(), path.read_bytes()
    except OSError as exc:
        raise ValueError(f"cannot be read: {exc.strerror or exc.__class__.__name__}") from None


def validate_ca_bundle(value: str) -> Path:
    path, content = read_file(value)
    try:
        x509.load_pem_x509_certificates(content)
    except ValueError:
        raise ValueError(
            "contains no PEM certificate; expected the CA bundle ('-----BEGIN CERTIFICATE-----' blocks)"
        ) from None
    return path


def validate_ca_certificate(pem: str, mode: str | None) -> str:
    """The CA-issued certificate: only in ca-signed mode, RSA >= 2048."""
    if mode == "self-signed":
        raise ValueError("is only used with certificateMode: ca-signed; remove it or set certificateMode to ca-signed")
    try:
        keys.check_key_policy(keys.load_certificate(pem).public_key())
    except keys.KeyPolicyError as exc:
        raise ValueError(str(exc)) from None
    return pem.strip() + "\n"


def check_ca_signed_strategy(mode: Any, strategy: str | None) -> None:
    if mode == "ca-signed" and strategy == "blue-green":
        raise ValueError(
            "ca-signed works with rotationStrategy single only (caCertificatePem holds one "
            "certificate, and blue-green needs one per app); use self-signed or rotationStrategy single"
        )


# --------------------------------------------------------------------------- AWS


def validate_secret_name(value: str) -> str:
    if not SECRET_NAME.fullmatch(value):
        raise ValueError("must be 1-512 characters of letters, digits and /_+=.@-")
    if re.search(r"-[A-Za-z0-9]{6}$", value):
        raise ValueError("must not end with '-' followed by six characters (AWS reserves that for ARN suffixes)")
    return value


def validate_secret_id(value: str) -> str:
    if not (SECRET_ARN.fullmatch(value) or SECRET_NAME.fullmatch(value)):
        raise ValueError("must be an AWS secret name or ARN")
    return value


def validate_tag(key: str, value: str) -> None:
    def ok(text: str) -> bool:
        return all(c.isalnum() or c.isspace() or c in TAG_CHARS for c in text)

    if not 1 <= len(key) <= 128 or not ok(key):
        raise ValueError(f"tag key {key!r} must be 1-128 letters, digits, spaces or _.:/=+-@")
    if key.lower().startswith("aws:"):
        raise ValueError(f"tag key {key!r} uses the reserved prefix 'aws:'")
    if key in RESERVED_TAG_KEYS:
        raise ValueError(f"tag key {key!r} is set by the component; remove it")
    if len(value) > 256 or not ok(value):
        raise ValueError(f"tag {key!r} value must be 0-256 letters, digits, spaces or _.:/=+-@")


def user_tag_limit() -> int:
    return AWS_TAG_LIMIT - len(RESERVED_TAG_KEYS)


def validate_tags(tags: Mapping[str, str]) -> tuple[tuple[str, str], ...]:
    """Every tag valid, within AWS's limit less the component's own; sorted pairs."""
    found = []
    for key, value in tags.items():
        try:
            validate_tag(key, value)
        except ValueError as exc:
            found.append(str(exc))
    if not found and len(tags) > user_tag_limit():
        found.append(
            f"has {len(tags)} tags; at most {user_tag_limit()} (AWS allows {AWS_TAG_LIMIT} and the "
            f"component adds {len(RESERVED_TAG_KEYS)})"
        )
    if found:
        raise RuleError(found[0], quiet=True, also=tuple(found[1:]))
    return tuple(sorted(tags.items()))


def validate_region(value: str) -> str:
    if not REGION.fullmatch(value):
        raise ValueError("is not an AWS region name such as 'eu-west-1'")
    return value


def validate_kms_key_id(value: str) -> str:
    if not KMS_KEY.fullmatch(value):
        raise ValueError("must be a KMS key id (uuid), an mrk- id, alias/<name>, or a key/alias ARN")
    return value


def validate_reader_arn(value: str) -> str:
    if not IAM_PRINCIPAL_ARN.fullmatch(value):
        raise ValueError("must be an IAM ARN like arn:aws:iam::123456789012:role/<name> (role, user or root)")
    return value


# --------------------------------------------------------------------------- deployer


def parse_auth_url(value: str) -> dict[str, str]:
    """Split an SFDX auth URL (parts percent-decoded); the message never repeats the value (it holds a
    refresh token)."""
    match = AUTH_URL.fullmatch(value.strip())
    if not match:
        raise ValueError(
            "is not an SFDX auth URL; expected force://<clientId>:<clientSecret>:<refreshToken>@<host> "
            "(the client secret may be empty), as printed by `sf org display --verbose`"
        )
    return {name: unquote(part) for name, part in match.groupdict().items()}


def validate_key_file(value: str) -> Path:
    """An existing, unencrypted PEM RSA private key file; the key itself is never shown."""
    path, content = read_file(value)
    try:
        keys.load_private_key(content)
    except keys.KeyPolicyError as exc:
        raise ValueError(f"unusable private key: {exc}") from None
    return path


def password_warning() -> str:
    return (
        "the deployer uses SOAP login() with a password: Salesforce offers it only up to API "
        f"{SOAP_LOGIN_MAX_API_VERSION}, disables it in new orgs and retires it in Summer '27; "
        "prefer an auth URL or the JWT method"
    )


def validate_stack_name(stack: str) -> str:
    if not stack or not STACK_NAME.fullmatch(stack):
        raise ValueError(f"{stack!r} is not a stack name (letters, digits, '_', '.', '-')")
    return stack
