"""The same stack through the real `pulumi` CLI, where one is installed (it cannot be on this project's
CI machines: no plugin downloads). Skipped, with the reason, everywhere else."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pulumi") is None,
                                 reason="the pulumi CLI is not installed on this machine; "
                                        "tests/program/test_lifecycle.py covers the lifecycle with the offline engine")]


def project_copy(tmp_path: Path) -> Path:
    """The project in a scratch folder, so `pulumi config set` never edits the repository's stack files."""
    copy = tmp_path / "project"
    copy.mkdir()
    for name in ("Pulumi.yaml", "Pulumi.local.yaml", "__main__.py"):
        shutil.copy(ROOT / name, copy / name)
    shutil.copytree(ROOT / "components", copy / "components")
    (copy / ".venv").symlink_to(ROOT / ".venv")
    return copy


def pulumi(*args: str, env: dict[str, str], cwd: Path) -> str:
    done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=cwd, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_up_and_no_op_preview_with_the_cli(tmp_path, aws, salesforce_org):
    cwd = project_copy(tmp_path)
    env = {**os.environ, "PULUMI_BACKEND_URL": (tmp_path / "state").as_uri(),
           "PULUMI_CONFIG_PASSPHRASE": "test", "SF_ACCESS_TOKEN": salesforce_org.admin_access_token,
           "SF_INSTANCE_URL": salesforce_org.instance_url}
    (tmp_path / "state").mkdir()
    pulumi("stack", "select", "--create", "local", env=env, cwd=cwd)
    for key, value in {"salesforceLoginUrl": salesforce_org.login_url, "salesforceCaBundle": salesforce_org.ca_bundle,
                       "awsEndpointUrl": aws.endpoint_url, "awsRegion": aws.region}.items():
        pulumi("config", "set", key, value, env=env, cwd=cwd)
    pulumi("up", "--yes", "--skip-preview", env=env, cwd=cwd)
    outputs = json.loads(pulumi("stack", "output", "--json", env=env, cwd=cwd))
    assert outputs["verifiedAt"]
    pulumi("preview", "--expect-no-changes", env=env, cwd=cwd)
