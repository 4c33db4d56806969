"""Run stack operations with the real `pulumi` CLI, or with the offline engine where there is none."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, Protocol


class Runner(Protocol):
    def up(self) -> dict[str, Any]: ...
    def outputs(self) -> dict[str, Any]: ...
    def set_config(self, key: str, value: str) -> None: ...


class OfflineRunner:
    """emulator/engine: the same program, the SDK's own provider host, JSON state."""

    def __init__(self, project: Path, stack: str, state_dir: Path, config: dict[str, str], env: dict[str, str]):
        self.project, self.stack, self.state_dir = project, stack, state_dir
        self.config, self.env = dict(config), dict(env)

    def _engine(self) -> Any:
        from emulator.engine.engine import Engine

        return Engine(self.project, self.stack, self.state_dir, config=self.config, env=self.env)

    def up(self) -> dict[str, Any]:
        result = self._engine().up()
        for message in result.messages:
            print(f"  | {message}")
        result.check()
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        return self._engine().outputs()

    def set_config(self, key: str, value: str) -> None:
        self.config[key] = value


def _scratch_copy(project: Path, target: Path) -> Path:
    """The project under the demo's work folder, so `pulumi config set` never edits tracked files."""
    target.mkdir(parents=True, exist_ok=True)
    for name in ("Pulumi.yaml", "Pulumi.local.yaml", "__main__.py"):
        shutil.copy(project / name, target / name)
    shutil.copytree(project / "components", target / "components", dirs_exist_ok=True)
    if not (target / ".venv").exists():
        (target / ".venv").symlink_to(project / ".venv")
    return target


class CliRunner:
    """The real CLI with a file backend under the demo's work folder."""

    def __init__(self, project: Path, stack: str, state_dir: Path, config: dict[str, str], env: dict[str, str]):
        self.project, self.stack = _scratch_copy(project, state_dir.parent / "project"), stack
        state_dir.mkdir(parents=True, exist_ok=True)
        self.env = {**os.environ, **env, "PULUMI_BACKEND_URL": state_dir.as_uri()}
        self._run("stack", "select", "--create", stack)
        for key, value in config.items():
            self.set_config(key, value)

    def _run(self, *args: str) -> str:
        done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=self.project, env=self.env,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"pulumi {' '.join(args[:2])} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
        return done.stdout

    def up(self) -> dict[str, Any]:
        print(self._run("up", "--yes", "--skip-preview", "--stack", self.stack))
        return self.outputs()

    def outputs(self) -> dict[str, Any]:
        return json.loads(self._run("stack", "output", "--json", "--stack", self.stack))

    def set_config(self, key: str, value: str) -> None:
        self._run("config", "set", "--stack", self.stack, key, value)
