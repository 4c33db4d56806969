"""Property values as the engine sees them: plain JSON plus secret and unknown markers.

Secrets are kept in Pulumi's wire form, ``{SIG_KEY: SECRET_SIG, "value": v}``, both in memory and in the
JSON state file (the real checkpoint stores ciphertext there; this harness keeps plaintext, marked).
Unknown values (preview only) are Pulumi's ``UNKNOWN`` string.
"""

from __future__ import annotations

import copy
from typing import Any

from google.protobuf import json_format, struct_pb2

SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
MASK = "[secret]"

Props = dict[str, Any]


def secret(value: Any) -> dict:
    """Wrap ``value`` as a secret (idempotent)."""
    return value if is_secret(value) else {SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    """True when ``value`` is a secret wrapper."""
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def contains_secret(value: Any) -> bool:
    """True when ``value`` is, or anywhere contains, a secret."""
    if is_secret(value):
        return True
    if isinstance(value, dict):
        return any(contains_secret(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_secret(v) for v in value)
    return False


def contains_unknown(value: Any) -> bool:
    """True when ``value`` is, or anywhere contains, an unknown."""
    if value == UNKNOWN:
        return True
    if isinstance(value, dict):
        return any(contains_unknown(v) for v in value.values())
    if isinstance(value, list):
        return any(contains_unknown(v) for v in value)
    return False


def reveal(value: Any) -> Any:
    """Strip every secret wrapper (what the engine sends to a provider that does not accept secrets)."""
    if is_secret(value):
        return reveal(value["value"])
    if isinstance(value, dict):
        return {k: reveal(v) for k, v in value.items()}
    if isinstance(value, list):
        return [reveal(v) for v in value]
    return value


def mask(value: Any) -> Any:
    """Replace every secret by the string ``"[secret]"`` (for display and JSON output)."""
    if is_secret(value):
        return MASK
    if isinstance(value, dict):
        return {k: mask(v) for k, v in value.items()}
    if isinstance(value, list):
        return [mask(v) for v in value]
    return value


def annotate_secrets(outputs: Props, inputs: Props, extra_keys: list[str] | tuple = ()) -> Props:
    """Mark an output secret when the same-named input held a secret or the key is in ``extra_keys``.

    This is the engine's ``annotateSecrets`` plus ``additionalSecretOutputs``.
    """
    marked = {}
    for key, value in outputs.items():
        if key in extra_keys or contains_secret(inputs.get(key)):
            marked[key] = secret(reveal(value))
        else:
            marked[key] = value
    return marked


def normalize(value: Any) -> Any:
    """Turn integral floats (protobuf numbers) into ints so state and diffs are stable."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, dict):
        return {k: normalize(v) for k, v in value.items()}
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def from_struct(struct: struct_pb2.Struct | None) -> Props:
    """Decode a protobuf Struct into engine values (secret wrappers and UNKNOWN kept as is)."""
    if struct is None:
        return {}
    return normalize(json_format.MessageToDict(struct))


def to_struct(props: Props) -> struct_pb2.Struct:
    """Encode engine values into a protobuf Struct."""
    struct = struct_pb2.Struct()
    struct.update(copy.deepcopy(props))
    return struct


def same_value(old: Any, new: Any) -> bool:
    """Equality that ignores secretness and int/float differences."""
    return normalize(reveal(old)) == normalize(reveal(new))
