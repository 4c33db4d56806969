"""Verification: a real JWT login with the staged key, before anything is promoted."""

from __future__ import annotations

import functools
from typing import Any, cast

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.credentials import CredentialDocument
from components.providers.app_deployment import AppDeployment
from components.providers.common import StackConfigProvider, app_request, changed, log_progress, store_for
from components.resource_props import VerificationProps
from components.rollout import AppRequest, VerificationRequest, deploy_app, ensure_app_certificate, verify_version

# A new version, a new certificate or a redeployed app is proven again.
UPDATE_KEYS = ("version_id", "certificate_fingerprint", "app_revision", "secret_name", "aws_region", "aws_endpoint_url")
# Inputs whose change means the app (certificate, scopes, pre-authorization) was deployed in this run.
APP_KEYS = ("certificate_fingerprint", "app_revision")


class VerificationProvider(StackConfigProvider):
    """Logs in with the version's key; on failure puts the previous certificate back on the app."""

    def _verify(self, raw: dict[str, Any], app_changed: bool) -> dict[str, Any]:
        """The deployer's session is opened only when the app must be read or redeployed: the app
        deployment's outputs (inputs here) already say which certificate it holds and in which org."""
        props = cast(VerificationProps, raw)
        session = functools.cache(lambda: self.session(props["app"]))

        def app_for(document: CredentialDocument) -> AppRequest:
            return app_request(props["app"], document.certificate_pem, session(), document.consumer_key)

        request = VerificationRequest(
            props["version_id"],
            props.get("ca_bundle"),
            props["api_version"],
            float(props["budget_seconds"]),
            app_changed=app_changed,
            expected_org_id=props.get("app_org_id") or session().org_id,
            live_fingerprint=props.get("app_certificate_fingerprint"),
            progress=log_progress,
        )
        result = verify_version(
            store_for(props),
            request,
            prepare=lambda doc: ensure_app_certificate(session(), app_for(doc), doc.fingerprint_sha256),
            restore_certificate=lambda current: deploy_app(session(), app_for(current)),
        )
        return {
            **raw,
            "verified_at": result.verified_at,
            "attempts": result.attempts,
            "elapsed_seconds": round(result.elapsed_seconds, 3),
            "org_id": result.org_id,
            "verified_username": result.username,
        }

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['secret_name']}@{props['version_id']}", self._verify(props, app_changed=True))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return DiffResult(changes=bool(changed(olds, news, UPDATE_KEYS)), replaces=[])

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """A changed app revision or certificate means this run deployed the app."""
        return UpdateResult(self._verify(news, app_changed=bool(changed(olds, news, APP_KEYS))))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        """A verification is an event, not live state: refresh keeps it as recorded."""
        return ReadResult(id_, props)


class Verification(Resource, module="salesforce-jwt", name="Verification"):
    """Proof that the staged credential logs in; ``verified_at`` orders the promotion after it."""

    verified_at: pulumi.Output[str]
    attempts: pulumi.Output[int]

    def __init__(self, name: str, props: VerificationProps, opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {
            "verified_at": None,
            "attempts": None,
            "elapsed_seconds": None,
            "org_id": None,
            "verified_username": None,
        }
        super().__init__(VerificationProvider(), name, {**outputs, **props, **_read_back(opts)}, opts)


def _read_back(opts: pulumi.ResourceOptions | None) -> dict[str, Any]:
    """What the app deployment this verification depends on read back: its certificate and org."""
    depends_on = opts.depends_on if opts is not None and isinstance(opts.depends_on, list) else []
    app = next((r for r in depends_on if isinstance(r, AppDeployment)), None)
    if app is None:
        return {}
    return {"app_certificate_fingerprint": app.certificate_fingerprint, "app_org_id": app.org_id}
