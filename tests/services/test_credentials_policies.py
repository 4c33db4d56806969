"""The policy documents pass IAM's policy grammar check (moto's validator, over the wire)."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from components.credentials import AwsRetryPolicy, CredentialStore, resource_policy_document

FAST = AwsRetryPolicy(attempts=2)


@pytest.mark.parametrize("kms", [None, "key", "alias/salesforce-jwt"])
def test_runtime_policy_is_accepted_by_iam(aws, kms):
    kms_key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"] if kms == "key" else kms
    store = CredentialStore("salesforce/policy/jwt", aws.region, endpoint_url=aws.endpoint_url, retry=FAST)
    store.ensure_secret(kms_key_id=kms_key_id)
    iam = aws.client("iam")
    created = iam.create_policy(PolicyName="salesforce-jwt-runtime", PolicyDocument=json.dumps(store.runtime_policy()))
    assert created["Policy"]["Arn"].endswith(":policy/salesforce-jwt-runtime")


def test_iam_grammar_check_is_really_on(aws):
    broken = {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "GetSecretValue", "Resource": "*"}]}
    with pytest.raises(ClientError, match="MalformedPolicyDocument"):
        aws.client("iam").create_policy(PolicyName="broken", PolicyDocument=json.dumps(broken))


def test_resource_policy_is_stored_on_the_secret(aws):
    store = CredentialStore("salesforce/policy/jwt", aws.region, endpoint_url=aws.endpoint_url, retry=FAST)
    readers = ["arn:aws:iam::123456789012:role/billing-sync"]
    store.ensure_secret(reader_principals=readers)
    assert store.resource_policy() == resource_policy_document(readers)


def test_changing_the_readers_replaces_the_policy(aws):
    store = CredentialStore("salesforce/policy/jwt", aws.region, endpoint_url=aws.endpoint_url, retry=FAST)
    store.ensure_secret(reader_principals=["arn:aws:iam::123456789012:role/billing-sync"])
    other = ["arn:aws:iam::123456789012:role/other"]
    store.ensure_secret(reader_principals=other)
    assert store.resource_policy() == resource_policy_document(other)


def test_staging_with_named_readers_keeps_the_deployer_able_to_read(aws, monkeypatch):
    """The deny-everyone-else policy must name the role that runs `pulumi up` (it verifies the
    pending version by reading it back)."""
    from components.credentials import CredentialStore
    from components.rollout import stage_credential
    from tests.fixtures.aws import credential_document

    role = aws.client("iam").create_role(RoleName="Deployer", AssumeRolePolicyDocument="{}")["Role"]["Arn"]
    session = aws.client("sts").assume_role(RoleArn=role, RoleSessionName="ci-run")["Credentials"]
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", session["AccessKeyId"])
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", session["SecretAccessKey"])
    monkeypatch.setenv("AWS_SESSION_TOKEN", session["SessionToken"])
    store = CredentialStore("prod/readers", aws.region, aws.endpoint_url)
    assert store.caller_principal() == role
    stage_credential(
        store,
        credential_document(0),
        kms_key_id=None,
        tags={},
        description="d",
        reader_arns=("arn:aws:iam::123456789012:role/orders",),
    )
    named = store.resource_policy()["Statement"][0]["Principal"]["AWS"]
    assert sorted([named] if isinstance(named, str) else named) == sorted(
        ["arn:aws:iam::123456789012:role/orders", role]
    )


def test_an_empty_reader_list_removes_the_resource_policy(aws):
    from components.credentials import CredentialStore

    store = CredentialStore("prod/no-readers", aws.region, aws.endpoint_url)
    store.ensure_secret(reader_principals=["arn:aws:iam::123456789012:role/orders"])
    assert store.resource_policy() is not None
    store.ensure_secret(reader_principals=None)  # untouched
    assert store.resource_policy() is not None
    store.ensure_secret(reader_principals=[])
    assert store.resource_policy() is None
