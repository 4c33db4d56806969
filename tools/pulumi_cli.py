"""Drive one stack of a project with the real ``pulumi`` CLI, offline: file backend, passphrase secrets.

Used by the tests and by ``make demo``. The CLI gets SIGTERM when the process that started it dies
(it then cancels cleanly, and its plugins stop with it). Each :class:`Stack` works on a scratch copy of the project
(so ``pulumi config set`` never edits tracked files) with its own ``PULUMI_HOME`` and state folder;
plugins come from PATH (see ``tools/pulumi_tools.py``) and are never downloaded. Operations run with
``--json``: ``up``/``refresh``/``destroy`` stream engine events, previews print one digest;
:class:`Outcome` reads either (steps, diagnostics, the summary).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from emulator.parent_death import die_with_parent
from tools import pulumi_tools

PROJECT_FILES = ("Pulumi.yaml", "__main__.py")
CHANGE_OPS = frozenset(
    {"create", "update", "replace", "delete", "create-replacement", "delete-replaced", "import", "import-replacement"}
)
DEFAULT_TIMEOUT = 900


class PulumiError(RuntimeError):
    """An operation failed; the message carries the CLI's errors (never secret values)."""


@dataclass
class Outcome:
    """What one CLI operation did, read from its exit code, output and engine event log."""

    command: str
    exit_code: int
    stdout: str
    stderr: str
    events: list[dict[str, Any]] = field(default_factory=list)
    digest: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return self.exit_code == 0

    @property
    def steps(self) -> list[dict[str, Any]]:
        """Each resource step (op, urn, type, ...): the engine's events, or the preview digest's steps."""
        if self.digest:
            return list(self.digest.get("steps") or [])
        return [e["resourcePreEvent"]["metadata"] for e in self.events if "resourcePreEvent" in e]

    @property
    def ops(self) -> dict[str, str]:
        """Resource name -> op, for every step that is not ``same``."""
        return {s["urn"].rsplit("::", 1)[-1]: s["op"] for s in self.steps if s["op"] != "same"}

    @property
    def summary(self) -> dict[str, int]:
        """The engine's change counts (op -> number of resources)."""
        if self.digest:
            return dict(self.digest.get("changeSummary") or {})
        for event in reversed(self.events):
            if "summaryEvent" in event:
                return dict(event["summaryEvent"].get("resourceChanges") or {})
        return {}

    @property
    def changed(self) -> bool:
        return any(op in CHANGE_OPS and n for op, n in self.summary.items())

    @property
    def diagnostics(self) -> list[dict[str, Any]]:
        """Every diagnostic the engine reported (``severity``, ``message``, ``urn``), debug ones left out."""
        found = self.digest.get("diagnostics") or [e["diagnosticEvent"] for e in self.events if "diagnosticEvent" in e]
        return [d for d in found if d.get("severity") != "debug"]

    @property
    def errors(self) -> list[str]:
        """Error diagnostics, in order (the CLI's own last words when there are none)."""
        found = [d["message"].strip() for d in self.diagnostics if d.get("severity") == "error"]
        return found or ([self.stderr.strip()[-2000:]] if not self.ok and self.stderr.strip() else [])

    @property
    def messages(self) -> list[str]:
        """Every info, warning and error message, as the CLI shows them."""
        return [d["message"].strip() for d in self.diagnostics]

    def check(self) -> Outcome:
        """Raise :class:`PulumiError` when the operation failed; return self otherwise."""
        if not self.ok:
            raise PulumiError(f"pulumi {self.command} exited {self.exit_code}: " + " | ".join(self.errors))
        return self


def offline_environment(home: Path, backend: Path, passphrase: str) -> dict[str, str]:
    """The variables that keep the CLI local: no update check, no plugin download, no cloud backend."""
    return {
        "PULUMI_HOME": str(home),
        "PULUMI_BACKEND_URL": backend.resolve().as_uri(),
        "PULUMI_CONFIG_PASSPHRASE": passphrase,
        "PULUMI_SKIP_UPDATE_CHECK": "true",
        "PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION": "true",
        "PULUMI_DIY_BACKEND_NO_LEGACY_WARNING": "true",
        "PATH": pulumi_tools.search_path() + os.pathsep + os.environ.get("PATH", ""),
    }


def scratch_project(source: Path, target: Path, extra: tuple[str, ...] = ("components",)) -> Path:
    """A copy of the project files, with the packages and the virtualenv linked, not copied."""
    target.mkdir(parents=True, exist_ok=True)
    for name in PROJECT_FILES:
        shutil.copy(source / name, target / name)
    for stack_file in source.glob("Pulumi.*.yaml"):
        shutil.copy(stack_file, target / stack_file.name)
    for name in (*extra, ".venv"):
        if (source / name).exists() and not (target / name).exists():
            (target / name).symlink_to((source / name).resolve())
    return target


class Stack:
    """One stack of a project, run with the real CLI under ``work``."""

    def __init__(
        self,
        project: Path,
        stack: str,
        work: Path,
        *,
        env: dict[str, str] | None = None,
        passphrase: str = "test-passphrase",
        extra: tuple[str, ...] = ("components",),
    ):
        self.name = stack
        self.work = work
        self.project = scratch_project(project, work / "project", extra)
        for folder in ("home", "state", "logs"):
            (work / folder).mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **(env or {}), **offline_environment(work / "home", work / "state", passphrase)}
        self.binary = str(pulumi_tools.pulumi_bin_dir() / "pulumi")
        self._runs = 0
        self.run("stack", "select", "--create", stack).check()

    # -- the CLI ---------------------------------------------------------------------------------
    def run(
        self, *args: str, events: bool = False, env: dict[str, str] | None = None, timeout: float = DEFAULT_TIMEOUT
    ) -> Outcome:
        """Run ``pulumi --non-interactive <args>``; with ``events``, add ``--json`` and read what it prints."""
        argv = [self.binary, "--non-interactive", *args, *(["--json"] if events else [])]
        process = subprocess.Popen(
            argv,
            cwd=self.project,
            env={**self.env, **(env or {})},
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )
        try:
            stdout, stderr = process.communicate(timeout=timeout)
        except BaseException:
            _kill_group(process)
            raise
        self._runs += 1
        (self.work / "logs" / f"{self._runs:03d}-{args[0]}.out").write_text(stdout + "\n--- stderr\n" + stderr)
        outcome = Outcome(" ".join(args[:1]), process.returncode, stdout, stderr)
        if events:
            outcome.events, outcome.digest = _parse_json_output(stdout)
        return outcome

    def start(self, *args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
        """Start ``pulumi --non-interactive <args>`` in a session of its own and return at once."""
        return subprocess.Popen(
            [self.binary, "--non-interactive", *args],
            cwd=self.project,
            env={**self.env, **(env or {})},
            text=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            preexec_fn=die_with_parent(signal.SIGTERM),
        )

    def set_config(self, secret: bool = False, **values: Any) -> None:
        """``pulumi config set`` each key (camelCase, project namespace)."""
        for key, value in values.items():
            flag = ["--secret"] if secret else ["--plaintext"]
            self.run("config", "set", *flag, "--", key, _config_text(value)).check()

    def up(self, *extra: str, env: dict[str, str] | None = None, **config: Any) -> Outcome:
        """``pulumi up`` (after setting ``config``); ``extra`` such as ``--refresh`` is passed on."""
        if config:
            self.set_config(**config)
        return self.run("up", "--yes", "--skip-preview", "--stack", self.name, *extra, events=True, env=env)

    def preview(self, *extra: str, env: dict[str, str] | None = None) -> Outcome:
        """``pulumi preview --json``: the digest is ``outcome.digest``."""
        return self.run("preview", "--stack", self.name, *extra, events=True, env=env)

    def refresh(self, *extra: str, env: dict[str, str] | None = None) -> Outcome:
        """``pulumi refresh``; with ``--preview-only`` it only reports what it would change."""
        confirm = [] if "--preview-only" in extra else ["--yes", "--skip-preview"]
        return self.run("refresh", *confirm, "--stack", self.name, *extra, events=True, env=env)

    def destroy(self, env: dict[str, str] | None = None) -> Outcome:
        return self.run("destroy", "--yes", "--skip-preview", "--stack", self.name, events=True, env=env)

    def outputs(self, show_secrets: bool = False) -> dict[str, Any]:
        args = ["stack", "output", "--json", "--stack", self.name] + (["--show-secrets"] if show_secrets else [])
        return json.loads(self.run(*args).check().stdout or "{}")

    def state(self) -> dict[str, Any]:
        """``pulumi stack export`` (secrets stay encrypted)."""
        return json.loads(self.run("stack", "export", "--stack", self.name).check().stdout)


def _config_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    return str(value)


def _parse_json_output(stdout: str) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """``--json`` output: a stream of engine events (one object a line) or one preview digest."""
    text = stdout.strip()
    if not text:
        return [], {}
    try:
        whole = json.loads(text)
    except json.JSONDecodeError:
        whole = None
    if isinstance(whole, dict) and "sequence" not in whole:
        return [], whole
    events = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by a killed run, or text the CLI printed around the stream
        if isinstance(event, dict):
            events.append(event)
    return events, {}


def _kill_group(process: subprocess.Popen[str]) -> None:
    """Stop the CLI and everything it started (language host, program, provider plugins)."""
    try:
        os.killpg(process.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    process.wait()
