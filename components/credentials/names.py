"""Secret names and ARNs (no I/O, no AWS client): what the CLI, the inspection and the runtime client share."""

from __future__ import annotations

from components.credentials.aws_ids import ARN_SUFFIX, SECRET_ARN


def secret_name(secret_id: str, region: str | None = None) -> str:
    """The secret's name, also when given its ARN (AWS appends '-' and 6 characters to the name).

    An ARN names its region: read with another ``region``, the same name would be another secret, so
    that is refused (StoreConfigError) instead of silently reading the wrong one.
    """
    match = SECRET_ARN.fullmatch(secret_id) if isinstance(secret_id, str) else None
    if not match:
        return secret_id
    arn_region = match.group("region")
    if region and arn_region and arn_region != region:
        from components.credentials.errors import StoreConfigError  # botocore only on this path

        raise StoreConfigError(
            f"the secret ARN {secret_id} is in region {arn_region}, but the region given is {region}: "
            f"use region {arn_region} (--region, AWS_REGION or the client's region argument). The secret "
            f"of the same name in {region} is another secret."
        )
    return ARN_SUFFIX.sub("", match.group("name"))


def secret_id_for(secret_id: str, region: str | None = None) -> str:
    """What to send AWS as ``SecretId``: a name as given, an ARN whole (after the region check of
    :func:`secret_name`). AWS reads an ARN in the account it names (cross-account access through the
    secret's resource policy, else an error), never the same-named secret of the caller's account."""
    secret_name(secret_id, region)
    return secret_id
