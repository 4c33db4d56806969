"""Each dynamic provider through the SDK's own provider host (`python -m pulumi.dynamic`) over gRPC.

This is how the engine runs them in production: the provider is pickled by reference, unpickled in a
separate process started in the project root, configured with the stack config, and called with
plain (secret-stripped) properties. Real services behind: moto server and the org emulator.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from pulumi.dynamic.dynamic import serialize_provider

from components.credentials import AWSCURRENT, AWSPENDING, CredentialStore
from components.providers.app_deployment import AppDeploymentProvider
from components.providers.credential_version import CredentialVersionProvider
from components.providers.promotion import PromotionProvider
from components.providers.verification import VerificationProvider
from components.rollout import consumer_key_for
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.dynamic_host import DynamicHost, ProviderError

ROOT = Path(__file__).resolve().parents[2]
TYPE = "pulumi-python:dynamic/salesforce-jwt:{}"
SECRET = "salesforce/jwt/test/Host_JWT"


def urn(kind: str) -> str:
    return f"urn:pulumi:test::salesforce-jwt::{TYPE.format(kind)}::host-{kind.lower()}"


@pytest.fixture
def host(aws, salesforce_org):
    """A provider host configured like the engine does: stack config incl. the deployer secret."""
    config = {
        "salesforce-jwt:deployerAccessToken": salesforce_org.admin_access_token,
        "salesforce-jwt:deployerInstanceUrl": salesforce_org.instance_url,
    }
    env = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "PULUMI_PROJECT": "salesforce-jwt"}
    process = DynamicHost(ROOT, "salesforce-jwt", config, env)
    try:
        yield process
    finally:
        process.close()


def app_props(org, key_index: int = 0) -> dict:
    return {
        "__provider": serialize_provider(AppDeploymentProvider()),
        "login_url": org.login_url,
        "ca_bundle": org.ca_bundle,
        "api_version": "63.0",
        "aws_region": "us-east-1",
        "deploy_timeout_seconds": 60,
        "app_name": "Host_JWT",
        "app_label": "Host JWT",
        "app_kind": "external-client-app",
        "slot": "a",
        "description": "",
        "contact_email": "admin@example.com",
        "scopes": ["Api", "RefreshToken"],
        "permission_set_name": "Host_JWT_Access",
        "permission_sets": ["Host_JWT_Access"],
        "profiles": [],
        "pre_authorized": True,
        "integration_username": org.integration_username,
        "delete_on_destroy": False,
        "stack": "test",
        "certificate_pem": generated_key_pair(key_index)[1],
    }


def credential_props(aws, org, consumer_key: str, key_index: int = 0) -> dict:
    key_pem, cert_pem, _ = generated_key_pair(key_index)
    return {
        "__provider": serialize_provider(CredentialVersionProvider()),
        "secret_name": SECRET,
        "aws_region": aws.region,
        "aws_endpoint_url": aws.endpoint_url,
        "tags": {"team": "integrations"},
        "recovery_window_days": 7,
        "description": "test credential",
        "private_key_pem": key_pem,
        "certificate_pem": cert_pem,
        "consumer_key": consumer_key,
        "username": org.integration_username,
        "login_url": org.login_url,
        "audience": org.login_url,
        "token_url": f"{org.login_url}/services/oauth2/token",
        "app_name": "Host_JWT",
        "app_kind": "external-client-app",
    }


def test_every_provider_unpickles_in_the_host(host):
    for kind, provider in [
        ("AppDeployment", AppDeploymentProvider()),
        ("CredentialVersion", CredentialVersionProvider()),
        ("Verification", VerificationProvider()),
        ("Promotion", PromotionProvider()),
    ]:
        inputs, failures = host.check(
            urn(kind), TYPE.format(kind), "x", {}, {"__provider": serialize_provider(provider), "a": 1}
        )
        assert failures == [] and inputs["a"] == 1


def test_full_rollout_through_the_host(host, aws, salesforce_org):
    app_id, app = host.create(urn("AppDeployment"), TYPE.format("AppDeployment"), "app", app_props(salesforce_org))
    # configure() gave the deployer; the key is derived from the deployer session's org id
    assert app["consumer_key"] == consumer_key_for("test", "Host_JWT", salesforce_org.org_id)
    cred_id, cred = host.create(
        urn("CredentialVersion"),
        TYPE.format("CredentialVersion"),
        "cred",
        credential_props(aws, salesforce_org, app["consumer_key"]),
    )
    store = CredentialStore(SECRET, aws.region, aws.endpoint_url)
    assert cred["version_id"] in store.versions()
    verification = {
        "__provider": serialize_provider(VerificationProvider()),
        "secret_name": SECRET,
        "aws_region": aws.region,
        "aws_endpoint_url": aws.endpoint_url,
        "version_id": cred["version_id"],
        "ca_bundle": salesforce_org.ca_bundle,
        "api_version": "63.0",
        "budget_seconds": 30,
        "app": {k: v for k, v in app_props(salesforce_org).items() if k != "__provider"},
    }
    _, verified = host.create(urn("Verification"), TYPE.format("Verification"), "verify", verification)
    assert verified["verified_username"] == salesforce_org.integration_username and verified["attempts"] >= 1
    promotion = {
        "__provider": serialize_provider(PromotionProvider()),
        "secret_name": SECRET,
        "aws_region": aws.region,
        "aws_endpoint_url": aws.endpoint_url,
        "version_id": cred["version_id"],
        "verified_at": verified["verified_at"],
    }
    _, promoted = host.create(urn("Promotion"), TYPE.format("Promotion"), "promote", promotion)
    assert store.describe().version_for(AWSCURRENT) == promoted["current_version_id"] == cred["version_id"]
    assert store.describe().version_for(AWSPENDING) is None


def test_read_reports_drift_and_deletion(host, aws, salesforce_org):
    props = app_props(salesforce_org)
    app_id, app = host.create(urn("AppDeployment"), TYPE.format("AppDeployment"), "app", props)
    salesforce_org.patch_app("Host_JWT", certificate_pem=generated_key_pair(1)[1])
    _, live, _ = host.read(urn("AppDeployment"), TYPE.format("AppDeployment"), app_id, app, props)
    assert live["certificate_fingerprint"] != app["certificate_fingerprint"]
    diff = host.diff(urn("AppDeployment"), TYPE.format("AppDeployment"), app_id, live, props, props)
    assert diff.changes == "some" and diff.replaces == []

    cred_props = credential_props(aws, salesforce_org, app["consumer_key"])
    cred_id, cred = host.create(urn("CredentialVersion"), TYPE.format("CredentialVersion"), "cred", cred_props)
    host.delete(urn("CredentialVersion"), TYPE.format("CredentialVersion"), cred_id, cred, cred_props)
    _, after, _ = host.read(urn("CredentialVersion"), TYPE.format("CredentialVersion"), cred_id, cred, cred_props)
    assert after["scheduled_for_deletion"] is True


def test_provider_errors_carry_the_message_not_secrets(host, aws, salesforce_org):
    props = {**app_props(salesforce_org), "integration_username": "nobody@example.com"}
    with pytest.raises(ProviderError) as error:
        host.create(urn("AppDeployment"), TYPE.format("AppDeployment"), "app", props)
    assert "nobody@example.com" in str(error.value)
    assert salesforce_org.admin_access_token not in str(error.value)


def test_adopting_an_existing_eca_whose_key_salesforce_hides(host, salesforce_org):
    """Issue 9, point 4: an app this stack did not create needs `existingConsumerKeys`; refresh keeps the key."""
    from components.salesforce.bundle import ECA, PermissionSetSpec
    from tests.fixtures.salesforce_apps import app_spec, client

    client(salesforce_org).deploy_app(
        app_spec(
            ECA,
            key_index=1,  # its own certificate: one holding this stack's would be a killed run's, taken over
            name="Host_JWT",
            consumer_key="AdoptedKey000001",
            access_permission_set=PermissionSetSpec("Host_JWT_Access", "Host"),
        )
    )
    deploys = salesforce_org.calls()["deploy"]
    with pytest.raises(ProviderError, match="existingConsumerKeys.*Allow Access to OAuth Consumer Secrets"):
        host.create(urn("AppDeployment"), TYPE.format("AppDeployment"), "app", app_props(salesforce_org))
    assert salesforce_org.calls()["deploy"] == deploys  # refused before deploying anything
    props = {**app_props(salesforce_org), "existing_consumer_key": "AdoptedKey000001"}
    app_id, app = host.create(urn("AppDeployment"), TYPE.format("AppDeployment"), "app", props)
    assert app["consumer_key"] == "AdoptedKey000001"
    _, live, _ = host.read(urn("AppDeployment"), TYPE.format("AppDeployment"), app_id, app, props)
    assert live["consumer_key"] == "AdoptedKey000001"  # hidden by Salesforce, known to the stack: not drift
