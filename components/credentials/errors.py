"""Exceptions of the credential store, and the mapping from AWS error codes to them.

Messages name the secret, the AWS operation and the fix. They never contain the credential
document, a private key or anything sent to AWS as a secret value.
"""

from __future__ import annotations

from botocore.exceptions import ClientError

THROTTLING_CODES = frozenset(
    {
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
KMS_CODES = frozenset(
    {
        "EncryptionFailure",
        "DecryptionFailure",
        "DisabledException",
        "KMSDisabledException",
        "KMSInvalidStateException",
        "KMSNotFoundException",
        "KMSAccessDeniedException",
        "KeyUnavailableException",
    }
)
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDeniedException",
        "AccessDenied",
        "UnauthorizedOperation",
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "ExpiredTokenException",
    }
)
INVALID_CODES = frozenset(
    {
        "InvalidRequestException",
        "InvalidParameterException",
        "ValidationException",
        "MalformedPolicyDocumentException",
        "LimitExceededException",
        "ResourceExistsException",
        "PreconditionNotMetException",
    }
)


class CredentialError(Exception):
    """Base class of every error raised by components.credentials."""


class CredentialDocumentError(CredentialError, ValueError):
    """The credential document is malformed (bad JSON, missing or unknown field, wrong type)."""


class NewerSchemaError(CredentialDocumentError):
    """The stored document was written with a newer schema than this code understands."""


class NotProvisionedError(CredentialDocumentError):
    """The version is the *not provisioned* marker: it holds no key (the first rollout has not finished)."""


class StoreConfigError(CredentialError, ValueError):
    """An argument given to the store is invalid; raised before any call to AWS."""


class SecretNotManagedError(CredentialError):
    """A secret with that name exists but is not tagged as managed by this project."""


class NoPreviousVersionError(CredentialError):
    """Rollback was asked for but no version carries AWSPREVIOUS."""


class AwsError(CredentialError):
    """An AWS call failed. `code` is AWS's error code, `operation` the API operation."""

    def __init__(self, message: str, *, code: str = "", operation: str = "", secret: str = "") -> None:
        super().__init__(message)
        self.code = code
        self.operation = operation
        self.secret = secret


class ThrottledError(AwsError):
    """AWS kept throttling the requests after all retries."""


class ServiceUnavailableError(AwsError):
    """AWS answered 5xx, or could not be reached, after all retries."""


class AccessDeniedError(AwsError):
    """The caller's IAM identity (or the secret's resource policy) does not allow the call."""


class SecretNotFoundError(AwsError):
    """The secret does not exist."""


class StageNotFoundError(AwsError):
    """The secret exists but no version carries the requested staging label."""


class VersionNotFoundError(AwsError):
    """The secret exists but has no version with the requested id."""


class SecretScheduledForDeletionError(AwsError):
    """The secret is scheduled for deletion; it must be restored before use."""


class KmsKeyError(AwsError):
    """The secret's KMS key is disabled, missing, pending deletion or not usable by the caller."""


class InvalidRequestError(AwsError):
    """AWS rejected the request as invalid."""


def error_code(err: ClientError) -> str:
    """AWS's error code of a botocore ClientError ('' when absent)."""
    return str(err.response.get("Error", {}).get("Code", ""))


def http_status(err: ClientError) -> int:
    """HTTP status of a botocore ClientError (0 when absent)."""
    return int(err.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0) or 0)


def is_throttling(err: ClientError) -> bool:
    """True when AWS asked us to slow down."""
    return error_code(err) in THROTTLING_CODES or http_status(err) == 429


def is_server_error(err: ClientError) -> bool:
    """True for 5xx answers and AWS's internal-error codes."""
    return http_status(err) >= 500 or error_code(err) in {
        "InternalServiceError",
        "InternalFailure",
        "ServiceUnavailable",
        "InternalError",
    }


def _aws_message(err: ClientError) -> str:
    return str(err.response.get("Error", {}).get("Message", "")).strip()[:300]


def classify_aws_error(
    err: ClientError, *, operation: str, secret: str, stage: str = "", version: str = ""
) -> AwsError:
    """Turn a ClientError into the matching AwsError subclass with an actionable message."""
    code, aws_msg = error_code(err), _aws_message(err)
    where = f"{operation} on secret '{secret}'"
    detail = f" (AWS said: {code}: {aws_msg})" if aws_msg else f" ({code or http_status(err)})"
    lowered = aws_msg.lower()
    kw = {"code": code, "operation": operation, "secret": secret}
    if is_throttling(err):
        return ThrottledError(
            f"AWS kept throttling {where} after all retries{detail}. Wait and re-run, lower the "
            "concurrency of deployments, or ask AWS for a higher Secrets Manager request quota.",
            **kw,
        )
    if is_server_error(err):
        return ServiceUnavailableError(
            f"AWS Secrets Manager failed {where} with a server error after all retries{detail}. "
            "Re-run later; check https://health.aws.amazon.com for the region.",
            **kw,
        )
    if code in KMS_CODES or (code in INVALID_CODES | {"ResourceNotFoundException"} and "kms" in lowered):
        return KmsKeyError(
            f"The KMS key of secret '{secret}' could not be used for {operation}{detail}. Check that the "
            "key (setting kmsKeyId) exists in the secret's region, is enabled and not pending deletion, "
            "and that its key policy lets this identity use kms:Decrypt and kms:GenerateDataKey.",
            **kw,
        )
    if code in ACCESS_DENIED_CODES or http_status(err) == 403:
        return AccessDeniedError(
            f"AWS denied {where}{detail}. Allow secretsmanager:{operation} on this secret for the "
            "identity running the deployment (and check the secret's resource policy and AWS credentials).",
            **kw,
        )
    if code == "InvalidRequestException" and "delet" in lowered:
        return SecretScheduledForDeletionError(
            f"Secret '{secret}' is scheduled for deletion, so {operation} is refused{detail}. Restore it "
            "first (CredentialStore.restore(), or `aws secretsmanager restore-secret --secret-id "
            f"{secret}`), or choose another secretName.",
            **kw,
        )
    if code == "ResourceNotFoundException":
        if version:
            return VersionNotFoundError(
                f"Secret '{secret}' has no version {version}{detail}. List versions with "
                "CredentialStore.describe(); the version may have been removed as deprecated.",
                **kw,
            )
        if stage:
            return StageNotFoundError(
                f"Secret '{secret}' has no version labelled {stage}{detail}. Run the deployment that "
                f"writes it, or read another stage.",
                **kw,
            )
        return SecretNotFoundError(
            f"Secret '{secret}' was not found{detail}. Check the secretName setting and the AWS region "
            "and account, or let the deployment create it.",
            **kw,
        )
    return InvalidRequestError(f"AWS rejected {where}{detail}. Check the arguments named in AWS's message.", **kw)
