"""The offline engine's Python API: preview, up, refresh, destroy and outputs for one stack.

>>> result = Engine(project_dir, "dev", state_dir=tmp).up()
>>> result.ok, result.summary, result.outputs

It runs the project's ``__main__.py`` in a subprocess exactly as the Python language host does, serves
the resource monitor in-process, and sends dynamic resources through ``python -m pulumi.dynamic``.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from . import clock, state as state_store
from .deployment import DYNAMIC_PREFIX, Deployment, DeploymentError
from .dynamic_host import DynamicHost
from .monitor import serve
from .project import ConfigError, StackConfig, load_project_name, load_stack_config
from .state import Snapshot
from .steps import CHANGE_OPS, Step, summarize
from .tls import TlsProvider
from .values import Props, mask, reveal

BANNER = "offline engine (test harness, not the Pulumi CLI)"
LANGHOST = Path(__file__).with_name("langhost.py")
DEFAULT_TIMEOUT_S = 600.0


class EngineError(Exception):
    """Bad usage or configuration, raised before any side effect."""


class EngineRunError(Exception):
    """Raised by :meth:`RunResult.check` when an operation failed."""


@dataclass
class RunResult:
    """Outcome of one operation."""

    operation: str
    steps: list[Step] = field(default_factory=list)
    outputs: Props = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    messages: list[str] = field(default_factory=list)
    calls: list[tuple[str, str]] = field(default_factory=list)
    exit_code: int = 0
    duration: float = 0.0

    @property
    def ok(self) -> bool:
        """True when nothing failed."""
        return not self.errors and self.exit_code != 1

    @property
    def summary(self) -> dict[str, int]:
        """``changeSummary`` counts."""
        return summarize(self.steps)

    @property
    def changed(self) -> bool:
        """True when any step creates, updates, replaces or deletes something."""
        return any(step.op in CHANGE_OPS for step in self.steps)

    def ops(self) -> dict[str, str]:
        """Logical resource name -> main op (replace wins over its create/delete halves)."""
        result: dict[str, str] = {}
        for step in self.steps:
            if step.op not in ("create-replacement", "delete-replaced") or step.name not in result:
                result[step.name] = step.op
        return result

    def step(self, name: str, op: str | None = None) -> Step:
        """The (first) step for a resource name, optionally with a given op."""
        for candidate in self.steps:
            if candidate.name == name and (op is None or candidate.op == op):
                return candidate
        raise KeyError(f"no {op or ''} step for {name!r}; steps: {[(s.op, s.name) for s in self.steps]}")

    def call_count(self, method: str) -> int:
        """How many provider calls of ``method`` (Check, Diff, Create, Update, Read, Delete) were made."""
        return sum(1 for m, _urn in self.calls if m == method)

    def to_json(self) -> dict[str, Any]:
        """The ``pulumi preview --json`` document (secrets masked)."""
        return {"steps": [s.to_json() for s in self.steps], "changeSummary": self.summary,
                "duration": int(self.duration * 1e9)}

    def check(self) -> "RunResult":
        """Raise :class:`EngineRunError` with the errors when the operation failed; return self otherwise."""
        if not self.ok:
            raise EngineRunError(f"{self.operation} failed: " + "; ".join(self.errors or ["program failed"]))
        return self


def _echoes_step_error(message: str, errors: list[str]) -> bool:
    """The SDK's traceback for a RegisterResource that the engine failed: the error line says it all."""
    return message.startswith("error: Program failed with an unhandled exception") and any(e in message for e in errors)


class Engine:
    """One stack of one project, driven offline."""

    def __init__(self, project_dir: str | Path, stack: str = "dev", state_dir: str | Path | None = None, *,
                 config: Mapping[str, str] | list[str] = (), secrets: Mapping[str, str] | list[str] = (),
                 env: Mapping[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT_S):
        self.project_dir = Path(project_dir).resolve()
        self.stack = stack
        if not stack or not all(c.isalnum() or c in "-_." for c in stack):
            raise EngineError(f"--stack {stack!r} is not a valid stack name; use letters, digits, '-', '_' or '.'")
        self.state_dir = Path(state_dir).resolve() if state_dir else self.project_dir / ".state"
        self.env = dict(env or {})
        self.timeout = timeout
        try:
            self.project = load_project_name(self.project_dir)
            self.config: StackConfig = load_stack_config(self.project_dir, self.project, stack, config, secrets, self.env)
            clock.now(self.env)
        except (ConfigError, ValueError) as error:
            raise EngineError(str(error)) from None

    # -- public operations -------------------------------------------------------------------------
    def preview(self, expect_no_changes: bool = False) -> RunResult:
        """Run the program in dry-run mode: Check/Diff only, no Create/Update/Delete, no state written."""
        result = self._run_program(dry_run=True)
        if expect_no_changes and result.ok and result.changed:
            result.exit_code = 2
        return result

    def up(self) -> RunResult:
        """Run the program and apply every step, then delete what the program no longer registers."""
        return self._run_program(dry_run=False)

    def refresh(self, preview_only: bool = False, expect_no_changes: bool = False) -> RunResult:
        """Read every resource back from its provider; write state unless ``preview_only``."""
        result = self._operate("refresh", lambda d: d.refresh(), save=not preview_only)
        if expect_no_changes and result.ok and result.changed:
            result.exit_code = 2
        return result

    def destroy(self) -> RunResult:
        """Delete every resource in state, dependents first."""
        return self._operate("destroy", lambda d: d.destroy(), save=True)

    def outputs(self, show_secrets: bool = False) -> Props:
        """Stack outputs from state; secrets as "[secret]" unless ``show_secrets``."""
        outputs = self.snapshot().stack_outputs()
        return reveal(outputs) if show_secrets else mask(outputs)

    def snapshot(self) -> Snapshot:
        """The stack's current state."""
        return state_store.load(self.state_dir, self.stack)

    # -- internals ---------------------------------------------------------------------------------
    def _deployment(self, dry_run: bool, messages: list[str]) -> tuple[Deployment, DynamicHost]:
        host = DynamicHost(self.project_dir, self.project, self.config.values, self._child_env(), messages.append)
        deployment = Deployment(project=self.project, stack=self.stack, old=self.snapshot(), dynamic=host,
                                tls_provider=TlsProvider(lambda: clock.now(self.env)), dry_run=dry_run,
                                log=messages.append)
        return deployment, host

    def _operate(self, operation: str, action, save: bool) -> RunResult:
        messages: list[str] = [BANNER]
        started = time.monotonic()
        deployment, host = self._deployment(dry_run=False, messages=messages)
        if any(r.type.startswith(DYNAMIC_PREFIX) for r in deployment.old.resources):
            host.prestart()
        try:
            action(deployment)
        except DeploymentError:
            pass  # recorded in deployment.errors
        finally:
            host.close()
            if save:
                state_store.save(self.state_dir, self.stack, self.project, deployment.snapshot())
        return self._result(operation, deployment, messages, started, 0)

    def _run_program(self, dry_run: bool) -> RunResult:
        messages: list[str] = [BANNER]
        started = time.monotonic()
        deployment, host = self._deployment(dry_run=dry_run, messages=messages)
        server, address = serve(deployment, messages.append)
        host.prestart()
        code = 1
        try:
            code = self._launch(address, dry_run, messages)
            if code == 0 and not deployment.errors:
                deployment.finish()
        except DeploymentError:
            pass  # recorded in deployment.errors
        finally:
            host.close()
            server.stop(grace=None)
            if not dry_run:
                state_store.save(self.state_dir, self.stack, self.project, deployment.snapshot())
        if code != 0 and not deployment.errors:
            deployment.errors.append("the program failed; see the messages above")
        messages[:] = [m for m in messages if not _echoes_step_error(m, deployment.errors)]
        return self._result("preview" if dry_run else "up", deployment, messages, started, code)

    def _result(self, operation: str, deployment: Deployment, messages: list[str], started: float, code: int) -> RunResult:
        outputs = deployment.snapshot().stack_outputs() if operation != "destroy" else {}
        if operation == "preview":
            outputs = next((r.outputs for r in deployment.resources if r.type == state_store.STACK_TYPE), {})
        return RunResult(operation, deployment.steps, outputs, deployment.errors, messages, deployment.calls,
                         1 if deployment.errors or code else 0, time.monotonic() - started)

    def _child_env(self) -> dict[str, str]:
        return {**self.env, "PULUMI_PROJECT": self.project, "PULUMI_STACK": self.stack}

    def _program_env(self, dry_run: bool) -> dict[str, str]:
        return {
            **os.environ, **self._child_env(),
            "PULUMI_CONFIG": json.dumps(self.config.values),
            "PULUMI_CONFIG_SECRET_KEYS": json.dumps(self.config.secret_keys),
            "PULUMI_DRY_RUN": "true" if dry_run else "false",
            "PYTHONUNBUFFERED": "1",
        }

    def _launch(self, address: str, dry_run: bool, messages: list[str]) -> int:
        command = [sys.executable, "-u", str(LANGHOST), "--monitor", address, "--engine", address,
                   "--project", self.project, "--stack", self.stack, "--dry-run", "true" if dry_run else "false",
                   str(self.project_dir)]
        try:
            completed = subprocess.run(command, cwd=self.project_dir, env=self._program_env(dry_run),
                                       capture_output=True, text=True, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            messages.append(f"error: the program did not finish within {self.timeout:.0f}s")
            return 1
        for line in (completed.stdout + completed.stderr).splitlines():
            if line.strip():
                messages.append(f"program: {line}")
        return completed.returncode
