"""Control API (/__emulator__/): users, settings, clock, faults, apps drift, counters, concurrency."""

from __future__ import annotations

import concurrent.futures

import pytest
import requests

from tests.fixtures import emulator_builders as B
from tests.fixtures.salesforce import EmulatorError


def test_reset_restores_the_default_org(salesforce_org):
    org = salesforce_org
    org.add_user("temp@example.com")
    org.settings(deploy_seconds=9)
    org.reset()
    assert {u["username"] for u in org.users()} == {org.admin_username, org.integration_username}
    assert org.control("GET", "settings")["deploy_seconds"] == 0
    assert org.calls() == {}


def test_add_user_with_permission_sets_and_errors(salesforce_org):
    org = salesforce_org
    org.create_permission_set("Seeded", "Seeded set")
    user = org.add_user("jwt@example.com", permission_sets=["Seeded"])
    assert user["permission_sets"] == ["Seeded"] and len(user["id"]) == 18 and user["id"].startswith("005")
    with pytest.raises(EmulatorError, match="no permission set named 'Ghost'"):
        org.add_user("x@example.com", permission_sets=["Ghost"])
    with pytest.raises(EmulatorError, match="profile"):
        org.add_user("y@example.com", profile="Chief")
    assert org.update_user("jwt@example.com", active=False)["active"] is False


def test_users_carry_permissions_validated_and_changeable(salesforce_org):
    org = salesforce_org
    integration = next(u for u in org.users() if u["username"] == org.integration_username)
    assert integration["profile"] == "Minimum Access - API Only Integrations"
    assert integration["permissions"] == ["ApiEnabled"]
    assert org.add_user("std@example.com")["permissions"] == ["ApiEnabled"]  # from the profile
    viewer = org.add_user("viewer@example.com", permissions=["ApiEnabled", "ViewSetup"])
    assert viewer["permissions"] == ["ApiEnabled", "ViewSetup"]
    assert org.update_user("viewer@example.com", permissions=[])["permissions"] == []
    assert org.grant("viewer@example.com", "ViewClientSecret")["permissions"] == ["ViewClientSecret"]
    with pytest.raises(EmulatorError, match="field 'permissions'"):
        org.add_user("bad@example.com", permissions="ApiEnabled")
    with pytest.raises(EmulatorError, match="field 'permissions'"):
        org.update_user("viewer@example.com", permissions=["View Setup"])


def test_new_settings_have_production_defaults(salesforce_org):
    settings = salesforce_org.control("GET", "settings")
    assert (settings["edition"], settings["certificate_readback"], settings["consumer_secret_api_access"]) == (
        "production",
        "base64",
        False,
    )
    changed = salesforce_org.settings(edition="scratch", certificate_readback="pem", consumer_secret_api_access=True)
    assert (changed["edition"], changed["certificate_readback"], changed["consumer_secret_api_access"]) == (
        "scratch",
        "pem",
        True,
    )
    with pytest.raises(EmulatorError, match="'edition' takes one of"):
        salesforce_org.settings(edition="Production")


def test_metadata_api_needs_api_enabled_and_modify_metadata(salesforce_org):
    org = salesforce_org
    soap = B.Soap(org)
    org.update_user(org.admin_username, permissions=["ApiEnabled", "ViewSetup"])
    with pytest.raises(Exception, match="INSUFFICIENT_ACCESS"):
        soap.result("<listMetadata><queries><type>PermissionSet</type></queries></listMetadata>")
    org.update_user(org.admin_username, permissions=["ModifyMetadata"])
    with pytest.raises(Exception, match="API_CURRENTLY_DISABLED: API is disabled for this User"):
        soap.result("<listMetadata><queries><type>PermissionSet</type></queries></listMetadata>")
    org.update_user(org.admin_username, permissions=["ApiEnabled", "ModifyMetadata"])
    assert soap.result("<listMetadata><queries><type>PermissionSet</type></queries></listMetadata>") == []


def test_settings_validation_names_the_setting(salesforce_org):
    with pytest.raises(EmulatorError, match="unknown setting 'speed'"):
        salesforce_org.settings(speed=3)
    with pytest.raises(EmulatorError, match="deploy_seconds"):
        salesforce_org.settings(deploy_seconds="slow")


def test_clock_only_moves_forward(salesforce_org):
    before = salesforce_org.control("GET", "clock")["now"]
    after = salesforce_org.advance_clock(3600)["now"]
    assert after - before >= 3600
    with pytest.raises(EmulatorError, match="advance_seconds"):
        salesforce_org.advance_clock(-5)


def test_fault_validation_and_clearing(salesforce_org):
    with pytest.raises(EmulatorError, match="operation"):
        salesforce_org.fault("everything", 500)
    salesforce_org.fault("token", 503, count=3)
    assert salesforce_org.control("GET", "faults")[0]["count"] == 3
    salesforce_org.clear_faults()
    assert salesforce_org.control("GET", "faults") == []


def test_token_fault_then_recovery(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org))
    org.fault("token", 503, count=2)
    jwt_text = B.assertion(key, ck, org.integration_username, org.instance_url)
    assert [B.token_request(org, jwt_text).status_code for _ in range(3)] == [503, 503, 200]
    assert org.calls()["token"] == 3


def test_slow_response_fault_delays_then_answers_normally(salesforce_org):
    org = salesforce_org
    org.fault("rest", delay_seconds=2, count=1)
    url, headers = (
        f"{org.instance_url}/services/data/v63.0/limits",
        {"Authorization": f"Bearer {org.admin_access_token}"},
    )
    with pytest.raises(requests.ReadTimeout):  # the answer is held back
        org.session().get(url, headers=headers, timeout=(5, 0.2))
    assert org.session().get(url, headers=headers, timeout=30).status_code == 200  # the fault is used up


def test_apps_view_and_out_of_band_drift(salesforce_org):
    org = salesforce_org
    soap = B.Soap(org)
    key, ck = B.jwt_app(org, soap, kind="ECA", name="Eca")
    view = org.app("Eca")
    assert view["kind"] == "ExternalClientApplication" and view["consumer_key"] == ck
    assert view["scopes"] == ["Api", "RefreshToken"] and view["admin_approved"] is True
    assert view["permission_sets"] == ["JwtAccess"] and view["profiles"] == []
    _, other_cert = B.key_pair(4)
    drifted = org.patch_app("Eca", certificate_pem=other_cert, scopes=["Api"], permission_sets=[])
    assert drifted["certificate_fingerprint_sha256"] != view["certificate_fingerprint_sha256"]
    record = soap.read("ExtlClntAppOauthSettings", "Eca_oauth")[0]
    assert record.findtext(f"{{{B.MD}}}commaSeparatedOauthScopes") == "Api"
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url))
    assert response.json()["error_description"] == "invalid assertion"
    with pytest.raises(EmulatorError, match="patchable"):
        org.patch_app("Eca", colour="blue")


def test_removing_pre_authorization_out_of_band(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org))
    org.patch_app("JwtApp", admin_approved=False)
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url))
    assert response.json()["error_description"] == "user hasn't approved this consumer"


def test_expire_sessions(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org))
    token = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url)).json()[
        "access_token"
    ]
    assert org.expire_sessions() == 1
    response = org.session().get(
        f"{org.instance_url}/services/oauth2/userinfo", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 401


def test_unknown_control_route_is_404(salesforce_org):
    with pytest.raises(EmulatorError, match="404"):
        salesforce_org.control("GET", "nonsense")
    with pytest.raises(EmulatorError, match="JSON object"):
        salesforce_org.control("PUT", "settings", [1, 2])


def test_concurrent_token_requests_and_deploys_are_consistent(salesforce_org):
    org = salesforce_org
    soap = B.Soap(org)
    key, ck = B.jwt_app(org, soap)
    jwt_text = B.assertion(key, ck, org.integration_username, org.instance_url)

    def token(_):
        return B.token_request(org, jwt_text).status_code

    def deploy(index):
        result = soap.deploy_and_wait(B.bundle({"PermissionSet": {f"Set{index}": B.permission_set()}}))
        return B.field(result, "status")

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        tokens = list(pool.map(token, range(24)))
        deploys = list(pool.map(deploy, range(6)))
    assert tokens == [200] * 24 and deploys == ["Succeeded"] * 6
    assert org.calls()["token"] == 24
    listed = soap.result("<listMetadata><queries><type>PermissionSet</type></queries></listMetadata>")
    assert len(listed) == 7  # six new sets plus JwtAccess
