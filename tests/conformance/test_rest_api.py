"""REST endpoints on the wire: versions, limits, SOQL, PermissionSetAssignment, userinfo, identity, 401s/403s.

The default integration user is least-privilege (profile "Minimum Access - API Only Integrations",
permission ApiEnabled only) and the JWT app has the scopes Api + RefreshToken, as a real org's would.
"""

from __future__ import annotations

import pytest

from tests.fixtures import emulator_builders as B


@pytest.fixture
def api(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org))
    token = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url)).json()
    http = org.session()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    return org, http, token


def admin(org):
    http = org.session()
    http.headers["Authorization"] = f"Bearer {org.admin_access_token}"
    return http


def query(org, http, soql):
    return http.get(f"{org.instance_url}/services/data/v63.0/query", params={"q": soql}, timeout=30)


def test_versions_need_no_authentication(salesforce_org):
    response = salesforce_org.session().get(f"{salesforce_org.instance_url}/services/data/", timeout=30)
    versions = response.json()
    assert response.status_code == 200
    assert versions[-1] == {"label": "Spring '26", "url": "/services/data/v66.0", "version": "66.0"}
    assert {"label": "Spring '25", "url": "/services/data/v63.0", "version": "63.0"} in versions
    assert {"label": "Winter '26", "url": "/services/data/v65.0", "version": "65.0"} in versions


def test_resource_list_and_own_user_record_need_only_the_api_scope(api):
    org, http, token = api
    resources = http.get(f"{org.instance_url}/services/data/v66.0/", timeout=30)
    assert resources.status_code == 200 and resources.json()["query"] == "/services/data/v66.0/query"
    user_id = token["id"].rsplit("/", 1)[1]
    own = query(org, http, f"SELECT Id, Username FROM User WHERE Id = '{user_id}'").json()
    assert own["records"][0]["Username"] == org.integration_username


def test_limits_need_the_view_setup_permission(api):
    org, http, _ = api
    refused = http.get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30)
    assert refused.status_code == 403
    assert refused.json() == [{"message": "Insufficient Privileges", "errorCode": "INSUFFICIENT_ACCESS"}]
    limits = admin(org).get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30).json()
    assert limits["DailyApiRequests"]["Max"] >= limits["DailyApiRequests"]["Remaining"] > 0
    org.update_user(org.integration_username, permissions=["ApiEnabled", "ViewSetup"])
    assert http.get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30).status_code == 200


def test_view_setup_granted_by_an_assigned_permission_set(api):
    org, http, _ = api
    permission_set = B.permission_set("Setup Viewer").replace(
        "</label>", "</label><userPermissions><enabled>true</enabled><name>ViewSetup</name></userPermissions>"
    )
    B.deploy_ok(B.Soap(org), {"PermissionSet": {"Setup_Viewer": permission_set}})
    org.assign(org.integration_username, "Setup_Viewer")
    assert http.get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30).status_code == 200


def test_userinfo_and_identity_need_an_identity_scope(api):
    org, http, token = api
    for url in (f"{org.instance_url}/services/oauth2/userinfo", token["id"]):
        refused = http.get(url, timeout=30)
        assert (refused.status_code, refused.text) == (403, "Bad_OAuth_Token")


@pytest.mark.parametrize("scope", ["Basic", "OpenID", "Profile", "Email", "Address", "Phone", "Full"])
def test_userinfo_and_identity_name_the_user_and_org(salesforce_org, scope):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), scopes=("Api", "RefreshToken", scope))
    token = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url)).json()
    http = org.session()
    http.headers["Authorization"] = f"Bearer {token['access_token']}"
    info = http.get(f"{org.instance_url}/services/oauth2/userinfo", timeout=30).json()
    assert info["preferred_username"] == org.integration_username
    assert info["organization_id"] == org.org_id
    identity = http.get(token["id"], timeout=30).json()
    assert identity["username"] == org.integration_username
    assert identity["organization_id"] == org.org_id
    assert token["id"].endswith(identity["user_id"])


def test_user_without_api_enabled_is_refused_by_the_data_api(api):
    org, http, _ = api
    org.update_user(org.integration_username, permissions=[])
    refused = http.get(f"{org.instance_url}/services/data/v66.0/", timeout=30)
    assert refused.status_code == 403
    assert refused.json() == [{"message": "API is disabled for this User", "errorCode": "API_CURRENTLY_DISABLED"}]


@pytest.mark.parametrize("header", [None, "Bearer 00Dnope!nope", "Basic abc"])
def test_missing_or_invalid_session_is_401_invalid_session_id(salesforce_org, header):
    http = salesforce_org.session()
    if header:
        http.headers["Authorization"] = header
    response = http.get(f"{salesforce_org.instance_url}/services/data/v63.0/limits", timeout=30)
    assert response.status_code == 401
    assert response.json() == [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]


def test_expired_sessions_answer_401(api):
    org, http, _ = api
    org.advance_clock(2 * 3600 + 1)
    assert http.get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30).status_code == 401
    assert admin(org).get(f"{org.instance_url}/services/data/v63.0/limits", timeout=30).status_code == 200


def test_token_without_api_scope_is_not_valid_for_rest(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), scopes=("Web", "RefreshToken"))
    token = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url)).json()[
        "access_token"
    ]
    response = org.session().get(
        f"{org.instance_url}/services/data/v63.0/limits", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    assert response.status_code == 401
    assert response.json()[0]["message"] == "This session is not valid for use with the REST API"


def test_queries_the_product_needs(api):
    org, http, _ = api
    users = query(
        org,
        http,
        f"SELECT Id, Username, IsActive, Profile.Name FROM User WHERE Username = '{org.integration_username}'",
    ).json()
    assert users["totalSize"] == 1
    user = users["records"][0]
    assert user["attributes"]["type"] == "User" and user["IsActive"]
    assert user["Profile"]["Name"] == "Minimum Access - API Only Integrations"
    sets = query(
        org, http, "SELECT Id, Name FROM PermissionSet WHERE Name = 'JwtAccess' AND IsOwnedByProfile = false"
    ).json()
    assert sets["totalSize"] == 1 and sets["records"][0]["Id"].startswith("0PS")
    psa = query(
        org,
        http,
        f"SELECT Id, PermissionSet.Name FROM PermissionSetAssignment WHERE AssigneeId = '{user['Id'][:15]}' "
        f"AND PermissionSetId = '{sets['records'][0]['Id']}'",
    ).json()
    assert psa["totalSize"] == 1 and psa["records"][0]["PermissionSet"]["Name"] == "JwtAccess"
    organization = query(org, http, "SELECT Id, Name, IsSandbox, OrganizationType FROM Organization").json()
    assert organization["records"][0]["Id"] == org.org_id
    assert (organization["records"][0]["IsSandbox"], organization["records"][0]["OrganizationType"]) == (
        False,
        "Enterprise Edition",
    )  # a production org by default
    org.settings(edition="sandbox")
    sandbox = query(org, http, "SELECT IsSandbox FROM Organization").json()["records"][0]
    assert sandbox["IsSandbox"] is True


@pytest.mark.parametrize(
    "soql, status, code",
    [
        ("SELECT Id FROM ScratchOrgInfo limit 1", 400, "INVALID_TYPE"),
        ("SELECT Nope FROM User", 400, "INVALID_FIELD"),
        ("SELEKT Id FROM User", 400, "MALFORMED_QUERY"),
    ],
)
def test_query_errors(api, soql, status, code):
    org, http, _ = api
    response = query(org, http, soql)
    assert response.status_code == status and response.json()[0]["errorCode"] == code


def test_permission_set_assignment_create_duplicate_and_delete(salesforce_org):
    org = salesforce_org
    B.deploy_ok(B.Soap(org), {"PermissionSet": {"Extra": B.permission_set()}})
    http = admin(org)
    user_id = query(org, http, f"SELECT Id FROM User WHERE Username = '{org.integration_username}'").json()["records"][
        0
    ]["Id"]
    ps_id = query(org, http, "SELECT Id FROM PermissionSet WHERE Name = 'Extra'").json()["records"][0]["Id"]
    url = f"{org.instance_url}/services/data/v63.0/sobjects/PermissionSetAssignment"
    created = http.post(url, json={"AssigneeId": user_id, "PermissionSetId": ps_id}, timeout=30)
    assert created.status_code == 201 and created.json()["success"] is True
    assert created.json()["id"].startswith("0Pa")
    again = http.post(url, json={"AssigneeId": user_id, "PermissionSetId": ps_id}, timeout=30)
    assert again.status_code == 400 and again.json()[0]["errorCode"] == "DUPLICATE_VALUE"
    assert created.json()["id"] in again.json()[0]["message"]
    bad = http.post(url, json={"AssigneeId": user_id, "PermissionSetId": "0PS000000000000AAA"}, timeout=30)
    assert bad.json()[0]["errorCode"] == "INVALID_CROSS_REFERENCE_KEY"
    assert http.delete(f"{url}/{created.json()['id']}", timeout=30).status_code == 204
    assert "Extra" not in next(u for u in org.users() if u["username"] == org.integration_username)["permission_sets"]


def test_rest_fault_injection_and_unknown_paths(api):
    org, http, _ = api
    org.fault("rest", 503, count=1)
    response = http.get(f"{org.instance_url}/services/data/v63.0/", timeout=30)
    assert response.status_code == 503 and response.json()[0]["errorCode"] == "SERVER_UNAVAILABLE"
    assert http.get(f"{org.instance_url}/services/data/v63.0/", timeout=30).status_code == 200
    missing = http.get(f"{org.instance_url}/services/data/v63.0/nothing-here", timeout=30)
    assert missing.status_code == 404 and missing.json()[0]["errorCode"] == "NOT_FOUND"
