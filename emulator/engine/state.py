"""The JSON state file of one stack (not Pulumi's checkpoint format; secrets stay marked, in plaintext)."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from .values import Props

STATE_VERSION = 1
STACK_TYPE = "pulumi:pulumi:Stack"


@dataclass
class ResourceState:
    """One resource as recorded after a step."""

    urn: str
    type: str
    custom: bool
    id: str = ""
    inputs: Props = field(default_factory=dict)
    outputs: Props = field(default_factory=dict)
    parent: str = ""
    dependencies: list[str] = field(default_factory=list)
    provider: str = ""
    protect: bool = False
    retain_on_delete: bool = False
    delete_before_replace: bool = False
    additional_secret_outputs: list[str] = field(default_factory=list)
    pending_delete: bool = False
    replacement_trigger: Any = None

    @property
    def name(self) -> str:
        """The logical name (last URN segment)."""
        return self.urn.rsplit("::", 1)[-1]

    def to_json(self) -> dict:
        """A JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict) -> "ResourceState":
        """Inverse of :meth:`to_json` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


@dataclass
class Snapshot:
    """All resources of a stack, in registration order."""

    resources: list[ResourceState] = field(default_factory=list)

    def live(self) -> list[ResourceState]:
        """Resources not waiting for deletion."""
        return [r for r in self.resources if not r.pending_delete]

    def by_urn(self) -> dict[str, ResourceState]:
        """Live resources keyed by URN."""
        return {r.urn: r for r in self.live()}

    def stack_outputs(self) -> Props:
        """Outputs registered on the stack resource (``pulumi.export``)."""
        stack = next((r for r in self.live() if r.type == STACK_TYPE), None)
        return dict(stack.outputs) if stack else {}


def state_path(state_dir: Path, stack: str) -> Path:
    """``<state_dir>/<stack>.json``."""
    return state_dir / f"{stack}.json"


def load(state_dir: Path, stack: str) -> Snapshot:
    """Read the stack's state; an absent file is an empty stack."""
    path = state_path(state_dir, stack)
    if not path.is_file():
        return Snapshot()
    data = json.loads(path.read_text())
    if data.get("version") != STATE_VERSION:
        raise ValueError(f"{path}: unsupported state version {data.get('version')!r}; delete the file to start over")
    return Snapshot([ResourceState.from_json(r) for r in data.get("resources", [])])


def save(state_dir: Path, stack: str, project: str, snapshot: Snapshot) -> Path:
    """Write the state atomically (owner-only permissions: it holds secrets in plaintext)."""
    state_dir.mkdir(parents=True, exist_ok=True)
    path = state_path(state_dir, stack)
    document = {
        "version": STATE_VERSION,
        "note": "offline engine state (test harness, not a Pulumi checkpoint)",
        "project": project,
        "stack": stack,
        "updated": datetime.now(timezone.utc).isoformat(),
        "resources": [r.to_json() for r in snapshot.resources],
    }
    fd, tmp = tempfile.mkstemp(dir=state_dir, prefix=f".{stack}.", suffix=".tmp")
    with os.fdopen(fd, "w") as handle:
        json.dump(document, handle, indent=2, sort_keys=False)
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
