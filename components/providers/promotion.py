"""Promotion: the verified version becomes AWSCURRENT; the old one stays as AWSPREVIOUS."""

from __future__ import annotations

from typing import Any

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.credentials import SecretNotFoundError
from components.providers.common import ReportingProvider, changed, engine_store, log_progress
from components.resource_props import PromotionProps
from components.rollout import VerificationRequest, current_version, promote_version, verify_version

UPDATE_KEYS = ("version_id", "verified_at", "secret_name", "aws_region", "aws_endpoint_url")


class PromotionProvider(ReportingProvider):
    """``read`` reports which version is AWSCURRENT, so a label moved by hand shows as drift."""

    def _promote(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "current_version_id": promote_version(engine_store(props), props["version_id"])}

    def create(self, props: dict[str, Any]) -> CreateResult:
        return CreateResult(f"{props['secret_name']}:AWSCURRENT", self._promote(props))

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        drifted = olds.get("current_version_id") != olds.get("version_id")
        return DiffResult(changes=drifted or bool(changed(olds, news, UPDATE_KEYS)), replaces=[])

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("version_id") == news["version_id"] and olds.get("current_version_id") != news["version_id"]:
            # AWSCURRENT was moved out of band (refresh saw it): prove the version again before moving it back
            request = VerificationRequest(
                news["version_id"],
                news.get("ca_bundle"),
                news["api_version"],
                float(news["budget_seconds"]),
                progress=log_progress,
            )
            verify_version(engine_store(news), request)
        return UpdateResult(self._promote(news))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            live = current_version(engine_store(props))
        except SecretNotFoundError:
            return ReadResult("", {})
        return ReadResult(id_, {**props, "current_version_id": live})

    def delete(self, _id: str, _props: dict[str, Any]) -> None:
        """Nothing to undo: the secret itself belongs to the CredentialVersion resource."""


class Promotion(Resource, module="salesforce-jwt", name="Promotion"):
    """AWSCURRENT points at ``current_version_id``."""

    current_version_id: pulumi.Output[str]

    def __init__(self, name: str, props: PromotionProps, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PromotionProvider(), name, {"current_version_id": None, **props}, opts)
