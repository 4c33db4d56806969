"""Which identity deploys the app: exactly one complete method, from config or else the environment.

If any ``deployer*`` key is in the config, the environment is not consulted at all (mixing would
hide which identity deploys); otherwise the ``SF_*``/``SFDX_AUTH_URL`` variables are read, and
messages name them. Secret values are held in :class:`~components.settings.model.Secret` and
never appear in a message.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from components.settings import rules
from components.settings.errors import Problem, SettingsError, dedupe, label
from components.settings.messages import problems_from
from components.settings.model import DEPLOYER_METHODS, DeployerConfig, DeployerCredentials, Secret
from components.settings.specs import SECRET_KEYS

#: The keys whose presence says which method is meant.
METHOD_MARKERS = {
    "access-token": ("deployerAccessToken", "deployerInstanceUrl"),
    "auth-url": ("deployerAuthUrl",),
    "jwt": ("deployerJwtConsumerKey", "deployerJwtKeyFile", "deployerJwtKeySecretId"),
    "refresh-token": ("deployerRefreshToken", "deployerClientId", "deployerClientSecret"),
    "password": ("deployerPassword",),
}
NONE_FOUND = (
    "SF_ACCESS_TOKEN (+ SF_INSTANCE_URL); SFDX_AUTH_URL; SF_JWT_CONSUMER_KEY + SF_USERNAME + "
    "SF_JWT_KEY_FILE; SF_REFRESH_TOKEN + SF_CLIENT_ID; or the deployer* config keys "
    "(pulumi config set --secret deployerAuthUrl ...)"
)
GROUP = "deployer credentials"


class DeployerInput:
    """The deployer values, from config (if any deployer* key is set there) or else the environment."""

    def __init__(self, raw: Mapping[str, Any], env: Mapping[str, str], problems: list[Problem]) -> None:
        self.in_config = any(key in raw for key in rules.DEPLOYER_ENV)
        self.source = "config" if self.in_config else "environment"
        self.problems = problems
        if self.in_config:
            self.values = {key: raw[key] for key in rules.DEPLOYER_ENV if key in raw}
        else:
            self.values = {
                key: env.get(var, "").strip() for key, var in rules.DEPLOYER_ENV.items() if env.get(var, "").strip()
            }

    def name(self, key: str) -> str:
        return key if self.in_config else f"{rules.DEPLOYER_ENV[key]} (environment)"

    def has(self, key: str) -> bool:
        return key in self.values  # config: set and not empty; environment: non-blank

    def fail(self, key: str, message: str) -> None:
        self.problems.append(Problem(label(self.name(key), hidden=key in SECRET_KEYS), message))

    def incomplete(self, method: str, missing: list[str]) -> None:
        self.problems.append(Problem(GROUP, f"the {method} method is incomplete: missing {', '.join(missing)}"))

    def missing(self, *keys: str) -> list[str]:
        return [self.name(k) for k in keys if not self.has(k)]


def select_method(d: DeployerInput, required: bool) -> str | None:
    """The one method whose keys are set; a problem when there is none (if required) or several."""
    started = [m for m, markers in METHOD_MARKERS.items() if any(d.has(k) for k in markers)]
    if len(started) == 1:
        return started[0]
    if not started:
        if required:
            d.problems.append(Problem(GROUP, f"none found; set exactly one method: {NONE_FOUND}"))
        return None
    listing = "; ".join(f"{m} ({', '.join(d.name(k) for k in METHOD_MARKERS[m] if d.has(k))})" for m in started)
    where = "config" if d.in_config else "the environment"
    d.problems.append(Problem(GROUP, f"more than one method is set in {where}: {listing}; keep exactly one"))
    return None


def _access_token(d: DeployerInput, c: DeployerConfig, login_url: str | None) -> dict[str, Any] | None:
    if c.access_token is None:
        d.fail(
            "deployerAccessToken",
            "is missing: the access-token method needs it (deployerInstanceUrl alone is not a credential)",
        )
        return None
    instance = c.instance_url
    if instance is None:
        if login_url is None:
            return None  # the login URL is invalid; reported already
        instance = rules.default_instance_url(login_url)
        if instance is None:
            d.fail(
                "deployerInstanceUrl",
                "is required with an access token when salesforceLoginUrl is "
                "login/test.salesforce.com: set the org's instance URL (https://<mydomain>.my.salesforce.com)",
            )
            return None
    return {"deployerAccessToken": c.access_token, "deployerInstanceUrl": instance}


def _auth_url(d: DeployerInput, c: DeployerConfig) -> dict[str, Any] | None:
    try:
        parts = rules.parse_auth_url(c.auth_url.reveal() if c.auth_url else "")
    except ValueError as exc:
        d.fail("deployerAuthUrl", str(exc))
        return None
    return {
        "client_id": parts["client_id"],
        "refresh_token": Secret(parts["refresh_token"]),
        "client_secret": Secret(parts["client_secret"]) if parts["client_secret"] else None,
        "instance_url": f"https://{parts['host'].lower()}",
    }


def _jwt(d: DeployerInput, c: DeployerConfig) -> dict[str, Any] | None:
    missing = d.missing("deployerJwtConsumerKey", "deployerUsername")
    if not (c.jwt_key_file or c.jwt_key_secret_id):
        missing.append(f"{d.name('deployerJwtKeyFile')} or {d.name('deployerJwtKeySecretId')}")
    if missing:
        d.incomplete("jwt", missing)
        return None
    if c.jwt_key_file and c.jwt_key_secret_id:
        d.fail("deployerJwtKeySecretId", f"set either it or {d.name('deployerJwtKeyFile')}, not both")
        return None
    key = {"deployerJwtKeyFile": c.jwt_key_file} if c.jwt_key_file else {"deployerJwtKeySecretId": c.jwt_key_secret_id}
    return {"deployerJwtConsumerKey": c.jwt_consumer_key, "deployerUsername": c.username, **key}


def _refresh_token(d: DeployerInput, c: DeployerConfig) -> dict[str, Any] | None:
    missing = d.missing("deployerRefreshToken", "deployerClientId")
    if missing:
        d.incomplete("refresh-token", missing)
        return None
    return {
        "deployerRefreshToken": c.refresh_token,
        "deployerClientId": c.client_id,
        "deployerClientSecret": c.client_secret,
    }


def _password(d: DeployerInput, c: DeployerConfig) -> dict[str, Any] | None:
    missing = d.missing("deployerUsername")
    if missing:
        d.incomplete("password", missing)
        return None
    return {"deployerUsername": c.username, "deployerPassword": c.password}


def read_deployer(
    raw: Mapping[str, Any], env: Mapping[str, str], *, login_url: str | None, required: bool, problems: list[Problem]
) -> DeployerCredentials | None:
    """The deployer credentials, or None (no method and not ``required``, or a problem was recorded)."""
    d = DeployerInput(raw, env, problems)
    given: DeployerConfig | None = None
    try:
        given = DeployerConfig.model_validate(d.values)
    except ValidationError as exc:
        problems.extend(problems_from(exc, DeployerConfig, d.values, name=d.name))
    method = select_method(d, required)
    if method is None or given is None:
        return None
    build = {
        "access-token": lambda: _access_token(d, given, login_url),
        "auth-url": lambda: _auth_url(d, given),
        "jwt": lambda: _jwt(d, given),
        "refresh-token": lambda: _refresh_token(d, given),
        "password": lambda: _password(d, given),
    }[method]
    data = build()
    if data is None:
        return None
    model = DEPLOYER_METHODS[method]
    data = {**{k: v for k, v in data.items() if v is not None}, "source": d.source}
    try:
        return model.model_validate(data)  # type: ignore[return-value]
    except ValidationError as exc:
        shown = {k: v for k, v in data.items() if k not in SECRET_KEYS}
        problems.extend(problems_from(exc, model, shown, name=d.name))
        return None


def load_deployer(
    config: Mapping[str, Any], *, login_url: str, env: Mapping[str, str] | None = None, stack: str = "(provider)"
) -> DeployerCredentials:
    """Only the deployer credentials, for dynamic providers that get the stack config at configure time.

    Takes the raw config (any keys; only ``deployer*`` ones are read) so that secrets never have to
    travel as resource inputs. Raises SettingsError naming what is missing.
    """
    env = os.environ if env is None else env
    raw = {}
    for full_key, value in config.items():
        key = str(full_key).rpartition(":")[2]
        if key in rules.DEPLOYER_ENV and value is not None and not (isinstance(value, str) and not value.strip()):
            raw[key] = value.strip() if isinstance(value, str) else value
    problems: list[Problem] = []
    deployer = read_deployer(raw, env, login_url=login_url, required=True, problems=problems)
    if problems or deployer is None:
        raise SettingsError(dedupe(problems), stack)
    return deployer
