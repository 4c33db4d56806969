"""CredentialVersion: the credential document staged as AWSPENDING in AWS Secrets Manager."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.credentials import SecretNotFoundError
from components.providers.common import ReportingProvider, changed, engine_store
from components.resource_props import CredentialProps
from components.rollout import credential_document, stage_credential

# A new name or region is a new secret; the endpoint is only how AWS is reached (moto, VPC endpoints).
REPLACE_KEYS = ("secret_name", "aws_region")
DOCUMENT_KEYS = (
    "private_key_pem",
    "certificate_pem",
    "consumer_key",
    "username",
    "login_url",
    "audience",
    "token_url",
    "app_name",
    "app_kind",
    "slot",
)
UPDATE_KEYS = (
    *DOCUMENT_KEYS,
    "aws_endpoint_url",
    "kms_key_id",
    "tags",
    "reader_arns",
    "description",
    "scheduled_for_deletion",
    "version_missing",
)
SECRET_OUTPUTS = ["private_key_pem"]


class CredentialVersionProvider(ReportingProvider):
    """Creates the secret when missing and puts the document as AWSPENDING (idempotently)."""

    def _stage(self, props: dict[str, Any]) -> dict[str, Any]:
        store = engine_store(props)
        described = store.describe() if store.exists() else None
        if described is not None and described.managed and described.scheduled_for_deletion:
            store.restore()  # deleted out of band: `up` repairs it (a foreign secret is refused below)
        fields: dict[str, Any] = {key: props.get(key) for key in DOCUMENT_KEYS}
        document = credential_document(**fields)
        arn, version_id = stage_credential(
            store,
            document,
            kms_key_id=props.get("kms_key_id"),
            tags=dict(props.get("tags") or {}),
            reader_arns=tuple(props.get("reader_arns") or ()),
            description=props["description"],
        )
        return {
            **props,
            "arn": arn,
            "version_id": version_id,
            "scheduled_for_deletion": False,
            "version_missing": False,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(props["secret_name"], self._stage(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed(olds, news, REPLACE_KEYS)
        updates = changed(olds, news, UPDATE_KEYS)
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._stage(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            described = engine_store(props).describe()
        except SecretNotFoundError:
            return ReadResult("", {})
        return ReadResult(
            id_,
            {
                **props,
                "scheduled_for_deletion": described.scheduled_for_deletion,
                "version_missing": props.get("version_id") not in described.versions,
            },
        )

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """Schedule the secret's deletion with its recovery window (restorable until then)."""
        try:
            engine_store(props).delete(int(props["recovery_window_days"]))
        except SecretNotFoundError:
            pass


class CredentialVersion(Resource, module="salesforce-jwt", name="CredentialVersion"):
    """The staged credential document; ``version_id`` is the AWSPENDING version it wrote."""

    arn: pulumi.Output[str]
    version_id: pulumi.Output[str]

    def __init__(self, name: str, props: CredentialProps, opts: pulumi.ResourceOptions | None = None) -> None:
        opts = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(additional_secret_outputs=SECRET_OUTPUTS))
        outputs = {"arn": None, "version_id": None, "scheduled_for_deletion": False, "version_missing": False}
        super().__init__(CredentialVersionProvider(), name, {**outputs, **props}, opts)
