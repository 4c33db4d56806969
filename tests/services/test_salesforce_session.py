"""Deployer sessions against the org emulator (and moto for a key kept in Secrets Manager)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.salesforce.bundle import ECA
from components.salesforce.metadata_api import MetadataClient
from components.salesforce.session import (
    AccessTokenAuth,
    JwtAuth,
    KeyFile,
    RefreshTokenAuth,
    SecretsManagerKey,
    SessionError,
    SoapLoginAuth,
    open_session,
)
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.salesforce_apps import app_spec, client

DEPLOYER_KEY = "DeployerAppKey01"


@pytest.fixture
def deployer_app(salesforce_org):
    """An admin app (pre-authorized for System Administrator) the deployer logs in through."""
    client(salesforce_org).deploy_app(
        app_spec(
            ECA,
            name="Deployer_App",
            key_index=2,
            consumer_key=DEPLOYER_KEY,
            access_permission_set=None,
            profiles=("System Administrator",),
        )
    )
    return generated_key_pair(2)[0]


def test_access_token_session_identifies_user_and_org(salesforce_org) -> None:
    session = open_session(
        AccessTokenAuth(salesforce_org.instance_url, salesforce_org.admin_access_token),
        ca_bundle=salesforce_org.ca_bundle,
    )
    assert (session.username, session.org_id) == (salesforce_org.admin_username, salesforce_org.org_id)
    assert salesforce_org.admin_access_token not in repr(session)


def test_refused_access_token_says_to_get_a_new_one(salesforce_org) -> None:
    with pytest.raises(SessionError, match="expired, revoked or for another org") as caught:
        open_session(AccessTokenAuth(salesforce_org.instance_url, "00Dbogus!token"), ca_bundle=salesforce_org.ca_bundle)
    assert "00Dbogus" not in str(caught.value)


def test_jwt_deployer_with_key_file_can_deploy(salesforce_org, deployer_app: str, tmp_path: Path) -> None:
    key_file = tmp_path / "deployer.pem"
    key_file.write_text(deployer_app)
    auth = JwtAuth(
        login_url=salesforce_org.instance_url,
        consumer_key=DEPLOYER_KEY,
        username=salesforce_org.admin_username,
        key=KeyFile(key_file),
    )
    session = open_session(auth, ca_bundle=salesforce_org.ca_bundle)
    assert session.username == salesforce_org.admin_username and session.org_id == salesforce_org.org_id
    assert MetadataClient(session).read_app("Deployer_App", ECA) is not None


def test_jwt_deployer_with_key_in_secrets_manager(salesforce_org, deployer_app: str, aws) -> None:
    aws.client("secretsmanager").create_secret(
        Name="deployer-key", SecretString=json.dumps({"private_key_pem": deployer_app})
    )
    key = SecretsManagerKey("deployer-key", region=aws.region, endpoint_url=aws.endpoint_url)
    session = open_session(
        JwtAuth(salesforce_org.instance_url, DEPLOYER_KEY, salesforce_org.admin_username, key),
        ca_bundle=salesforce_org.ca_bundle,
    )
    assert session.username == salesforce_org.admin_username


def test_jwt_deployer_refused_names_what_to_check(salesforce_org, deployer_app: str, aws) -> None:
    aws.client("secretsmanager").create_secret(Name="wrong-key", SecretString=generated_key_pair(3)[0])
    key = SecretsManagerKey("wrong-key", region=aws.region, endpoint_url=aws.endpoint_url)
    with pytest.raises(
        SessionError, match="deployer JWT login refused .*invalid assertion.*SF_JWT_CONSUMER_KEY"
    ) as caught:
        open_session(
            JwtAuth(salesforce_org.instance_url, DEPLOYER_KEY, salesforce_org.admin_username, key),
            ca_bundle=salesforce_org.ca_bundle,
        )
    assert "PRIVATE KEY" not in str(caught.value)
    with pytest.raises(SessionError, match="jwt key secret 'absent'"):
        SecretsManagerKey("absent", region=aws.region, endpoint_url=aws.endpoint_url).load()


def test_refresh_token_refusal_is_reported(salesforce_org) -> None:
    auth = RefreshTokenAuth.from_sfdx_auth_url(f"force://PlatformCLI::5Aep-refresh@{salesforce_org.instance_url[8:]}")
    with pytest.raises(SessionError, match="refresh-token login refused") as caught:
        open_session(auth, ca_bundle=salesforce_org.ca_bundle)
    assert "5Aep-refresh" not in str(caught.value)


def test_a_token_endpoint_that_does_not_answer_is_not_a_refused_login(salesforce_org) -> None:
    """Issue 12: a 503 from the token endpoint says Salesforce did not answer, not that the
    credentials are wrong; a refusal names the settings actually read."""
    auth = RefreshTokenAuth.from_sfdx_auth_url(f"force://PlatformCLI::5Aep-refresh@{salesforce_org.instance_url[8:]}")
    salesforce_org.fault("token", 503, count=4)
    with pytest.raises(SessionError) as caught:
        open_session(auth, ca_bundle=salesforce_org.ca_bundle)
    message = str(caught.value)
    assert "no usable answer" in message and "HTTP 503" in message and "after 4 attempts" in message
    assert "refused" not in message and "5Aep-refresh" not in message
    salesforce_org.clear_faults()
    with pytest.raises(SessionError) as refused:
        open_session(auth, ca_bundle=salesforce_org.ca_bundle)
    assert "deployerAuthUrl (SFDX_AUTH_URL)" in str(refused.value) and "SF_AUTH_URL" not in str(refused.value)


def test_soap_login_endpoint_absent_is_a_clear_error(salesforce_org) -> None:
    auth = SoapLoginAuth(salesforce_org.instance_url, salesforce_org.admin_username, "secret-pw")
    with pytest.raises(SessionError, match="soap login") as caught:
        open_session(auth, ca_bundle=salesforce_org.ca_bundle)
    assert "secret-pw" not in str(caught.value)


def test_jwt_deployer_is_identified_without_userinfo(salesforce_org, deployer_app: str, tmp_path: Path) -> None:
    """Issue 9, point 2: the deployer app has Api + RefreshToken only; userinfo would be refused."""
    key_file = tmp_path / "deployer.pem"
    key_file.write_text(deployer_app)
    before = salesforce_org.calls()
    session = open_session(
        JwtAuth(salesforce_org.instance_url, DEPLOYER_KEY, salesforce_org.admin_username, KeyFile(key_file)),
        ca_bundle=salesforce_org.ca_bundle,
    )
    assert (session.org_id, session.username) == (salesforce_org.org_id, salesforce_org.admin_username)
    assert session.user_id and session.user_id.startswith("005")
    assert salesforce_org.calls().get("rest:userinfo", 0) == before.get("rest:userinfo", 0)


def test_access_token_without_identity_scope_names_the_scope(salesforce_org, deployer_app: str, tmp_path) -> None:
    from tests.fixtures import emulator_builders as B

    token = B.token_request(
        salesforce_org,
        B.assertion(deployer_app.encode(), DEPLOYER_KEY, salesforce_org.admin_username, salesforce_org.instance_url),
    ).json()["access_token"]
    with pytest.raises(SessionError, match="userinfo, which needs the id, openid or full scope") as caught:
        open_session(AccessTokenAuth(salesforce_org.instance_url, token), ca_bundle=salesforce_org.ca_bundle)
    assert token not in str(caught.value)


def test_a_ca_bundle_without_the_orgs_ca_is_named_not_asked_for(salesforce_org, monkeypatch) -> None:
    """Issue 12: a CA bundle that does not hold the org's CA was answered with "pass ca_bundle"."""
    import certifi

    for name in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE"):
        monkeypatch.delenv(name, raising=False)
    auth = AccessTokenAuth(salesforce_org.instance_url, salesforce_org.admin_access_token)
    with pytest.raises(SessionError) as wrong_bundle:
        open_session(auth, ca_bundle=certifi.where())
    assert f"the CA bundle {certifi.where()} does not hold the CA" in str(wrong_bundle.value)
    with pytest.raises(SessionError) as no_bundle:
        open_session(auth)
    assert "the system CAs do not trust" in str(no_bundle.value) and "salesforceCaBundle" in str(no_bundle.value)
