"""The shipped GitHub workflows: valid for actionlint, and their gate steps fail on the real exit codes.

The steps' own shell scripts are taken out of the workflow files and run with bash, as a runner would,
against the real pulumi CLI (stack `local` on the emulators) and the real `python -m components check`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest
import yaml

from tests.fixtures.documents import make_document, provision
from tests.fixtures.integrations import APP, deploy, org_document
from tests.fixtures.pulumi import LOCAL_APP, LocalStack
from tests.operations.required_tools import missing
from tools import actionlint_tool

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
REFRESH_STEPS = {
    "drift-detection.yml": "pulumi refresh --preview-only --expect-no-changes",
    "fleet-health.yml": "pulumi refresh --preview-only --expect-no-changes",
}
CHECK_STEPS = {"drift-detection.yml": "check --all --verify --drift", "fleet-health.yml": "check --verify --drift"}
STACK = "local"


@pytest.fixture(scope="module")
def actionlint() -> Path:
    if not actionlint_tool.binary().exists() and shutil.which("go") is None:
        missing(
            "actionlint is not built and Go is missing to build it (.ci/run builds it: "
            "python3 tools/actionlint_tool.py build)"
        )
    return actionlint_tool.build()


def step_script(workflow: str, step_name: str) -> str:
    """The `run:` script of the named step, with `${{ matrix.stack }}` filled in as a runner would."""
    jobs = yaml.safe_load((WORKFLOWS / workflow).read_text())["jobs"]
    scripts = [step["run"] for job in jobs.values() for step in job.get("steps", []) if step.get("name") == step_name]
    assert len(scripts) == 1, f"{workflow}: {len(scripts)} steps named {step_name!r}"
    script = scripts[0].replace("${{ matrix.stack }}", STACK)
    assert "${{" not in script, f"{workflow}: the step uses expressions this test does not supply: {script}"
    return script


def run_step(script: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """bash as GitHub's default `run` shell starts it (`bash -e {0}`)."""
    path = cwd / "step.sh"
    path.write_text(script)
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-e", str(path)],
        cwd=cwd,
        env=env,
        text=True,
        capture_output=True,
        timeout=600,
    )


def test_workflows_pass_actionlint(actionlint):
    files = sorted(WORKFLOWS.glob("*.yml"))
    assert {f.name for f in files} >= {
        "drift-detection.yml",
        "fleet-health.yml",
        "pulumi-preview.yml",
        "scheduled-renewal.yml",
    }
    result = subprocess.run([str(actionlint), "-no-color", *map(str, files)], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_actionlint_catches_a_broken_matrix(actionlint, tmp_path):
    """The lint can fail: a matrix built from an output the job does not have."""
    broken = (WORKFLOWS / "fleet-health.yml").read_text().replace("outputs.stacks)", "outputs.stackz)")
    (tmp_path / "fleet-health.yml").write_text(broken)
    result = subprocess.run(
        [str(actionlint), "-no-color", str(tmp_path / "fleet-health.yml")], capture_output=True, text=True
    )
    assert result.returncode == 1 and "stackz" in result.stdout


@pytest.mark.slow
def test_refresh_steps_fail_on_drift_and_on_refresh_errors_of_the_real_cli(local_stack: LocalStack, tmp_path):
    local_stack.up().check()
    env = {**local_stack.cli.env, "STACK": STACK}

    def run_all() -> dict[str, subprocess.CompletedProcess[str]]:
        return {wf: run_step(step_script(wf, name), env, local_stack.cli.project) for wf, name in REFRESH_STEPS.items()}

    for workflow, result in run_all().items():
        assert result.returncode == 0, (workflow, result.stdout[-2000:], result.stderr[-2000:])
    local_stack.org.patch_app(LOCAL_APP, scopes=["Api"])  # out of band: RefreshToken removed in Setup
    for workflow, result in run_all().items():
        assert result.returncode == 1, (workflow, result.stdout[-2000:], result.stderr[-2000:])
        assert f"::error::drift in stack {STACK}" in result.stdout
    local_stack.org.fault("readMetadata", status=500, count=1000)  # the refresh itself cannot read the app
    for workflow, result in run_all().items():
        assert result.returncode != 0, (workflow, result.stdout[-2000:])
        assert f"::error::pulumi refresh failed (exit {result.returncode}) for stack {STACK}" in result.stdout
        assert "::error::drift" not in result.stdout  # an error of the refresh is not reported as drift


def test_check_steps_fail_on_critical_and_only_warn_in_the_renewal_window(aws, salesforce_org, tmp_path):
    org = salesforce_org
    secret = f"salesforce/jwt/{STACK}/{APP}"
    doc = org_document(org, age_days=0, days=90)
    deploy(org, doc)
    provision(aws, secret, doc)
    summary = tmp_path / "summary.md"
    env = {
        **os.environ,
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}",
        "PYTHONPATH": str(ROOT),
        "AWS_REGION": aws.region,
        "AWS_ENDPOINT_URL_SECRETS_MANAGER": aws.endpoint_url,
        "SF_CA_BUNDLE": org.ca_bundle,
        "REQUESTS_CA_BUNDLE": org.ca_bundle,
        "SF_ACCESS_TOKEN": org.admin_access_token,
        "SF_INSTANCE_URL": org.instance_url,
        "GITHUB_STEP_SUMMARY": str(summary),
        "STACK": STACK,
        "SECRET_PREFIX": f"salesforce/jwt/{STACK}/",
    }

    def run_all(**extra: str) -> dict[str, subprocess.CompletedProcess[str]]:
        return {wf: run_step(step_script(wf, name), {**env, **extra}, tmp_path) for wf, name in CHECK_STEPS.items()}

    for workflow, result in run_all().items():
        assert result.returncode == 0, (workflow, result.stdout, result.stderr)
        assert "::" not in result.stdout
    assert summary.read_text().count(secret) == 2  # each step put its report in the job summary
    renewal = doc.not_after - timedelta(days=29)  # inside the last third of 90 days
    org.advance_clock(renewal.timestamp() - float(org.control("GET", "clock")["now"]))
    inside = {"SALESFORCE_JWT_PRETEND_NOW": renewal.isoformat()}
    for workflow, result in run_all(**inside).items():
        assert result.returncode == 0, (workflow, result.stdout, result.stderr)
        assert "::warning::" in result.stdout and "renewal window" in result.stdout
    org.patch_app(APP, certificate_pem=make_document(key_index=1)["certificate_pem"])
    for workflow, result in run_all(**inside).items():
        assert result.returncode == 2, (workflow, result.stdout, result.stderr)
        assert "::error::check exited 2" in result.stdout
