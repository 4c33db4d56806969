"""The stack configuration: typed model, rules, loader, deployer credentials and the reference.

Modules, one job each:

* :mod:`.rules` — constants, patterns and validators (pure; no pydantic);
* :mod:`.errors` — :class:`Problem` and :class:`SettingsError`;
* :mod:`.fields` / :mod:`.model` — the frozen pydantic models and their field metadata;
* :mod:`.specs` — the catalogue of config keys read from that metadata;
* :mod:`.messages` — pydantic's errors in this project's words;
* :mod:`.loader` — ``load_settings``: stack config + environment -> :class:`Settings`;
* :mod:`.deployer` — deployer credential selection, ``load_deployer``;
* :mod:`.integrations` — ``load_integrations``: several integrations per stack;
* :mod:`.reference` — the generated tables of docs/configuration.md.

The rules and errors load eagerly (they are cheap and many modules need a constant); everything
built on pydantic loads on first use, so importing a constant does not import pydantic.
"""

from __future__ import annotations

from components.lazy_exports import lazy_getattr
from components.settings.errors import Problem, SettingsError
from components.settings.rules import (
    API_VERSION_RANGE,
    APP_KINDS,
    APP_NAME_MAX,
    APP_TAG,
    CERTIFICATE_MODES,
    DEFAULT_API_VERSION,
    DEFAULT_SCOPES,
    DEPLOYER_ENV,
    LOOPBACK_HOSTS,
    MANAGED_BY_TAG,
    NO_TEST_RUN_REFUSED,
    PERMISSION_SET_NAME_MAX,
    PROJECT,
    RESERVED_TAG_KEYS,
    ROTATION_STRATEGIES,
    SCOPE_ALIASES,
    SCOPE_ENUM,
    SLOT_SUFFIXES,
    SOAP_LOGIN_MAX_API_VERSION,
    STACK_TAG,
    TEST_LEVELS,
    RuleError,
    deployer_names,
    is_production_login,
    parse_auth_url,
    suggest,
    validate_api_version,
    validate_audience,
    validate_aws_endpoint_url,
    validate_consumer_key,
    validate_developer_name,
    validate_email,
    validate_instance_url,
    validate_kms_key_id,
    validate_login_url,
    validate_reader_arn,
    validate_region,
    validate_scope,
    validate_scopes,
    validate_secret_name,
    validate_tag,
    validate_test_level,
    validate_token_url,
)

_LAZY = {
    **dict.fromkeys(
        (
            "Secret",
            "Settings",
            "SalesforceSettings",
            "AppSettings",
            "CertificateSettings",
            "SecretSettings",
            "AwsSettings",
            "OperationSettings",
            "Slot",
            "DeployerCredentials",
            "AccessTokenDeployer",
            "AuthUrlDeployer",
            "JwtDeployer",
            "RefreshTokenDeployer",
            "PasswordDeployer",
            "DeployerConfig",
        ),
        "model",
    ),
    **dict.fromkeys(
        ("SettingSpec", "SPECS", "KNOWN_KEYS", "SECRET_KEYS", "STACK_WIDE_KEYS", "INTEGRATION_KEYS"), "specs"
    ),
    "load_settings": "loader",
    "load_deployer": "deployer",
    "load_integrations": "integrations",
    **dict.fromkeys(("DOC_BEGIN", "DOC_END", "render_reference", "update_reference"), "reference"),
}

__all__ = [
    "API_VERSION_RANGE",
    "APP_KINDS",
    "APP_NAME_MAX",
    "APP_TAG",
    "CERTIFICATE_MODES",
    "DEFAULT_API_VERSION",
    "DEFAULT_SCOPES",
    "DEPLOYER_ENV",
    "LOOPBACK_HOSTS",
    "MANAGED_BY_TAG",
    "NO_TEST_RUN_REFUSED",
    "PERMISSION_SET_NAME_MAX",
    "PROJECT",
    "RESERVED_TAG_KEYS",
    "ROTATION_STRATEGIES",
    "SCOPE_ALIASES",
    "SCOPE_ENUM",
    "SLOT_SUFFIXES",
    "SOAP_LOGIN_MAX_API_VERSION",
    "STACK_TAG",
    "TEST_LEVELS",
    "Problem",
    "RuleError",
    "SettingsError",
    "is_production_login",
    "deployer_names",
    "parse_auth_url",
    "suggest",
    "validate_api_version",
    "validate_audience",
    "validate_aws_endpoint_url",
    "validate_consumer_key",
    "validate_developer_name",
    "validate_email",
    "validate_instance_url",
    "validate_kms_key_id",
    "validate_login_url",
    "validate_reader_arn",
    "validate_region",
    "validate_scope",
    "validate_scopes",
    "validate_secret_name",
    "validate_tag",
    "validate_test_level",
    "validate_token_url",
    *_LAZY,
]


__getattr__ = lazy_getattr(__name__, _LAZY, globals())


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))
