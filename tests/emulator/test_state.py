"""Unit tests of the org model, ids, settings, SOQL subset and XSD translation (no server)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from emulator.salesforce import soql
from emulator.salesforce.apps import ADMIN_APPROVED, fingerprint
from emulator.salesforce.deploy import run_deploy
from emulator.salesforce.ids import IdFactory, case_safe, same_id
from emulator.salesforce.models import DeployJob, Settings
from emulator.salesforce.schema import shared_schema
from emulator.salesforce.state import DEFAULT_INTEGRATION, Org, OrgError
from tests.fixtures import emulator_builders as B


@pytest.fixture
def org() -> Org:
    return Org("https://127.0.0.1:1")


def deploy(org: Org, components: dict, **options: bool) -> DeployJob:
    job = DeployJob(
        org.ids.new("0Af"),
        org.now(),
        org.now(),
        next(iter(org.users.values())).id,
        {"singlePackage": True, **options},
        B.bundle(components),
    )
    run_deploy(org, shared_schema(), job)
    return job


def test_known_case_safe_ids():
    assert case_safe("00D5g000000Fake") == "00D5g000000FakeEAC"
    assert case_safe("0055g000000Fake") == "0055g000000FakeAAC"


@given(st.text(alphabet="0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz", min_size=15, max_size=15))
def test_case_safe_suffix_tells_case_variants_apart(id15):
    swapped = id15.swapcase()
    if swapped != id15:
        assert case_safe(id15)[15:] != case_safe(swapped)[15:]


def test_id_factory_issues_unique_18_character_ids():
    factory = IdFactory()
    ids = {factory.new("0Af") for _ in range(500)}
    assert len(ids) == 500
    assert all(len(i) == 18 and i.startswith("0Af") and case_safe(i[:15]) == i for i in ids)
    assert same_id(next(iter(ids))[:15], next(iter(ids)))


def test_default_org_has_admin_integration_user_and_profiles(org):
    assert set(org.profiles) == {"System Administrator", "Standard User", "Minimum Access - API Only Integrations"}
    integration = org.user("INTEGRATION@example.com")
    assert integration.username == DEFAULT_INTEGRATION
    assert (integration.profile, integration.permissions) == ("Minimum Access - API Only Integrations", ["ApiEnabled"])
    assert {"ApiEnabled", "ViewSetup", "ModifyMetadata"} <= org.user_permissions(org.user("admin@example.com"))
    assert (org.settings.edition, org.settings.certificate_readback, org.settings.consumer_secret_api_access) == (
        "production",
        "base64",
        False,
    )
    assert org.session(org.admin_access_token) is not None
    assert len(org.org_id) == 18 and org.org_id.startswith("00D")


def test_reset_keeps_org_id_and_admin_token_but_drops_everything_else(org):
    org_id, token = org.org_id, org.admin_access_token
    org.add_user("x@example.com")
    org.clock.offset = 99
    org.settings.deploy_seconds = 5
    org.reset()
    assert (org.org_id, org.admin_access_token) == (org_id, token)
    assert org.user("x@example.com") is None and org.clock.offset == 0 and org.settings.deploy_seconds == 0


@pytest.mark.parametrize(
    "changes, message",
    [
        ({"bogus": 1}, "unknown setting 'bogus'"),
        ({"allow_connected_app_creation": "yes"}, "takes true or false"),
        ({"deploy_seconds": -1}, ">= 0"),
        ({"propagation_seconds": {"Other": 1}}, "propagation_seconds"),
        ({"unassigned_user_error": ["only-one"]}, "[error, error_description]"),
        ({"edition": "enterprise"}, "'edition' takes one of production, sandbox, developer, scratch"),
        ({"certificate_readback": "der"}, "'certificate_readback' takes one of base64, pem"),
        ({"consumer_secret_api_access": "on"}, "takes true or false"),
    ],
)
def test_settings_reject_bad_values_with_the_setting_name(changes, message):
    with pytest.raises(ValueError, match=message.replace("[", r"\[").replace("]", r"\]")):
        Settings().update(changes)


def test_settings_merge_propagation_per_kind():
    settings = Settings()
    settings.update({"propagation_seconds": {"ExternalClientApplication": 30}})
    assert settings.propagation_seconds == {"ConnectedApp": 0.0, "ExternalClientApplication": 30.0}


def test_add_user_validates_username_and_profile(org):
    with pytest.raises(OrgError, match="username"):
        org.add_user("not-an-email")
    with pytest.raises(OrgError, match="profile"):
        org.add_user("a@example.com", "Nope")
    with pytest.raises(OrgError, match="already exists"):
        org.add_user(DEFAULT_INTEGRATION)


def test_fault_is_consumed_count_times(org):
    org.add_fault("token", 503, 2)
    assert org.take_fault("deploy") is None
    assert org.take_fault("token").status == 503
    assert org.take_fault("token").status == 503
    assert org.take_fault("token") is None


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"operation": "nope", "status": 503, "count": 1}, "operation"),
        ({"operation": "token", "status": 200, "count": 1}, "status"),
        ({"operation": "token", "status": 503, "count": 0}, "count"),
        ({"operation": "token", "status": None, "count": 1}, "delay_seconds"),
    ],
)
def test_fault_validation(org, kwargs, message):
    with pytest.raises(OrgError, match=message):
        org.add_fault(**kwargs)


def test_sessions_expire_on_the_emulated_clock(org):
    key, cert = B.key_pair(0)
    org.settings.allow_connected_app_creation = True
    deploy(org, {"ConnectedApp": {"App": B.connected_app(cert, "Key00000001", profiles=["Standard User"])}})
    token, _ = org.issue_token(org.user(DEFAULT_INTEGRATION), org.apps()["App"])
    assert not token.count(".") >= 2 and token.startswith(org.org_id15 + "!")
    assert org.session(token) is not None
    org.clock.offset += org.settings.session_seconds + 1
    assert org.session(token) is None
    assert org.session(org.admin_access_token) is not None


def test_propagation_window_and_certificate_swap(org):
    _, cert_a = B.key_pair(0)
    _, cert_b = B.key_pair(1)
    org.settings.allow_connected_app_creation = True
    org.settings.update({"propagation_seconds": {"ConnectedApp": 60}})
    deploy(org, {"ConnectedApp": {"App": B.connected_app(cert_a, "Key00000001")}})
    app = org.apps()["App"]
    assert not org.app_ready(app)
    org.clock.offset += 61
    assert org.app_ready(app)
    deploy(org, {"ConnectedApp": {"App": B.connected_app(cert_b)}})
    app = org.apps()["App"]
    assert app.certificate_pem.strip() == cert_b.strip()
    assert org.live_certificate(app).strip() == cert_a.strip()
    org.clock.offset += 61
    assert org.live_certificate(app).strip() == cert_b.strip()


def test_fingerprint_is_openssl_style():
    _, cert = B.key_pair(0)
    value = fingerprint(cert)
    assert len(value) == 95 and value.count(":") == 31 and value == value.upper()
    assert fingerprint("not a cert") is None


def test_patch_app_changes_eca_components_in_schema_order(org):
    _, cert = B.key_pair(0)
    deploy(org, B.eca_files("Eca", cert, "EcaKey000001", permission_sets=[]))
    _, other = B.key_pair(1)
    app = org.patch_app("Eca", {"scopes": ["Api"], "admin_approved": False, "certificate_pem": other}, shared_schema())
    assert app.scopes == ["Api"] and app.permitted_users_policy == "AllSelfAuthorized"
    for component in org.components.values():
        kind = component.type
        assert shared_schema().validate(kind, etree.fromstring(component.xml)) == [], kind
    with pytest.raises(OrgError, match="patchable"):
        org.patch_app("Eca", {"colour": "red"}, shared_schema())
    with pytest.raises(OrgError, match="no app named"):
        org.patch_app("Nope", {}, shared_schema())


def test_deploy_rolls_back_everything_when_one_component_fails(org):
    job = deploy(
        org,
        {"PermissionSet": {"Ok": B.permission_set()}, "ConnectedApp": {"Blocked": B.connected_app(None)}},
        rollbackOnError=True,
    )
    assert job.status == "Failed" and job.deployed == 0
    assert org.permission_set("Ok") is None


def test_deploy_without_rollback_keeps_the_good_components(org):
    job = deploy(
        org,
        {"PermissionSet": {"Ok": B.permission_set()}, "ConnectedApp": {"Blocked": B.connected_app(None)}},
        rollbackOnError=False,
    )
    assert job.status == "SucceededPartial" and job.deployed == 1
    assert org.permission_set("Ok") is not None


def test_check_only_deploy_commits_nothing(org):
    job = deploy(org, {"PermissionSet": {"Ok": B.permission_set()}}, checkOnly=True)
    assert job.status == "Succeeded" and org.permission_set("Ok") is None


def test_default_eca_policies_are_auto_created(org):
    _, cert = B.key_pair(0)
    files = B.eca_files("Eca", cert, "EcaKey000001", with_policies=False)
    job = deploy(org, files)
    assert job.status == "Succeeded"
    assert ("ExtlClntAppOauthConfigurablePolicies", "Eca_oauth_defaultPolicy") in org.components
    assert ("ExtlClntAppConfigurablePolicies", "Eca_defaultPolicy") in org.components
    assert org.apps()["Eca"].permitted_users_policy == "AllSelfAuthorized"


@pytest.mark.parametrize(
    "query, expected",
    [
        ("SELECT Id FROM User", (["Id"], "User", [], None)),
        (
            "select Id, Name from User where Username = 'a\\'b@x.com' and IsActive = true limit 5",
            (["Id", "Name"], "User", [("Username", "=", ["a'b@x.com"]), ("IsActive", "=", [True])], 5),
        ),
        (
            "SELECT Id FROM PermissionSetAssignment WHERE PermissionSet.Name IN ('A', 'B')",
            (["Id"], "PermissionSetAssignment", [("PermissionSet.Name", "IN", ["A", "B"])], None),
        ),
    ],
)
def test_soql_subset_parses(query, expected):
    parsed = soql.parse(query)
    assert (parsed.fields, parsed.sobject, parsed.conditions, parsed.limit) == expected


@pytest.mark.parametrize("query", ["DELETE FROM User", "SELECT FROM User", "SELECT Id FROM User WHERE A = 1 OR B = 2"])
def test_soql_rejects_unsupported_shapes(query):
    with pytest.raises(soql.SoqlError) as raised:
        soql.parse(query)
    assert raised.value.code == "MALFORMED_QUERY"


@given(st.text(max_size=80))
def test_soql_parser_never_crashes(text):
    try:
        soql.parse(text)
    except soql.SoqlError:
        pass


def test_schema_translates_libxml_errors_into_salesforce_wording():
    schema = shared_schema()
    md = B.MD
    wrong_order = etree.fromstring(
        f'<ConnectedApp xmlns="{md}"><label>x</label><contactEmail>a@b.c</contactEmail></ConnectedApp>'
    )
    assert schema.validate("ConnectedApp", wrong_order)[0].message == (
        f"Error parsing file: Element {{{md}}}label invalid at this location in type ConnectedApp"
    )
    bad_enum = etree.fromstring(
        f'<ExtlClntAppOauthConfigurablePolicies xmlns="{md}"><externalClientApplication>A</externalClientApplication>'
        "<permittedUsersPolicyType>AdminApproved</permittedUsersPolicyType></ExtlClntAppOauthConfigurablePolicies>"
    )
    assert schema.validate("ExtlClntAppOauthConfigurablePolicies", bad_enum)[0].message == (
        "Error parsing file: 'AdminApproved' is not a valid value for the enum 'PermittedUsersPolicyType'"
    )
    missing = etree.fromstring(f'<PermissionSet xmlns="{md}"><description>d</description></PermissionSet>')
    assert schema.validate("PermissionSet", missing)[0].message == "Required field is missing: label"
    nested = etree.fromstring(
        f'<ConnectedApp xmlns="{md}"><contactEmail>a</contactEmail><label>x</label>'
        "<oauthConfig><scopes>Api</scopes><callbackUrl>u</callbackUrl></oauthConfig></ConnectedApp>"
    )
    assert "in type ConnectedAppOauthConfig" in schema.validate("ConnectedApp", nested)[0].message
    assert schema.enums["PermittedUsersPolicyType"] == ["AllSelfAuthorized", ADMIN_APPROVED]
