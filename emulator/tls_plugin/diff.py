"""``Diff``: the replacement rules of terraform-provider-tls and its renewal window, on plain values.

Every PrivateKey and CertRequest input forces replacement; every SelfSignedCert input except
``earlyRenewalHours`` does. A SelfSignedCert whose renewal window has opened is replaced on the next
``up`` without a refresh, with ``readyForRenewal`` as the replace reason: the bridge gets this from the
provider's plan modifier, which compares the clock with the state's ``validityEndTime`` minus the
*planned* (new) ``earlyRenewalHours``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from .resources import RENEWAL, SELF_SIGNED_CERT, ready_for_renewal
from .values import Props, contains_unknown, same_value

UPDATABLE: dict[str, frozenset[str]] = {SELF_SIGNED_CERT: frozenset({"earlyRenewalHours"})}


@dataclass
class DiffPlan:
    """What Diff answers: changed keys, replace reasons, and a per-property detailed diff."""

    changed: list[str] = field(default_factory=list)
    replaces: list[str] = field(default_factory=list)
    detailed: dict[str, tuple[str, bool]] = field(default_factory=dict)  # key -> (PropertyDiff kind, inputDiff)


def plan(
    type_: str, olds: Props, old_inputs: Props, news: Props, moment: datetime, ignore: Iterable[str] = ()
) -> DiffPlan:
    """Compare old inputs with new inputs, then apply the renewal window to a certificate."""
    result = DiffPlan()
    updatable = UPDATABLE.get(type_, frozenset())
    for key in sorted((set(old_inputs) | set(news)) - set(ignore)):
        if not contains_unknown(news.get(key)) and same_value(old_inputs.get(key), news.get(key)):
            continue
        replace = key not in updatable
        result.changed.append(key)
        result.detailed[key] = (_kind(key, old_inputs, news, replace), True)
        if replace:
            result.replaces.append(key)
    if type_ == SELF_SIGNED_CERT:
        _renewal(result, olds, news, moment)
    return result


def _renewal(result: DiffPlan, olds: Props, news: Props, moment: datetime) -> None:
    early = news.get("earlyRenewalHours", olds.get("earlyRenewalHours"))
    if contains_unknown(early):
        early = olds.get("earlyRenewalHours")
    if ready_for_renewal(olds, early, moment):
        result.changed.append(RENEWAL)
        result.replaces.append(RENEWAL)
        result.detailed[RENEWAL] = ("UPDATE_REPLACE", False)
    elif olds.get(RENEWAL) is True:  # refreshed as ready, but the window has closed again (clock or hours moved)
        result.changed.append(RENEWAL)
        result.detailed[RENEWAL] = ("UPDATE", False)


def _kind(key: str, old_inputs: Props, news: Props, replace: bool) -> str:
    if old_inputs.get(key) is None:
        kind = "ADD"
    elif news.get(key) is None:
        kind = "DELETE"
    else:
        kind = "UPDATE"
    return f"{kind}_REPLACE" if replace else kind
