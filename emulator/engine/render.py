"""Human-readable rendering of results: step list, per-property diff (secrets masked), outputs."""

from __future__ import annotations

import json
from typing import Any

from .engine import RunResult
from .steps import Step
from .values import MASK, UNKNOWN, Props, is_secret, mask

SYMBOLS = {"create": "+", "update": "~", "replace": "+-", "delete": "-", "same": " ", "read": ">",
           "create-replacement": "++", "delete-replaced": "--", "refresh": "~"}
WIDTH = 72


def short(value: Any) -> str:
    """One-line rendering: secrets masked, unknowns as ``[unknown]``, long strings cut with their length."""
    if is_secret(value):
        return MASK
    if value == UNKNOWN:
        return "[unknown]"
    text = value if isinstance(value, str) else json.dumps(mask(value), sort_keys=True)
    text = text.replace("\n", "\\n")
    return text if len(text) <= WIDTH else f"{text[:WIDTH - 20]}... ({len(text)} chars)"


def render_step(step: Step) -> str:
    """``  ~ update  web-record (pulumi-python:dynamic/sample:Record) [value]``."""
    reasons = f" [{', '.join(step.replace_reasons or step.diff_reasons)}]" if step.diff_reasons or step.replace_reasons else ""
    return f"  {SYMBOLS.get(step.op, '?'):>2} {step.op:<18} {step.name} ({step.type}){reasons}"


def render_property_diff(step: Step) -> list[str]:
    """Lines ``      value: "v1" => "v2"`` for every changed property of a step."""
    old_inputs = step.old.inputs if step.old else {}
    new_inputs = step.new.inputs if step.new else {}
    if step.op == "update" and step.old and step.new and step.old.inputs == step.new.inputs:
        old_inputs, new_inputs = step.old.outputs, step.new.outputs  # refresh drift: outputs changed
    old_outputs = step.old.outputs if step.old else {}
    new_outputs = step.new.outputs if step.new else {}
    lines = []
    for key, detail in step.detailed_diff.items():
        kind = detail.get("kind", "update")
        before = short(old_inputs.get(key, old_outputs.get(key))) if step.old and (key in old_inputs or key in old_outputs) else "(none)"
        after = short(new_inputs.get(key, new_outputs.get(key, UNKNOWN))) if step.new and not kind.startswith("delete") else "(none)"
        if key == "readyForRenewal":
            before, after = "true (renewal window reached)", "[new certificate]"
        marker = " (forces replacement)" if kind.endswith("-replace") else ""
        lines.append(f"      {key}: {before} => {after}{marker}")
    return lines


def render_run(result: RunResult, diff: bool = False) -> str:
    """The step list (non-``same`` steps, or all with ``diff``), then a change summary line."""
    lines = []
    for step in result.steps:
        if step.op == "same" and not diff:
            continue
        if step.op in ("create-replacement", "delete-replaced"):
            continue  # the "replace" step stands for both halves
        lines.append(render_step(step))
        if diff:
            lines.extend(render_property_diff(step))
    done = {"create": "created", "update": "updated", "replace": "replaced", "delete": "deleted"}
    counts = ", ".join(f"{n} to {op}" if result.operation == "preview" else f"{n} {done[op]}"
                       for op, n in result.summary.items() if n and op != "same")
    lines.append(f"Resources: {counts or 'no changes'}; {result.summary['same']} unchanged")
    lines.extend(f"error: {e}" for e in result.errors)
    return "\n".join(lines)


def render_outputs(outputs: Props) -> str:
    """``key: value`` lines (values already masked or revealed by the caller)."""
    if not outputs:
        return "(no outputs)"
    width = max(len(k) for k in outputs)
    return "\n".join(f"{k:<{width}}  {v if isinstance(v, str) else json.dumps(v)}" for k, v in sorted(outputs.items()))
