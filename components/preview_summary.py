"""Pure: the JSON that `pulumi preview --json` prints -> a Markdown summary for a PR comment.

Per stack it lists each Salesforce app deployment that changes: the certificate (fingerprint,
not-after, key size, subject), the app (scopes, pre-authorization, kind), whether the change is a
key rotation, and the downtime risk of the configured rotation strategy. Values the engine masks
as ``"[secret]"`` are shown masked; nothing here tries to reveal them.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from components.resource_props import AppProps

SECRET = "[secret]"
UNKNOWN = "(known after apply)"
# How the engine spells a value it cannot know during preview, and the signature of a secret value.
_UNKNOWN_MARKERS = frozenset({"04da6b54-80e4-46f7-96ec-b56ff0331ba9", "[unknown]"})
_SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d"

APP_TYPE_SUFFIX = "salesforce-jwt:AppDeployment"
CERTIFICATE_FIELDS = {
    "certificate_fingerprint": "Fingerprint (SHA-256)",
    "certificate_not_after": "Not after",
    "key_algorithm": "Key algorithm",
    "key_size": "Key size",
    "certificate_subject": "Subject",
}
APP_FIELDS = {
    "app_kind": "Kind",
    "scopes": "Scopes",
    "permission_sets": "Pre-authorized permission sets",
    "profiles": "Pre-authorized profiles",
}
VALID_OPS = frozenset(
    {
        "same",
        "create",
        "update",
        "replace",
        "delete",
        "create-replacement",
        "delete-replaced",
        "read",
        "refresh",
        "read-replacement",
        "discard",
        "discard-replaced",
        "import",
        "import-replacement",
        "remove-pending-replace",
    }
)
# When one resource has several steps (a replacement prints three), keep the most telling one.
_OP_RANK = {"replace": 0, "create-replacement": 1, "update": 2, "create": 3, "delete-replaced": 4, "delete": 5}
_QUIET_OPS = frozenset({"same", "read", "refresh", "discard", "discard-replaced"})


class PreviewFormatError(ValueError):
    """The input is not the JSON that `pulumi preview --json` prints."""


@dataclass(frozen=True)
class FieldChange:
    """One input whose value differs between the old and the new state (display strings)."""

    name: str
    label: str
    old: str
    new: str
    added: tuple[str, ...] = ()
    removed: tuple[str, ...] = ()


@dataclass(frozen=True)
class AppChange:
    """What one AppDeployment step means for the integration."""

    stack: str
    name: str
    op: str
    certificate: tuple[FieldChange, ...]
    app: tuple[FieldChange, ...]
    rotation: bool
    strategy: str
    downtime_risk: str


@dataclass
class StackSummary:
    """All app changes of one stack, and how many resources the stack touches."""

    name: str
    apps: list[AppChange] = field(default_factory=list)
    changed_resources: int = 0


@dataclass(frozen=True)
class PreviewSummary:
    """The whole preview, grouped by stack."""

    stacks: tuple[StackSummary, ...]
    change_summary: Mapping[str, int]
    errors: tuple[str, ...] = ()


def load_preview(text: str) -> dict[str, Any]:
    """Parse and validate the preview JSON; raise PreviewFormatError naming what is wrong."""
    if not text.strip():
        raise PreviewFormatError("preview input is empty: pass the output of `pulumi preview --json` (a file or stdin)")
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise PreviewFormatError(
            f"preview input is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg}); "
            "pass the output of `pulumi preview --json`, not `pulumi preview --diff`"
        ) from None
    except RecursionError:
        raise PreviewFormatError(TOO_DEEP) from None
    _validate(data)
    if _depth(data) > MAX_DEPTH:
        raise PreviewFormatError(TOO_DEEP)
    return data


MAX_DEPTH = 64  # Pulumi's preview JSON nests a dozen levels; property values a few more
TOO_DEEP = (
    f"preview input nests deeper than {MAX_DEPTH} levels, which `pulumi preview --json` never does; "
    "pass the output of `pulumi preview --json`"
)


def _depth(value: Any) -> int:
    """How deeply ``value`` nests (iteratively: no recursion limit to hit), counted up to MAX_DEPTH + 1."""
    deepest, pending = 0, [(value, 1)]
    while pending and deepest <= MAX_DEPTH:
        item, depth = pending.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            children = item.values() if isinstance(item, dict) else item
            pending.extend((child, depth + 1) for child in children)
    return deepest


def _validate(data: Any) -> None:
    if not isinstance(data, dict) or not isinstance(data.get("steps"), list):
        raise PreviewFormatError(
            "preview JSON must be an object with a 'steps' list, as `pulumi preview --json` prints"
        )
    for index, step in enumerate(data["steps"]):
        where = f"steps[{index}]"
        if not isinstance(step, dict):
            raise PreviewFormatError(f"{where} must be an object, got {type(step).__name__}")
        op = step.get("op")
        if not isinstance(op, str) or op not in VALID_OPS:
            raise PreviewFormatError(f"{where}.op must be one of {sorted(VALID_OPS)}, got {op!r}")
        _parse_urn(step.get("urn"), f"{where}.urn")
        for key in ("oldState", "newState"):
            state = step.get(key)
            if state is None:
                continue
            if not isinstance(state, dict):
                raise PreviewFormatError(f"{where}.{key} must be an object or absent")
            if not isinstance(state.get("inputs", {}), dict):
                raise PreviewFormatError(f"{where}.{key}.inputs must be an object")
    summary = data.get("changeSummary", {})
    if not isinstance(summary, dict) or not all(isinstance(v, int) for v in summary.values()):
        raise PreviewFormatError("changeSummary must map operation names to counts")


def _parse_urn(urn: Any, where: str) -> tuple[str, str, str]:
    """Return (stack, qualified type, name) of `urn:pulumi:<stack>::<project>::<type>::<name>`."""
    parts = urn.split("::", 3) if isinstance(urn, str) else []
    if len(parts) != 4 or not parts[0].startswith("urn:pulumi:") or not parts[0][11:]:
        raise PreviewFormatError(f"{where} must look like urn:pulumi:<stack>::<project>::<type>::<name>, got {urn!r}")
    return parts[0][len("urn:pulumi:") :], parts[2], parts[3]


def display(value: Any) -> str:
    """A short, safe string for a property value; secrets stay masked, unknowns are named."""
    if value is None:
        return "—"
    if isinstance(value, str):
        if value == SECRET:
            return SECRET
        return UNKNOWN if value in _UNKNOWN_MARKERS else value
    if isinstance(value, Mapping):
        return SECRET if _SECRET_SIG_KEY in value else json.dumps(value, sort_keys=True)
    if isinstance(value, Sequence):
        return ", ".join(display(item) for item in value) or "(none)"
    return str(value)


def _is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in _UNKNOWN_MARKERS


def _inputs(step: Mapping[str, Any], key: str) -> AppProps:
    """An AppDeployment's inputs as the preview shows them (any of them may be missing or unknown)."""
    state = step.get(key) or {}
    return cast(AppProps, state.get("inputs") or {})


def _state_type(step: Mapping[str, Any], qualified_type: str) -> str:
    for key in ("newState", "oldState"):
        state_type = (step.get(key) or {}).get("type")
        if isinstance(state_type, str):
            return state_type
    return qualified_type.rsplit("$", 1)[-1]


def _changes(old: AppProps, new: AppProps, labels: Mapping[str, str], creating: bool) -> tuple[FieldChange, ...]:
    changes = []
    for name, label in labels.items():
        before, after = cast(Mapping[str, Any], old).get(name), cast(Mapping[str, Any], new).get(name)
        if creating or before != after:
            if before is None and after is None:
                continue
            added, removed = _list_delta(before, after)
            changes.append(FieldChange(name, label, display(before), display(after), added, removed))
    return tuple(changes)


def _list_delta(before: Any, after: Any) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Items added and removed when both values are known lists; otherwise nothing."""
    if not isinstance(before, list) or not isinstance(after, list):
        return (), ()
    old, new = {display(i) for i in before}, {display(i) for i in after}
    return tuple(sorted(new - old)), tuple(sorted(old - new))


def _is_rotation(op: str, old: AppProps, new: AppProps) -> bool:
    """A rotation: an existing app's certificate fingerprint changes (or is recomputed), or a
    blue-green rotation creates the idle slot's app for the first time."""
    if op == "create" and new.get("rotation_strategy") == "blue-green":
        rotation = new.get("rotation")
        return isinstance(rotation, int) and rotation > 0
    if op in {"create", "delete", "delete-replaced"} or not old:
        return False
    before, after = old.get("certificate_fingerprint"), new.get("certificate_fingerprint")
    return before is not None and (before != after or _is_unknown(after))


def _downtime_risk(op: str, rotation: bool, strategy: str, app: tuple[FieldChange, ...]) -> str:
    if op in {"delete", "delete-replaced"}:
        return "the app leaves the stack: integrations using it stop being managed"
    if any(change.name == "app_kind" for change in app) and op != "create":
        return (
            "high: a new app kind means a new app and consumer key; integrations must read the new credential document"
        )
    if not rotation:
        return "none"
    if strategy == "blue-green":
        return "none expected: blue-green rotates the idle slot and promotes it once verified"
    return (
        "brief: the app holds one certificate, so the current key stops working between the "
        "deploy and the promotion (rotationStrategy: single; blue-green avoids this)"
    )


def _app_change(stack: str, name: str, step: Mapping[str, Any]) -> AppChange:
    op = step["op"]
    old, new = _inputs(step, "oldState"), _inputs(step, "newState")
    creating = not old
    certificate = _changes(old, new, CERTIFICATE_FIELDS, creating)
    app = _changes(old, new, APP_FIELDS, creating)
    rotation = _is_rotation(op, old, new)
    strategy = display(new.get("rotation_strategy") or old.get("rotation_strategy") or "single")
    return AppChange(stack, name, op, certificate, app, rotation, strategy, _downtime_risk(op, rotation, strategy, app))


def summarize(preview: Mapping[str, Any]) -> PreviewSummary:
    """Group the preview's steps by stack and describe every AppDeployment change."""
    _validate(preview)
    stacks: dict[str, StackSummary] = {}
    chosen: dict[str, tuple[str, str, Mapping[str, Any]]] = {}
    changed: dict[str, set[str]] = {}
    for step in preview["steps"]:
        stack, qualified_type, name = _parse_urn(step["urn"], "urn")
        stacks.setdefault(stack, StackSummary(stack))
        if step["op"] in _QUIET_OPS:
            continue
        changed.setdefault(stack, set()).add(step["urn"])
        if not _state_type(step, qualified_type).endswith(APP_TYPE_SUFFIX):
            continue
        previous = chosen.get(step["urn"])
        if previous is None or _OP_RANK.get(step["op"], 9) < _OP_RANK.get(previous[2]["op"], 9):
            chosen[step["urn"]] = (stack, name, step)
    for stack, name, step in chosen.values():
        stacks[stack].apps.append(_app_change(stack, name, step))
    for stack, urns in changed.items():
        stacks[stack].changed_resources = len(urns)
    errors = tuple(
        str(diag.get("message", "")).strip()
        for diag in preview.get("diagnostics", []) or []
        if isinstance(diag, Mapping) and diag.get("severity") == "error"
    )
    ordered = tuple(stacks[name] for name in sorted(stacks))
    return PreviewSummary(ordered, dict(preview.get("changeSummary", {})), errors)


def _code(text: str) -> str:
    """An inline code span that survives backticks and table pipes."""
    text = text.replace("|", "\\|").replace("\n", " ")
    fence = "``" if "`" in text else "`"
    return f"{fence}{text}{fence}" if text not in {"—", UNKNOWN, "(none)"} else text


def _describe(change: FieldChange) -> str:
    parts = [f"added {', '.join(_code(i) for i in change.added)}"] if change.added else []
    if change.removed:
        parts.append(f"removed {', '.join(_code(i) for i in change.removed)}")
    return "; ".join(parts) or f"{_code(change.old)} → {_code(change.new)}"


def _render_app(change: AppChange) -> list[str]:
    lines = [f"#### `{change.name}` — {change.op}", ""]
    if change.certificate:
        lines += ["| Certificate | Before | After |", "|---|---|---|"]
        lines += [f"| {c.label} | {_code(c.old)} | {_code(c.new)} |" for c in change.certificate]
        lines.append("")
    lines += [f"- {c.label}: {_describe(c)}" for c in change.app]
    rotation = "yes — the certificate fingerprint changes" if change.rotation else "no"
    lines += [f"- Rotation: {rotation} (strategy `{change.strategy}`)", f"- Downtime risk: {change.downtime_risk}", ""]
    return lines


def render_preview_markdown(summary: PreviewSummary) -> str:
    """Markdown for a PR comment: one section per stack."""
    lines = ["## Salesforce JWT integration — preview", ""]
    counts = ", ".join(f"{op} {n}" for op, n in sorted(summary.change_summary.items()) if n)
    if counts:
        lines += [f"Resources: {counts}.", ""]
    if summary.errors:
        lines += ["**The preview reported errors:**", ""]
        lines += [f"- {_code(message)}" for message in summary.errors] + [""]
    if not summary.stacks:
        lines.append("The preview contains no resources.")
    for stack in summary.stacks:
        lines += [f"### Stack `{stack.name}`", ""]
        rotations = [app.name for app in stack.apps if app.rotation]
        if rotations:
            lines += [f"**Key rotation:** {', '.join(f'`{n}`' for n in rotations)}", ""]
        if not stack.apps:
            noun = "resource changes" if stack.changed_resources == 1 else "resources change"
            lines += [f"No certificate or app changes ({stack.changed_resources} other {noun}).", ""]
        for app in stack.apps:
            lines += _render_app(app)
    return "\n".join(lines).rstrip() + "\n"


def preview_to_markdown(text: str) -> str:
    """Parse `pulumi preview --json` output and render the Markdown summary."""
    return render_preview_markdown(summarize(load_preview(text)))
