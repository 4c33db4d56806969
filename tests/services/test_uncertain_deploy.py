"""A deploy whose answer is lost (issue 12, safety 2): its outcome is read back from the app, and when
it stays unknown the previous certificate is deployed after it, so the app and AWSCURRENT agree.

The emulator does the deploy's work, then holds the reply longer than the client's read timeout.
"""

from __future__ import annotations

import pytest

from components.rollout import AppRequest, DeployNotApplied, deploy_app
from components.salesforce.bundle import ECA
from components.salesforce.metadata_api import ConsumerKeyUnknown, MetadataClient, PollPolicy
from components.salesforce.session import AccessTokenAuth, SalesforceSession, open_session
from components.salesforce.token_exchange import verified_session
from tests.fixtures.aws import generated_key_pair
from tests.fixtures.salesforce_apps import KEY, app_spec, client, same_fingerprint

READ_TIMEOUT = 1.0  # the client gives up on the held deploy reply after this many seconds


def impatient_session(org) -> SalesforceSession:
    return open_session(
        AccessTokenAuth(org.instance_url, org.admin_access_token),
        ca_bundle=org.ca_bundle,
        http=verified_session(org.ca_bundle, timeout=(5.0, READ_TIMEOUT)),
    )


def request(key_index: int) -> AppRequest:
    return AppRequest(app_spec(ECA, key_index=key_index), "", 60, known_consumer_key=KEY)


def live_fingerprint(org) -> str | None:
    live = client(org).read_app("Acme_JWT", ECA)
    return live.certificate_fingerprint if live else None


def test_a_lost_answer_of_a_deploy_that_committed_is_read_back_and_the_run_goes_on(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA, key_index=0))
    salesforce_org.fault("deploy", None, count=1, delay_seconds=READ_TIMEOUT + 1.5)
    mdapi = MetadataClient(impatient_session(salesforce_org), poll=PollPolicy(initial=0.2, deadline=30))
    outcome = mdapi.deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
    assert same_fingerprint(outcome.snapshot.certificate_fingerprint, generated_key_pair(1)[2])
    assert outcome.result.success and mdapi.calls["deploy"] == 1  # resolved by reading back, never resent
    assert same_fingerprint(live_fingerprint(salesforce_org), generated_key_pair(1)[2])


def test_an_unresolved_rotation_deploy_is_followed_by_the_previous_certificate(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA, key_index=0))
    salesforce_org.settings(deploy_seconds=3)  # the lost deploy is still queued when the app is read back
    salesforce_org.fault("deploy", None, count=1, delay_seconds=READ_TIMEOUT + 1.5)
    with pytest.raises(DeployNotApplied) as failure:
        deploy_app(impatient_session(salesforce_org), request(1), previous=request(0))
    message = str(failure.value)
    assert "unresolved" in message and "previous certificate was deployed again" in message
    assert "pulumi up --refresh" in message
    assert len(salesforce_org.deploys()) == 3  # the first one, the lost one, the previous certificate
    # the lost deploy committed first, the previous certificate after it: the app matches AWSCURRENT's key
    assert all(d["status"] == "Succeeded" for d in salesforce_org.deploys())
    assert same_fingerprint(live_fingerprint(salesforce_org), generated_key_pair(0)[2])


def test_an_unresolved_rotation_whose_restore_fails_says_so_loudly(salesforce_org) -> None:
    client(salesforce_org).deploy_app(app_spec(ECA, key_index=0))
    salesforce_org.settings(deploy_seconds=3)
    salesforce_org.fault("deploy", None, count=1, delay_seconds=READ_TIMEOUT + 1.5)
    refused = app_spec(ECA, key_index=0, permission_sets=("No_Such_Permission_Set",))  # the org refuses it
    broken_previous = AppRequest(refused, "", 60, known_consumer_key=KEY)
    with pytest.raises(DeployNotApplied) as failure:
        deploy_app(impatient_session(salesforce_org), request(1), previous=broken_previous)
    message = str(failure.value)
    assert "FAILED" in message and "integrations fail to log in" in message and "check --drift" in message


def test_an_unresolved_first_deploy_says_nothing_uses_it_yet(salesforce_org) -> None:
    salesforce_org.settings(deploy_seconds=3)
    salesforce_org.fault("deploy", None, count=1, delay_seconds=READ_TIMEOUT + 1.5)
    with pytest.raises(DeployNotApplied, match="first deploy of Acme_JWT is unresolved.*not provisioned"):
        deploy_app(impatient_session(salesforce_org), request(0))


def test_the_rerun_after_a_killed_first_deploy_takes_over_its_own_app(salesforce_org) -> None:
    """A run killed after its deploy committed created the app with this stack's key; the org hides
    the key, but the app holds this very deploy's certificate, so the key is known to be ours."""
    client(salesforce_org).deploy_app(app_spec(ECA, key_index=0))  # the killed run's deploy
    outcome = client(salesforce_org).deploy_app(app_spec(ECA, key_index=0))  # the rerun: same key pair
    assert outcome.snapshot.consumer_key == KEY and not outcome.created
    with pytest.raises(ConsumerKeyUnknown):  # another certificate: the key stays unknown
        client(salesforce_org).deploy_app(app_spec(ECA, key_index=1))
