"""SalesforceJwtIntegrationArgs under Pulumi mocks: the same rules as stack config, every problem named
by its Args field before any resource, Outputs wired through and checked when they resolve."""

from __future__ import annotations

import pulumi
import pytest

from components.integration import SalesforceJwtIntegration, SalesforceJwtIntegrationArgs
from components.integration_args import config_key
from components.settings import load_settings
from tests.fixtures.mocks import by_type
from tests.fixtures.settings import BASE

ARGS = {
    "salesforce_login_url": BASE["salesforceLoginUrl"],
    "app_name": BASE["appName"],
    "contact_email": BASE["contactEmail"],
    "integration_username": BASE["integrationUsername"],
    "aws_region": BASE["awsRegion"],
}


def test_every_args_field_is_a_known_config_key():
    from components.settings import KNOWN_KEYS

    fields = SalesforceJwtIntegrationArgs.__dataclass_fields__
    assert {config_key(f) for f in fields} <= KNOWN_KEYS
    per_stack = {k for k in KNOWN_KEYS if not k.startswith("deployer") and k != "integrations"}
    assert per_stack == {config_key(f) for f in fields}


def test_stack_config_and_args_give_the_same_settings():
    settings = load_settings(
        {
            **BASE,
            "scopes": ["Api", "RefreshToken", "Web"],
            "rotation": 3,
            "rotationStrategy": "blue-green",
            "tags": {"team": "x"},
        },
        stack="test",
        env={"SF_ACCESS_TOKEN": "00Dx!token"},
    )
    again = SalesforceJwtIntegrationArgs.from_settings(settings).settings("test", env={"SF_ACCESS_TOKEN": "00Dx!t"})
    assert again.app == settings.app and again.secret == settings.secret
    assert again.certificate == settings.certificate and again.operations == settings.operations


@pytest.mark.usefixtures("mocks")
def test_bad_args_name_each_field_and_register_nothing(mocks):
    bad = SalesforceJwtIntegrationArgs(**{**ARGS, "app_name": "bad__name", "key_size": 1024})
    with pytest.raises(pulumi.RunError) as raised:
        SalesforceJwtIntegration("acme", bad)
    text = str(raised.value)
    assert "appName (SalesforceJwtIntegrationArgs.app_name)" in text
    assert "keySize (SalesforceJwtIntegrationArgs.key_size)" in text
    assert mocks.resources == []


@pulumi.runtime.test
def test_outputs_are_wired_into_the_resources(mocks):
    username = pulumi.Output.from_input("late@example.com")
    args = SalesforceJwtIntegrationArgs(
        **{
            **ARGS,
            "integration_username": username,
            "tags": {"team": pulumi.Output.from_input("core")},
            "kms_key_id": pulumi.Output.from_input("alias/platform"),
        }
    )
    integration = SalesforceJwtIntegration("acme", args)

    def check(policy):
        kinds = by_type(mocks)
        credential = kinds["CredentialVersion"][0].inputs
        assert credential["username"] == "late@example.com" and credential["kms_key_id"] == "alias/platform"
        assert credential["tags"]["team"] == "core" and credential["tags"]["managed-by"] == "salesforce-jwt-pulumi"
        assert kinds["AppDeployment"][0].inputs["integration_username"] == "late@example.com"
        assert "alias/platform" in policy or "kms" in policy.lower()

    return pulumi.Output.all(integration.secret_version_id, integration.runtime_policy_json).apply(
        lambda both: check(both[1])
    )


def test_an_output_resolving_to_a_bad_value_fails_naming_the_field():
    from components.integration_args import InvalidInput, _check_readers, _check_username

    with pytest.raises(InvalidInput) as raised:
        _check_readers(["not-an-arn"])
    text = str(raised.value)
    assert text.startswith("SalesforceJwtIntegrationArgs.secret_reader_arns (secretReaderArns): ")
    assert "must be an IAM ARN" in text and "pulumi config set" not in text
    with pytest.raises(InvalidInput, match=r"integration_username \(integrationUsername\)"):
        _check_username("nobody")


def test_only_output_valued_fields_are_deferred():
    args = SalesforceJwtIntegrationArgs(
        **{**ARGS, "secret_reader_arns": pulumi.Output.from_input([]), "tags": {"team": "plain"}}
    )
    config = args.config()
    assert "salesforce-jwt:secretReaderArns" not in config  # checked when the Output resolves
    assert config["salesforce-jwt:tags"] == {"team": "plain"}  # checked now, with the other settings
