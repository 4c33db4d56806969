"""Fixtures for the offline engine's tests: a sample stack with its own state dir and "remote" file."""

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from emulator.engine import Engine

SAMPLE = Path(__file__).parent / "sample_project"
TOKEN = "tok-3f9a1c-never-print-me"


@dataclass
class SampleStack:
    """Builds engines for the sample project sharing one state dir and one remote file."""

    state_dir: Path
    remote_file: Path

    def engine(self, env: dict | None = None, **config) -> Engine:
        """An Engine for stack ``dev`` with ``config`` overrides (values stringified)."""
        overrides = {"remoteFile": str(self.remote_file), **{k: str(v) for k, v in config.items()}}
        return Engine(SAMPLE, "dev", self.state_dir, config=overrides, secrets={"apiToken": TOKEN}, env=env)

    def remote(self) -> dict:
        """The remote file the sample's Record provider writes."""
        return json.loads(self.remote_file.read_text()) if self.remote_file.exists() else {"records": {}, "log": []}

    def state_text(self) -> str:
        """Raw text of the stack's JSON state file."""
        return (self.state_dir / "dev.json").read_text()


@pytest.fixture
def sample(tmp_path: Path) -> SampleStack:
    """A fresh sample stack (nothing deployed)."""
    return SampleStack(tmp_path / "state", tmp_path / "remote.json")


@pytest.fixture
def deployed(sample: SampleStack) -> SampleStack:
    """The sample stack after a successful first ``up``."""
    sample.engine().up().check()
    return sample
