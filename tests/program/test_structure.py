"""The component's structure under Pulumi mocks: children, parents, ordering, secretness, config errors.

Mocks run no provider: tls resources get keys made here with ``cryptography``; dynamic resources echo
their inputs plus placeholder outputs. Behaviour against real services is in tests/program/test_lifecycle.py.
"""

from __future__ import annotations

import typing

import pulumi
import pytest

from tests.fixtures.mocks import by_type
from tests.fixtures.settings import BASE


def _build(config: dict):
    from components.integration import SalesforceJwtIntegration
    from components.settings import load_settings

    settings = load_settings({**BASE, **config}, stack="test")
    return SalesforceJwtIntegration("acme", settings=settings)


@pulumi.runtime.test
def test_single_strategy_children_and_order(mocks):
    component = _build({})

    def check(_):
        kinds = by_type(mocks)
        assert {k: len(v) for k, v in kinds.items()} == {
            "Integration": 1,
            "PrivateKey": 1,
            "SelfSignedCert": 1,
            "AppDeployment": 1,
            "CredentialVersion": 1,
            "Verification": 1,
            "Promotion": 1,
        }
        app = kinds["AppDeployment"][0].inputs
        # legible certificate facts travel with the app, not only the PEM
        assert app["certificate_fingerprint"].count(":") == 31
        assert app["key_size"] == 2048 and app["app_kind"] == "external-client-app"
        assert app["scopes"] == ["Api", "RefreshToken"]
        assert app["permission_sets"] == ["Acme_JWT_Access"]
        # the key is derived in the provider from the deployer's org (no org id at program time)
        assert app["stack"] == "test" and "desired_consumer_key" not in app
        assert app.get("test_level") is None and app.get("existing_consumer_key") is None
        cred = kinds["CredentialVersion"][0].inputs
        assert cred["consumer_key"] == "SJPmockAcme_JWT"  # the app's output, as Salesforce holds it
        # ordering: verification takes the staged version; promotion waits for the verification's result
        assert kinds["Verification"][0].inputs["version_id"] == "v1"
        promotion = kinds["Promotion"][0].inputs
        assert promotion["version_id"] == "v1" and promotion["verified_at"] == "2026-11-28T00:00:00Z"
        assert cred["tags"]["managed-by"] == "salesforce-jwt-pulumi"

    return component.secret_version_id.apply(check)


@pulumi.runtime.test
def test_private_key_is_secret_and_outputs_present(mocks):
    component = _build({})
    outputs = component.outputs()
    assert {"secret_arn", "consumer_key", "verified_at", "certificate_not_after", "renew_after"} <= outputs.keys()

    def check(is_secret):
        assert is_secret is True

    return pulumi.Output.from_input(component.private_key_pem.is_secret()).apply(check)


@pulumi.runtime.test
def test_blue_green_second_rotation_keeps_idle_slot(mocks):
    component = _build({"rotationStrategy": "blue-green", "rotation": "1"})

    def check(_):
        apps = [r.inputs["app_name"] for r in by_type(mocks)["AppDeployment"]]
        assert sorted(apps) == ["Acme_JWT_A", "Acme_JWT_B"]
        cred = by_type(mocks)["CredentialVersion"][0].inputs
        assert cred["app_name"] == "Acme_JWT_B" and cred["slot"] == "b"

    # wait for every slot's app too: the idle slot is not on the promotion's dependency chain
    apps = [slot.app.id for slot in component._slots.values()]
    return pulumi.Output.all(component.secret_version_id, *apps).apply(check)


def test_config_errors_before_any_resource(mocks):
    from components.settings import SettingsError

    with pytest.raises(SettingsError) as err:
        _build({"keySize": "1024", "appName": "Bad__Name"})
    assert "keySize" in str(err.value) and "appName" in str(err.value)
    assert mocks.resources == []


@pulumi.runtime.test
def test_each_resource_is_registered_with_the_keys_of_its_typed_props(mocks):
    """The seam between component and providers: every input key is one of the resource's TypedDict
    (plus the outputs it declares), and every required key is there."""
    from components import resource_props as rp

    component = _build({})
    typed = {
        "AppDeployment": rp.AppProps,
        "CredentialVersion": rp.CredentialProps,
        "Verification": rp.VerificationProps,
        "Promotion": rp.PromotionProps,
    }
    declared_outputs = {
        "AppDeployment": {"consumer_key", "pre_authorized", "org_id", "component_names"},
        "CredentialVersion": {"arn", "version_id", "scheduled_for_deletion", "version_missing"},
        "Verification": {"verified_at", "attempts", "elapsed_seconds", "org_id", "verified_username"},
        "Promotion": {"current_version_id"},
    }

    def check(_):
        kinds = by_type(mocks)
        for name, props in typed.items():
            inputs = set(kinds[name][0].inputs) - {"__provider"}  # the SDK adds the pickled provider
            allowed = props.__required_keys__ | props.__optional_keys__ | declared_outputs[name]
            assert inputs <= allowed, (name, inputs - allowed)
            missing = props.__required_keys__ - inputs  # the SDK drops inputs that are None
            hints = typing.get_type_hints(props)
            assert all(hints[key] is typing.Any or type(None) in typing.get_args(hints[key]) for key in missing), (
                name,
                missing,
            )
        app_inputs = set(kinds["Verification"][0].inputs["app"])
        assert app_inputs <= rp.AppSettings.__required_keys__

    return component.secret_version_id.apply(check)
