"""Several integrations from one stack's config (`integrations`), on the real CLI: each gets its own
app, secret and outputs, nothing collides, and `check --all` finds them all."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from tests.fixtures.pulumi import LocalStack

pytestmark = pytest.mark.slow


def test_integrations_list_gives_each_its_own_app_secret_and_outputs(local_stack: LocalStack):
    items = [{"appName": "Orders_JWT"}, {"appName": "Billing_JWT", "rotationStrategy": "blue-green"}]
    local_stack.cli.run("config", "rm", "appName").check()
    local_stack.up(integrations=json.dumps(items)).check()

    outputs = local_stack.outputs()["integrations"]
    assert set(outputs) == {"Orders_JWT", "Billing_JWT"}
    assert outputs["Orders_JWT"]["secretArn"] != outputs["Billing_JWT"]["secretArn"]
    assert "privateKeyPem" not in outputs["Orders_JWT"]  # integrations read it from Secrets Manager
    assert {"Orders_JWT", "Billing_JWT_A"} <= {app["name"] for app in local_stack.org.apps()}

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "components",
            "check",
            "--all",
            "--format",
            "json",
            "--region",
            local_stack.aws.region,
            "--endpoint-url",
            local_stack.aws.endpoint_url,
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(done.stdout)
    apps = {item["app_name"] for item in report["integrations"]}
    assert {"Orders_JWT", "Billing_JWT_A"} <= apps or {"Orders_JWT", "Billing_JWT"} <= {
        a.rsplit("_", 1)[0] if a.endswith(("_A", "_B")) else a for a in apps
    }
    assert done.returncode == 0, done.stdout[-1500:] + done.stderr[-1500:]


def test_two_items_with_one_app_name_are_refused_before_any_resource(local_stack: LocalStack):
    items = [{"appName": "Same_JWT"}, {"appName": "Same_JWT"}]
    local_stack.cli.run("config", "rm", "appName").check()
    outcome = local_stack.up(integrations=json.dumps(items))
    assert not outcome.ok
    text = " ".join(outcome.errors)
    assert "integrations[0]" in text and "integrations[1]" in text
    assert local_stack.org.apps() == [] and local_stack.deploy_count() == 0
