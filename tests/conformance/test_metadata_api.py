"""Metadata API (SOAP) on the wire: deploy rules, XSD failures, read/list/delete/retrieve, faults."""

from __future__ import annotations

import base64
import io
import zipfile

import pytest
from lxml import etree

from tests.fixtures import emulator_builders as B
from tests.fixtures.emulator_builders import MD, field, problems

SPRING_26 = "You can't create a connected app. To enable connected app creation, contact Salesforce Customer Support."


@pytest.fixture
def soap(salesforce_org):
    return B.Soap(salesforce_org)


def failures(result):
    return [
        (f.findtext(f"{{{MD}}}fileName"), f.findtext(f"{{{MD}}}problem"))
        for f in result.iter(f"{{{MD}}}componentFailures")
    ]


def test_deploy_result_has_the_wsdl_fields_in_order(soap):
    result = B.deploy_ok(soap, {"PermissionSet": {"Access": B.permission_set()}})
    names = [etree.QName(c).localname for c in result]
    expected = [
        "checkOnly",
        "completedDate",
        "createdBy",
        "createdByName",
        "createdDate",
        "details",
        "done",
        "id",
        "ignoreWarnings",
        "lastModifiedDate",
        "numberComponentErrors",
        "numberComponentsDeployed",
        "numberComponentsTotal",
        "numberTestErrors",
        "numberTestsCompleted",
        "numberTestsTotal",
        "rollbackOnError",
        "runTestsEnabled",
        "startDate",
        "status",
        "success",
    ]
    assert names == expected
    success = [s for s in result.iter(f"{{{MD}}}componentSuccesses") if s.findtext(f"{{{MD}}}componentType")]
    assert [(s.findtext(f"{{{MD}}}fileName"), s.findtext(f"{{{MD}}}created")) for s in success] == [
        ("permissionsets/Access.permissionset", "true")
    ]
    assert len(field(result, "id")) == 18 and field(result, "id").startswith("0Af")


def test_new_connected_app_is_blocked_since_spring_26(soap):
    result = soap.deploy_and_wait(B.bundle({"ConnectedApp": {"App": B.connected_app(B.key_pair(0)[1])}}))
    assert field(result, "status") == "Failed" and field(result, "success") == "false"
    assert failures(result) == [("connectedApps/App.connectedApp", SPRING_26)]
    failure = next(result.iter(f"{{{MD}}}componentFailures"))
    assert failure.findtext(f"{{{MD}}}problemType") == "Error"
    assert failure.findtext(f"{{{MD}}}created") == "false"


def test_existing_connected_app_can_still_be_updated(salesforce_org, soap):
    salesforce_org.settings(allow_connected_app_creation=True)
    B.deploy_ok(soap, {"ConnectedApp": {"App": B.connected_app(B.key_pair(0)[1], "FirstKey0001")}})
    salesforce_org.settings(allow_connected_app_creation=False)
    result = B.deploy_ok(soap, {"ConnectedApp": {"App": B.connected_app(B.key_pair(1)[1], label="Renamed")}})
    assert next(result.iter(f"{{{MD}}}componentSuccesses")).findtext(f"{{{MD}}}created") == "false"
    assert salesforce_org.app("App")["consumer_key"] == "FirstKey0001"


def test_consumer_key_rules(salesforce_org, soap):
    salesforce_org.settings(allow_connected_app_creation=True, taken_consumer_keys=["ForeignKey01"])
    cert = B.key_pair(0)[1]
    B.deploy_ok(soap, {"ConnectedApp": {"App": B.connected_app(cert, "MyKey0000001")}})
    update = soap.deploy_and_wait(B.bundle({"ConnectedApp": {"App": B.connected_app(cert, "MyKey0000001")}}))
    assert failures(update) == [("connectedApps/App.connectedApp", "You cannot provide a Consumer Key")]
    for key in ("MyKey0000001", "ForeignKey01"):
        taken = soap.deploy_and_wait(B.bundle({"ConnectedApp": {"Other": B.connected_app(cert, key)}}))
        assert failures(taken) == [("connectedApps/Other.connectedApp", "The consumer key is already taken.")]
    bad = soap.deploy_and_wait(B.bundle({"ConnectedApp": {"Other": B.connected_app(cert, "short")}}))
    assert "8 to 256 alphanumeric" in failures(bad)[0][1]


def test_generated_consumer_key_is_readable(salesforce_org, soap):
    salesforce_org.settings(allow_connected_app_creation=True)
    B.deploy_ok(soap, {"ConnectedApp": {"App": B.connected_app(B.key_pair(0)[1])}})
    record = soap.read("ConnectedApp", "App")[0]
    key = record.findtext(f"{{{MD}}}oauthConfig/{{{MD}}}consumerKey")
    assert key.startswith("3MVG9") and key == salesforce_org.app("App")["consumer_key"]


def test_eca_children_must_name_an_existing_header(soap):
    files = B.eca_files("Eca", B.key_pair(0)[1], "EcaKey000001")
    del files["ExternalClientApplication"]
    result = soap.deploy_and_wait(B.bundle(files))
    assert field(result, "status") == "Failed"
    assert "In field: externalClientApplication - no ExternalClientApplication named Eca found" in problems(result)


def test_eca_header_from_an_earlier_deploy_is_enough(soap):
    files = B.eca_files("Eca", B.key_pair(0)[1], "EcaKey000001")
    B.deploy_ok(soap, {"ExternalClientApplication": files.pop("ExternalClientApplication")})
    B.deploy_ok(soap, files)


def test_global_oauth_without_oauth_settings_fails(soap):
    files = B.eca_files("Eca", B.key_pair(0)[1], "EcaKey000001")
    del files["ExtlClntAppOauthSettings"]
    result = soap.deploy_and_wait(B.bundle(files))
    assert any("doesn't have a valid OAuth settings configuration" in p for p in problems(result))


def test_auto_created_policy_then_differently_named_policy_is_a_duplicate(salesforce_org, soap):
    cert = B.key_pair(0)[1]
    B.deploy_ok(soap, B.eca_files("Eca", cert, "EcaKey000001", with_policies=False))
    app = salesforce_org.app("Eca")
    assert app["components"]["ExtlClntAppOauthConfigurablePolicies"] == "Eca_oauth_defaultPolicy"
    assert app["permitted_users_policy"] == "AllSelfAuthorized"
    files = B.eca_files("Eca", cert, oauth_name="Eca_oauth")
    policy = files["ExtlClntAppOauthConfigurablePolicies"].pop("Eca_oauth_defaultPolicy")
    files["ExtlClntAppOauthConfigurablePolicies"]["MyPolicy"] = policy
    del files["ExtlClntAppConfigurablePolicies"]
    result = soap.deploy_and_wait(
        B.bundle({"ExtlClntAppOauthConfigurablePolicies": files["ExtlClntAppOauthConfigurablePolicies"]})
    )
    assert problems(result) == [
        "duplicate value found: ExternalClientApplicationId duplicates value on Eca_oauth_defaultPolicy"
    ]


def test_eca_update_keeps_the_original_consumer_key(salesforce_org, soap):
    cert = B.key_pair(0)[1]
    B.deploy_ok(soap, B.eca_files("Eca", cert, "EcaKey000001"))
    B.deploy_ok(soap, B.eca_files("Eca", cert, "DifferentKey9"))
    assert salesforce_org.app("Eca")["consumer_key"] == "EcaKey000001"


def test_invalid_eca_scope_lists_the_valid_values(soap):
    result = soap.deploy_and_wait(B.bundle(B.eca_files("Eca", B.key_pair(0)[1], "EcaKey000001", scopes="Api, Bogus")))
    assert any(
        p.startswith("'Bogus' is not a valid OAuth scope. Valid values are: Basic, Api") for p in problems(result)
    )


@pytest.mark.parametrize("kind", ["ConnectedApp", "ECA"])
def test_referenced_permission_set_must_exist(salesforce_org, soap, kind):
    cert = B.key_pair(0)[1]
    if kind == "ConnectedApp":
        salesforce_org.settings(allow_connected_app_creation=True)
        files = {"ConnectedApp": {"App": B.connected_app(cert, "AKey00000001", permission_sets=["Missing"])}}
        expected = "In field: permissionSetName - no PermissionSet named Missing found"
    else:
        files = B.eca_files("Eca", cert, "EcaKey000001", permission_sets=["Missing"])
        expected = "In field: commaSeparatedPermissionSet - no PermissionSet named Missing found"
    assert expected in problems(soap.deploy_and_wait(B.bundle(files)))
    files["PermissionSet"] = {"Missing": B.permission_set()}
    B.deploy_ok(soap, files)


def test_rollback_on_error_is_honoured(salesforce_org, soap):
    bundle = B.bundle(
        {"PermissionSet": {"Good": B.permission_set()}, "ConnectedApp": {"Blocked": B.connected_app(None)}}
    )
    result = soap.deploy_and_wait(bundle, rollbackOnError=True)
    assert (field(result, "status"), field(result, "numberComponentsDeployed")) == ("Failed", "0")
    assert soap.read("PermissionSet", "Good")[0].get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    partial = soap.deploy_and_wait(bundle, rollbackOnError=False)
    assert (field(partial, "status"), field(partial, "numberComponentsDeployed")) == ("SucceededPartial", "1")
    assert soap.read("PermissionSet", "Good")[0].findtext(f"{{{MD}}}label") == "JWT Access"


def test_deploy_stays_in_progress_for_deploy_seconds(salesforce_org, soap):
    salesforce_org.settings(deploy_seconds=30)
    job = soap.deploy(B.bundle({"PermissionSet": {"Later": B.permission_set()}}))
    pending = soap.status(job)
    assert (field(pending, "done"), field(pending, "status")) == ("false", "InProgress")
    assert not soap.read("PermissionSet", "Later")[0].findtext(f"{{{MD}}}label")
    salesforce_org.advance_clock(31)
    done = soap.status(job)
    assert (field(done, "done"), field(done, "status")) == ("true", "Succeeded")


@pytest.mark.parametrize(
    "xml, expected",
    [
        (
            f'<ConnectedApp xmlns="{MD}"><label>x</label><contactEmail>a@b.c</contactEmail></ConnectedApp>',
            f"Error parsing file: Element {{{MD}}}label invalid at this location in type ConnectedApp",
        ),
        (
            f'<ConnectedApp xmlns="{MD}"><contactEmail>a@b.c</contactEmail></ConnectedApp>',
            "Required field is missing: label",
        ),
        (
            f'<ConnectedApp xmlns="{MD}"><contactEmail>a</contactEmail><label>x</label><oauthConfig><callbackUrl>u</callbackUrl>'
            "<scopes>Everything</scopes></oauthConfig></ConnectedApp>",
            "Error parsing file: 'Everything' is not a valid value for the enum 'ConnectedAppOauthAccessScope'",
        ),
        (
            f'<ConnectedApp xmlns="{MD}"><contactEmail>a</contactEmail><label>x</label><oauthConfig><callbackUrl>u</callbackUrl>'
            "<isAdminApproved>yes</isAdminApproved></oauthConfig></ConnectedApp>",
            "Error parsing file: 'yes' is not valid for the type xsd:boolean in element isAdminApproved",
        ),
        ("<ConnectedApp><unclosed></ConnectedApp>", "Error parsing file: "),
    ],
)
def test_components_are_validated_against_the_wsdl_schema(salesforce_org, soap, xml, expected):
    salesforce_org.settings(allow_connected_app_creation=True)
    result = soap.deploy_and_wait(B.bundle({"ConnectedApp": {"Bad": xml}}))
    assert field(result, "status") == "Failed"
    assert failures(result)[0][0] == "connectedApps/Bad.connectedApp"
    assert failures(result)[0][1].startswith(expected)


@pytest.mark.parametrize(
    "zip_bytes, expected",
    [
        (b"PK\x03\x04 definitely not a zip", "Error reading zip file"),
        (B.bundle({}, extra_files={}).replace(b"package.xml", b"packagX.xml"), "No package.xml found"),
    ],
)
def test_broken_zips_fail_the_deploy_cleanly(soap, zip_bytes, expected):
    result = soap.deploy_and_wait(zip_bytes)
    assert field(result, "status") == "Failed" and field(result, "done") == "true"
    assert field(result, "errorMessage").startswith(expected)
    assert problems(result)[0].startswith(expected)


def test_manifest_problems(soap):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "package.xml",
            f'<Package xmlns="{MD}"><types><members>Ghost</members><name>PermissionSet</name>'
            "</types><version>63.0</version></Package>",
        )
    assert problems(soap.deploy_and_wait(buffer.getvalue())) == [
        "An object 'Ghost' of type PermissionSet was named in package.xml, but was not found in zipped directory"
    ]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(
            "package.xml", f'<Package xmlns="{MD}"><types><members>X</members><name>Gadget</name></types></Package>'
        )
    assert problems(soap.deploy_and_wait(buffer.getvalue())) == ["Unknown type name 'Gadget' specified in package.xml"]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("package.xml", "<Package><types>")
    assert problems(soap.deploy_and_wait(buffer.getvalue()))[0].startswith("Error parsing file:")


def test_folder_layout_without_single_package_and_directory_entries(salesforce_org, soap):
    zip_bytes = B.bundle(
        {"PermissionSet": {"Nested": B.permission_set()}},
        prefix="unpackaged/",
        extra_files={"unpackaged/permissionsets/": b""},
    )
    job = soap.deploy(zip_bytes, singlePackage=False)
    assert field(soap.status(job), "status") == "Succeeded"


def test_invalid_base64_is_a_client_fault(soap):
    response = soap.call("<deploy><ZipFile>!!!not base64!!!</ZipFile><DeployOptions/></deploy>")
    assert response.status_code == 500
    assert b"<faultcode>soapenv:Client</faultcode>" in response.content


@pytest.mark.parametrize(
    "body, code",
    [
        (b"", b"soapenv:Client"),
        (b"<not-closed", b"soapenv:Client"),
        (b"<Envelope/>", b"soapenv:VersionMismatch"),
        (f'<e:Envelope xmlns:e="{B.SOAP}"><e:Body/></e:Envelope>'.encode(), b"soapenv:Client"),
        (b'<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;">]><x>&b;</x>', b"soapenv:"),
    ],
)
def test_malformed_soap_gets_a_clear_fault(soap, body, code):
    response = soap.post_raw(body)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>" + code in response.content


def test_unknown_operation_and_type_faults(soap):
    response = soap.call("<renameMetadata><type>ConnectedApp</type></renameMetadata>")
    assert response.status_code == 500 and b"No operation available for request" in response.content
    response = soap.call("<readMetadata><type>Gadget</type><fullNames>x</fullNames></readMetadata>")
    assert b"<faultcode>sf:INVALID_TYPE</faultcode>" in response.content
    response = soap.call("<checkDeployStatus><asyncProcessId>0Af000000000000AAA</asyncProcessId></checkDeployStatus>")
    assert b"INVALID_CROSS_REFERENCE_KEY" in response.content


def test_invalid_session_and_non_admin_faults(salesforce_org, soap):
    response = B.Soap(salesforce_org, token="00Dbogus!token").call("<listMetadata/>")
    assert response.status_code == 500
    assert b"<faultcode>sf:INVALID_SESSION_ID</faultcode>" in response.content
    assert b"INVALID_SESSION_ID: Invalid Session ID found in SessionHeader: Illegal Session" in response.content
    key, ck = B.jwt_app(salesforce_org, soap)
    token = B.token_request(
        salesforce_org, B.assertion(key, ck, salesforce_org.integration_username, salesforce_org.instance_url)
    ).json()["access_token"]
    response = B.Soap(salesforce_org, token=token).call("<listMetadata/>")
    assert b"sf:INSUFFICIENT_ACCESS" in response.content


def test_unsupported_api_version_fault(salesforce_org):
    response = B.Soap(salesforce_org, version="99.0").call("<listMetadata/>")
    assert b"UNSUPPORTED_API_VERSION" in response.content


def test_list_read_delete_round_trip(salesforce_org, soap):
    B.deploy_ok(soap, {"PermissionSet": {"A": B.permission_set("A"), "B": B.permission_set("B")}})
    listed = soap.result(
        "<listMetadata><queries><type>PermissionSet</type></queries><asOfVersion>63.0</asOfVersion></listMetadata>"
    )
    assert [r.findtext(f"{{{MD}}}fullName") for r in listed] == ["A", "B"]
    assert listed[0].findtext(f"{{{MD}}}fileName") == "permissionsets/A.permissionset"
    records = soap.read("PermissionSet", "A", "Nope")
    assert records[0].get("{http://www.w3.org/2001/XMLSchema-instance}type") == "PermissionSet"
    assert records[0].findtext(f"{{{MD}}}fullName") == "A"
    assert records[1].get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true"
    deleted = soap.result(
        "<deleteMetadata><type>PermissionSet</type><fullNames>A</fullNames><fullNames>Zed</fullNames></deleteMetadata>"
    )
    assert [d.findtext(f"{{{MD}}}success") for d in deleted] == ["true", "false"]
    assert soap.result("<listMetadata><queries><type>ExternalClientApplication</type></queries></listMetadata>") == []


def test_read_metadata_never_returns_the_consumer_secret(salesforce_org, soap):
    salesforce_org.settings(allow_connected_app_creation=True)
    xml = B.connected_app(B.key_pair(0)[1], "SecretKey001").replace(
        "<isAdminApproved>", "<consumerSecret>TopSecretValue123</consumerSecret><isAdminApproved>"
    )
    B.deploy_ok(soap, {"ConnectedApp": {"App": xml}})
    record = etree.tostring(soap.read("ConnectedApp", "App")[0])
    assert b"TopSecretValue123" not in record and b"SecretKey001" in record


@pytest.mark.parametrize("single, prefix", [("true", ""), ("false", "unpackaged/")])
def test_retrieve_layout_follows_single_package(salesforce_org, soap, single, prefix):
    B.deploy_ok(soap, {"PermissionSet": {"Access": B.permission_set()}})
    started = soap.result(
        f"<retrieve><request><apiVersion>63.0</apiVersion><singlePackage>{single}</singlePackage>"
        "<unpackaged><types><members>Access</members><members>Ghost</members><name>PermissionSet</name></types>"
        "</unpackaged></request></retrieve>"
    )
    job = started[0].findtext(f"{{{MD}}}id")
    assert job.startswith("09S") and len(job) == 18
    result = soap.result(f"<checkRetrieveStatus><asyncProcessId>{job}</asyncProcessId></checkRetrieveStatus>")[0]
    assert result.findtext(f"{{{MD}}}status") == "Succeeded"
    names = zipfile.ZipFile(io.BytesIO(base64.b64decode(result.findtext(f"{{{MD}}}zipFile")))).namelist()
    assert sorted(names) == sorted([f"{prefix}package.xml", f"{prefix}permissionsets/Access.permissionset"])
    assert "Entity of type 'PermissionSet' named 'Ghost' cannot be found" in etree.tostring(result).decode()


def test_injected_faults_on_deploy_and_check(salesforce_org, soap):
    salesforce_org.fault("deploy", 503, count=1)
    response = soap.call(f"<deploy><ZipFile>{base64.b64encode(B.bundle({})).decode()}</ZipFile></deploy>")
    assert response.status_code == 503
    salesforce_org.fault("checkDeployStatus", 500, count=1)
    job = soap.deploy(B.bundle({"PermissionSet": {"P": B.permission_set()}}))
    response = soap.call(f"<checkDeployStatus><asyncProcessId>{job}</asyncProcessId></checkDeployStatus>")
    assert response.status_code == 500 and b"sf:UNKNOWN_EXCEPTION" in response.content
    assert field(soap.status(job), "status") == "Succeeded"


def _deploy_with_test_level(soap, level: str):
    encoded = base64.b64encode(B.bundle({"PermissionSet": {"P": B.permission_set()}})).decode()
    return soap.call(
        f"<deploy><ZipFile>{encoded}</ZipFile><DeployOptions><rollbackOnError>true</rollbackOnError>"
        f"<singlePackage>true</singlePackage><testLevel>{level}</testLevel></DeployOptions></deploy>"
    )


@pytest.mark.parametrize(
    "edition, refused", [("production", True), ("sandbox", False), ("developer", False), ("scratch", False)]
)
def test_no_test_run_is_refused_by_production_orgs_only(salesforce_org, soap, edition, refused):
    salesforce_org.settings(edition=edition)
    response = _deploy_with_test_level(soap, "NoTestRun")
    if refused:
        assert response.status_code == 500
        assert b"<faultcode>sf:INVALID_OPERATION</faultcode>" in response.content
        assert (
            b"<faultstring>INVALID_OPERATION: testLevel of NoTestRun cannot be used in production "
            b"organizations</faultstring>"
        ) in response.content
        assert salesforce_org.deploys() == []  # refused at the call: no deploy job
    else:
        assert response.status_code == 200 and len(salesforce_org.deploys()) == 1


def test_other_test_levels_and_no_test_level_deploy_in_production(salesforce_org, soap):
    assert _deploy_with_test_level(soap, "RunLocalTests").status_code == 200
    B.deploy_ok(soap, {"PermissionSet": {"Q": B.permission_set()}})  # no testLevel at all
    response = _deploy_with_test_level(soap, "RunNothing")
    assert response.status_code == 500 and b"not a valid value for the enum 'TestLevel'" in response.content


def test_retrieve_and_read_give_the_read_back_forms(salesforce_org, soap):
    cert = B.key_pair(0)[1]
    B.deploy_ok(soap, B.eca_files("Back", cert, "BackKey000000001"))
    started = soap.result(
        "<retrieve><request><apiVersion>63.0</apiVersion><singlePackage>true</singlePackage>"
        "<unpackaged><types><members>Back_glbloauth</members><name>ExtlClntAppGlobalOauthSettings"
        "</name></types></unpackaged></request></retrieve>"
    )
    job = started[0].findtext(f"{{{MD}}}id")
    result = soap.result(f"<checkRetrieveStatus><asyncProcessId>{job}</asyncProcessId></checkRetrieveStatus>")[0]
    archive = zipfile.ZipFile(io.BytesIO(base64.b64decode(result.findtext(f"{{{MD}}}zipFile"))))
    stored = etree.fromstring(archive.read("extlClntAppGlobalOauthSets/Back_glbloauth.ecaGlblOauth"))
    assert base64.b64decode(stored.findtext(f"{{{MD}}}certificate")) == B.der(cert)
    assert stored.find(f"{{{MD}}}consumerKey") is None
    salesforce_org.settings(certificate_readback="pem", consumer_secret_api_access=True)
    salesforce_org.grant(salesforce_org.admin_username, "ViewClientSecret")
    record = soap.read("ExtlClntAppGlobalOauthSettings", "Back_glbloauth")[0]
    assert record.findtext(f"{{{MD}}}certificate").strip() == cert.strip()
    assert record.findtext(f"{{{MD}}}consumerKey") == "BackKey000000001"
    assert salesforce_org.app("Back")["consumer_key"] == "BackKey000000001"  # the org always knows it
