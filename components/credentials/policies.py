"""IAM policy documents for the credential secret: the runtime role's policy and the resource policy."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from components.credentials.aws_ids import (
    IAM_PRINCIPAL_ARN,
    KMS_ALIAS_ARN,
    KMS_KEY,
    KMS_KEY_ARN,
    KMS_KEY_ID,
    SECRET_ARN,
)
from components.credentials.errors import StoreConfigError
from components.credentials.stages import RUNTIME_STAGES

POLICY_VERSION = "2012-10-17"


def check_kms_key_id(kms_key_id: str, *, argument: str = "kms_key_id") -> str:
    """Return the KMS key reference unchanged if it is a key id, key ARN, alias name or alias ARN."""
    if isinstance(kms_key_id, str) and KMS_KEY.fullmatch(kms_key_id):
        if kms_key_id != "alias/aws/secretsmanager":
            return kms_key_id
        raise StoreConfigError(
            f"{argument} 'alias/aws/secretsmanager' is the AWS-managed default key; leave {argument} unset "
            "to use it (an IAM policy cannot grant kms:Decrypt on it)."
        )
    raise StoreConfigError(
        f"{argument} {kms_key_id!r} is not a KMS key reference. Use a key id "
        "(1234abcd-12ab-34cd-56ef-1234567890ab), a key ARN, 'alias/<name>' or an alias ARN."
    )


def check_principals(principals: Sequence[str], *, argument: str = "reader_principals") -> tuple[str, ...]:
    """Validate IAM principal ARNs allowed to read the secret."""
    if isinstance(principals, str) or not principals:
        raise StoreConfigError(
            f"{argument} must be a non-empty list of IAM principal ARNs "
            "(arn:aws:iam::123456789012:role/NAME); pass None to leave the resource policy alone."
        )
    bad = [p for p in principals if not isinstance(p, str) or not IAM_PRINCIPAL_ARN.fullmatch(p)]
    if bad:
        raise StoreConfigError(
            f"{argument} has invalid IAM principal ARN(s) {bad!r}; expected "
            "arn:aws:iam::<12-digit account>:role/NAME, user/NAME or root."
        )
    return tuple(dict.fromkeys(principals))


def _secret_arn_parts(secret_arn: str) -> re.Match[str]:
    match = SECRET_ARN.fullmatch(secret_arn or "")
    if not match:
        raise StoreConfigError(
            f"secret_arn {secret_arn!r} is not a Secrets Manager secret ARN "
            "(arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME-abcdef); take it from CredentialStore.describe()."
        )
    return match


def runtime_policy_document(
    secret_arn: str, kms_key_id: str | None = None, stages: Sequence[str] = RUNTIME_STAGES
) -> dict[str, Any]:
    """Least-privilege identity policy for the integration's runtime role.

    Allows only GetSecretValue on this secret, only for the given staging labels, and kms:Decrypt on
    the secret's customer-managed key only when called through Secrets Manager for this secret. The
    default covers what the runtime client reads with either strategy (``stages.runtime_stages``:
    AWSCURRENT; AWSPENDING during a rotation; AWSPREVIOUS with blue-green).
    """
    parts = _secret_arn_parts(secret_arn)
    if not stages or any(not isinstance(s, str) or not s for s in stages):
        raise StoreConfigError("stages must name at least one staging label, e.g. ('AWSCURRENT',).")
    statements: list[dict[str, Any]] = [
        {
            "Sid": "ReadSalesforceJwtCredential",
            "Effect": "Allow",
            "Action": "secretsmanager:GetSecretValue",
            "Resource": secret_arn,
            "Condition": {"StringEquals": {"secretsmanager:VersionStage": list(stages)}},
        }
    ]
    if kms_key_id:
        statements.append(_decrypt_statement(check_kms_key_id(kms_key_id), parts, secret_arn))
    return {"Version": POLICY_VERSION, "Statement": statements}


def _decrypt_statement(kms_key_id: str, parts: re.Match[str], secret_arn: str) -> dict[str, Any]:
    partition, region, account = parts["partition"], parts["region"], parts["account"]
    condition: dict[str, Any] = {
        "StringEquals": {
            "kms:ViaService": f"secretsmanager.{region}.amazonaws.com",
            "kms:EncryptionContext:SecretARN": secret_arn,
        }
    }
    if KMS_KEY_ARN.fullmatch(kms_key_id):
        resource = kms_key_id
    elif KMS_KEY_ID.fullmatch(kms_key_id):
        resource = f"arn:{partition}:kms:{region}:{account}:key/{kms_key_id}"
    else:
        alias_match = KMS_ALIAS_ARN.fullmatch(kms_key_id)
        alias = alias_match["alias"] if alias_match else kms_key_id
        resource = f"arn:{partition}:kms:{region}:{account}:key/*"
        condition["ForAnyValue:StringEquals"] = {"kms:ResourceAliases": [alias]}
    return {
        "Sid": "DecryptSalesforceJwtCredential",
        "Effect": "Allow",
        "Action": "kms:Decrypt",
        "Resource": resource,
        "Condition": condition,
    }


def resource_policy_document(reader_principals: Sequence[str]) -> dict[str, Any]:
    """Resource policy for the secret: only the named principals may read its value.

    An explicit Deny covers everyone else, so a broad identity policy elsewhere in the account cannot
    read the key. Include the deployer's own role if it must read the secret back.
    """
    principals = list(check_principals(reader_principals))
    return {
        "Version": POLICY_VERSION,
        "Statement": [
            {
                "Sid": "AllowNamedReaders",
                "Effect": "Allow",
                "Principal": {"AWS": principals},
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
            },
            {
                "Sid": "DenyOtherReaders",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "secretsmanager:GetSecretValue",
                "Resource": "*",
                "Condition": {"StringNotEquals": {"aws:PrincipalArn": principals}},
            },
        ],
    }


_ASSUMED_ROLE = re.compile(r"^arn:(?P<partition>aws[a-z-]*):sts::(?P<account>\d{12}):assumed-role/(?P<role>[^/]+)/.+$")


def principal_of_caller(caller_arn: str) -> str:
    """The IAM principal ARN a resource policy can name for an STS caller identity.

    An assumed-role session (``arn:aws:sts::1:assumed-role/Deployer/ci``) maps to its role
    (``arn:aws:iam::1:role/Deployer``); IAM users and roles are returned as they are.
    """
    match = _ASSUMED_ROLE.match(caller_arn)
    if match:
        return f"arn:{match['partition']}:iam::{match['account']}:role/{match['role']}"
    return caller_arn
