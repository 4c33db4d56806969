"""Pydantic's ValidationError, told in this project's words: one :class:`Problem` per error.

Every problem names the config key (camelCase, or the environment variable it came from), shows
the value the user gave (never for secrets or hidden keys) and says what is accepted. Pydantic's
own wording is never used, nor its ``input``, except for a value the models derived themselves
(e.g. the default secret name, never a secret): values come from the caller's ``data``.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic.fields import FieldInfo
from pydantic_core import ErrorDetails

from components.settings import rules
from components.settings.errors import Problem, label
from components.settings.fields import DEPENDENCY_FAILED, bounds_of, choices_of, is_number, key_of, meta_of
from components.settings.specs import HIDDEN_KEYS

NUMBER_ERRORS = frozenset(
    {"int_type", "int_parsing", "int_from_float", "greater_than_equal", "less_than_equal", "greater_than", "less_than"}
)
FALLBACK = "is not accepted; see docs/configuration.md for the rule"


def problems_from(
    error: ValidationError, model: type[BaseModel], data: Mapping[str, Any], *, name: Callable[[str], str] = str
) -> list[Problem]:
    """One problem per error of ``model.model_validate(data)``; ``name`` turns a key into what to call it."""
    fields: dict[str, tuple[str, FieldInfo]] = {}
    for field_name, field in model.model_fields.items():
        fields[field_name] = fields[key_of(field_name, field)] = (key_of(field_name, field), field)
    problems = []
    for details in error.errors(include_url=False):
        if details["type"] != DEPENDENCY_FAILED:
            problems.extend(_problems(details, fields, data, name))
    return problems


def _problems(
    details: ErrorDetails,
    fields: Mapping[str, tuple[str, FieldInfo]],
    data: Mapping[str, Any],
    name: Callable[[str], str],
) -> list[Problem]:
    loc = details["loc"]
    key, field = fields.get(str(loc[0]), (str(loc[0]), None)) if loc else ("configuration", None)
    cause = details.get("ctx", {}).get("error")
    rule = cause if isinstance(cause, rules.RuleError) else None
    if rule is not None and rule.key:
        key, field = fields.get(rule.key, (rule.key, None))
    if rule is not None and rule.value is not None:
        value = rule.value
    elif key in data or key in HIDDEN_KEYS:
        value = _value_at(data, key, loc[1:])
    else:  # a derived default (the user gave no value): show what it came to
        value = details.get("input")
    shown = None if details["type"] == "missing" or (rule is not None and rule.quiet) else value
    where = label(name(key), shown, hidden=key in HIDDEN_KEYS)
    more = rule.also if rule is not None else ()
    return [Problem(where, message) for message in (_message(details, field, value), *more)]


def _message(details: ErrorDetails, field: FieldInfo | None, value: Any) -> str:
    kind = details["type"]
    cause = details.get("ctx", {}).get("error")
    if kind in ("value_error", "assertion_error") and isinstance(cause, Exception):
        return str(cause)
    if kind == "missing":
        meta = meta_of(field) if field is not None else None
        return f"is required: {meta.required}" if meta is not None and meta.required else "is required"
    if field is not None and kind in NUMBER_ERRORS and is_number(field):
        low, high = bounds_of(field)
        bounds = (
            f" between {low} and {high}"
            if low is not None and high is not None
            else f" >= {low}"
            if low is not None
            else ""
        )
        return f"must be a whole number{bounds}"
    choices = choices_of(field) if field is not None else ()
    if kind == "literal_error" and choices:
        if all(isinstance(c, str) for c in choices) and not isinstance(value, str):
            return f"must be a string, not {type(value).__name__}"
        return rules.did_you_mean(value, [str(c) for c in choices])
    if kind == "string_type":
        return f"must be a string, not {type(value).__name__}"
    if kind == "string_too_long" and isinstance(value, str):
        return f"is {len(value)} characters; at most {details.get('ctx', {}).get('max_length')} are allowed"
    if kind == "string_too_short":
        return "must not be empty"
    if kind in ("bool_type", "bool_parsing"):
        return "must be true or false"
    return FALLBACK


def _value_at(data: Mapping[str, Any], key: str, rest: tuple[int | str, ...]) -> Any:
    """The value the user gave for ``key``, or its item at a list index of the error location."""
    value = data.get(key)
    for part in rest:
        if not isinstance(part, int):
            break
        if isinstance(value, str):
            try:
                value = json.loads(value)
            except ValueError:
                break
        if not isinstance(value, list | tuple) or part >= len(value):
            break
        value = value[part]
    return value
