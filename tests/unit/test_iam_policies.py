"""IAM policy documents for the credential secret."""

from __future__ import annotations

import json

import pytest

from components.credentials import (
    StoreConfigError,
    resource_policy_document,
    runtime_policy_document,
    runtime_stages,
)

ARN = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:app/jwt-AbCdEf"
KEY_ID = "1234abcd-12ab-34cd-56ef-1234567890ab"


def test_runtime_policy_reads_only_the_stages_the_runtime_client_reads_of_this_secret():
    policy = runtime_policy_document(ARN)
    assert policy["Version"] == "2012-10-17"
    [statement] = policy["Statement"]
    assert statement["Effect"] == "Allow"
    assert statement["Action"] == "secretsmanager:GetSecretValue"
    assert statement["Resource"] == ARN
    assert statement["Condition"] == {
        "StringEquals": {"secretsmanager:VersionStage": ["AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"]}
    }
    json.dumps(policy)  # JSON-serialisable as is


def test_runtime_stages_per_strategy_leave_previous_to_blue_green():
    assert runtime_stages(blue_green=False) == ("AWSCURRENT", "AWSPENDING")
    assert runtime_stages(blue_green=True) == ("AWSCURRENT", "AWSPENDING", "AWSPREVIOUS")
    single = runtime_policy_document(ARN, stages=runtime_stages(blue_green=False))
    assert single["Statement"][0]["Condition"]["StringEquals"]["secretsmanager:VersionStage"] == [
        "AWSCURRENT",
        "AWSPENDING",
    ]


def test_runtime_policy_can_allow_previous_for_blue_green_readers():
    policy = runtime_policy_document(ARN, stages=("AWSCURRENT", "AWSPREVIOUS"))
    assert policy["Statement"][0]["Condition"]["StringEquals"]["secretsmanager:VersionStage"] == [
        "AWSCURRENT",
        "AWSPREVIOUS",
    ]


@pytest.mark.parametrize(
    "kms, resource",
    [
        (KEY_ID, f"arn:aws:kms:eu-west-1:123456789012:key/{KEY_ID}"),
        (f"arn:aws:kms:eu-west-1:123456789012:key/{KEY_ID}", f"arn:aws:kms:eu-west-1:123456789012:key/{KEY_ID}"),
        ("mrk-" + "a" * 32, "arn:aws:kms:eu-west-1:123456789012:key/mrk-" + "a" * 32),
    ],
)
def test_decrypt_only_on_the_named_key_through_secrets_manager(kms, resource):
    decrypt = runtime_policy_document(ARN, kms)["Statement"][1]
    assert decrypt["Action"] == "kms:Decrypt"
    assert decrypt["Resource"] == resource
    assert decrypt["Condition"]["StringEquals"] == {
        "kms:ViaService": "secretsmanager.eu-west-1.amazonaws.com",
        "kms:EncryptionContext:SecretARN": ARN,
    }


@pytest.mark.parametrize("alias", ["alias/salesforce-jwt", "arn:aws:kms:eu-west-1:123456789012:alias/salesforce-jwt"])
def test_alias_is_granted_through_resource_aliases(alias):
    decrypt = runtime_policy_document(ARN, alias)["Statement"][1]
    assert decrypt["Resource"] == "arn:aws:kms:eu-west-1:123456789012:key/*"
    assert decrypt["Condition"]["ForAnyValue:StringEquals"] == {"kms:ResourceAliases": ["alias/salesforce-jwt"]}


def test_no_kms_statement_without_customer_key():
    assert len(runtime_policy_document(ARN)["Statement"]) == 1


def test_partition_is_kept():
    gov = "arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:x-AbCdEf"
    assert runtime_policy_document(gov, KEY_ID)["Statement"][1]["Resource"].startswith("arn:aws-us-gov:kms:")


@pytest.mark.parametrize("arn", ["", "app/jwt", "arn:aws:s3:::bucket", "arn:aws:secretsmanager:eu-west-1:1:secret:x"])
def test_runtime_policy_needs_a_secret_arn(arn):
    with pytest.raises(StoreConfigError, match="secret_arn"):
        runtime_policy_document(arn)


def test_runtime_policy_needs_a_stage():
    with pytest.raises(StoreConfigError, match="stages"):
        runtime_policy_document(ARN, stages=())


def test_resource_policy_allows_named_readers_and_denies_everyone_else():
    readers = [
        "arn:aws:iam::123456789012:role/billing-sync",
        "arn:aws:iam::123456789012:role/billing-sync",
        "arn:aws:iam::210987654321:user/ops",
    ]
    allow, deny = resource_policy_document(readers)["Statement"]
    unique = ["arn:aws:iam::123456789012:role/billing-sync", "arn:aws:iam::210987654321:user/ops"]
    assert allow["Effect"] == "Allow" and allow["Principal"] == {"AWS": unique}
    assert allow["Action"] == deny["Action"] == "secretsmanager:GetSecretValue"
    assert deny["Effect"] == "Deny" and deny["Principal"] == "*"
    assert deny["Condition"] == {"StringNotEquals": {"aws:PrincipalArn": unique}}


@pytest.mark.parametrize(
    "readers",
    [[], ["*"], ["arn:aws:iam::123456789012:group/devs"], ["arn:aws:sts::123456789012:assumed-role/r/session"], [42]],
)
def test_resource_policy_rejects_bad_principals(readers):
    with pytest.raises(StoreConfigError, match="reader_principals"):
        resource_policy_document(readers)


def test_caller_principal_of_an_assumed_role_session_is_its_role():
    from components.credentials import principal_of_caller

    assert (
        principal_of_caller("arn:aws:sts::123456789012:assumed-role/Deployer/ci-run-42")
        == "arn:aws:iam::123456789012:role/Deployer"
    )
    assert principal_of_caller("arn:aws:iam::123456789012:user/alice") == "arn:aws:iam::123456789012:user/alice"
