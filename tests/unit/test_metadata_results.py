"""DeployResult parsing, readable failure messages, the Spring '26 block and re-run planning (no network)."""

from __future__ import annotations

import pytest
from lxml import etree

from components.salesforce.bundle import CONNECTED_APP, ECA, AppSpec, build_bundle
from components.salesforce.metadata_api import (
    SPRING_26_HINT,
    ConnectedAppCreationBlocked,
    DeployFailed,
    PollPolicy,
    describe_failure,
    is_connected_app_blocked,
    parse_deploy_result,
    plan_spec,
)
from components.salesforce.soap import envelope
from tests.fixtures.aws import generated_key_pair

CERT = generated_key_pair(0)[1]
BLOCKED = "You can't create a connected app. To enable connected app creation, contact Salesforce Customer Support."


def deploy_result(body: str) -> etree._Element:
    xml = (
        '<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        'xmlns="http://soap.sforce.com/2006/04/metadata"><soapenv:Body><checkDeployStatusResponse><result>'
        f"{body}</result></checkDeployStatusResponse></soapenv:Body></soapenv:Envelope>"
    )
    return etree.fromstring(xml.encode()).find(".//{http://soap.sforce.com/2006/04/metadata}result")


FAILED = f"""<checkOnly>false</checkOnly><createdBy>005</createdBy><createdByName>Admin</createdByName>
<createdDate>2026-03-02T10:15:01.000Z</createdDate><details>
<componentFailures><changed>false</changed><componentType>ConnectedApp</componentType><created>false</created>
<createdDate>2026-03-02T10:15:06.000Z</createdDate><deleted>false</deleted>
<fileName>connectedApps/Acme_JWT.connectedApp</fileName><fullName>Acme_JWT</fullName>
<problem>{BLOCKED}</problem><problemType>Error</problemType><success>false</success></componentFailures>
<componentFailures><changed>false</changed><componentType>PermissionSet</componentType><created>false</created>
<createdDate>2026-03-02T10:15:06.000Z</createdDate><deleted>false</deleted>
<fileName>permissionsets/Acme_Access.permissionset</fileName><fullName>Acme_Access</fullName>
<problem>Error parsing file: Element {{http://soap.sforce.com/2006/04/metadata}}foo invalid at this location in type PermissionSet</problem>
<problemType>Error</problemType><success>false</success></componentFailures>
</details><done>true</done><id>0Af5g00000AbCdECAV</id><ignoreWarnings>false</ignoreWarnings>
<numberComponentErrors>2</numberComponentErrors><numberComponentsDeployed>0</numberComponentsDeployed>
<numberComponentsTotal>2</numberComponentsTotal><numberTestErrors>0</numberTestErrors>
<numberTestsCompleted>0</numberTestsCompleted><numberTestsTotal>0</numberTestsTotal>
<rollbackOnError>true</rollbackOnError><runTestsEnabled>false</runTestsEnabled><status>Failed</status>
<success>false</success>"""


def test_failed_deploy_result_is_parsed_and_described_per_component() -> None:
    result = parse_deploy_result(deploy_result(FAILED))
    assert (result.id, result.done, result.status, result.success) == ("0Af5g00000AbCdECAV", True, "Failed", False)
    assert (result.number_component_errors, result.number_components_total) == (2, 2)
    assert [f.full_name for f in result.failures] == ["Acme_JWT", "Acme_Access"]
    message = describe_failure(result)
    assert message.splitlines()[0] == "Metadata deploy 0Af5g00000AbCdECAV Failed"
    assert f"  - ConnectedApp Acme_JWT (connectedApps/Acme_JWT.connectedApp): {BLOCKED}" in message
    assert "  - PermissionSet Acme_Access (permissionsets/Acme_Access.permissionset): Error parsing file" in message


def test_spring_26_block_is_recognised_and_tells_the_user_to_switch_app_kind() -> None:
    result = parse_deploy_result(deploy_result(FAILED))
    assert is_connected_app_blocked(result)
    error = ConnectedAppCreationBlocked(result)
    assert isinstance(error, DeployFailed)
    assert "appKind: external-client-app" in str(error) and SPRING_26_HINT in str(error)
    other = parse_deploy_result(deploy_result(FAILED.replace(BLOCKED, "Missing required field")))
    assert not is_connected_app_blocked(other)


def test_whole_deploy_errors_and_successes_are_kept() -> None:
    body = (
        "<details><componentSuccesses><changed>true</changed><componentType>ConnectedApp</componentType>"
        "<created>true</created><deleted>false</deleted><fileName>connectedApps/A.connectedApp</fileName>"
        "<fullName>A</fullName><success>true</success></componentSuccesses><componentSuccesses><changed>true"
        "</changed><componentType></componentType><created>false</created><deleted>false</deleted>"
        "<fileName>package.xml</fileName><fullName>package.xml</fullName><success>true</success>"
        "</componentSuccesses></details><done>true</done><id>0Af1</id><status>Succeeded</status>"
        "<success>true</success>"
    )
    ok = parse_deploy_result(deploy_result(body))
    assert ok.success and ok.created == ("A",)
    broken = parse_deploy_result(
        deploy_result(
            "<done>true</done><errorMessage>No package.xml found</errorMessage><errorStatusCode>UNKNOWN_EXCEPTION"
            "</errorStatusCode><id>0Af2</id><status>Failed</status><success>false</success>"
        )
    )
    assert "UNKNOWN_EXCEPTION: No package.xml found" in describe_failure(broken)


def spec(kind: str, **changes: object) -> AppSpec:
    return AppSpec(
        kind=kind,
        name="Acme",
        label="Acme",
        contact_email="a@example.com",  # type: ignore[arg-type]
        certificate_pem=CERT,
        permission_sets=("Ops",),
        consumer_key="AcmeKey12345",
        **changes,
    )  # type: ignore[arg-type]


def test_create_keeps_the_consumer_key_update_never_sends_it() -> None:
    assert plan_spec(spec(ECA), None).consumer_key == "AcmeKey12345"
    for kind in (ECA, CONNECTED_APP):
        planned = plan_spec(spec(kind), {"ConnectedApp": "Acme", "ExternalClientApplication": "Acme"})
        assert planned.consumer_key is None
        assert b"consumerKey" not in build_bundle(planned).zip_bytes


def test_update_reuses_existing_eca_component_names() -> None:
    existing = {
        "ExternalClientApplication": "Acme",
        "ExtlClntAppGlobalOauthSettings": "Acme_glbloauth",
        "ExtlClntAppOauthSettings": "Acme_oauth",
        "ExtlClntAppOauthConfigurablePolicies": "Acme_oauth_plcy_auto",
        "ExtlClntAppConfigurablePolicies": "Acme_plcy_auto",
    }
    members = build_bundle(plan_spec(spec(ECA), existing)).members
    assert members["ExtlClntAppOauthConfigurablePolicies"] == ("Acme_oauth_plcy_auto",)
    assert members["ExtlClntAppConfigurablePolicies"] == ("Acme_plcy_auto",)


def test_soap_envelope_carries_the_session_header() -> None:
    from components.salesforce.soap import element

    root = etree.fromstring(
        envelope(
            "00D!X",
            element("checkDeployStatus", element("asyncProcessId", text="0Af1"), element("includeDetails", text=True)),
        )
    )
    ns = {"s": "http://schemas.xmlsoap.org/soap/envelope/", "m": "http://soap.sforce.com/2006/04/metadata"}
    assert root.findtext("s:Header/m:SessionHeader/m:sessionId", namespaces=ns) == "00D!X"
    assert root.findtext("s:Body/m:checkDeployStatus/m:includeDetails", namespaces=ns) == "true"


def test_poll_policy_rejects_nonsense() -> None:
    with pytest.raises(ValueError, match="poll"):
        PollPolicy(initial=0)
