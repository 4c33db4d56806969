"""Every Metadata API response body validates against the WSDL's own schema (the contract clients parse)."""

from __future__ import annotations

import base64

import pytest
from lxml import etree

from emulator.salesforce.schema import shared_schema
from tests.fixtures import emulator_builders as B


def response_element(response) -> etree._Element:
    assert response.status_code == 200, response.text
    body = etree.fromstring(response.content).find(f"{{{B.SOAP}}}Body")
    return body[0]


@pytest.fixture
def soap(salesforce_org):
    soap = B.Soap(salesforce_org)
    B.jwt_app(salesforce_org, soap, kind="ECA", name="Eca")
    salesforce_org.settings(allow_connected_app_creation=True)
    B.deploy_ok(soap, {"ConnectedApp": {"Ca": B.connected_app(B.key_pair(1)[1], "CaKey0000001")}})
    return soap


def operations(soap) -> dict[str, str]:
    ok = base64.b64encode(B.bundle({"PermissionSet": {"Extra": B.permission_set()}})).decode()
    blocked = base64.b64encode(B.bundle({"ConnectedApp": {"Ca": B.connected_app(None, "CaKey0000001")}})).decode()
    good_job = soap.deploy(B.bundle({"PermissionSet": {"Extra": B.permission_set()}}))
    bad_job = soap.deploy(base64.b64decode(blocked))
    broken_job = soap.deploy(b"not a zip")
    retrieve = soap.result(
        "<retrieve><retrieveRequest><apiVersion>63.0</apiVersion><unpackaged><types><members>*</members>"
        "<name>ConnectedApp</name></types></unpackaged></retrieveRequest></retrieve>"
    )[0]
    retrieve_id = retrieve.findtext(f"{{{B.MD}}}id")
    return {
        "deploy": f"<deploy><ZipFile>{ok}</ZipFile><DeployOptions><rollbackOnError>true</rollbackOnError></DeployOptions></deploy>",
        "checkDeployStatus ok": f"<checkDeployStatus><asyncProcessId>{good_job}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>",
        "checkDeployStatus failed": f"<checkDeployStatus><asyncProcessId>{bad_job}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>",
        "readMetadata ConnectedApp": "<readMetadata><type>ConnectedApp</type><fullNames>Ca</fullNames></readMetadata>",
        "readMetadata ECA parts": "<readMetadata><type>ExtlClntAppGlobalOauthSettings</type><fullNames>Eca_glbloauth</fullNames></readMetadata>",
        "readMetadata policies": "<readMetadata><type>ExtlClntAppOauthConfigurablePolicies</type><fullNames>Eca_oauth_defaultPolicy</fullNames></readMetadata>",
        "checkDeployStatus broken zip": f"<checkDeployStatus><asyncProcessId>{broken_job}</asyncProcessId><includeDetails>true</includeDetails></checkDeployStatus>",
        "listMetadata": "<listMetadata><queries><type>PermissionSet</type></queries><queries><type>ExternalClientApplication</type></queries></listMetadata>",
        "deleteMetadata": "<deleteMetadata><type>PermissionSet</type><fullNames>Ghost</fullNames></deleteMetadata>",
        "retrieve": "<retrieve><retrieveRequest><apiVersion>63.0</apiVersion></retrieveRequest></retrieve>",
        "checkRetrieveStatus": f"<checkRetrieveStatus><asyncProcessId>{retrieve_id}</asyncProcessId><includeZip>true</includeZip></checkRetrieveStatus>",
        "describeMetadata": "<describeMetadata><asOfVersion>63.0</asOfVersion></describeMetadata>",
    }


def test_metadata_responses_validate_against_the_wsdl(soap):
    failures = {}
    for name, operation in operations(soap).items():
        errors = shared_schema().raw_errors(response_element(soap.call(operation)))
        if errors:
            failures[name] = errors
    assert failures == {}


def test_missing_read_is_the_nil_record_live_orgs_send_although_the_wsdl_forbids_it(soap):
    wrapper = response_element(
        soap.call("<readMetadata><type>ConnectedApp</type><fullNames>Nope</fullNames></readMetadata>")
    )
    record = wrapper.find(f"{{{B.MD}}}result/{{{B.MD}}}records")
    assert record.get("{http://www.w3.org/2001/XMLSchema-instance}nil") == "true" and len(record) == 0
    assert any("not 'nillable'" in e for e in shared_schema().raw_errors(wrapper))
