"""Steps (what happened, or would happen, to each resource) and their property-level diff."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .state import ResourceState
from .values import Props, contains_unknown, mask, same_value

CHANGE_OPS = {"create", "update", "replace", "delete"}


@dataclass
class Step:
    """One step; ``old``/``new`` are the states before and after (None on create/delete)."""

    op: str
    urn: str
    type: str
    old: ResourceState | None = None
    new: ResourceState | None = None
    diff_reasons: list[str] = field(default_factory=list)
    replace_reasons: list[str] = field(default_factory=list)
    detailed_diff: dict[str, dict] = field(default_factory=dict)

    @property
    def name(self) -> str:
        """Logical name of the resource."""
        return self.urn.rsplit("::", 1)[-1]

    @property
    def provider(self) -> str:
        """Provider reference of the resource."""
        state = self.new or self.old
        return state.provider if state else ""

    def to_json(self) -> dict:
        """The step in ``pulumi preview --json`` shape, secrets masked as "[secret]"."""
        doc: dict[str, Any] = {"op": self.op, "urn": self.urn, "provider": self.provider}
        if self.old is not None:
            doc["oldState"] = _state_json(self.old)
        if self.new is not None:
            doc["newState"] = _state_json(self.new)
        if self.diff_reasons:
            doc["diffReasons"] = list(self.diff_reasons)
        if self.replace_reasons:
            doc["replaceReasons"] = list(self.replace_reasons)
        if self.detailed_diff:
            doc["detailedDiff"] = self.detailed_diff
        return doc


def _state_json(state: ResourceState) -> dict:
    doc = {"urn": state.urn, "type": state.type, "custom": state.custom,
           "inputs": mask(state.inputs), "outputs": mask(state.outputs)}
    if state.id:
        doc["id"] = state.id
    if state.parent:
        doc["parent"] = state.parent
    if state.protect:
        doc["protect"] = True
    return doc


def changed_keys(old: Props, new: Props) -> list[str]:
    """Top-level keys whose values differ (unknowns count as changed)."""
    return [k for k in sorted(set(old) | set(new))
            if contains_unknown(new.get(k)) or not same_value(old.get(k), new.get(k))]


def detailed_diff(old: Props, new: Props, keys: list[str], replaces: list[str]) -> dict[str, dict]:
    """``detailedDiff`` entries for ``keys``: add/delete/update, with ``-replace`` for replacing keys."""
    entries = {}
    for key in keys:
        kind = "add" if key not in old else "delete" if key not in new else "update"
        entries[key] = {"kind": f"{kind}-replace" if key in replaces else kind, "inputDiff": key in old or key in new}
    for key in replaces:
        entries.setdefault(key, {"kind": "update-replace", "inputDiff": False})
    return entries


def summarize(steps: list[Step]) -> dict[str, int]:
    """``changeSummary``: counts of create/update/replace/delete/same (replacement halves not double counted)."""
    counts = {"create": 0, "update": 0, "replace": 0, "delete": 0, "same": 0}
    for step in steps:
        if step.op in counts:
            counts[step.op] += 1
    return counts
