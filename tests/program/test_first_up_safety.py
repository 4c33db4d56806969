"""A first `pulumi up` killed or failed at each step never leaves a usable, unverified key at AWSCURRENT.

AWS labels a secret's first version AWSCURRENT whatever stages are asked for, so the secret is created
with the *not provisioned* placeholder as that version. Whatever happens before the new key is proven,
readers of AWSCURRENT (the runtime client, `check`) see "not provisioned yet", and the next `pulumi up`
finishes the job.
"""

from __future__ import annotations

import json
import os
import signal

import pytest

from components.cli import main
from components.client import NotProvisioned, SalesforceJwtClient, SecretUnreadable
from components.credentials import AWSCURRENT, AWSPENDING, NotProvisionedError, SecretNotFoundError
from tests.fixtures.processes import session_members, wait_for
from tests.fixtures.pulumi import LocalStack

pytestmark = pytest.mark.slow


def fault_taken(stack: LocalStack) -> bool:
    """The armed fault has been taken by a request (a slow reply is being held)."""
    return all(fault.get("count", 0) < 1 for fault in stack.org.control("GET", "faults"))


def check_codes(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    """`check --format json` on the stack's secret: exit code and finding codes."""
    capsys.readouterr()
    args = ["check", "--secret-id", stack.secret, "--region", stack.aws.region, "--endpoint-url"]
    code = main([*args, stack.aws.endpoint_url, "--format", "json"])
    (report,) = json.loads(capsys.readouterr().out)["integrations"]
    return code, [f["code"] for f in report["findings"]]


def assert_not_provisioned(stack: LocalStack, capsys: pytest.CaptureFixture[str]) -> None:
    """No reader gets a key and `check` fails: the secret is not there yet, or AWSCURRENT is the placeholder."""
    client = SalesforceJwtClient(stack.secret, region=stack.aws.region, endpoint_url=stack.aws.endpoint_url)
    try:
        stack.store.describe()
    except SecretNotFoundError:  # cut short before the secret was created
        with pytest.raises(SecretUnreadable):
            client.login()
        assert check_codes(stack, capsys) == (3, ["unreadable"])  # "secret not found"
        return
    assert not stack.store.is_provisioned()
    with pytest.raises(NotProvisionedError):
        stack.store.get(AWSCURRENT)
    with pytest.raises(NotProvisioned):
        client.login()
    assert check_codes(stack, capsys) == (1, ["not-provisioned"])


def recovers(stack: LocalStack, killed: bool = False) -> None:
    """The next `pulumi up` (after `pulumi cancel` frees a killed run's lock) proves the key and promotes it."""
    stack.org.clear_faults()
    if killed:
        stack.cli.run("cancel", "--yes").check()
    stack.up().check()
    assert stack.store.is_provisioned()
    assert stack.login().username == stack.org.integration_username


@pytest.mark.parametrize("step", ["deploy", "token"], ids=["killed-deploying", "killed-verifying"])
def test_a_first_up_killed_at_each_step_leaves_awscurrent_not_provisioned(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str], step: str
) -> None:
    local_stack.org.fault(step, delay_seconds=60)  # the run hangs on this call
    cli = local_stack.cli.start("up", "--yes", "--skip-preview", "--stack", "local")
    try:
        wait_for(lambda: fault_taken(local_stack), 120, f"the first up to reach the {step} call")
        if step == "token":  # the new key is stored, deployed and being verified
            assert local_stack.store.describe().version_for(AWSPENDING)
        os.kill(cli.pid, signal.SIGKILL)
        cli.wait()
    finally:
        for pid in session_members({cli.pid}):
            os.kill(pid, signal.SIGKILL)
    assert_not_provisioned(local_stack, capsys)
    if step == "deploy":  # the deploy committed behind the held reply: the app exists, its consumer key is hidden
        app = local_stack.secret.rsplit("/", 1)[-1]
        assert local_stack.org.app(app)  # ... but it holds this stack's new certificate: the rerun takes it over
    recovers(local_stack, killed=True)


@pytest.mark.parametrize(
    ("step", "status"), [("deploy", 500), ("token", 400)], ids=["deploy-fails", "verification-fails"]
)
def test_a_first_up_that_fails_at_each_step_leaves_awscurrent_not_provisioned(
    local_stack: LocalStack, capsys: pytest.CaptureFixture[str], step: str, status: int
) -> None:
    local_stack.org.fault(step, status=status, count=1000)
    failed = local_stack.up(verificationBudgetSeconds=5)
    assert not failed.ok
    if step == "token":
        assert "not-provisioned placeholder" in failed.stdout + failed.stderr
    assert_not_provisioned(local_stack, capsys)
    recovers(local_stack)


def test_a_first_up_with_bad_config_says_what_its_one_created_resource_is(local_stack: LocalStack) -> None:
    """Issue 12: a failed config run printed "1 created" and nothing else about it. That one is Pulumi's
    own root entry (registered before the program runs); the message says so, and it is true."""
    result = local_stack.up(keySize=1024)
    assert not result.ok
    errors = " ".join(result.errors)
    assert "keySize = '1024': RSA below 2048 bits is refused" in errors or "keySize = 1024" in errors
    assert "Nothing was created in Salesforce or AWS" in errors and "pulumi:pulumi:Stack" in errors
    assert not local_stack.store.exists() and local_stack.org.apps() == []
