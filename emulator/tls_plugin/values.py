"""Property values on the provider wire: protobuf Structs carrying Pulumi's secret and unknown markers.

A secret is ``{SIG_KEY: SECRET_SIG, "value": v}``; an unknown (preview only) is the ``UNKNOWN`` string.
Output values (``OUTPUT_SIG``) are only sent to providers that accept them, which this one does not, but
they are read defensively as a secret or an unknown.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from typing import Any

from google.protobuf import json_format, struct_pb2

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"

Props = dict[str, Any]


def from_struct(struct: struct_pb2.Struct | None) -> Props:
    """Decode a Struct, turning integral floats back into ints; markers are kept as they are."""
    if struct is None:
        return {}
    return _normalize(json_format.MessageToDict(struct))


def to_struct(props: Props) -> struct_pb2.Struct:
    """Encode properties (markers included) into a Struct."""
    struct = struct_pb2.Struct()
    struct.update(copy.deepcopy(props))
    return struct


def secret(value: Any) -> dict:
    """Wrap ``value`` as a secret (idempotent)."""
    return value if is_secret(value) else {SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    """True for a secret wrapper, or a secret output value."""
    if not isinstance(value, dict):
        return False
    return value.get(SIG_KEY) == SECRET_SIG or (value.get(SIG_KEY) == OUTPUT_SIG and bool(value.get("secret")))


def contains_secret(value: Any) -> bool:
    """True when ``value`` is, or anywhere holds, a secret."""
    if is_secret(value):
        return True
    return any(contains_secret(v) for v in _children(value))


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is, or anywhere holds, an unknown (after unwrapping)."""
    plain = reveal(value)
    if plain == UNKNOWN:
        return True
    return any(contains_unknown(v) for v in _children(plain))


def reveal(value: Any) -> Any:
    """Strip every secret and output-value wrapper; an output value without a value becomes ``UNKNOWN``."""
    if isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG:
        return reveal(value.get("value"))
    if isinstance(value, dict) and value.get(SIG_KEY) == OUTPUT_SIG:
        return reveal(value["value"]) if "value" in value else UNKNOWN
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def secret_keys(props: Props) -> set[str]:
    """Top-level keys whose values hold a secret anywhere."""
    return {k for k, v in props.items() if contains_secret(v)}


def wrap_secrets(props: Props, keys: Iterable[str]) -> Props:
    """Return ``props`` with the values under ``keys`` (where present, unknowns included) wrapped as secrets."""
    wanted = set(keys)
    return {k: secret(v) if k in wanted else v for k, v in props.items()}


def same_value(old: Any, new: Any) -> bool:
    """Equality that ignores secretness and int/float differences."""
    return _normalize(reveal(old)) == _normalize(reveal(new))


def _children(value: Any) -> list[Any]:
    if isinstance(value, dict):
        return list(value.values())
    if isinstance(value, list):
        return list(value)
    return []


def _normalize(value: Any) -> Any:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_normalize(v) for v in value]
    return value
