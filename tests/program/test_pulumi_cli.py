"""The same stack through the real `pulumi` CLI, where one is installed (it cannot be on this project's
CI machines: no plugin downloads). Skipped, with the reason, everywhere else."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("pulumi") is None,
                                 reason="the pulumi CLI is not installed on this machine; "
                                        "tests/program/test_lifecycle.py covers the lifecycle with the offline engine")]


def pulumi(*args: str, env: dict[str, str]) -> str:
    done = subprocess.run(["pulumi", *args, "--non-interactive"], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


def test_up_and_no_op_preview_with_the_cli(tmp_path, aws, salesforce_org, monkeypatch):
    env = {**__import__("os").environ, "PULUMI_BACKEND_URL": tmp_path.as_uri(),
           "PULUMI_CONFIG_PASSPHRASE": "test", "SF_ACCESS_TOKEN": salesforce_org.admin_access_token,
           "SF_INSTANCE_URL": salesforce_org.instance_url}
    pulumi("stack", "select", "--create", "local", env=env)
    for key, value in {"salesforceLoginUrl": salesforce_org.login_url, "salesforceCaBundle": salesforce_org.ca_bundle,
                       "awsEndpointUrl": aws.endpoint_url, "awsRegion": aws.region}.items():
        pulumi("config", "set", key, value, env=env)
    pulumi("up", "--yes", "--skip-preview", env=env)
    outputs = json.loads(pulumi("stack", "output", "--json", env=env))
    assert outputs["verifiedAt"]
    pulumi("preview", "--expect-no-changes", env=env)
