"""Pulumi stack config (+ environment) -> :class:`Settings`, every problem reported together.

``load_settings`` takes the raw config of this project (camelCase keys, with or without the
``salesforce-jwt:`` prefix; lists and maps as JSON strings or parsed values) and returns a frozen
:class:`Settings`, or raises one :class:`SettingsError` listing every problem. Nothing here talks
to the network or imports ``pulumi``.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Collection, Mapping
from typing import Any, TypeVar

from pydantic import ValidationError

from components.settings import rules
from components.settings.deployer import read_deployer
from components.settings.errors import Problem, SettingsError, dedupe, label
from components.settings.messages import problems_from
from components.settings.model import (
    AppSettings,
    AwsSettings,
    CertificateSettings,
    LoadContext,
    OperationSettings,
    SalesforceSettings,
    SecretSettings,
    Settings,
    SettingsModel,
)
from components.settings.specs import INTEGRATIONS_KEY, KNOWN_KEYS, SECRET_KEYS

Model = TypeVar("Model", bound=SettingsModel)
Namer = Callable[[str], str]


def _same(key: str) -> str:
    return key


def unknown_key(key: str, choices: Collection[str], *, where: str = "") -> Problem:
    """``key`` is no setting; the closest of ``choices`` is suggested. ``where`` prefixes the key shown."""
    hint = rules.suggest(key, choices)
    return Problem(
        f"{where}{key}",
        "is not a setting of this project; "
        + (f"did you mean {hint!r}? " if hint else "")
        + "see docs/configuration.md",
    )


def read_config(config: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """This project's keys without prefix; other namespaces skipped, unknown keys reported, empty = unset."""
    raw: dict[str, Any] = {}
    for full_key, value in config.items():
        namespace, sep, key = str(full_key).rpartition(":")
        if sep and namespace != rules.PROJECT:
            continue  # another provider's config (aws:region, ...) is not ours to validate
        if key not in KNOWN_KEYS:
            problems.append(unknown_key(key, KNOWN_KEYS))
            continue
        if value is None or (isinstance(value, str) and not value.strip()):
            raw.pop(key, None)  # the last mention of a key wins, an empty one too
            continue
        raw[key] = value.strip() if isinstance(value, str) else value
    return raw


def check_stack(stack: str, problems: list[Problem]) -> None:
    try:
        rules.validate_stack_name(stack)
    except ValueError as exc:
        problems.append(Problem("stack", str(exc)))


def check_secrets_marked(raw: Mapping[str, Any], secret_keys: Collection[str] | None, problems: list[Problem]) -> None:
    """With the engine's list of secret keys, a secret setting stored in plain text is an error."""
    if secret_keys is None:
        return
    marked = {str(k).rpartition(":")[2] for k in secret_keys}
    for key in sorted(SECRET_KEYS & raw.keys() - marked):
        problems.append(
            Problem(
                label(key, hidden=True),
                "is stored in plain text; re-set it with `pulumi config "
                f"set --secret {key} <value>` and make sure the plain value never reached version "
                "control",
            )
        )


def _choice(raw: Mapping[str, Any], key: str, choices: tuple[str, ...], default: str) -> str | None:
    """A switch other sections depend on; None when invalid (its own section reports it)."""
    value = raw.get(key, default)
    return value if value in choices else None


def _app_name(raw: Mapping[str, Any], strategy: str | None) -> str | None:
    """The app name other sections derive from, when it is valid by itself (else it is reported)."""
    name = raw.get("appName")
    try:
        return (
            rules.validate_developer_name(name, max_length=rules.app_name_limit(strategy))
            if isinstance(name, str)
            else None
        )
    except ValueError:
        return None


def _section(
    model: type[Model], data: Mapping[str, Any], ctx: LoadContext, problems: list[Problem], name: Namer
) -> Model | None:
    try:
        return model.model_validate(data, context=ctx)
    except ValidationError as exc:
        problems.extend(problems_from(exc, model, data, name=name))
        return None


def _with_region(raw: Mapping[str, Any], env: Mapping[str, str]) -> dict[str, Any]:
    data = dict(raw)
    if "awsRegion" not in data:
        region = env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION")
        if region:
            data["awsRegion"] = region
    return data


def build_settings(
    raw: Mapping[str, Any],
    *,
    stack: str,
    env: Mapping[str, str],
    require_deployer: bool,
    problems: list[Problem],
    name: Namer = _same,
) -> Settings | None:
    """Validate every section of one integration; None when a problem was recorded."""
    before = len(problems)
    strategy = _choice(raw, "rotationStrategy", rules.ROTATION_STRATEGIES, "single")
    valid_stack = stack if rules.STACK_NAME.fullmatch(stack or "") else None  # else reported by check_stack
    ctx = LoadContext(
        stack=valid_stack,
        app_kind=_choice(raw, "appKind", rules.APP_KINDS, "external-client-app"),
        strategy=strategy,
        app_name=_app_name(raw, strategy),
    )
    salesforce = _section(SalesforceSettings, raw, ctx, problems, name)
    app = _section(AppSettings, raw, ctx, problems, name)
    certificate = _section(CertificateSettings, raw, ctx, problems, name)
    secret = _section(SecretSettings, raw, ctx, problems, name)
    aws = _section(AwsSettings, _with_region(raw, env), ctx, problems, name)
    operations = _section(OperationSettings, raw, ctx, problems, name)
    deployer = read_deployer(
        raw, env, login_url=salesforce.login_url if salesforce else None, required=require_deployer, problems=problems
    )
    try:
        rules.check_ca_signed_strategy(raw.get("certificateMode"), ctx.strategy)
    except ValueError as exc:
        problems.append(Problem(label(name("certificateMode"), raw.get("certificateMode")), str(exc)))
    if len(problems) > before or None in (salesforce, app, certificate, secret, aws, operations):
        if not problems:  # a derived value failed without its source being reported: never expected
            problems.append(Problem("configuration", "could not be read; see docs/configuration.md"))
        return None
    parts: dict[str, Any] = {
        "stack": stack,
        "salesforce": salesforce,
        "app": app,
        "certificate": certificate,
        "secret": secret,
        "aws": aws,
        "operations": operations,
        "deployer": deployer,
    }
    return Settings(**parts, warnings=warnings_for(Settings(**parts)))


def warnings_for(s: Settings) -> tuple[str, ...]:
    """Valid but risky combinations, in the order of the sections."""
    found = []
    if s.app.kind == "external-client-app" and rules.host_of(s.salesforce.audience) == "login.salesforce.com":
        found.append(
            "jwtAudience is https://login.salesforce.com; External Client Apps are most reliable with the "
            "org's My Domain URL as login URL and audience"
        )
    if s.salesforce.is_loopback and s.salesforce.ca_bundle is None:
        found.append(
            "salesforceLoginUrl is a loopback host but salesforceCaBundle is not set: TLS verification will "
            "use the system CAs and reject the emulator's certificate"
        )
    if s.certificate.awaiting_ca_signature:
        found.append(
            "certificateMode is ca-signed and caCertificatePem is empty: the component only outputs the CSR "
            "(csrPem); have your CA sign it, then set caCertificatePem"
        )
    if s.deployer is not None and s.deployer.method == "password":
        found.append(
            "the deployer uses SOAP login() with a password: Salesforce offers it only up to API "
            f"{rules.SOAP_LOGIN_MAX_API_VERSION}, disables it in new orgs and retires it in Summer '27; "
            "prefer an auth URL or the JWT method"
        )
    return tuple(found)


def load_settings(
    config: Mapping[str, Any],
    *,
    stack: str,
    env: Mapping[str, str] | None = None,
    secret_keys: Collection[str] | None = None,
    require_deployer: bool = True,
) -> Settings:
    """Validate the raw Pulumi config of this project; raise one SettingsError listing every problem.

    ``secret_keys`` (as in ``PULUMI_CONFIG_SECRET_KEYS``), when given, makes it an error to store a
    secret setting in plain text. ``require_deployer=False`` lets read-only tools run without
    deployer credentials (``Settings.deployer`` is then None when none are set). A stack with
    several integrations (the ``integrations`` key) is read by ``load_integrations``.
    """
    env = os.environ if env is None else env
    problems: list[Problem] = []
    check_stack(stack, problems)
    raw = read_config(config, problems)
    if INTEGRATIONS_KEY in raw:
        problems.append(
            Problem(
                INTEGRATIONS_KEY,
                "lists several integrations, which load_integrations reads "
                "(one Settings per item); load_settings reads one integration from the top-level "
                "keys: remove integrations or load the stack with load_integrations",
            )
        )
        raise SettingsError(problems, stack)
    check_secrets_marked(raw, secret_keys, problems)
    settings = build_settings(raw, stack=stack, env=env, require_deployer=require_deployer, problems=problems)
    if problems or settings is None:
        raise SettingsError(dedupe(problems), stack)
    return settings
