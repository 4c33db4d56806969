"""Pure builder of the Metadata API deploy zip for a JWT bearer app (no I/O, no network).

Two app kinds:
- ``external-client-app``: ExternalClientApplication + ExtlClntAppGlobalOauthSettings (certificate,
  consumer key on create only) + ExtlClntAppOauthSettings (scopes) + ExtlClntAppOauthConfigurablePolicies
  (AdminApprovedPreAuthorized with permission sets / profiles) + ExtlClntAppConfigurablePolicies;
- ``connected-app``: one ConnectedApp (oauthConfig, oauthPolicy, permissionSetName / profileName).
Optionally the PermissionSet that pre-authorizes the integration user rides in the same deploy.
Every document is built with lxml in the WSDL's element order.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TypeAlias

from lxml import etree

from components import keys
from components.app_kinds import APP_KINDS as APP_KINDS
from components.app_kinds import CONNECTED_APP as CONNECTED_APP
from components.app_kinds import ECA as ECA
from components.app_kinds import AppKind as AppKind
from components.salesforce.namespaces import METADATA_NS
from components.salesforce.wsdl import enum_values
from components.settings import DEFAULT_API_VERSION, validate_developer_name
from components.settings.rules import NEW_CONSUMER_KEY

DEFAULT_CALLBACK_URL = "https://login.salesforce.com/services/oauth2/success"
REQUIRED_SCOPES = ("Api", "RefreshToken")
# Metadata type -> (folder, file suffix) in a Metadata API (mdapi-format) zip.
LAYOUT: Mapping[str, tuple[str, str]] = MappingProxyType(
    {
        "ExternalClientApplication": ("externalClientApps", "eca"),
        "ExtlClntAppGlobalOauthSettings": ("extlClntAppGlobalOauthSets", "ecaGlblOauth"),
        "ExtlClntAppOauthSettings": ("extlClntAppOauthSettings", "ecaOauth"),
        "ExtlClntAppOauthConfigurablePolicies": ("extlClntAppOauthPolicies", "ecaOauthPlcy"),
        "ExtlClntAppConfigurablePolicies": ("extlClntAppPolicies", "ecaPlcy"),
        "ConnectedApp": ("connectedApps", "connectedApp"),
        "PermissionSet": ("permissionsets", "permissionset"),
    }
)
ECA_TYPES = (
    "ExternalClientApplication",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppOauthConfigurablePolicies",
    "ExtlClntAppConfigurablePolicies",
)

_API_VERSION = re.compile(r"^(\d{2,3})\.0$")
_SCOPE_TOKEN = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_ZIP_DATE = (1980, 1, 1, 0, 0, 0)  # fixed, so the same spec always yields the same bytes


def _check_developer_name(value: str, setting: str, *, namespaced: bool = False) -> None:
    """The developer-name rules of :func:`components.settings.validate_developer_name`, named for ``setting``."""
    try:
        if not isinstance(value, str):
            raise ValueError("not a string")
        validate_developer_name(value, max_length=80, namespaced=namespaced)
    except ValueError as problem:
        raise ValueError(
            f"{setting}: {value!r} is not a Salesforce API name ({problem}); use letters, digits and single "
            "underscores, starting with a letter and not ending with '_' (at most 80 characters)"
        ) from None


@dataclass(frozen=True)
class PermissionSetSpec:
    """A PermissionSet this project deploys so the integration user can be pre-authorized."""

    name: str
    label: str
    description: str = "Pre-authorizes the integration user for its JWT bearer app"

    def __post_init__(self) -> None:
        _check_developer_name(self.name, "access_permission_set.name")
        if not self.label or not self.label.strip():
            raise ValueError("access_permission_set.label: give a non-empty label")


@dataclass(frozen=True)
class AppSpec:
    """Everything needed to describe the JWT bearer app in metadata.

    ``consumer_key`` is sent only when set; callers clear it for updates (Salesforce refuses a
    consumer key on an existing app). The ``*_name`` overrides reuse fullNames that already exist
    in the org (e.g. an auto-created ECA policy), so a re-run updates instead of colliding.
    """

    kind: AppKind
    name: str
    label: str
    contact_email: str
    certificate_pem: str = field(repr=False)
    description: str = ""
    scopes: tuple[str, ...] = REQUIRED_SCOPES
    permission_sets: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    consumer_key: str | None = None
    access_permission_set: PermissionSetSpec | None = None
    callback_url: str = DEFAULT_CALLBACK_URL
    api_version: str = DEFAULT_API_VERSION
    global_oauth_name: str | None = None
    oauth_settings_name: str | None = None
    oauth_policy_name: str | None = None
    app_policy_name: str | None = None

    def __post_init__(self) -> None:
        for name in ("scopes", "permission_sets", "profiles"):
            value = getattr(self, name)
            if isinstance(value, str):
                raise ValueError(f"{name}: give a list of strings, not one string {value!r}")
            object.__setattr__(self, name, tuple(dict.fromkeys(value)))
        self._validate()

    # -- validation -------------------------------------------------------------------------------
    def _validate(self) -> None:
        if self.kind not in APP_KINDS:
            raise ValueError(f"kind: {self.kind!r} is not one of {', '.join(APP_KINDS)}")
        _check_developer_name(self.name, "name")
        if not self.label.strip():
            raise ValueError("label: give a non-empty label")
        if "@" not in self.contact_email or " " in self.contact_email.strip():
            raise ValueError(f"contact_email: {self.contact_email!r} is not an email address")
        try:
            keys.check_key_policy(keys.load_certificate(self.certificate_pem).public_key())
        except keys.KeyPolicyError as problem:
            raise ValueError(f"certificate_pem: {problem}") from None
        self._validate_scopes()
        self._validate_access()
        if self.consumer_key is not None and not NEW_CONSUMER_KEY.fullmatch(self.consumer_key):
            raise ValueError("consumer_key: use 8 to 256 letters and digits (no spaces or symbols)")
        self._validate_version()
        if not self.callback_url.startswith(("https://", "http://localhost")):
            raise ValueError(f"callback_url: {self.callback_url!r} must be an https:// URL")
        for setting in ("global_oauth_name", "oauth_settings_name", "oauth_policy_name", "app_policy_name"):
            value = getattr(self, setting)
            if value is not None:
                _check_developer_name(value, setting)

    def _validate_scopes(self) -> None:
        for scope in self.scopes:
            if not isinstance(scope, str) or not _SCOPE_TOKEN.match(scope):
                raise ValueError(f"scopes: {scope!r} is not a Metadata API scope token such as 'Api'")
            valid = enum_values("ConnectedAppOauthAccessScope")
            if self.kind == CONNECTED_APP and scope not in valid:
                raise ValueError(f"scopes: {scope!r} is not a ConnectedApp scope; valid: {', '.join(valid)}")
        missing = [scope for scope in REQUIRED_SCOPES if scope not in self.scopes]
        if missing:
            raise ValueError(
                f"scopes: add {', '.join(missing)}; a pre-authorized JWT bearer login needs RefreshToken "
                "and the post-deploy API check needs Api"
            )

    def _validate_access(self) -> None:
        for name in self.permission_sets:
            _check_developer_name(name, "permission_sets", namespaced=True)
        for profile in self.profiles:
            if not isinstance(profile, str) or not profile.strip() or "," in profile:
                raise ValueError(f"profiles: {profile!r} must be a profile name without commas")
        if not self.all_permission_sets and not self.profiles:
            raise ValueError(
                "permission_sets/profiles: the JWT bearer flow needs the integration user pre-authorized; "
                "name at least one permission set or profile (or set access_permission_set)"
            )

    def _validate_version(self) -> None:
        match = _API_VERSION.match(self.api_version)
        if not match:
            raise ValueError(f"api_version: {self.api_version!r} must look like '63.0'")
        minimum = 60 if self.kind == ECA else 46
        if int(match.group(1)) < minimum:
            raise ValueError(f"api_version: {self.kind} with a certificate needs API {minimum}.0 or later")

    # -- derived names ----------------------------------------------------------------------------
    @property
    def all_permission_sets(self) -> tuple[str, ...]:
        """Permission sets that pre-authorize the app, including the one this bundle deploys."""
        extra = (self.access_permission_set.name,) if self.access_permission_set else ()
        return tuple(dict.fromkeys(self.permission_sets + extra))

    def component_names(self) -> dict[str, str]:
        """Metadata type -> fullName of every app component (the PermissionSet excluded)."""
        if self.kind == CONNECTED_APP:
            return {"ConnectedApp": self.name}
        oauth_settings = self.oauth_settings_name or f"{self.name}_oauth"
        return {
            "ExternalClientApplication": self.name,
            "ExtlClntAppGlobalOauthSettings": self.global_oauth_name or f"{self.name}_glbloauth",
            "ExtlClntAppOauthSettings": oauth_settings,
            "ExtlClntAppOauthConfigurablePolicies": self.oauth_policy_name or f"{oauth_settings}_defaultPolicy",
            "ExtlClntAppConfigurablePolicies": self.app_policy_name or f"{self.name}_defaultPolicy",
        }


@dataclass(frozen=True)
class Bundle:
    """A deploy zip and what it holds."""

    zip_bytes: bytes = field(repr=False)
    members: Mapping[str, tuple[str, ...]]
    files: Mapping[str, bytes] = field(repr=False)
    api_version: str

    def file_name(self, metadata_type: str, full_name: str) -> str:
        """Zip path of one component, e.g. ``connectedApps/Acme.connectedApp``."""
        folder, suffix = LAYOUT[metadata_type]
        return f"{folder}/{full_name}.{suffix}"


# -- XML ------------------------------------------------------------------------------------------
_Value: TypeAlias = str | bool | int | etree._Element | Iterable[str] | None


def _document(root: str, fields: Iterable[tuple[str, _Value]]) -> etree._Element:
    element = etree.Element(f"{{{METADATA_NS}}}{root}", nsmap={None: METADATA_NS})
    _fill(element, fields)
    return element


def _child(parent_tag: str, fields: Iterable[tuple[str, _Value]]) -> etree._Element:
    element = etree.Element(f"{{{METADATA_NS}}}{parent_tag}")
    _fill(element, fields)
    return element


def _fill(element: etree._Element, fields: Iterable[tuple[str, _Value]]) -> None:
    """Append children in the given (WSDL) order; ``None`` skips, iterables repeat the element."""
    for tag, value in fields:
        if value is None:
            continue
        if isinstance(value, etree._Element):
            element.append(value)
            continue
        values = [value] if isinstance(value, (str, bool, int)) else list(value)
        for item in values:
            sub = etree.SubElement(element, f"{{{METADATA_NS}}}{tag}")
            sub.text = ("true" if item else "false") if isinstance(item, bool) else str(item)


def _serialize(element: etree._Element) -> bytes:
    return etree.tostring(element, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _csv(values: Iterable[str]) -> str | None:
    """Scopes as Salesforce's samples write them (``Api, RefreshToken``)."""
    joined = ", ".join(values)
    return joined or None


def _names(values: Iterable[str]) -> str | None:
    """Permission set / profile lists joined with ``,`` only, as real org captures show them."""
    joined = ",".join(values)
    return joined or None


def _eca_documents(spec: AppSpec) -> dict[str, etree._Element]:
    app = spec.name
    return {
        "ExternalClientApplication": _document(
            "ExternalClientApplication",
            [
                ("contactEmail", spec.contact_email),
                ("description", spec.description or None),
                ("distributionState", "Local"),
                ("isProtected", False),
                ("label", spec.label),
            ],
        ),
        "ExtlClntAppGlobalOauthSettings": _document(
            "ExtlClntAppGlobalOauthSettings",
            [
                ("callbackUrl", spec.callback_url),
                ("certificate", spec.certificate_pem.strip()),
                ("consumerKey", spec.consumer_key),
                ("externalClientApplication", app),
                ("isConsumerSecretOptional", False),
                ("isIntrospectAllTokens", False),
                ("isPkceRequired", True),
                ("isSecretRequiredForRefreshToken", True),
                ("label", f"{spec.label} global OAuth"),
                ("shouldRotateConsumerKey", False),
                ("shouldRotateConsumerSecret", False),
            ],
        ),
        "ExtlClntAppOauthSettings": _document(
            "ExtlClntAppOauthSettings",
            [
                ("commaSeparatedOauthScopes", _csv(spec.scopes)),
                ("externalClientApplication", app),
                ("label", f"{spec.label} OAuth"),
            ],
        ),
        "ExtlClntAppOauthConfigurablePolicies": _document(
            "ExtlClntAppOauthConfigurablePolicies",
            [
                ("commaSeparatedPermissionSet", _names(spec.all_permission_sets)),
                ("commaSeparatedProfile", _names(spec.profiles)),
                ("externalClientApplication", app),
                ("ipRelaxationPolicyType", "Enforce"),
                ("isClientCredentialsFlowEnabled", False),
                ("isTokenExchangeFlowEnabled", False),
                ("label", f"{spec.label} OAuth policy"),
                ("permittedUsersPolicyType", "AdminApprovedPreAuthorized"),
                ("refreshTokenPolicyType", "Zero"),
            ],
        ),
        "ExtlClntAppConfigurablePolicies": _document(
            "ExtlClntAppConfigurablePolicies",
            [
                ("externalClientApplication", app),
                ("isEnabled", True),
                ("isOauthPluginEnabled", True),
                ("label", f"{spec.label} app policy"),
                ("startPage", "None"),
            ],
        ),
    }


def _connected_app_document(spec: AppSpec) -> etree._Element:
    oauth_config = _child(
        "oauthConfig",
        [
            ("callbackUrl", spec.callback_url),
            ("certificate", spec.certificate_pem.strip()),
            ("consumerKey", spec.consumer_key),
            ("isAdminApproved", True),
            ("scopes", spec.scopes),
        ],
    )
    oauth_policy = _child("oauthPolicy", [("ipRelaxation", "ENFORCE"), ("refreshTokenPolicy", "infinite")])
    return _document(
        "ConnectedApp",
        [
            ("contactEmail", spec.contact_email),
            ("description", spec.description or None),
            ("label", spec.label),
            ("oauthConfig", oauth_config),
            ("oauthPolicy", oauth_policy),
            ("permissionSetName", spec.all_permission_sets),
            ("profileName", spec.profiles),
        ],
    )


def permission_set_document(spec: PermissionSetSpec) -> bytes:
    """XML of the PermissionSet that pre-authorizes the integration user."""
    return _serialize(
        _document(
            "PermissionSet",
            [("description", spec.description or None), ("hasActivationRequired", False), ("label", spec.label)],
        )
    )


def package_document(members: Mapping[str, Iterable[str]], api_version: str) -> bytes:
    """package.xml listing ``members`` (type -> fullNames) at ``api_version``."""
    types = [_child("types", [("members", sorted(names)), ("name", type_name)]) for type_name, names in members.items()]
    return _serialize(_document("Package", [*(("types", t) for t in types), ("version", api_version)]))


def _zip(files: Mapping[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path, content in files.items():
            info = zipfile.ZipInfo(path, date_time=_ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, content)
    return buffer.getvalue()


def build_bundle(spec: AppSpec) -> Bundle:
    """Build the deploy zip (package.xml at the root) for ``spec``; pure and deterministic."""
    documents: dict[tuple[str, str], bytes] = {}
    if spec.access_permission_set is not None:
        documents[("PermissionSet", spec.access_permission_set.name)] = permission_set_document(
            spec.access_permission_set
        )
    if spec.kind == CONNECTED_APP:
        documents[("ConnectedApp", spec.name)] = _serialize(_connected_app_document(spec))
    else:
        eca = _eca_documents(spec)
        for type_name, full_name in spec.component_names().items():
            documents[(type_name, full_name)] = _serialize(eca[type_name])
    members: dict[str, tuple[str, ...]] = {}
    for type_name, full_name in documents:
        members[type_name] = (*members.get(type_name, ()), full_name)
    files: dict[str, bytes] = {"package.xml": package_document(members, spec.api_version)}
    for (type_name, full_name), xml in documents.items():
        folder, suffix = LAYOUT[type_name]
        files[f"{folder}/{full_name}.{suffix}"] = xml
    return Bundle(
        zip_bytes=_zip(files),
        members=MappingProxyType(members),
        files=MappingProxyType(files),
        api_version=spec.api_version,
    )
