"""``Check``: defaults and validation of resource inputs, on plain values.

Unknown values (previews) are never a failure: they are validated on the next, known, ``Check``.
ECDSA and ED25519 keys are accepted, as pulumi-tls accepts them; refusing them is the product's job.
"""

from __future__ import annotations

from typing import Any

from .resources import CERT_REQUEST, CURVES, EXTENDED_USAGES, KEY_USAGES, PRIVATE_KEY, SELF_SIGNED_CERT
from .values import Props, contains_unknown

Failure = tuple[str, str]  # (property, reason)
ALGORITHMS = ("RSA", "ECDSA", "ED25519")


def check(type_: str, news: Props) -> tuple[Props, list[Failure]]:
    """Return (``news`` plus defaults, failures)."""
    inputs = dict(news)
    if type_ == PRIVATE_KEY:
        return inputs, _private_key(inputs)
    if type_ == SELF_SIGNED_CERT:
        inputs.setdefault("earlyRenewalHours", 0)
        inputs.setdefault("isCaCertificate", False)
        failures = _require(inputs, "privateKeyPem", "allowedUses", "validityPeriodHours")
        failures += _write_only(inputs) + _uses(inputs.get("allowedUses"))
        failures += _at_least_zero(inputs, "validityPeriodHours", "earlyRenewalHours")
        return inputs, failures
    if type_ == CERT_REQUEST:
        return inputs, _require(inputs, "privateKeyPem") + _write_only(inputs)
    return inputs, [("", f"unsupported tls resource type {type_}")]


def _private_key(inputs: Props) -> list[Failure]:
    algorithm = inputs.get("algorithm")
    if contains_unknown(algorithm):
        return []
    if algorithm not in ALGORITHMS:
        return [("algorithm", f"algorithm must be one of {', '.join(ALGORITHMS)} (got {algorithm!r})")]
    if algorithm == "RSA":
        inputs.setdefault("rsaBits", 2048)
        if not contains_unknown(inputs["rsaBits"]) and not _is_int(inputs["rsaBits"]):
            return [("rsaBits", "rsaBits must be a whole number of bits")]
    if algorithm == "ECDSA":
        inputs.setdefault("ecdsaCurve", "P224")
        if not contains_unknown(inputs["ecdsaCurve"]) and inputs["ecdsaCurve"] not in CURVES:
            return [("ecdsaCurve", f"ecdsaCurve must be one of {', '.join(CURVES)}")]
    return []


def _require(inputs: Props, *keys: str) -> list[Failure]:
    return [(k, f"missing required property '{k}'") for k in keys if inputs.get(k) in (None, "", [])]


def _write_only(inputs: Props) -> list[Failure]:
    if inputs.get("privateKeyPemWo") is None:
        return []
    return [
        ("privateKeyPemWo", "privateKeyPemWo (write-only key) is not modelled by the tls stand-in; use privateKeyPem")
    ]


def _uses(uses: Any) -> list[Failure]:
    if not isinstance(uses, list) or contains_unknown(uses):
        return []
    return [
        ("allowedUses", f"unsupported allowed use {u!r}")
        for u in uses
        if u not in KEY_USAGES and u not in EXTENDED_USAGES
    ]


def _at_least_zero(inputs: Props, *keys: str) -> list[Failure]:
    failures = []
    for key in keys:
        value = inputs.get(key)
        if value is None or contains_unknown(value):
            continue
        if not _is_int(value) or int(value) < 0:
            failures.append((key, f"{key} must be a whole number, at least 0"))
    return failures


def _is_int(value: Any) -> bool:
    return not isinstance(value, bool) and isinstance(value, (int, float)) and float(value).is_integer()
