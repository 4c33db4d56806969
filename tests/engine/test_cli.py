"""The command line: banner, JSON/diff output, exit codes 0/1/2 and clear config errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import SAMPLE, TOKEN

pytestmark = pytest.mark.slow  # drives the sample stack through real processes

REPO = Path(__file__).resolve().parents[2]


def cli(sample, *args, env=None, with_secret=True):
    secret = ["--secret", f"apiToken={TOKEN}"] if with_secret else []
    command = [sys.executable, "-m", "emulator.engine", "--cwd", str(SAMPLE), "--state-dir", str(sample.state_dir),
               "--config", f"remoteFile={sample.remote_file}", *secret, *args]
    return subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=120, env=env)


def test_up_refresh_drift_exit_codes_and_outputs(sample):
    up = cli(sample, "up", "--yes")
    assert up.returncode == 0, up.stderr
    assert up.stdout.splitlines()[0] == "offline engine (test harness, not the Pulumi CLI)"
    assert "5 created" in up.stdout

    remote = sample.remote()
    remote["records"]["alpha"]["value"] = "drifted"
    sample.remote_file.write_text(json.dumps(remote))
    drift = cli(sample, "refresh", "--preview-only", "--expect-no-changes", "--diff")
    assert drift.returncode == 2
    assert "value: v1 => drifted" in drift.stdout

    outputs = cli(sample, "outputs", "--json")
    assert outputs.returncode == 0
    values = json.loads(outputs.stdout)
    assert values["token"] == "[secret]" and TOKEN not in outputs.stdout + outputs.stderr
    assert "test harness" in outputs.stderr


def test_preview_json_is_pure_json_on_stdout(sample):
    result = cli(sample, "preview", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["changeSummary"]["create"] == 5
    assert "test harness" in result.stderr


def test_preview_expect_no_changes_exits_2(sample):
    assert cli(sample, "preview", "--expect-no-changes").returncode == 2


def test_failure_exit_1_with_provider_message(sample):
    result = cli(sample, "up", "--config", "failOn=create")
    assert result.returncode == 1
    assert "remote rejected create of record 'alpha'" in result.stdout + result.stderr


def test_secure_config_value_is_refused_with_the_fix(sample):
    result = cli(sample, "--stack", "locked", "preview", with_secret=False)
    assert result.returncode == 1
    assert "--secret apiToken=VALUE" in result.stderr and "OFFLINE_ENGINE_SECRET_API_TOKEN" in result.stderr
