"""AppDeployment: the Salesforce app (External Client App or Connected App) of one slot."""

from __future__ import annotations

from typing import Any, cast

import pulumi
from pulumi.dynamic import CreateResult, DiffResult, ReadResult, Resource, UpdateResult

from components.providers.common import StackConfigProvider, app_request, changed
from components.resource_props import AppProps
from components.rollout import app_outputs, delete_app, deploy_app, read_app

# Inputs whose change means a new app (the old one is retained unless deleteAppOnDestroy).
REPLACE_KEYS = ("app_name", "app_kind")
# Inputs compared with what Salesforce holds (outputs carry the live values under the same names).
UPDATE_KEYS = (
    "certificate_fingerprint",
    "scopes",
    "permission_sets",
    "profiles",
    "pre_authorized",
    "app_label",
    "contact_email",
    "description",
    "integration_username",
    "api_version",
    "login_url",
)
# Recorded only (what destroy does), nothing to deploy.
STATE_KEYS = ("delete_on_destroy",)


class AppDeploymentProvider(StackConfigProvider):
    """Deploys through the Metadata API; ``read`` returns the live app so refresh shows drift."""

    def _deploy(
        self,
        props: dict[str, Any],
        known_consumer_key: str | None,
        components: dict[str, str] | None = None,
        previous: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Deploy ``props``; ``previous`` (the last deployed inputs) is put back when the outcome of a
        certificate change stays unknown."""
        app, old = cast(AppProps, props), cast(AppProps | None, previous)
        session = self.session(app)
        request = app_request(app, app["certificate_pem"], session, known_consumer_key)
        before = app_request(old, old["certificate_pem"], session, known_consumer_key) if old is not None else None
        snapshot = deploy_app(session, request, components, before)
        return {**props, **app_outputs(snapshot), "org_id": session.org_id}

    def create(self, props: dict[str, Any]) -> CreateResult:
        outs = self._deploy(props, None)
        return CreateResult(f"{props['app_kind']}/{props['app_name']}", outs)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = changed(olds, news, REPLACE_KEYS)
        updates = changed(olds, news, UPDATE_KEYS + STATE_KEYS)
        if olds.get("certificate_pem") != news.get("certificate_pem"):
            updates.append("certificate_pem")
        return DiffResult(changes=bool(replaces or updates), replaces=replaces, delete_before_replace=False)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if not changed(olds, news, UPDATE_KEYS) and olds.get("certificate_pem") == news.get("certificate_pem"):
            return UpdateResult({**olds, **{key: news.get(key) for key in STATE_KEYS}})
        previous = olds if olds.get("certificate_pem") != news.get("certificate_pem") else None
        return UpdateResult(self._deploy(news, olds.get("consumer_key"), olds.get("component_names") or None, previous))

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        app = cast(AppProps, props)
        snapshot = read_app(self.session(app), app["app_name"], app["app_kind"])
        if snapshot is None:
            return ReadResult("", {})
        return ReadResult(id_, {**props, **app_outputs(snapshot, props.get("consumer_key"))})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """The app is retained (a production integration is never removed by accident) unless
        deleteAppOnDestroy is set."""
        app = cast(AppProps, props)
        if app.get("delete_on_destroy"):
            delete_app(self.session(app), app["app_name"], app["app_kind"])


class AppDeployment(Resource, module="salesforce-jwt", name="AppDeployment"):
    """The app of one slot; outputs hold what Salesforce stores (consumer key, live certificate, its
    components' names) and the deployer's org, which the verification uses instead of reading them again."""

    consumer_key: pulumi.Output[str]
    certificate_fingerprint: pulumi.Output[str]
    org_id: pulumi.Output[str]

    def __init__(self, name: str, props: AppProps, opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = {"consumer_key": None, "pre_authorized": None, "org_id": None, "component_names": None}
        super().__init__(AppDeploymentProvider(), name, {**outputs, **props}, opts)
