"""AWS Secrets Manager: the credential document and its staged versions (no pulumi import).

The names below are loaded on first use (PEP 562), so that importing one light part (the stage
labels, the document) does not import botocore.
"""

from __future__ import annotations

from components.lazy_exports import lazy_getattr

_MODULES: dict[str, tuple[str, ...]] = {
    "aws_calls": ("AwsRetryPolicy", "make_client", "new_session"),
    "document": (
        "APP_KINDS",
        "CredentialDocument",
        "NOT_PROVISIONED_JSON",
        "PLACEHOLDER_VERSION_ID",
        "SCHEMA_VERSION",
        "is_not_provisioned",
    ),
    "errors": (
        "AccessDeniedError",
        "AwsError",
        "CredentialDocumentError",
        "CredentialError",
        "InvalidRequestError",
        "KmsKeyError",
        "NewerSchemaError",
        "NoPreviousVersionError",
        "NotProvisionedError",
        "SecretNotFoundError",
        "SecretNotManagedError",
        "SecretScheduledForDeletionError",
        "ServiceUnavailableError",
        "StageNotFoundError",
        "StoreConfigError",
        "ThrottledError",
        "VersionNotFoundError",
        "classify_aws_error",
    ),
    "policies": (
        "check_kms_key_id",
        "check_principals",
        "principal_of_caller",
        "resource_policy_document",
        "runtime_policy_document",
    ),
    "names": ("secret_id_for", "secret_name"),
    "stages": (
        "AWSCURRENT",
        "AWSPENDING",
        "AWSPREVIOUS",
        "BLUE_GREEN_STAGES",
        "MANAGED_BY_KEY",
        "MANAGED_BY_VALUE",
        "RUNTIME_STAGES",
        "SINGLE_APP_STAGES",
        "runtime_stages",
    ),
    "store": (
        "CredentialStore",
        "DEFAULT_RECOVERY_DAYS",
        "SecretDescription",
        "SecretSummary",
        "StoredCredential",
        "check_recovery_window",
        "list_managed_secrets",
    ),
}
_HOME = {name: module for module, names in _MODULES.items() for name in names}
__all__ = sorted(_HOME)


__getattr__ = lazy_getattr(__name__, _HOME, globals())


def __dir__() -> list[str]:
    return __all__
