"""The component as a platform team uses it: built into a wheel, installed into a fresh virtualenv, and
imported by a Pulumi program of their own (examples/two-integrations) that declares two integrations,
run with the real CLI against the emulators. The installed console script then finds both.
"""

from __future__ import annotations

import json
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from components.credentials import AWSCURRENT, CredentialStore
from tests.fixtures.pulumi import deployer_env
from tools.pulumi_cli import Stack

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "two-integrations"


def run(*args: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run([str(a) for a in args], cwd=cwd, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel of this checkout installed (its dependencies are taken from
    the project's virtualenv through a .pth file, so no index is needed)."""
    work = tmp_path_factory.mktemp("install")
    run(sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", work / "dist", ROOT)
    (wheel,) = (work / "dist").glob("salesforce_jwt_pulumi-*.whl")
    venv = work / "venv"
    run(sys.executable, "-m", "venv", venv)
    site = Path(run(venv / "bin" / "python", "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip())
    (site / "project-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    run(venv / "bin" / "python", "-m", "pip", "install", "--no-deps", "-q", wheel)
    return venv


def example_stack(installed: Path, tmp_path: Path, aws, org, username: str) -> Stack:
    """The example program on the real CLI, in the fresh virtualenv, pointed at the emulators."""
    stack = Stack(EXAMPLE, "dev", tmp_path / "pulumi", env=deployer_env(org), extra=())
    (stack.project / "venv").symlink_to(installed)
    stack.set_config(
        salesforceLoginUrl=org.login_url,
        salesforceCaBundle=org.ca_bundle,
        awsRegion=aws.region,
        awsEndpointUrl=aws.endpoint_url,
        integrationUsername=username,
    )
    return stack


def test_the_wheel_holds_the_package_and_the_console_script(installed: Path):
    where = run(installed / "bin" / "python", "-c", "import components, sys; print(components.__file__)", cwd=Path("/"))
    assert str(installed) in where  # imported from the installed distribution, not this checkout
    assert "check" in run(installed / "bin" / "salesforce-jwt", "--help")


def test_own_program_declares_two_integrations_with_outputs_wired_in(
    installed: Path, pulumi_bin, tmp_path, aws, salesforce_org
):
    stack = example_stack(installed, tmp_path, aws, salesforce_org, salesforce_org.integration_username)
    stack.up().check()
    outputs = stack.outputs()
    assert outputs["ordersSecretArn"] != outputs["billingSecretArn"]
    assert outputs["ordersConsumerKey"] != outputs["billingConsumerKey"]
    apps = {app["name"] for app in salesforce_org.apps()}
    assert {"Orders_Sync", "Billing_Sync_A"} <= apps
    orders = CredentialStore("salesforce/jwt/dev/Orders_Sync", aws.region, aws.endpoint_url)
    assert orders.get(AWSCURRENT).document.app_name == "Orders_Sync"
    tags = aws.client("secretsmanager").describe_secret(SecretId="salesforce/jwt/dev/Orders_Sync")["Tags"]
    assert {"Key": "team", "Value": "platform-dev"} in tags  # an Output, resolved and wired in

    report = json.loads(
        run(
            installed / "bin" / "salesforce-jwt",
            "check",
            "--all",
            "--format",
            "json",
            "--region",
            aws.region,
            "--endpoint-url",
            aws.endpoint_url,
        )
    )
    found = {item["secret_id"] for item in report["integrations"]}
    assert {"salesforce/jwt/dev/Orders_Sync", "salesforce/jwt/dev/Billing_Sync"} <= {
        s.split(":secret:")[-1].rsplit("-", 1)[0] if ":secret:" in s else s for s in found
    }
    assert report["exit_code"] == 0, report


def test_a_bad_argument_names_the_args_field_and_nothing_is_deployed(
    installed: Path, pulumi_bin, tmp_path, aws, salesforce_org
):
    stack = example_stack(installed, tmp_path, aws, salesforce_org, "not-an-email")
    outcome = stack.up()
    assert not outcome.ok
    text = " ".join(outcome.errors)
    assert "SalesforceJwtIntegrationArgs.integration_username" in text
    assert salesforce_org.apps() == [] and salesforce_org.deploys() == []
