"""Bundle builder: XSD validity across options, package.xml consistency, consumer-key rules, input errors."""

from __future__ import annotations

import datetime
import io
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from components.salesforce import schema
from components.salesforce.bundle import (
    CONNECTED_APP,
    ECA,
    LAYOUT,
    AppSpec,
    PermissionSetSpec,
    build_bundle,
)
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.certificates import make_cert, make_ec_key, pem_cert

NS = {"m": "http://soap.sforce.com/2006/04/metadata"}
CERT = generated_key_pair(0)[1]

names = st.from_regex(r"\A[A-Z][a-z0-9]{1,6}(_[A-Za-z0-9]{1,5}){0,2}\Z")
extra_scopes = st.lists(st.sampled_from(["Web", "Basic", "OpenID", "Full", "Chatter"]), unique=True, max_size=3)
profiles = st.lists(
    st.sampled_from(["System Administrator", "Standard User", "Integration Profile"]), unique=True, max_size=2
)


@st.composite
def specs(draw: st.DrawFn) -> AppSpec:
    kind = draw(st.sampled_from([ECA, CONNECTED_APP]))
    access = draw(st.one_of(st.none(), names.map(lambda n: PermissionSetSpec(n + "_Access", f"{n} access"))))
    perm_sets = draw(st.lists(names, unique=True, max_size=2))
    chosen_profiles = draw(profiles)
    if access is None and not perm_sets and not chosen_profiles:
        perm_sets = ["Fallback_Access"]
    return AppSpec(
        kind=kind,
        name=draw(names),
        label=draw(st.text(alphabet="ABCxyz 0-9&<>é", min_size=1, max_size=20).filter(str.strip)),
        contact_email="admin@example.com",
        certificate_pem=CERT,
        description=draw(st.sampled_from(["", "Billing sync", "a <b> & c"])),
        scopes=("Api", "RefreshToken", *draw(extra_scopes)),
        permission_sets=tuple(perm_sets),
        profiles=tuple(chosen_profiles),
        consumer_key=draw(st.one_of(st.none(), st.from_regex(r"\A[A-Za-z0-9]{8,40}\Z"))),
        access_permission_set=access,
        api_version=draw(st.sampled_from(["60.0", "63.0", "66.0"])),
        oauth_policy_name=draw(st.one_of(st.none(), st.just("Existing_oauth_defaultPolicy"))),
    )


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(specs())
def test_every_generated_document_is_valid_against_the_wsdl_schema(spec: AppSpec) -> None:
    bundle = build_bundle(spec)
    files = read_zip(bundle.zip_bytes)
    assert files == dict(bundle.files)
    assert list(files)[0] == "package.xml"
    assert schema.validate_zip(bundle.zip_bytes) == list(files)

    # package.xml names exactly the components in the zip, at the requested version
    package = etree.fromstring(files["package.xml"])
    assert package.findtext("m:version", namespaces=NS) == spec.api_version
    listed = {
        (t.findtext("m:name", namespaces=NS), member)
        for t in package.findall("m:types", NS)
        for member in t.findtext("m:members", namespaces=NS).split()
    }
    in_zip = {
        (type_name, path.split("/", 1)[1].rsplit(".", 1)[0])
        for path in files
        if path != "package.xml"
        for type_name, (folder, suffix) in LAYOUT.items()
        if path.startswith(folder + "/") and path.endswith("." + suffix)
    }
    assert listed == in_zip

    blob = b"".join(files.values())
    assert (b"<consumerKey>" in blob) == (spec.consumer_key is not None)
    assert b"consumerSecret" not in blob


@settings(max_examples=25, deadline=None)
@given(specs().filter(lambda s: s.kind == ECA))
def test_eca_children_all_name_the_header_and_preauthorize(spec: AppSpec) -> None:
    files = build_bundle(spec).files
    children = [
        p
        for p in files
        if p.split("/")[0]
        in ("extlClntAppGlobalOauthSets", "extlClntAppOauthSettings", "extlClntAppOauthPolicies", "extlClntAppPolicies")
    ]
    assert len(children) == 4
    for path in children:
        assert etree.fromstring(files[path]).findtext("m:externalClientApplication", namespaces=NS) == spec.name
    policy = etree.fromstring(
        files[f"extlClntAppOauthPolicies/{spec.component_names()['ExtlClntAppOauthConfigurablePolicies']}.ecaOauthPlcy"]
    )
    assert policy.findtext("m:permittedUsersPolicyType", namespaces=NS) == "AdminApprovedPreAuthorized"
    listed = policy.findtext("m:commaSeparatedPermissionSet", namespaces=NS)
    assert listed == (",".join(spec.all_permission_sets) or None)  # joined with "," only
    glbl = [p for p in children if p.startswith("extlClntAppGlobalOauthSets/")][0]
    assert etree.fromstring(files[glbl]).findtext("m:certificate", namespaces=NS) == CERT.strip()
    scopes = etree.fromstring(files[f"extlClntAppOauthSettings/{spec.name}_oauth.ecaOauth"])
    assert scopes.findtext("m:commaSeparatedOauthScopes", namespaces=NS).split(", ") == list(spec.scopes)


def test_pre_authorization_lists_are_joined_with_a_bare_comma() -> None:
    """Issue 9, point 5: real org captures show ``A,B`` (the old bundle wrote ``A, B``)."""
    spec = AppSpec(
        kind=ECA,
        name="Acme_JWT",
        label="Acme JWT",
        contact_email="a@example.com",
        certificate_pem=CERT,
        permission_sets=("Ops", "Audit"),
        profiles=("System Administrator", "Integration Profile"),
        access_permission_set=PermissionSetSpec("Acme_JWT_Access", "Acme JWT Access"),
    )
    policy = etree.fromstring(
        build_bundle(spec).files["extlClntAppOauthPolicies/Acme_JWT_oauth_defaultPolicy.ecaOauthPlcy"]
    )
    assert policy.findtext("m:commaSeparatedPermissionSet", namespaces=NS) == "Ops,Audit,Acme_JWT_Access"
    assert policy.findtext("m:commaSeparatedProfile", namespaces=NS) == "System Administrator,Integration Profile"


def test_connected_app_is_admin_approved_with_certificate_scopes_and_access() -> None:
    spec = AppSpec(
        kind=CONNECTED_APP,
        name="Acme_JWT",
        label="Acme JWT",
        contact_email="a@example.com",
        certificate_pem=CERT,
        permission_sets=("Ops",),
        profiles=("System Administrator",),
        access_permission_set=PermissionSetSpec("Acme_JWT_Access", "Acme JWT Access"),
    )
    bundle = build_bundle(spec)
    assert dict(bundle.members) == {"PermissionSet": ("Acme_JWT_Access",), "ConnectedApp": ("Acme_JWT",)}
    app = etree.fromstring(bundle.files["connectedApps/Acme_JWT.connectedApp"])
    assert app.findtext("m:oauthConfig/m:isAdminApproved", namespaces=NS) == "true"
    assert [e.text for e in app.findall("m:oauthConfig/m:scopes", NS)] == ["Api", "RefreshToken"]
    assert [e.text for e in app.findall("m:permissionSetName", NS)] == ["Ops", "Acme_JWT_Access"]
    assert [e.text for e in app.findall("m:profileName", NS)] == ["System Administrator"]
    assert app.findtext("m:oauthPolicy/m:refreshTokenPolicy", namespaces=NS) == "infinite"


def test_same_spec_gives_the_same_bytes_and_reused_policy_names_are_used() -> None:
    spec = AppSpec(
        kind=ECA,
        name="Acme",
        label="Acme",
        contact_email="a@example.com",
        certificate_pem=CERT,
        permission_sets=("Ops",),
        oauth_policy_name="Acme_oauth_customPolicy",
        app_policy_name="Acme_plcy",
    )
    assert build_bundle(spec).zip_bytes == build_bundle(spec).zip_bytes
    members = build_bundle(spec).members
    assert members["ExtlClntAppOauthConfigurablePolicies"] == ("Acme_oauth_customPolicy",)
    assert members["ExtlClntAppConfigurablePolicies"] == ("Acme_plcy",)


def _ec_certificate() -> str:
    now = datetime.datetime.now(datetime.UTC)
    return pem_cert(make_cert(make_ec_key(), common_name="ec", not_before=now, days=1, serial=1)).decode()


BASE = dict(
    kind=ECA, name="Acme", label="Acme", contact_email="a@example.com", certificate_pem=CERT, permission_sets=("Ops",)
)


@pytest.mark.parametrize(
    ("changes", "setting", "fix"),
    [
        ({"kind": "eca"}, "kind", "external-client-app"),
        ({"name": "Bad Name"}, "name", "letters, digits"),
        ({"name": "Double__Underscore"}, "name", "single"),
        ({"label": "  "}, "label", "non-empty"),
        ({"contact_email": "nobody"}, "contact_email", "email"),
        ({"certificate_pem": "not a cert"}, "certificate_pem", "PEM"),
        ({"certificate_pem": _ec_certificate()}, "certificate_pem", "RS256"),
        ({"scopes": ("Api",)}, "scopes", "RefreshToken"),
        ({"scopes": ("Api", "RefreshToken", "api key")}, "scopes", "scope token"),
        ({"kind": CONNECTED_APP, "scopes": ("Api", "RefreshToken", "MCP")}, "scopes", "not a ConnectedApp scope"),
        ({"permission_sets": ()}, "permission_sets/profiles", "pre-authorized"),
        ({"profiles": ("A, B",)}, "profiles", "without commas"),
        ({"consumer_key": "short"}, "consumer_key", "8 to 256"),
        ({"api_version": "59.0"}, "api_version", "60.0"),
        ({"api_version": "v63"}, "api_version", "63.0"),
        ({"callback_url": "http://example.com"}, "callback_url", "https"),
        ({"scopes": "Api"}, "scopes", "list"),
    ],
)
def test_bad_input_names_the_setting_and_the_fix(changes: dict, setting: str, fix: str) -> None:
    with pytest.raises(ValueError) as caught:
        AppSpec(**{**BASE, **changes})
    assert str(caught.value).startswith(setting + ":")
    assert fix in str(caught.value)


def test_schema_check_catches_out_of_order_elements() -> None:
    wrong = (
        b'<ConnectedApp xmlns="http://soap.sforce.com/2006/04/metadata"><label>x</label>'
        b"<contactEmail>a@example.com</contactEmail></ConnectedApp>"
    )
    with pytest.raises(schema.SchemaViolation, match="contactEmail"):
        schema.validate_document(wrong)


def test_repr_does_not_dump_the_certificate() -> None:
    assert "BEGIN CERTIFICATE" not in repr(AppSpec(**BASE))


def test_namespaced_permission_sets_accepted_by_settings_are_accepted_here() -> None:
    spec = AppSpec(**{**BASE, "permission_sets": ("ns__Managed_Access",)})
    assert "ns__Managed_Access" in spec.all_permission_sets
