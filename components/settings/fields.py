"""How a model field becomes a documented stack setting: the ``setting()`` helper and its readers.

A setting is a pydantic field whose validation alias is the Pulumi config key (camelCase) and
whose ``json_schema_extra`` holds what the reference and the messages need (rule text, documented
default, secrecy, environment variable, scope). Its constraints (``ge``/``le``, ``max_length``,
``Literal`` choices) drive both the error messages and the generated reference.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, NoReturn

import annotated_types
from pydantic import BeforeValidator, Field, Strict
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, PydanticUndefined

from components.settings import rules

#: Error type of a derived value whose source setting is invalid: that one is reported, this is not.
DEPENDENCY_FAILED = "dependency_failed"
#: Placeholder in a rule text, replaced by the field's constraint (range, choices, length).
CONSTRAINT = "{constraint}"

Text = Annotated[str, Strict()]
WholeNumber = Annotated[int, BeforeValidator(rules.whole_number), Strict()]
Flag = Annotated[bool, BeforeValidator(rules.boolean), Strict()]


@dataclass(frozen=True)
class SettingMeta:
    """What the reference and the messages know about one setting."""

    rule: str
    default: str  # as documented
    required: str | None = None  # hint after "is required: "
    secret: bool = False
    env: str | None = None
    stack_wide: bool = False  # one value per stack, never per integration
    shown: bool = True  # False: the value is never echoed (long PEM text)


def setting(
    key: str,
    default: Any = PydanticUndefined,
    *,
    rule: str,
    doc_default: str | None = None,
    required: str | None = None,
    derived: bool = False,
    secret: bool = False,
    env: str | None = None,
    stack_wide: bool = False,
    shown: bool = True,
    **constraints: Any,
) -> Any:
    """A model field read from config key ``key``.

    ``required``: no default, and the hint for "is required". ``derived``: the default is computed
    by a ``mode="before"`` validator from other fields or the context (so it is validated too).
    """
    if derived:
        default = None
    if doc_default is None:
        doc_default = "required" if required else document_default(default)
    meta = SettingMeta(
        rule=rule, default=doc_default, required=required, secret=secret, env=env, stack_wide=stack_wide, shown=shown
    )
    return Field(
        default,
        validation_alias=key,
        validate_default=derived,
        json_schema_extra={"setting": meta},  # type: ignore[dict-item]  # read back by specs.py
        **constraints,
    )


def document_default(value: Any) -> str:
    """A plain default as the reference shows it."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, tuple | list):
        return ", ".join(f"`{v}`" for v in value) if value else "`[]`"
    if isinstance(value, dict):
        return "`{}`" if not value else f"`{value}`"
    return f"`{value}`"


def meta_of(field: FieldInfo) -> SettingMeta | None:
    extra = field.json_schema_extra
    meta = extra.get("setting") if isinstance(extra, dict) else None
    return meta if isinstance(meta, SettingMeta) else None


def key_of(name: str, field: FieldInfo) -> str:
    """The config key of a field (its validation alias), else the field name."""
    return field.validation_alias if isinstance(field.validation_alias, str) else name


def bounds_of(field: FieldInfo) -> tuple[int | None, int | None]:
    """The ``ge``/``le`` bounds of a number field."""
    low = high = None
    for item in field.metadata:
        if isinstance(item, annotated_types.Ge):
            low = int(item.ge)  # type: ignore[call-overload]
        elif isinstance(item, annotated_types.Le):
            high = int(item.le)  # type: ignore[call-overload]
    return low, high


def lengths_of(field: FieldInfo) -> tuple[int, int | None]:
    """The ``min_length``/``max_length`` of a text field."""
    low, high = 0, None
    for item in field.metadata:
        if isinstance(item, annotated_types.MinLen):
            low = item.min_length
        elif isinstance(item, annotated_types.MaxLen):
            high = item.max_length
    return low, high


def _unwrap(annotation: Any) -> list[Any]:
    """The members of ``X | None`` and the Annotated base, flattened."""
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        return _unwrap(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [member for arg in typing.get_args(annotation) for member in _unwrap(arg)]
    return [annotation]


def choices_of(field: FieldInfo) -> tuple[Any, ...]:
    """The values of a ``Literal`` field (empty for other fields)."""
    for member in _unwrap(field.annotation):
        if typing.get_origin(member) is typing.Literal:
            return typing.get_args(member)
    return ()


def is_number(field: FieldInfo) -> bool:
    return int in _unwrap(field.annotation)


def constraint_text(field: FieldInfo) -> str:
    """The field's constraint in words: ``Whole number 1-3650``, the choices, ``1-64 characters``."""
    choices = choices_of(field)
    if choices:
        return rules.or_list([f"`{c}`" for c in choices])
    if is_number(field):
        low, high = bounds_of(field)
        return f"Whole number {low}-{high}" if high is not None else f"Whole number >= {low}"
    shortest, longest = lengths_of(field)
    if longest is not None:
        return f"{shortest}-{longest} characters" if shortest else f"At most {longest} characters"
    raise ValueError("the field has no constraint to describe")


def dependency_failed() -> NoReturn:
    """Give up on a derived value: the setting it derives from is invalid and reported already."""
    raise PydanticCustomError(DEPENDENCY_FAILED, "derived from an invalid setting")


def from_text(convert: Callable[[str], Any]) -> BeforeValidator:
    """A before-validator that takes text only and converts it (e.g. a path into a checked ``Path``)."""

    def validate(value: Any) -> Any:
        if not isinstance(value, str):
            raise ValueError(f"must be a string, not {type(value).__name__}")
        return convert(value)

    return BeforeValidator(validate)
