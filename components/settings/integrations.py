"""Several integrations in one stack: the ``integrations`` key, one :class:`Settings` per item.

Each item of ``integrations`` holds one integration's keys; every top-level key is the default
for every item. Stack-wide keys (the org, AWS, the deployer) may only be set at the top level.
Problems name the item (``integrations[1].appName``) when the value came from that item; a bad
top-level default is reported once, under its own key.
"""

from __future__ import annotations

import os
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from components.settings import rules
from components.settings.errors import Problem, SettingsError, dedupe, label
from components.settings.loader import (
    Namer,
    build_settings,
    check_secrets_marked,
    check_stack,
    load_settings,
    read_config,
    unknown_key,
)
from components.settings.messages import problems_from
from components.settings.model import IntegrationsConfig, Settings
from components.settings.specs import HIDDEN_KEYS, INTEGRATION_KEYS, INTEGRATIONS_KEY, STACK_WIDE_KEYS


def item_name(index: int) -> str:
    return f"{INTEGRATIONS_KEY}[{index}]"


def read_items(value: Any, problems: list[Problem]) -> tuple[dict[str, Any], ...]:
    """The list of item maps; a problem (and no items) when it is not one."""
    data = {INTEGRATIONS_KEY: value}
    try:
        return IntegrationsConfig.model_validate(data).items
    except ValidationError as exc:
        problems.extend(problems_from(exc, IntegrationsConfig, data))
        return ()


def item_keys(index: int, item: Mapping[str, Any], problems: list[Problem]) -> dict[str, Any]:
    """The per-integration keys an item sets (empty = unset); stack-wide and unknown keys are problems."""
    where = f"{item_name(index)}."
    own: dict[str, Any] = {}
    for key, value in item.items():
        key = str(key)
        if key in STACK_WIDE_KEYS:
            problems.append(
                Problem(
                    label(where + key, value, hidden=key in HIDDEN_KEYS),
                    "is stack-wide: set it once at the top level, where it applies to every integration",
                )
            )
        elif key not in INTEGRATION_KEYS:
            problems.append(unknown_key(key, INTEGRATION_KEYS, where=where))
        elif value is not None and not (isinstance(value, str) and not value.strip()):
            own[key] = value.strip() if isinstance(value, str) else value
    return own


def namer(index: int, own: Collection[str], top: Collection[str]) -> Namer:
    """A problem names the item unless its value is a top-level default or stack-wide."""

    def name(key: str) -> str:
        from_item = key in own or (key not in top and key not in STACK_WIDE_KEYS)
        return f"{item_name(index)}.{key}" if from_item else key

    return name


@dataclass(frozen=True)
class Identity:
    """What two integrations of a stack may not share, from an item's values (valid or not)."""

    app_name: str
    apps: tuple[str, ...]
    permission_set: Any
    secret_name: Any

    @classmethod
    def of(cls, values: Mapping[str, Any], stack: str) -> Identity | None:
        name = values.get("appName")
        if not isinstance(name, str):
            return None
        strategy = values.get("rotationStrategy", "single")
        return cls(
            name,
            rules.slot_app_names(name, strategy if isinstance(strategy, str) else None),
            values.get("permissionSetName", rules.default_permission_set_name(name)),
            values.get("secretName", rules.default_secret_name(stack, name)),
        )


def clash(later: Identity, earlier: Identity, first: int) -> tuple[str, Any, str] | None:
    """The first thing two integrations share: (key, value, message), or None."""
    other = item_name(first)
    shared = sorted(set(earlier.apps) & set(later.apps))
    if later.app_name == earlier.app_name:
        return (
            "appName",
            later.app_name,
            f"is also the appName of {other}; every integration needs its own app "
            "(and so its own secret and permission set)",
        )
    if shared:
        return (
            "appName",
            later.app_name,
            f"gives the app {shared[0]!r}, which {other} deploys too (blue-green adds _A/_B); choose another appName",
        )
    if later.permission_set == earlier.permission_set:
        return (
            "permissionSetName",
            later.permission_set,
            f"is also the permissionSetName of {other}; each integration creates its own permission set",
        )
    if later.secret_name == earlier.secret_name:
        return (
            "secretName",
            later.secret_name,
            f"is also the secretName of {other}; each integration needs its own secret",
        )
    return None


def check_distinct(identities: list[Identity | None], problems: list[Problem]) -> None:
    """No two integrations share an app (blue-green slot names included), a permission set or a secret."""
    for j, later in enumerate(identities):
        for i, earlier in enumerate(identities[:j]):
            found = clash(later, earlier, i) if later is not None and earlier is not None else None
            if found is not None:
                key, value, message = found
                problems.append(Problem(label(f"{item_name(j)}.{key}", value), message))
                break


def load_integrations(
    config: Mapping[str, Any],
    *,
    stack: str,
    secret_keys: Collection[str] | None = None,
    env: Mapping[str, str] | None = None,
    require_deployer: bool = True,
) -> tuple[Settings, ...]:
    """One Settings per item of ``integrations`` (top-level keys as defaults); without the key, exactly
    one, as :func:`load_settings` reads it. Raises one SettingsError listing every problem of every item."""
    env = os.environ if env is None else env
    problems: list[Problem] = []
    check_stack(stack, problems)
    raw = read_config(config, problems)
    if INTEGRATIONS_KEY not in raw:
        return (
            load_settings(config, stack=stack, env=env, secret_keys=secret_keys, require_deployer=require_deployer),
        )
    items = read_items(raw.pop(INTEGRATIONS_KEY), problems)
    check_secrets_marked(raw, secret_keys, problems)
    loaded: list[Settings | None] = []
    identities: list[Identity | None] = []
    for index, item in enumerate(items):
        own = item_keys(index, item, problems)
        values = {**raw, **own}
        identities.append(Identity.of(values, stack))
        loaded.append(
            build_settings(
                values,
                stack=stack,
                env=env,
                require_deployer=require_deployer,
                problems=problems,
                name=namer(index, own, raw),
            )
        )
    check_distinct(identities, problems)
    if problems or not items:
        raise SettingsError(dedupe(problems), stack)
    return tuple(s for s in loaded if s is not None)
