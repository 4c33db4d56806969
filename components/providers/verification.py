"""Verification: a real JWT login with the staged key, before anything is promoted."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.credentials import CredentialDocument
from components.providers.app_deployment import _request
from components.providers.common import StackConfigProvider, changed, store_for
from components.rollout import VerificationRequest, deploy_app, ensure_app_certificate, verify_version

# A new version, a new certificate or a redeployed app is proven again.
UPDATE_KEYS = ("version_id", "certificate_fingerprint", "app_revision", "secret_name", "aws_region",
               "aws_endpoint_url")


class VerificationProvider(StackConfigProvider):
    """Logs in with the version's key; on failure puts the previous certificate back on the app."""

    def _verify(self, props: dict[str, Any]) -> dict[str, Any]:
        def restore(current: CredentialDocument) -> bool:
            app = {**props["app"], "certificate_pem": current.certificate_pem}
            deploy_app(self.session(app), _request(app, current.consumer_key))
            return True

        store = store_for(props)
        document = store.get_version(props["version_id"]).document
        app = {**props["app"], "certificate_pem": document.certificate_pem}
        ensure_app_certificate(self.session(app), _request(app, document.consumer_key), document.fingerprint_sha256)
        request = VerificationRequest(props["version_id"], props.get("ca_bundle"), props["api_version"],
                                      float(props["budget_seconds"]))
        result = verify_version(store, request, restore_certificate=restore)
        return {**props, "verified_at": result.verified_at, "attempts": result.attempts,
                "elapsed_seconds": round(result.elapsed_seconds, 3), "org_id": result.org_id,
                "verified_username": result.username}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['secret_name']}@{props['version_id']}", self._verify(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=bool(changed(olds, news, UPDATE_KEYS)), replaces=[])

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(self._verify(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """A verification is an event, not live state: refresh keeps it as recorded."""
        return ReadResult(id_, props)


class Verification(Resource, module="salesforce-jwt", name="Verification"):
    """Proof that the staged credential logs in; ``verified_at`` orders the promotion after it."""

    verified_at: pulumi.Output[str]
    attempts: pulumi.Output[int]

    def __init__(self, name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {"verified_at": None, "attempts": None, "elapsed_seconds": None, "org_id": None,
                   "verified_username": None}
        super().__init__(VerificationProvider(), name, {**outputs, **props}, opts)
