"""Metadata client against the org emulator: ECA and ConnectedApp paths, re-runs, Spring '26, faults."""

from __future__ import annotations

import dataclasses
import time

import pytest

from components.rollout import AppRequest, deploy_app, ensure_app_certificate
from components.salesforce.bundle import CONNECTED_APP, ECA, build_bundle
from components.salesforce.metadata_api import (
    ConnectedAppCreationBlocked,
    ConsumerKeyUnknown,
    DeployFailed,
    DeployTimeout,
    DeployUncertain,
    MetadataClient,
    PermissionSetAssignmentError,
    PollPolicy,
)
from components.salesforce.session import AccessTokenAuth, open_session
from components.salesforce.soap import MetadataFault
from components.salesforce.token_exchange import verified_session, verify_jwt_login
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.salesforce_apps import (
    KEY,
    EmulatorClock,
    admin_session,
    app_spec,
    client,
    jwt_login,
    same_fingerprint,
)


def test_eca_end_to_end_deploy_read_assign_verify(salesforce_org) -> None:
    mdapi = client(salesforce_org)
    deployment = mdapi.deploy_app(app_spec(ECA))
    assert deployment.created and deployment.result.success
    assert mdapi.calls["deploy"] == 1 and salesforce_org.calls()["deploy"] == 1

    snap = deployment.snapshot
    assert same_fingerprint(snap.certificate_fingerprint, generated_key_pair(0)[2])
    assert snap.consumer_key == "AcmeJwtKey0001"
    assert snap.scopes == ("Api", "RefreshToken") and snap.pre_authorized
    assert snap.permission_sets == ("Acme_JWT_Access",)
    live = salesforce_org.app("Acme_JWT")
    assert live["kind"] == "ExternalClientApplication" and live["admin_approved"]

    first = mdapi.assign_permission_set(salesforce_org.integration_username, "Acme_JWT_Access")
    again = mdapi.assign_permission_set(salesforce_org.integration_username, "Acme_JWT_Access")
    assert first.created and not again.created and again.assignment_id == first.assignment_id

    result = verify_jwt_login(jwt_login(salesforce_org), clock=EmulatorClock(salesforce_org))
    assert (result.username, result.org_id, result.attempts) == (
        salesforce_org.integration_username,
        salesforce_org.org_id,
        1,
    )


def test_eca_rerun_updates_in_place_keeps_the_key_and_rotates_the_certificate(salesforce_org) -> None:
    mdapi = client(salesforce_org)
    mdapi.deploy_app(app_spec(ECA))
    rotated = mdapi.deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
    assert not rotated.created and rotated.deployed_spec.consumer_key is None
    assert same_fingerprint(rotated.snapshot.certificate_fingerprint, generated_key_pair(1)[2])
    assert rotated.snapshot.consumer_key == "AcmeJwtKey0001"
    assert same_fingerprint(salesforce_org.app("Acme_JWT")["certificate_fingerprint_sha256"], generated_key_pair(1)[2])


def test_rerun_reuses_an_existing_policy_fullname_instead_of_colliding(salesforce_org) -> None:
    mdapi = client(salesforce_org)
    mdapi.deploy(build_bundle(app_spec(ECA, oauth_policy_name="Acme_JWT_ui_policy", app_policy_name="Acme_JWT_plcy")))
    existing = mdapi.existing_components(app_spec(ECA))
    assert existing is not None and existing["ExtlClntAppOauthConfigurablePolicies"] == "Acme_JWT_ui_policy"

    # a naive re-run under the default names collides with the existing policy ...
    naive = dataclasses.replace(app_spec(ECA, key_index=1), consumer_key=None)
    with pytest.raises(DeployFailed, match="(?i)duplicate"):
        mdapi.deploy(build_bundle(naive))
    # ... the planned one updates it
    updated = mdapi.deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
    assert updated.snapshot.component_names["ExtlClntAppOauthConfigurablePolicies"] == "Acme_JWT_ui_policy"
    assert same_fingerprint(updated.snapshot.certificate_fingerprint, generated_key_pair(1)[2])


def test_creating_a_connected_app_hits_the_spring_26_block_with_the_fix(salesforce_org) -> None:
    with pytest.raises(ConnectedAppCreationBlocked) as caught:
        client(salesforce_org).deploy_app(app_spec(CONNECTED_APP))
    message = str(caught.value)
    assert "ConnectedApp Acme_JWT (connectedApps/Acme_JWT.connectedApp): You can't create a connected app" in message
    assert "appKind: external-client-app" in message
    assert salesforce_org.apps() == []


def test_existing_connected_app_is_updated_without_a_consumer_key(salesforce_org) -> None:
    salesforce_org.settings(allow_connected_app_creation=True)
    mdapi = client(salesforce_org)
    assert mdapi.deploy_app(app_spec(CONNECTED_APP)).created
    salesforce_org.settings(allow_connected_app_creation=False)  # Spring '26: updates still work

    # sending the consumer key again is what Salesforce refuses on an update
    with pytest.raises(DeployFailed, match="You cannot provide a Consumer Key"):
        mdapi.deploy(build_bundle(app_spec(CONNECTED_APP, key_index=1)))
    updated = mdapi.deploy_app(app_spec(CONNECTED_APP, key_index=1))
    assert not updated.created
    assert same_fingerprint(updated.snapshot.certificate_fingerprint, generated_key_pair(1)[2])
    assert updated.snapshot.consumer_key == "AcmeJwtKey0001" and updated.snapshot.pre_authorized
    assert updated.snapshot.permission_sets == ("Acme_JWT_Access",)

    mdapi.assign_permission_set(salesforce_org.integration_username, "Acme_JWT_Access")
    result = verify_jwt_login(
        jwt_login(salesforce_org, CONNECTED_APP, key_index=1), clock=EmulatorClock(salesforce_org)
    )
    assert result.username == salesforce_org.integration_username


def test_read_app_sees_out_of_band_drift_and_missing_apps(salesforce_org) -> None:
    mdapi = client(salesforce_org)
    assert mdapi.read_app("Acme_JWT", ECA) is None
    mdapi.deploy_app(app_spec(ECA))
    salesforce_org.patch_app(
        "Acme_JWT", certificate_pem=generated_key_pair(2)[1], scopes=["Api"], admin_approved=False, permission_sets=[]
    )
    drifted = mdapi.read_app("Acme_JWT", ECA)
    assert drifted is not None
    assert same_fingerprint(drifted.certificate_fingerprint, generated_key_pair(2)[2])
    assert drifted.scopes == ("Api",) and not drifted.pre_authorized and drifted.permission_sets == ()


def test_component_failures_are_listed_in_one_readable_error(salesforce_org) -> None:
    spec = app_spec(ECA, access_permission_set=None, permission_sets=("No_Such_Set",))
    with pytest.raises(DeployFailed) as caught:
        client(salesforce_org).deploy_app(spec)
    lines = str(caught.value).splitlines()
    assert lines[0].startswith("Metadata deploy 0Af") and lines[0].endswith("Failed")
    assert any("No_Such_Set" in line and line.startswith("  - ") for line in lines[1:])


def test_polls_back_off_geometrically_and_time_out_at_the_deadline(salesforce_org) -> None:
    salesforce_org.settings(deploy_seconds=20)
    clock = EmulatorClock(salesforce_org)
    mdapi = MetadataClient(
        admin_session(salesforce_org),
        clock=clock,
        poll=PollPolicy(initial=1.0, multiplier=2.0, max_interval=60, jitter=0.0, deadline=120),
    )
    result = mdapi.deploy(build_bundle(app_spec(ECA)))
    assert result.success and mdapi.calls["deploy"] == 1
    assert list(result.poll_waits) == [1.0, 2.0, 4.0, 8.0, 16.0][: len(result.poll_waits)]
    assert 20 <= sum(result.poll_waits) < 40  # seen within one interval of the deploy finishing

    salesforce_org.settings(deploy_seconds=500)
    short = MetadataClient(
        admin_session(salesforce_org),
        clock=clock,
        poll=PollPolicy(initial=1.0, multiplier=2.0, max_interval=60, jitter=0.0, deadline=30),
    )
    with pytest.raises(DeployTimeout, match="still .* after 3\\d s"):
        short.deploy(build_bundle(app_spec(ECA, key_index=1)))


@pytest.mark.parametrize("operation", ["checkDeployStatus", "listMetadata", "readMetadata"])
def test_transient_errors_on_idempotent_calls_are_retried(salesforce_org, operation: str) -> None:
    salesforce_org.fault(operation, 503, count=2)
    deployment = client(salesforce_org).deploy_app(app_spec(ECA))
    assert deployment.result.success
    assert salesforce_org.calls()["deploy"] == 1


def test_deploy_is_resent_only_when_it_never_ran(salesforce_org) -> None:
    salesforce_org.fault("deploy", 503, count=1)
    assert client(salesforce_org).deploy_app(app_spec(ECA)).result.success
    assert len(salesforce_org.deploys()) == 1


def test_assigning_needs_an_existing_user_and_permission_set(salesforce_org) -> None:
    mdapi = client(salesforce_org)
    with pytest.raises(PermissionSetAssignmentError, match="permission set 'Nope' not found"):
        mdapi.assign_permission_set(salesforce_org.integration_username, "Nope")
    with pytest.raises(PermissionSetAssignmentError, match="integration user 'ghost@example.com' not found"):
        mdapi.assign_permission_set("ghost@example.com", "Nope")


def test_an_unknown_integration_user_is_refused_before_anything_is_deployed(salesforce_org) -> None:
    """Issue 12: the app used to be deployed first and the missing user found at the assignment."""
    request = AppRequest(app_spec(ECA), "ghost@example.com", 60, known_consumer_key=KEY)
    with pytest.raises(PermissionSetAssignmentError) as caught:
        deploy_app(admin_session(salesforce_org), request)
    assert "`integrationUsername`" in str(caught.value) and "Nothing was deployed" in str(caught.value)
    assert salesforce_org.deploys() == [] and salesforce_org.calls().get("deploy", 0) == 0


def test_a_deploy_that_may_have_arrived_is_never_resent(salesforce_org) -> None:
    session = open_session(
        AccessTokenAuth(salesforce_org.instance_url, salesforce_org.admin_access_token),
        ca_bundle=salesforce_org.ca_bundle,
        http=verified_session(salesforce_org.ca_bundle, timeout=(5.0, 1.0)),
    )
    salesforce_org.fault("deploy", None, count=1, delay_seconds=2.5)  # slow answer: processed, reply too late
    mdapi = MetadataClient(session, clock=EmulatorClock(salesforce_org))
    with pytest.raises(DeployUncertain, match="not resent. Re-running is safe"):
        mdapi.deploy(build_bundle(app_spec(ECA)))
    assert mdapi.calls["deploy"] == 1
    deadline = time.monotonic() + 30  # the held-back deploy lands once the emulator replies
    while not salesforce_org.deploys() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert len(salesforce_org.deploys()) == 1


# -- issue 9, point 3: certificates read back as bare base64 DER (or PEM) ----------------------------------------
@pytest.mark.parametrize("readback", ["base64", "pem"])
@pytest.mark.parametrize("kind", [ECA, CONNECTED_APP])
def test_read_back_certificate_matches_in_both_forms_so_nothing_is_redeployed(salesforce_org, kind, readback) -> None:
    salesforce_org.settings(allow_connected_app_creation=True, certificate_readback=readback)
    mdapi = client(salesforce_org)
    deployment = mdapi.deploy_app(app_spec(kind))
    assert same_fingerprint(deployment.snapshot.certificate_fingerprint, generated_key_pair(0)[2])
    live = mdapi.read_app("Acme_JWT", kind)
    assert live is not None and same_fingerprint(live.certificate_fingerprint, generated_key_pair(0)[2])
    assert live.certificate_pem.startswith("-----BEGIN CERTIFICATE-----")  # normalised to PEM
    deploys = salesforce_org.calls()["deploy"]
    request = AppRequest(app_spec(kind), salesforce_org.integration_username, 60, known_consumer_key=KEY)
    assert ensure_app_certificate(admin_session(salesforce_org), request, generated_key_pair(0)[2]) is False
    assert salesforce_org.calls()["deploy"] == deploys  # the live certificate is recognised: no redeploy


# -- issue 9, point 4: the ECA consumer key is often not shown ----------------------------------------------------
def test_created_eca_reports_the_key_it_supplied_although_salesforce_hides_it(salesforce_org) -> None:
    deployment = client(salesforce_org).deploy_app(app_spec(ECA))
    assert deployment.created and deployment.snapshot.consumer_key == KEY
    assert client(salesforce_org).read_app("Acme_JWT", ECA).consumer_key is None  # hidden by default


def test_existing_eca_with_a_hidden_key_is_refused_before_deploying_naming_the_setting(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA))
    deploys = salesforce_org.calls()["deploy"]
    with pytest.raises(ConsumerKeyUnknown) as caught:
        client(salesforce_org).deploy_app(app_spec(ECA, key_index=1, consumer_key="SomeOtherKey01"))
    message = str(caught.value)
    assert "existingConsumerKeys" in message and "Allow Access to OAuth Consumer Secrets via Metadata API" in message
    assert "View External Client Apps Consumer Secrets in Metadata" in message and "Nothing was deployed" in message
    assert salesforce_org.calls()["deploy"] == deploys
    adopted = client(salesforce_org).deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
    assert adopted.snapshot.consumer_key == KEY and not adopted.created


def test_existing_eca_key_is_read_when_both_switches_are_on(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA))
    salesforce_org.settings(consumer_secret_api_access=True)
    salesforce_org.grant(salesforce_org.admin_username, "ViewClientSecret")
    updated = client(salesforce_org).deploy_app(app_spec(ECA, key_index=1, consumer_key="SomeOtherKey01"))
    assert updated.snapshot.consumer_key == KEY  # what Salesforce holds, not the key we would create with


def test_discovery_reads_only_the_apps_own_global_oauth_settings(salesforce_org, monkeypatch) -> None:
    mdapi = client(salesforce_org)
    for name, key in (("Other_One", "OtherKey00001"), ("Other_Two", "OtherKey00002"), ("Acme_JWT", KEY)):
        mdapi.deploy_app(app_spec(ECA, name=name, consumer_key=key))
    reads: list[tuple[str, list[str]]] = []
    original = MetadataClient.read_metadata

    def spy(self, metadata_type, full_names):
        names = list(full_names)
        reads.append((metadata_type, names))
        return original(self, metadata_type, names)

    monkeypatch.setattr(MetadataClient, "read_metadata", spy)
    assert mdapi.read_app("Acme_JWT", ECA) is not None
    read_globals = [n for t, names in reads if t == "ExtlClntAppGlobalOauthSettings" for n in names]
    assert read_globals == ["Acme_JWT_glbloauth"]


# -- issue 9, point 1: testLevel ------------------------------------------------------------------------------
def test_deploy_sends_no_test_level_so_a_production_org_accepts_it(salesforce_org) -> None:
    assert salesforce_org.control("GET", "settings")["edition"] == "production"
    assert client(salesforce_org).deploy_app(app_spec(ECA)).result.success


def test_a_chosen_no_test_run_is_refused_by_production_with_a_hint(salesforce_org) -> None:
    mdapi = MetadataClient(admin_session(salesforce_org), clock=EmulatorClock(salesforce_org), test_level="NoTestRun")
    with pytest.raises(MetadataFault) as caught:
        mdapi.deploy(build_bundle(app_spec(ECA)))
    message = str(caught.value)
    assert "INVALID_OPERATION: testLevel of NoTestRun cannot be used in production organizations" in message
    assert "remove the `testLevel` setting" in message
    salesforce_org.settings(edition="sandbox")
    assert mdapi.deploy(build_bundle(app_spec(ECA))).success  # sandboxes accept it: the level is sent


def test_a_chosen_test_level_is_validated_and_sent(salesforce_org) -> None:
    with pytest.raises(ValueError, match="test_level"):
        MetadataClient(admin_session(salesforce_org), test_level="RunEverything")
    mdapi = MetadataClient(
        admin_session(salesforce_org), clock=EmulatorClock(salesforce_org), test_level="RunLocalTests"
    )
    assert mdapi.deploy(build_bundle(app_spec(ECA))).success
