"""The OAuth view of deployed apps (ConnectedApp, or an ECA header with its four children)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from . import xmlutil as X
from .models import Component
from .schema import MD_NS, MetadataSchema

ADMIN_APPROVED = "AdminApprovedPreAuthorized"
SELF_AUTHORIZED = "AllSelfAuthorized"

# Metadata scope token -> OAuth wire scope.
WIRE_SCOPES = {
    "Api": "api",
    "Web": "web",
    "Full": "full",
    "RefreshToken": "refresh_token",
    "OfflineAccess": "refresh_token",
    "Basic": "id",
    "OpenID": "openid",
    "Profile": "profile",
    "Email": "email",
    "Address": "address",
    "Phone": "phone",
    "Chatter": "chatter_api",
    "CustomApplications": "visualforce",
    "CustomPermissions": "custom_permissions",
    "Wave": "wave_api",
    "Eclair": "eclair_api",
    "Pardot": "pardot_api",
    "Lightning": "lightning",
    "Content": "content",
}


@dataclass
class AppView:
    """Everything the token endpoint and the control API need to know about one app."""

    kind: str
    name: str
    consumer_key: str | None
    certificate_pem: str | None
    scopes: list[str]
    permitted_users_policy: str
    permission_sets: list[str]
    profiles: list[str]
    enabled: bool = True
    components: dict[str, str] = field(default_factory=dict)

    @property
    def admin_approved(self) -> bool:
        return self.permitted_users_policy == ADMIN_APPROVED

    def wire_scopes(self) -> list[str]:
        """Scopes as the token response names them."""
        wire = [WIRE_SCOPES.get(s, s.lower()) for s in self.scopes]
        return list(dict.fromkeys(wire))

    def to_json(self) -> dict[str, Any]:
        """Control-API view (no secrets: the certificate is public)."""
        return {
            "kind": self.kind,
            "name": self.name,
            "consumer_key": self.consumer_key,
            "certificate_pem": self.certificate_pem,
            "certificate_fingerprint_sha256": fingerprint(self.certificate_pem),
            "scopes": self.scopes,
            "permitted_users_policy": self.permitted_users_policy,
            "admin_approved": self.admin_approved,
            "permission_sets": self.permission_sets,
            "profiles": self.profiles,
            "enabled": self.enabled,
            "components": self.components,
        }


def fingerprint(certificate_pem: str | None) -> str | None:
    """SHA-256 of the DER certificate as uppercase colon hex (``openssl x509 -fingerprint``)."""
    if not certificate_pem:
        return None
    try:
        cert = x509.load_pem_x509_certificate(certificate_pem.encode())
    except ValueError:
        return None
    digest = hashlib.sha256(cert.public_bytes(serialization.Encoding.DER)).hexdigest().upper()
    return ":".join(digest[i : i + 2] for i in range(0, len(digest), 2))


def _connected_app(component: Component) -> AppView:
    root = X.parse(component.xml)
    oauth = X.child(root, "oauthConfig")
    approved = X.boolean(X.text(oauth, "isAdminApproved"))
    return AppView(
        kind="ConnectedApp",
        name=component.full_name,
        consumer_key=X.text(oauth, "consumerKey"),
        certificate_pem=X.text(oauth, "certificate"),
        scopes=X.texts(oauth, "scopes"),
        permitted_users_policy=ADMIN_APPROVED if approved else SELF_AUTHORIZED,
        permission_sets=X.texts(root, "permissionSetName"),
        profiles=X.texts(root, "profileName"),
        components={"ConnectedApp": component.full_name},
    )


def _children_of(components: dict[tuple[str, str], Component], kind: str, header: str) -> list[Component]:
    return [
        c
        for (t, _), c in sorted(components.items())
        if t == kind and X.text(X.parse(c.xml), "externalClientApplication") == header
    ]


def _eca(components: dict[tuple[str, str], Component], header: Component) -> AppView:
    def first(kind: str) -> tuple[Component | None, etree._Element | None]:
        found = _children_of(components, kind, header.full_name)
        return (found[0], X.parse(found[0].xml)) if found else (None, None)

    glbl_c, glbl = first("ExtlClntAppGlobalOauthSettings")
    oauth_c, oauth = first("ExtlClntAppOauthSettings")
    policy_c, policy = first("ExtlClntAppOauthConfigurablePolicies")
    app_c, app = first("ExtlClntAppConfigurablePolicies")
    enabled = X.boolean(X.text(app, "isEnabled"), True) and X.boolean(X.text(app, "isOauthPluginEnabled"), True)
    parts = {"ExternalClientApplication": header.full_name}
    for kind, comp in (
        ("ExtlClntAppGlobalOauthSettings", glbl_c),
        ("ExtlClntAppOauthSettings", oauth_c),
        ("ExtlClntAppOauthConfigurablePolicies", policy_c),
        ("ExtlClntAppConfigurablePolicies", app_c),
    ):
        if comp is not None:
            parts[kind] = comp.full_name
    return AppView(
        kind="ExternalClientApplication",
        name=header.full_name,
        consumer_key=X.text(glbl, "consumerKey"),
        certificate_pem=X.text(glbl, "certificate"),
        scopes=X.split_commas(X.text(oauth, "commaSeparatedOauthScopes")),
        permitted_users_policy=X.text(policy, "permittedUsersPolicyType") or SELF_AUTHORIZED,
        permission_sets=X.split_commas(X.text(policy, "commaSeparatedPermissionSet")),
        profiles=X.split_commas(X.text(policy, "commaSeparatedProfile")),
        enabled=enabled,
        components=parts,
    )


def derive_apps(components: dict[tuple[str, str], Component]) -> dict[str, AppView]:
    """All apps of the org, keyed by app (header) name."""
    apps: dict[str, AppView] = {}
    for (kind, _), component in sorted(components.items()):
        if kind == "ConnectedApp":
            apps[component.full_name] = _connected_app(component)
        elif kind == "ExternalClientApplication":
            apps[component.full_name] = _eca(components, component)
    return apps


PATCHABLE = {
    "certificate_pem",
    "consumer_key",
    "scopes",
    "admin_approved",
    "permitted_users_policy",
    "permission_sets",
    "profiles",
    "enabled",
}


def _patch_connected_app(schema: MetadataSchema, root: etree._Element, changes: dict[str, Any]) -> None:
    oauth = X.ensure_child(schema, "ConnectedApp", root, "oauthConfig")
    kind = "ConnectedAppOauthConfig"
    if "certificate_pem" in changes:
        X.set_values(
            schema, kind, oauth, "certificate", [changes["certificate_pem"]] if changes["certificate_pem"] else []
        )
    if "consumer_key" in changes:
        X.set_values(schema, kind, oauth, "consumerKey", [changes["consumer_key"]])
    if "scopes" in changes:
        X.set_values(schema, kind, oauth, "scopes", changes["scopes"])
    if "admin_approved" in changes:
        X.set_values(schema, kind, oauth, "isAdminApproved", [str(bool(changes["admin_approved"])).lower()])
    if "permission_sets" in changes:
        X.set_values(schema, "ConnectedApp", root, "permissionSetName", changes["permission_sets"])
    if "profiles" in changes:
        X.set_values(schema, "ConnectedApp", root, "profileName", changes["profiles"])


def _eca_patches(changes: dict[str, Any]) -> dict[str, list[tuple[str, list[str]]]]:
    """Per child type, the (element, values) pairs a control-API change means."""
    plan: dict[str, list[tuple[str, list[str]]]] = {}

    def add(kind: str, element: str, values: list[str]) -> None:
        plan.setdefault(kind, []).append((element, values))

    if "certificate_pem" in changes:
        add(
            "ExtlClntAppGlobalOauthSettings",
            "certificate",
            [changes["certificate_pem"]] if changes["certificate_pem"] else [],
        )
    if "consumer_key" in changes:
        add("ExtlClntAppGlobalOauthSettings", "consumerKey", [changes["consumer_key"]])
    if "scopes" in changes:
        add("ExtlClntAppOauthSettings", "commaSeparatedOauthScopes", [", ".join(changes["scopes"])])
    if "admin_approved" in changes:
        policy = ADMIN_APPROVED if changes["admin_approved"] else SELF_AUTHORIZED
        add("ExtlClntAppOauthConfigurablePolicies", "permittedUsersPolicyType", [policy])
    if "permitted_users_policy" in changes:
        add("ExtlClntAppOauthConfigurablePolicies", "permittedUsersPolicyType", [changes["permitted_users_policy"]])
    if "permission_sets" in changes:
        value = ",".join(changes["permission_sets"])
        add("ExtlClntAppOauthConfigurablePolicies", "commaSeparatedPermissionSet", [value] if value else [])
    if "profiles" in changes:
        value = ",".join(changes["profiles"])
        add("ExtlClntAppOauthConfigurablePolicies", "commaSeparatedProfile", [value] if value else [])
    if "enabled" in changes:
        add("ExtlClntAppConfigurablePolicies", "isEnabled", [str(bool(changes["enabled"])).lower()])
    return plan


def patch_app(
    schema: MetadataSchema, components: dict[tuple[str, str], Component], app: AppView, changes: dict[str, Any]
) -> dict[tuple[str, str], bytes]:
    """New XML for each component an out-of-band change touches (keys: (type, fullName))."""
    unknown = set(changes) - PATCHABLE
    if unknown:
        raise ValueError(f"cannot patch {sorted(unknown)}; patchable fields: {sorted(PATCHABLE)}")
    if app.kind == "ConnectedApp":
        if "permitted_users_policy" in changes:
            changes = {**changes, "admin_approved": changes.pop("permitted_users_policy") == ADMIN_APPROVED}
        key = ("ConnectedApp", app.name)
        root = X.parse(components[key].xml)
        _patch_connected_app(schema, root, changes)
        return {key: X.to_bytes(root)}
    updated: dict[tuple[str, str], bytes] = {}
    for kind, edits in _eca_patches(changes).items():
        if kind not in app.components:
            raise ValueError(f"app {app.name!r} has no {kind} component to change")
        key = (kind, app.components[kind])
        root = X.parse(components[key].xml)
        for element, values in edits:
            X.set_values(schema, kind, root, element, values)
        updated[key] = X.to_bytes(root)
    return updated


def new_document(type_name: str) -> etree._Element:
    """An empty component document of ``type_name``."""
    return etree.Element(f"{{{MD_NS}}}{type_name}", nsmap={None: MD_NS})
