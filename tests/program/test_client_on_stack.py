"""The runtime client on what the real component writes: stack `local` on the real Pulumi CLI."""

from __future__ import annotations

import json

import pytest

from components.client import SalesforceJwtClient
from components.credentials import AWSCURRENT, AWSPENDING
from tests.fixtures.pulumi import LocalStack

pytestmark = pytest.mark.slow


def test_the_client_follows_a_real_rotation_within_what_the_runtime_policy_allows(local_stack: LocalStack):
    local_stack.up().check()
    client = SalesforceJwtClient(
        local_stack.secret,
        region=local_stack.aws.region,
        endpoint_url=local_stack.aws.endpoint_url,
        ca_bundle=local_stack.org.ca_bundle,
    )
    before = client.login()
    assert before.stage == AWSCURRENT and before.username == local_stack.org.integration_username
    local_stack.up(rotation=1).check()
    client.invalidate()
    after = client.login()  # the cached document's key is refused now: the client reads the new one at once
    assert after.stage == AWSCURRENT and after.version_id == local_stack.outputs()["secretVersionId"]
    assert after.version_id != before.version_id
    assert after.errors_seen == ("AWSCURRENT: invalid_grant",)
    policy = json.loads(local_stack.outputs()["runtimePolicyJson"])
    [read] = [s for s in policy["Statement"] if s["Action"] == "secretsmanager:GetSecretValue"]
    assert read["Resource"] == local_stack.outputs()["secretArn"]
    assert {AWSCURRENT, AWSPENDING} <= set(read["Condition"]["StringEquals"]["secretsmanager:VersionStage"])
