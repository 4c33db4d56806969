"""AWS error codes become the store's exception classes, with messages that say what to do."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from components.credentials import (
    AccessDeniedError,
    AwsRetryPolicy,
    CredentialStore,
    InvalidRequestError,
    KmsKeyError,
    SecretNotFoundError,
    SecretScheduledForDeletionError,
    ServiceUnavailableError,
    StageNotFoundError,
    StoreConfigError,
    ThrottledError,
    VersionNotFoundError,
    check_recovery_window,
    classify_aws_error,
)


def client_error(code: str, message: str = "", status: int = 400) -> ClientError:
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, "GetSecretValue"
    )


@pytest.mark.parametrize(
    "code, message, status, cls, advice",
    [
        ("ThrottlingException", "Rate exceeded", 400, ThrottledError, "quota"),
        ("TooManyRequestsException", "", 429, ThrottledError, "Wait and re-run"),
        ("InternalServiceError", "boom", 500, ServiceUnavailableError, "Re-run later"),
        ("", "", 503, ServiceUnavailableError, "server error"),
        (
            "AccessDeniedException",
            "User x is not authorized",
            400,
            AccessDeniedError,
            "Allow secretsmanager:GetSecretValue",
        ),
        ("UnrecognizedClientException", "bad token", 400, AccessDeniedError, "AWS credentials"),
        (
            "ResourceNotFoundException",
            "Secrets Manager can't find the specified secret.",
            400,
            SecretNotFoundError,
            "secretName",
        ),
        (
            "InvalidRequestException",
            "You tried to perform the operation on a secret that's currently marked deleted.",
            400,
            SecretScheduledForDeletionError,
            "restore-secret --secret-id app/jwt",
        ),
        ("DecryptionFailure", "The key is disabled", 400, KmsKeyError, "is enabled"),
        ("EncryptionFailure", "KMS key not found", 400, KmsKeyError, "kmsKeyId"),
        ("KMSInvalidStateException", "pending deletion", 400, KmsKeyError, "pending deletion"),
        ("InvalidParameterException", "Invalid KMS key id", 400, KmsKeyError, "kmsKeyId"),
        (
            "InvalidParameterException",
            "RecoveryWindowInDays must be between 7 and 30",
            400,
            InvalidRequestError,
            "RecoveryWindowInDays",
        ),
    ],
)
def test_classification(code, message, status, cls, advice):
    err = classify_aws_error(client_error(code, message, status), operation="GetSecretValue", secret="app/jwt")
    assert type(err) is cls
    assert advice in str(err)
    assert "app/jwt" in str(err)
    assert err.code == code and err.operation == "GetSecretValue" and err.secret == "app/jwt"


def test_not_found_with_stage_or_version_is_specific():
    missing = client_error("ResourceNotFoundException", "can't find")
    assert isinstance(
        classify_aws_error(missing, operation="GetSecretValue", secret="s", stage="AWSPENDING"), StageNotFoundError
    )
    assert "AWSPENDING" in str(classify_aws_error(missing, operation="GetSecretValue", secret="s", stage="AWSPENDING"))
    assert isinstance(
        classify_aws_error(missing, operation="GetSecretValue", secret="s", version="v1"), VersionNotFoundError
    )


@pytest.mark.parametrize("days", [0, 6, 31, 365, True, 7.5, "30", None])
def test_recovery_window_outside_7_to_30_is_refused(days):
    with pytest.raises(StoreConfigError, match="recovery_window_days must be an integer from 7 to 30"):
        check_recovery_window(days)


@pytest.mark.parametrize("days", [7, 30])
def test_recovery_window_bounds_are_accepted(days):
    assert check_recovery_window(days) == days


class NoCalls:
    """A client stand-in that proves no AWS call is made."""

    def __getattr__(self, name):
        raise AssertionError(f"unexpected AWS call {name}")


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"secret_name": ""}, "secret_name"),
        ({"secret_name": "bad name with spaces"}, "secret_name"),
        ({"secret_name": "x" * 513}, "secret_name"),
        ({"region": "Mars-1"}, "region 'Mars-1'"),
        ({"endpoint_url": "127.0.0.1:5000"}, "endpoint_url"),
        ({"endpoint_url": "ftp://127.0.0.1"}, "endpoint_url"),
    ],
)
def test_store_arguments_are_checked_before_any_call(kwargs, fragment):
    args = {"secret_name": "app/jwt", "region": "us-east-1", "client": NoCalls(), **kwargs}
    with pytest.raises(StoreConfigError, match=fragment):
        CredentialStore(**args)


@pytest.mark.parametrize(
    "kwargs, fragment",
    [
        ({"kms_key_id": "not-a-key"}, "kms_key_id"),
        ({"kms_key_id": "alias/aws/secretsmanager"}, "AWS-managed default key"),
        ({"tags": {"aws:owner": "me"}}, "must not start with 'aws:'"),
        ({"tags": {"managed-by": "terraform"}}, "reserved"),
        ({"tags": {"k": "v" * 257}}, "256"),
        ({"reader_principals": ["arn:aws:iam::123:role/x"]}, "invalid IAM principal"),
        ({"reader_principals": "arn:aws:iam::123456789012:role/x"}, "non-empty list"),
        ({"description": "d" * 2049}, "description"),
    ],
)
def test_ensure_secret_arguments_are_checked_before_any_call(kwargs, fragment):
    store = CredentialStore("app/jwt", "us-east-1", client=NoCalls())
    with pytest.raises(StoreConfigError, match=fragment):
        store.ensure_secret(**kwargs)


def test_put_pending_refuses_a_plain_dict_before_any_call():
    store = CredentialStore("app/jwt", "us-east-1", client=NoCalls())
    with pytest.raises(StoreConfigError, match="CredentialDocument"):
        store.put_pending({"private_key_pem": "x"})  # type: ignore[arg-type]


@pytest.mark.parametrize("kwargs", [{"attempts": 0}, {"attempts": True}, {"attempts": "3"}])
def test_retry_policy_is_validated(kwargs):
    with pytest.raises(StoreConfigError):
        AwsRetryPolicy(**kwargs)
