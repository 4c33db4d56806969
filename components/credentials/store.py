"""The credential store: one AWS Secrets Manager secret and its staged versions.

Lifecycle of a rotation: `ensure_secret` -> `put_pending` (AWSPENDING) -> verify elsewhere ->
`promote` (AWSCURRENT moves, the old one becomes AWSPREVIOUS, AWSPENDING removed). `rollback` moves
AWSCURRENT back to AWSPREVIOUS. Every read names its stage: moto server answers a read without
VersionStage with a stale value after a stage move, which real AWS does not.

AWS labels the *first* version of a secret AWSCURRENT, whatever stages are asked for. So every secret
is created with the *not provisioned* placeholder (`NOT_PROVISIONED_JSON`, version
`PLACEHOLDER_VERSION_ID`) as that first version: AWSCURRENT never holds a key that was not verified,
and every reader refuses the placeholder (`NotProvisionedError`). The first promotion moves AWSCURRENT
off it and takes its AWSPREVIOUS label away, so nothing can roll back to it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from components.credentials.aws_calls import AwsCaller, AwsRetryPolicy, make_client, new_session
from components.credentials.aws_ids import (
    DEFAULT_RECOVERY_DAYS,
    MAX_RECOVERY_DAYS,
    MIN_RECOVERY_DAYS,
    REGION,
    SECRET_ARN,
    SECRET_NAME,
)
from components.credentials.document import (
    NOT_PROVISIONED_JSON,
    PLACEHOLDER_VERSION_ID,
    CredentialDocument,
    is_not_provisioned,
)
from components.credentials.errors import (
    CredentialDocumentError,
    InvalidRequestError,
    NoPreviousVersionError,
    NotProvisionedError,
    SecretNotFoundError,
    SecretNotManagedError,
    SecretScheduledForDeletionError,
    StageNotFoundError,
    StoreConfigError,
    VersionNotFoundError,
)
from components.credentials.policies import (
    check_kms_key_id,
    check_principals,
    principal_of_caller,
    resource_policy_document,
    runtime_policy_document,
)
from components.credentials.stages import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    MANAGED_BY_KEY,
    MANAGED_BY_VALUE,
    RUNTIME_STAGES,
)

DEFAULT_DESCRIPTION = (
    "Salesforce JWT bearer credential (private key, certificate, consumer key); managed by salesforce-jwt-pulumi"
)


@dataclass(frozen=True)
class StoredCredential:
    """A document read from the secret, with its version id and staging labels."""

    version_id: str
    stages: tuple[str, ...]
    document: CredentialDocument


@dataclass(frozen=True)
class SecretDescription:
    """What drift detection needs to know about the secret (no secret value)."""

    arn: str
    name: str
    description: str
    kms_key_id: str | None
    tags: Mapping[str, str]
    versions: Mapping[str, tuple[str, ...]]
    created: datetime | None
    last_changed: datetime | None
    deleted_date: datetime | None = None
    rotation_enabled: bool = False

    @property
    def managed(self) -> bool:
        """True when tagged managed-by=salesforce-jwt-pulumi."""
        return self.tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE

    @property
    def scheduled_for_deletion(self) -> bool:
        """True while the secret waits out its recovery window."""
        return self.deleted_date is not None

    def version_for(self, stage: str) -> str | None:
        """Version id carrying a staging label, or None."""
        return _holder(self.versions, stage)


def _holder(versions: Mapping[str, Sequence[str]], stage: str) -> str | None:
    return next((vid for vid, stages in versions.items() if stage in stages), None)


def _description_from(resp: Mapping[str, Any]) -> SecretDescription:
    versions = resp.get("VersionIdsToStages") or resp.get("SecretVersionsToStages") or {}
    return SecretDescription(
        arn=resp["ARN"],
        name=resp["Name"],
        description=resp.get("Description", ""),
        kms_key_id=resp.get("KmsKeyId"),
        tags={t["Key"]: t["Value"] for t in resp.get("Tags", [])},
        versions={vid: tuple(stages) for vid, stages in versions.items() if stages},
        created=resp.get("CreatedDate"),
        last_changed=resp.get("LastChangedDate"),
        deleted_date=resp.get("DeletedDate"),
        rotation_enabled=bool(resp.get("RotationEnabled", False)),
    )


def _check_region(region: str) -> str:
    if not isinstance(region, str) or not REGION.fullmatch(region):
        raise StoreConfigError(
            f"region {region!r} is not an AWS region name; use e.g. 'us-east-1' (setting awsRegion)."
        )
    return region


def _check_endpoint(endpoint_url: str | None) -> str | None:
    if endpoint_url is None:
        return None
    parts = urlsplit(endpoint_url) if isinstance(endpoint_url, str) else None
    if not parts or parts.scheme not in ("http", "https") or not parts.hostname:
        raise StoreConfigError(
            f"endpoint_url {endpoint_url!r} must be an http(s) URL such as "
            "'http://127.0.0.1:5000', or None for AWS itself (setting awsEndpoint)."
        )
    return endpoint_url


def _check_tags(tags: Mapping[str, str] | None) -> dict[str, str]:
    merged = dict(tags or {})
    problems = [
        f"{k!r}"
        for k, v in merged.items()
        if not isinstance(k, str)
        or not isinstance(v, str)
        or not 1 <= len(k) <= 128
        or len(v) > 256
        or k.lower().startswith("aws:")
    ]
    if problems:
        raise StoreConfigError(
            f"tags {', '.join(problems)} are invalid: keys need 1-128 characters and "
            "must not start with 'aws:'; values are strings of at most 256 characters."
        )
    if merged.get(MANAGED_BY_KEY, MANAGED_BY_VALUE) != MANAGED_BY_VALUE:
        raise StoreConfigError(
            f"tags: '{MANAGED_BY_KEY}' is reserved for '{MANAGED_BY_VALUE}'; remove it from the tags setting."
        )
    merged[MANAGED_BY_KEY] = MANAGED_BY_VALUE
    return merged


def _same_kms_key(wanted: str, actual: str | None) -> bool:
    return actual is not None and (wanted == actual or actual.endswith((":" + wanted, "/" + wanted)))


def check_recovery_window(days: int) -> int:
    """Validate a deletion recovery window (7..30 days)."""
    if isinstance(days, bool) or not isinstance(days, int) or not MIN_RECOVERY_DAYS <= days <= MAX_RECOVERY_DAYS:
        raise StoreConfigError(
            f"recovery_window_days must be an integer from {MIN_RECOVERY_DAYS} to {MAX_RECOVERY_DAYS} "
            f"(AWS's limits; default {DEFAULT_RECOVERY_DAYS}), got {days!r}. Deletion without a recovery "
            "window is not offered."
        )
    return days


class CredentialStore:
    """One secret in AWS Secrets Manager holding staged versions of the credential document."""

    def __init__(
        self,
        secret_name: str,
        region: str,
        endpoint_url: str | None = None,
        client: Any | None = None,
        retry: AwsRetryPolicy | None = None,
    ) -> None:
        if not isinstance(secret_name, str) or not (
            SECRET_NAME.fullmatch(secret_name) or SECRET_ARN.fullmatch(secret_name)
        ):
            raise StoreConfigError(
                f"secret_name {secret_name!r} is invalid: use 1-512 characters from letters, digits and "
                "/_+=.@-, or a secret ARN (setting secretName)."
            )
        self.name = secret_name
        self.region = _check_region(region)
        self.endpoint_url = _check_endpoint(endpoint_url)
        self._call = AwsCaller(
            client or make_client(self.region, self.endpoint_url, retry or AwsRetryPolicy()),
            retry or AwsRetryPolicy(),
            secret_name,
            self.endpoint_url or f"AWS ({self.region})",
        )

    def __repr__(self) -> str:
        return f"CredentialStore(secret_name={self.name!r}, region={self.region!r}, endpoint_url={self.endpoint_url!r})"

    def caller_principal(self) -> str | None:
        """The IAM role or user these AWS credentials act as, or None when STS names no IAM principal."""
        sts = new_session().create_client("sts", region_name=self.region, endpoint_url=self.endpoint_url)
        principal = principal_of_caller(sts.get_caller_identity()["Arn"])
        return principal if ":iam::" in principal else None

    # -- the secret itself -------------------------------------------------------------------

    def describe(self) -> SecretDescription:
        """ARN, versions -> stages, deletion date, last change, tags and KMS key."""
        return _description_from(self._call("DescribeSecret", SecretId=self.name))

    def exists(self) -> bool:
        """True when the secret exists (also while scheduled for deletion)."""
        try:
            self.describe()
        except SecretNotFoundError:
            return False
        return True

    def ensure_secret(
        self,
        *,
        kms_key_id: str | None = None,
        tags: Mapping[str, str] | None = None,
        description: str = DEFAULT_DESCRIPTION,
        reader_principals: Sequence[str] | None = None,
    ) -> SecretDescription:
        """Create the secret if missing; otherwise bring description, KMS key, tags and policy in line.

        Refuses a secret that is not tagged as ours, or one scheduled for deletion. Tags are only added
        or updated, never removed. `reader_principals=None` leaves the resource policy untouched; an
        empty list removes it (no named readers any more).
        """
        wanted_tags = _check_tags(tags)
        kms = check_kms_key_id(kms_key_id) if kms_key_id is not None else None
        readers = check_principals(reader_principals) if reader_principals else None
        if not isinstance(description, str) or len(description) > 2048:
            raise StoreConfigError("description must be a string of at most 2048 characters.")
        try:
            current = self.describe()
        except SecretNotFoundError:
            current = self._create(description, kms, wanted_tags)
        self._reconcile(current, description, kms, wanted_tags)
        if not current.versions:  # created without a value (by an older release, or by hand)
            self._put_placeholder()
        if readers and self.resource_policy() != resource_policy_document(readers):
            self._call(
                "PutResourcePolicy",
                SecretId=self.name,
                BlockPublicPolicy=True,
                ResourcePolicy=json.dumps(resource_policy_document(readers)),
            )
        elif reader_principals is not None and not readers and self.resource_policy() is not None:
            self.remove_resource_policy()
        return self.describe()

    def _create(self, description: str, kms: str | None, tags: Mapping[str, str]) -> SecretDescription:
        """Create the secret (its first version the placeholder) and describe it.

        Someone else may have created it meanwhile: AWS then answers ResourceExists, or ignores a create
        with the same ClientRequestToken (the placeholder's fixed id); either way the caller reconciles
        what is there."""
        params: dict[str, Any] = {
            "Name": self.name,
            "Description": description,
            "Tags": [{"Key": k, "Value": v} for k, v in sorted(tags.items())],
            "SecretString": NOT_PROVISIONED_JSON,  # AWSCURRENT of a new secret: no key yet
            "ClientRequestToken": PLACEHOLDER_VERSION_ID,
        }
        if kms:
            params["KmsKeyId"] = kms
        try:
            self._call("CreateSecret", **params)
        except InvalidRequestError as err:
            if err.code != "ResourceExistsException":
                raise
        return self.describe()

    def _put_placeholder(self) -> None:
        """Give a secret without versions the placeholder as its first (AWSCURRENT) version."""
        self._call(
            "PutSecretValue",
            SecretId=self.name,
            SecretString=NOT_PROVISIONED_JSON,
            ClientRequestToken=PLACEHOLDER_VERSION_ID,
            VersionStages=[AWSCURRENT],
        )

    def _reconcile(
        self, current: SecretDescription, description: str, kms: str | None, tags: Mapping[str, str]
    ) -> None:
        self._refuse_deleted(current)
        if not current.managed:
            raise SecretNotManagedError(
                f"Secret '{self.name}' exists but is not tagged {MANAGED_BY_KEY}={MANAGED_BY_VALUE}, so it "
                "belongs to something else and will not be overwritten. Choose another secretName, or tag "
                "the secret if this project should adopt it."
            )
        updates: dict[str, Any] = {}
        if description != current.description:
            updates["Description"] = description
        if kms and not _same_kms_key(kms, current.kms_key_id):
            updates["KmsKeyId"] = kms
        if updates:
            self._call("UpdateSecret", SecretId=self.name, **updates)
        changed = {k: v for k, v in tags.items() if current.tags.get(k) != v}
        if changed:
            self._call(
                "TagResource", SecretId=self.name, Tags=[{"Key": k, "Value": v} for k, v in sorted(changed.items())]
            )

    def _refuse_deleted(self, current: SecretDescription) -> None:
        if current.scheduled_for_deletion:
            raise SecretScheduledForDeletionError(
                f"Secret '{self.name}' is scheduled for deletion on {current.deleted_date}. Restore it first "
                f"(CredentialStore.restore(), or `aws secretsmanager restore-secret --secret-id {self.name}`), "
                "or choose another secretName.",
                code="ScheduledForDeletion",
                secret=self.name,
            )

    def _active(self) -> SecretDescription:
        current = self.describe()
        self._refuse_deleted(current)
        return current

    def remove_resource_policy(self) -> None:
        """Delete the secret's resource policy (identity policies then decide alone)."""
        self._call("DeleteResourcePolicy", SecretId=self.name)

    def resource_policy(self) -> dict[str, Any] | None:
        """The secret's resource policy as a dict, or None."""
        text = self._call("GetResourcePolicy", SecretId=self.name).get("ResourcePolicy")
        return json.loads(text) if text else None

    def runtime_policy(self, stages: Sequence[str] = RUNTIME_STAGES) -> dict[str, Any]:
        """Least-privilege IAM policy document for the integration's runtime role."""
        current = self.describe()
        return runtime_policy_document(current.arn, current.kms_key_id, stages)

    # -- versions ------------------------------------------------------------------------------

    def versions(self) -> dict[str, tuple[str, ...]]:
        """Every version id (labelled or not) -> its staging labels."""
        return {v["VersionId"]: tuple(v.get("VersionStages", ())) for v in self._version_list()}

    def version_created(self, version_id: str) -> datetime | None:
        """When AWS stored a version (its CreatedDate), or None when there is no such version."""
        return next((v.get("CreatedDate") for v in self._version_list() if v["VersionId"] == version_id), None)

    def _version_list(self) -> list[dict[str, Any]]:
        # botocore ships no paginator for ListSecretVersionIds (it does for ListSecrets): follow NextToken.
        out: list[dict[str, Any]] = []
        token: str | None = None
        while True:
            params: dict[str, Any] = {"SecretId": self.name, "IncludeDeprecated": True}
            if token:
                params["NextToken"] = token
            page = self._call("ListSecretVersionIds", **params)
            out.extend(page.get("Versions", []))
            token = page.get("NextToken")
            if not token:
                return out

    def put_pending(self, document: CredentialDocument) -> str:
        """Store the document as AWSPENDING; idempotent. Returns the version id (from the content).

        Putting a document already stored is a no-op when it is AWSPENDING or AWSCURRENT; an older
        unlabelled or AWSPREVIOUS copy gets the AWSPENDING label back.
        """
        if not isinstance(document, CredentialDocument):
            raise StoreConfigError(f"document must be a CredentialDocument, got {type(document).__name__}.")
        self._active()
        token = document.version_token()
        versions = self.versions()
        if token not in versions:
            self._call(
                "PutSecretValue",
                SecretId=self.name,
                SecretString=document.to_json(),
                ClientRequestToken=token,
                VersionStages=[AWSPENDING],
            )
        elif not {AWSPENDING, AWSCURRENT} & set(versions[token]):
            self._move(AWSPENDING, to=token, away_from=_holder(versions, AWSPENDING))
        return token

    def get(self, stage: str = AWSCURRENT) -> StoredCredential:
        """Read the document carrying a staging label. Always sends VersionStage."""
        if not isinstance(stage, str) or not stage:
            raise StoreConfigError("stage must name a staging label such as AWSCURRENT.")
        try:
            resp = self._call("GetSecretValue", stage=stage, SecretId=self.name, VersionStage=stage)
        except StageNotFoundError:
            self.describe()  # raises SecretNotFoundError when the secret itself is missing
            raise
        return self._stored(resp)

    def find(self, stage: str) -> StoredCredential | None:
        """The document carrying a staging label, or None when no version carries it.

        Only GetSecretValue is called (no DescribeSecret), so a least-privilege runtime role can use it.
        """
        try:
            resp = self._call("GetSecretValue", stage=stage, SecretId=self.name, VersionStage=stage)
        except StageNotFoundError:
            return None
        return self._stored(resp)

    def get_version(self, version_id: str) -> StoredCredential:
        """Read one version by id."""
        try:
            resp = self._call("GetSecretValue", version=version_id, SecretId=self.name, VersionId=version_id)
        except VersionNotFoundError:
            self.describe()
            raise
        return self._stored(resp)

    def _stored(self, resp: Mapping[str, Any]) -> StoredCredential:
        text = resp.get("SecretString")
        if text is None:
            raise CredentialDocumentError(
                f"Secret '{self.name}' version {resp.get('VersionId')} holds binary data, not a credential "
                "document. Re-run the deployment to write a fresh version."
            )
        if is_not_provisioned(text):
            raise NotProvisionedError(
                f"Secret '{self.name}' version {resp.get('VersionId')} is a placeholder that holds no key "
                "(not provisioned yet): the deployment has not promoted a verified credential to it. Run "
                "`pulumi up` and let it finish; nothing logs in with this version."
            )
        try:
            document = CredentialDocument.from_json(text)
        except CredentialDocumentError as err:
            raise type(err)(f"Secret '{self.name}' version {resp.get('VersionId')}: {err}") from None
        return StoredCredential(resp["VersionId"], tuple(resp.get("VersionStages", ())), document)

    def promote(self, version_id: str) -> SecretDescription:
        """Make a version AWSCURRENT (the old current becomes AWSPREVIOUS) and drop its AWSPENDING."""
        self._active()
        versions = self._require_version(version_id)
        current = _holder(versions, AWSCURRENT)
        if current != version_id:
            self._move(AWSCURRENT, to=version_id, away_from=current)
        if AWSPENDING in versions[version_id]:
            self._move(AWSPENDING, to=None, away_from=version_id)
        # AWS labels the version AWSCURRENT leaves AWSPREVIOUS; the placeholder must not keep it (also
        # when an interrupted promotion left it there).
        previous = current if current != version_id else _holder(versions, AWSPREVIOUS)
        if previous == PLACEHOLDER_VERSION_ID:
            self._move(AWSPREVIOUS, to=None, away_from=PLACEHOLDER_VERSION_ID)
        return self.describe()

    def is_provisioned(self) -> bool:
        """True once a verified document has been promoted over the placeholder (AWSCURRENT holds a key).

        Reads AWSCURRENT's value, so a placeholder written under another version id counts as well."""
        try:
            return self.find(AWSCURRENT) is not None
        except NotProvisionedError:
            return False

    def rollback(self) -> str:
        """Move AWSCURRENT back to the AWSPREVIOUS version; returns that version id.

        AWS then labels the version that was current AWSPREVIOUS, so a second rollback undoes the first.
        """
        self._active()
        versions = self.versions()
        previous = _holder(versions, AWSPREVIOUS)
        if previous is None or previous == PLACEHOLDER_VERSION_ID:
            raise NoPreviousVersionError(
                f"Secret '{self.name}' has no AWSPREVIOUS version to roll back to (nothing was promoted "
                "over an earlier version yet)."
            )
        self._move(AWSCURRENT, to=previous, away_from=_holder(versions, AWSCURRENT))
        return previous

    def remove_pending(self, version_id: str | None = None) -> str | None:
        """Remove AWSPENDING (from `version_id` if given); returns the version it was on, if any."""
        self._active()
        versions = self.versions()
        holder = _holder(versions, AWSPENDING)
        if holder is None or (version_id is not None and holder != version_id):
            return None
        self._move(AWSPENDING, to=None, away_from=holder)
        return holder

    def _require_version(self, version_id: str) -> dict[str, tuple[str, ...]]:
        versions = self.versions()
        if version_id not in versions:
            raise VersionNotFoundError(
                f"Secret '{self.name}' has no version {version_id!r}; put the document first "
                "(put_pending) or check the version id.",
                code="VersionNotFound",
                secret=self.name,
            )
        return versions

    def _move(self, stage: str, *, to: str | None, away_from: str | None) -> None:
        params: dict[str, Any] = {"SecretId": self.name, "VersionStage": stage}
        if to:
            params["MoveToVersionId"] = to
        if away_from:
            params["RemoveFromVersionId"] = away_from
        self._call("UpdateSecretVersionStage", **params)

    # -- deletion ------------------------------------------------------------------------------

    def delete(self, recovery_window_days: int = DEFAULT_RECOVERY_DAYS) -> datetime:
        """Schedule deletion with a recovery window (7..30 days); returns the deletion date."""
        days = check_recovery_window(recovery_window_days)
        resp = self._call("DeleteSecret", SecretId=self.name, RecoveryWindowInDays=days)
        return resp["DeletionDate"]

    def restore(self) -> None:
        """Cancel a scheduled deletion."""
        self._call("RestoreSecret", SecretId=self.name)


@dataclass(frozen=True)
class SecretSummary:
    """One managed secret as listed for `check --all`."""

    name: str
    arn: str
    tags: Mapping[str, str] = field(default_factory=dict)
    versions: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    last_changed: datetime | None = None
    deleted_date: datetime | None = None


def list_managed_secrets(
    region: str,
    *,
    endpoint_url: str | None = None,
    client: Any | None = None,
    name_prefix: str | None = None,
    retry: AwsRetryPolicy | None = None,
) -> list[SecretSummary]:
    """Every secret tagged managed-by=salesforce-jwt-pulumi (optionally under a name prefix), by name.

    Secrets scheduled for deletion are included (their `deleted_date` is set).
    """
    _check_region(region)
    _check_endpoint(endpoint_url)
    if name_prefix is not None and (not isinstance(name_prefix, str) or not SECRET_NAME.fullmatch(name_prefix)):
        raise StoreConfigError(
            f"name_prefix {name_prefix!r} is invalid: use characters from letters, digits and /_+=.@-."
        )
    call = AwsCaller(
        client or make_client(region, endpoint_url, retry or AwsRetryPolicy()),
        retry or AwsRetryPolicy(),
        name_prefix or "*",
        endpoint_url or f"AWS ({region})",
    )
    filters = [{"Key": "tag-key", "Values": [MANAGED_BY_KEY]}, {"Key": "tag-value", "Values": [MANAGED_BY_VALUE]}]
    if name_prefix:
        filters.append({"Key": "name", "Values": [name_prefix]})
    listing = call.all_pages(
        "ListSecrets", Filters=filters, IncludePlannedDeletion=True, PaginationConfig={"PageSize": 100}
    )
    found = (_summary_from(item) for item in listing.get("SecretList", []))
    return sorted(
        (s for s in found if s.tags.get(MANAGED_BY_KEY) == MANAGED_BY_VALUE and s.name.startswith(name_prefix or "")),
        key=lambda s: s.name,
    )


def _summary_from(item: Mapping[str, Any]) -> SecretSummary:
    desc = _description_from({**item, "Name": item["Name"], "ARN": item["ARN"]})
    return SecretSummary(
        name=desc.name,
        arn=desc.arn,
        tags=desc.tags,
        versions=desc.versions,
        last_changed=desc.last_changed,
        deleted_date=desc.deleted_date,
    )
