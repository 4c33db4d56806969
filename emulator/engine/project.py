"""The project (``Pulumi.yaml``) and its stack config (``Pulumi.<stack>.yaml`` plus overrides)."""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

import yaml


class ConfigError(Exception):
    """Bad project/config input; the message names the setting and the fix."""


@dataclass
class StackConfig:
    """Namespaced config values (all strings, as the language host passes them) and the secret keys."""

    values: dict[str, str] = field(default_factory=dict)
    secret_keys: list[str] = field(default_factory=list)


def load_project_name(project_dir: Path) -> str:
    """The ``name`` in ``Pulumi.yaml``; errors clearly when the file or the name is missing."""
    path = project_dir / "Pulumi.yaml"
    if not path.is_file():
        raise ConfigError(f"no Pulumi.yaml in {project_dir}; pass --cwd with the project directory")
    document = yaml.safe_load(path.read_text()) or {}
    name = document.get("name")
    if not isinstance(name, str) or not name:
        raise ConfigError(f"{path} has no 'name'; add e.g. 'name: my-project'")
    runtime = document.get("runtime")
    runtime_name = runtime.get("name") if isinstance(runtime, dict) else runtime
    if runtime_name != "python":
        raise ConfigError(f"{path} has runtime {runtime_name!r}; the offline engine runs only 'runtime: python'")
    return name


def secret_env_var(key: str) -> str:
    """Environment variable that supplies a ``secure:`` config value, e.g. ``OFFLINE_ENGINE_SECRET_DB_PASSWORD``."""
    bare = key.split(":", 1)[-1]
    return "OFFLINE_ENGINE_SECRET_" + re.sub(r"[^A-Za-z0-9]", "_", re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", bare)).upper()


def _namespaced(project: str, key: str) -> str:
    return key if ":" in key else f"{project}:{key}"


def _as_config_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)  # booleans -> "true", numbers -> "3", objects -> JSON, as the CLI does


def _parse_pairs(pairs: list[str], option: str) -> dict[str, str]:
    parsed = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise ConfigError(f"{option} {pair!r} is not key=value; write e.g. {option} region=eu-west-1")
        parsed[key] = value
    return parsed


def load_stack_config(project_dir: Path, project: str, stack: str, config: Mapping[str, str] | list[str] = (),
                      secrets: Mapping[str, str] | list[str] = (), env: Mapping[str, str] | None = None) -> StackConfig:
    """Read ``Pulumi.<stack>.yaml`` then apply ``--config``/``--secret`` overrides (later wins)."""
    env = {**os.environ, **(env or {})}
    overrides = config if isinstance(config, Mapping) else _parse_pairs(list(config), "--config")
    secret_overrides = secrets if isinstance(secrets, Mapping) else _parse_pairs(list(secrets), "--secret")
    result = StackConfig()
    given_secrets = {_namespaced(project, k) for k in secret_overrides}
    path = project_dir / f"Pulumi.{stack}.yaml"
    document = (yaml.safe_load(path.read_text()) or {}) if path.is_file() else {}
    for raw_key, value in (document.get("config") or {}).items():
        key = _namespaced(project, raw_key)
        if isinstance(value, dict) and "secure" in value:
            if key in given_secrets:
                continue
            if secret_env_var(key) in env:
                result.values[key] = env[secret_env_var(key)]
                result.secret_keys.append(key)
                continue
            raise ConfigError(
                f"{path.name}: '{raw_key}' is an encrypted 'secure:' value, which the offline engine cannot decrypt; "
                f"pass it with --secret {raw_key.split(':', 1)[-1]}=VALUE or the environment variable {secret_env_var(key)}")
        result.values[key] = _as_config_string(value)
    for raw_key, value in overrides.items():
        result.values[_namespaced(project, raw_key)] = _as_config_string(value)
    for raw_key, value in secret_overrides.items():
        key = _namespaced(project, raw_key)
        result.values[key] = _as_config_string(value)
        if key not in result.secret_keys:
            result.secret_keys.append(key)
    return result
