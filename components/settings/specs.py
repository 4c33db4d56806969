"""The catalogue of stack settings, read from the models' field metadata (one row per config key)."""

from __future__ import annotations

from dataclasses import dataclass

from components.settings.fields import CONSTRAINT, constraint_text, key_of, meta_of
from components.settings.model import SECTION_MODELS

#: Placeholder in the ``integrations`` rule, replaced by the list of stack-wide keys.
STACK_WIDE = "{stack_wide}"


@dataclass(frozen=True)
class SettingSpec:
    """One stack setting as documented in docs/configuration.md."""

    key: str
    section: str
    default: str
    rule: str
    secret: bool = False
    env: str | None = None
    stack_wide: bool = False
    shown: bool = True


def _read() -> tuple[SettingSpec, ...]:
    specs = []
    for model in SECTION_MODELS:
        for name, field in model.model_fields.items():
            meta = meta_of(field)
            if meta is None:
                continue
            rule = meta.rule.replace(CONSTRAINT, constraint_text(field)) if CONSTRAINT in meta.rule else meta.rule
            specs.append(
                SettingSpec(
                    key=key_of(name, field),
                    section=model.SECTION,
                    default=meta.default,
                    rule=rule,
                    secret=meta.secret,
                    env=meta.env,
                    stack_wide=meta.stack_wide,
                    shown=meta.shown,
                )
            )
    return tuple(specs)


def _stack_wide_text(specs: tuple[SettingSpec, ...]) -> str:
    named = [f"`{s.key}`" for s in specs if s.stack_wide and not s.key.startswith("deployer")]
    return ", ".join(named) + (" and every `deployer*` key" if any(s.key.startswith("deployer") for s in specs) else "")


def _specs() -> tuple[SettingSpec, ...]:
    specs = _read()
    listing = _stack_wide_text(specs)
    return tuple(SettingSpec(**{**s.__dict__, "rule": s.rule.replace(STACK_WIDE, listing)}) for s in specs)


SPECS: tuple[SettingSpec, ...] = _specs()
INTEGRATIONS_KEY = "integrations"
KNOWN_KEYS: frozenset[str] = frozenset(s.key for s in SPECS)
SECRET_KEYS: frozenset[str] = frozenset(s.key for s in SPECS if s.secret)
#: Keys whose value is never echoed: secrets, and long PEM text (a pasted key must never be shown).
HIDDEN_KEYS: frozenset[str] = SECRET_KEYS | frozenset(s.key for s in SPECS if not s.shown)
#: One value per stack (org, AWS account, deployer): only at the top level, shared by every integration.
STACK_WIDE_KEYS: frozenset[str] = frozenset(s.key for s in SPECS if s.stack_wide)
#: Keys an item of ``integrations`` may set (the top-level value is the default).
INTEGRATION_KEYS: frozenset[str] = KNOWN_KEYS - STACK_WIDE_KEYS - {INTEGRATIONS_KEY}
