"""simple-salesforce 1.12.10 against the emulator: JWT login, REST, its own deploy/checkDeployStatus, zeep reads,
and what a production org refuses (NoTestRun, limits/userinfo for a least-privilege user, hidden ECA keys)."""

from __future__ import annotations

import base64
import time

import pytest
import requests
import zeep.exceptions
from simple_salesforce import Salesforce
from simple_salesforce.exceptions import (
    SalesforceExpiredSession,
    SalesforceGeneralError,
    SalesforceMalformedRequest,
    SalesforceRefusedRequest,
)

from tests.fixtures import emulator_builders as B


class RewritingSession(requests.Session):
    """Sends simple-salesforce's hard-coded ``https://login.salesforce.com`` to the emulator (clients.md 4.2)."""

    def __init__(self, instance_url: str, ca_bundle: str) -> None:
        super().__init__()
        self.instance_url, self.verify, self.trust_env = instance_url, ca_bundle, False

    def request(self, method, url, *args, **kwargs):
        for host in ("https://login.salesforce.com", "https://test.salesforce.com"):
            url = url.replace(host, self.instance_url)
        return super().request(method, url, *args, **kwargs)


@pytest.fixture
def deployed(salesforce_org, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce_org.ca_bundle)  # zeep builds its own session
    key, ck = B.jwt_app(salesforce_org, B.Soap(salesforce_org))
    return salesforce_org, key, ck


def admin_client(org) -> Salesforce:
    return Salesforce(
        instance_url=org.instance_url, session_id=org.admin_access_token, session=org.session(), version="63.0"
    )


def test_jwt_login_with_string_exp_and_login_audience(deployed):
    org, key, ck = deployed
    sf = Salesforce(
        username=org.integration_username,
        consumer_key=ck,
        privatekey=key.decode(),
        session=RewritingSession(org.instance_url, org.ca_bundle),
        version="63.0",
    )
    assert sf.session_id.startswith(org.org_id[:15] + "!")
    assert sf.base_url.startswith(org.instance_url)
    result = sf.query(f"SELECT Id, Username FROM User WHERE Username = '{org.integration_username}'")
    assert result["records"][0]["Username"] == org.integration_username


def test_jwt_login_failure_surfaces_the_salesforce_error(deployed):
    org, _, ck = deployed
    other_key, _ = B.key_pair(6)
    with pytest.raises(Exception, match="invalid assertion"):
        Salesforce(
            username=org.integration_username,
            consumer_key=ck,
            privatekey=other_key.decode(),
            session=RewritingSession(org.instance_url, org.ca_bundle),
        )


def test_rest_with_session_id_limits_and_assignment(deployed):
    org, _, _ = deployed
    sf = admin_client(org)
    assert sf.limits()["DailyApiRequests"]["Max"] > 0
    user = sf.query(f"SELECT Id FROM User WHERE Username = '{org.integration_username}'")["records"][0]["Id"]
    B.deploy_ok(B.Soap(org), {"PermissionSet": {"More": B.permission_set()}})
    ps = sf.query("SELECT Id FROM PermissionSet WHERE Name = 'More'")["records"][0]["Id"]
    created = sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": ps})
    assert created["success"] is True
    with pytest.raises(SalesforceMalformedRequest) as duplicate:
        sf.PermissionSetAssignment.create({"AssigneeId": user, "PermissionSetId": ps})
    assert duplicate.value.content[0]["errorCode"] == "DUPLICATE_VALUE"


def test_expired_session_maps_to_simple_salesforce_exception(deployed):
    org, _, _ = deployed
    sf = Salesforce(instance_url=org.instance_url, session_id="00Dexpired!token", session=org.session())
    with pytest.raises(SalesforceExpiredSession):
        sf.query("SELECT Id FROM User")


def test_deploy_and_check_deploy_status_through_its_own_soap(deployed, tmp_path):
    org, _, _ = deployed
    zip_path = tmp_path / "bundle.zip"
    zip_path.write_bytes(B.bundle({"PermissionSet": {"ViaSimple": B.permission_set("Via simple-salesforce")}}))
    sf = admin_client(org)
    started = sf.deploy(str(zip_path), sandbox=False)
    assert started["state"] == "Queued" and len(started["asyncId"]) == 18
    for _ in range(100):
        status = sf.checkDeployStatus(started["asyncId"])
        if status["state"] in ("Succeeded", "Failed"):
            break
        time.sleep(0.05)
    assert status["state"] == "Succeeded"
    assert status["deployment_detail"]["deployed_count"] == "1"


def test_failed_deploy_details_are_parsed(deployed, tmp_path):
    org, _, _ = deployed
    zip_path = tmp_path / "blocked.zip"
    zip_path.write_bytes(B.bundle({"ConnectedApp": {"Second": B.connected_app(B.key_pair(2)[1], "SecondKey001")}}))
    org.settings(allow_connected_app_creation=False)
    sf = admin_client(org)
    job = sf.deploy(str(zip_path), sandbox=False)["asyncId"]
    status = sf.checkDeployStatus(job)
    assert status["state"] == "Failed"
    assert status["deployment_detail"]["errors"] == [
        {
            "type": "ConnectedApp",
            "file": "connectedApps/Second.connectedApp",
            "status": "Error",
            "message": "You can't create a connected app. To enable connected app creation, contact Salesforce Customer Support.",
        }
    ]


def test_mdapi_read_through_zeep_maps_typed_fields(deployed):
    org, _, ck = deployed
    sf = admin_client(org)
    app = sf.mdapi.ConnectedApp.read("JwtApp")
    assert app.fullName == "JwtApp"
    assert app.oauthConfig.consumerKey == ck
    assert app.oauthConfig.isAdminApproved is True
    assert list(app.oauthConfig.scopes) == ["Api", "RefreshToken"]
    assert app.permissionSetName == ["JwtAccess"]
    missing = sf.mdapi.ConnectedApp.read("Nope")
    assert missing is None or getattr(missing, "fullName", None) is None


def test_mdapi_list_metadata_and_fault(deployed):
    org, _, _ = deployed
    sf = admin_client(org)
    query = sf.mdapi.ListMetadataQuery(type="PermissionSet")
    listed = sf.mdapi.list_metadata([query])
    assert [p.fullName for p in listed] == ["JwtAccess"]
    broken = Salesforce(instance_url=org.instance_url, session_id="00Dbad!session", session=org.session())
    with pytest.raises(zeep.exceptions.Fault) as fault:
        broken.mdapi.ConnectedApp.read("JwtApp")
    assert fault.value.code == "sf:INVALID_SESSION_ID"


def integration_client(org, key: bytes, ck: str) -> Salesforce:
    return Salesforce(
        username=org.integration_username,
        consumer_key=ck,
        privatekey=key.decode(),
        session=RewritingSession(org.instance_url, org.ca_bundle),
        version="66.0",
    )


def test_least_privilege_user_is_refused_limits_and_userinfo_but_not_the_api(deployed):
    org, key, ck = deployed
    sf = integration_client(org, key, ck)
    assert "query" in sf.restful("")  # GET /services/data/v66.0/ : the api scope is enough
    with pytest.raises(SalesforceRefusedRequest) as limits:
        sf.limits()
    assert limits.value.status == 403 and limits.value.content[0]["errorCode"] == "INSUFFICIENT_ACCESS"
    with pytest.raises(SalesforceRefusedRequest) as userinfo:
        sf.oauth2("userinfo")
    assert userinfo.value.status == 403 and "Bad_OAuth_Token" in str(userinfo.value.content)
    org.grant(org.integration_username, "ViewSetup")
    assert sf.limits()["DailyApiRequests"]["Max"] > 0


def test_production_org_refuses_no_test_run(deployed, tmp_path):
    org, _, _ = deployed
    zip_path = tmp_path / "bundle.zip"
    zip_path.write_bytes(B.bundle({"PermissionSet": {"NoTests": B.permission_set("No tests")}}))
    sf = admin_client(org)
    with pytest.raises(SalesforceGeneralError) as refused:
        sf.deploy(str(zip_path), sandbox=False, testLevel="NoTestRun")
    assert "INVALID_OPERATION: testLevel of NoTestRun cannot be used in production organizations" in str(
        refused.value.content
    )
    assert sf.deploy(str(zip_path), sandbox=False, testLevel="RunLocalTests")["state"] == "Queued"
    org.settings(edition="sandbox")
    assert sf.deploy(str(zip_path), sandbox=True, testLevel="NoTestRun")["state"] == "Queued"


def test_mdapi_reads_certificates_as_bare_base64_unless_set_to_pem(deployed):
    org, _, _ = deployed
    sf = admin_client(org)
    certificate = sf.mdapi.ConnectedApp.read("JwtApp").oauthConfig.certificate
    assert "BEGIN" not in certificate and base64.b64decode(certificate) == B.der(B.key_pair(0)[1])
    org.settings(certificate_readback="pem")
    assert sf.mdapi.ConnectedApp.read("JwtApp").oauthConfig.certificate.startswith("-----BEGIN CERTIFICATE-----")


def test_mdapi_hides_the_eca_consumer_key_without_both_switches(deployed):
    org, _, _ = deployed
    B.deploy_ok(B.Soap(org), B.eca_files("HiddenKey", B.key_pair(1)[1], "HiddenKey0000001"))
    sf = admin_client(org)
    assert sf.mdapi.ExtlClntAppGlobalOauthSettings.read("HiddenKey_glbloauth").consumerKey is None
    org.settings(consumer_secret_api_access=True)  # the org switch alone is not enough
    assert sf.mdapi.ExtlClntAppGlobalOauthSettings.read("HiddenKey_glbloauth").consumerKey is None
    org.grant(org.admin_username, "ViewClientSecret")  # ... nor is the permission alone
    assert sf.mdapi.ExtlClntAppGlobalOauthSettings.read("HiddenKey_glbloauth").consumerKey == "HiddenKey0000001"
    org.settings(consumer_secret_api_access=False)
    assert sf.mdapi.ExtlClntAppGlobalOauthSettings.read("HiddenKey_glbloauth").consumerKey is None
