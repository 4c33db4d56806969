"""What a failed verification says and leaves behind (moto server + the org emulator).

No app is deployed, so every login fails (`invalid_client_id`); the budget is 0, so one attempt.
"""

from __future__ import annotations

import pytest

from components.credentials import AWSCURRENT, AWSPENDING, CredentialStore
from components.rollout import RolloutFailed, VerificationRequest, verify_version
from tests.fixtures.aws import credential_document


def doc(org, index: int, **changes):
    return credential_document(
        index,
        login_url=org.login_url,
        audience=org.login_url,
        token_url=f"{org.login_url}/services/oauth2/token",
        **changes,
    )


def request(org, version_id: str) -> VerificationRequest:
    return VerificationRequest(version_id, org.ca_bundle, "63.0", 0)


@pytest.fixture
def store(aws):
    return CredentialStore("prod/rollout", aws.region, aws.endpoint_url)


def test_first_credential_failure_says_nothing_worked_before(store, salesforce_org):
    store.ensure_secret()
    version = store.put_pending(doc(salesforce_org, 0))
    with pytest.raises(RolloutFailed, match="first credential of this integration"):
        verify_version(store, request(salesforce_org, version))
    assert not store.is_provisioned()  # AWSCURRENT is still the not-provisioned placeholder
    assert store.describe().version_for(AWSPENDING) == version


def test_a_restore_that_fails_is_reported_and_nothing_is_promoted(store, salesforce_org):
    store.ensure_secret()
    store.promote(store.put_pending(doc(salesforce_org, 0)))
    current = store.describe().version_for(AWSCURRENT)
    pending = store.put_pending(doc(salesforce_org, 1))

    def restore(_previous):
        raise RuntimeError("deploy refused")

    with pytest.raises(RolloutFailed) as failure:
        verify_version(store, request(salesforce_org, pending), restore_certificate=restore)
    assert "could NOT be deployed back" in str(failure.value) and "deploy refused" in str(failure.value)
    assert store.describe().version_for(AWSCURRENT) == current
    assert store.describe().version_for(AWSPENDING) == pending


def test_restore_puts_the_previous_certificate_back_only_on_the_same_app(store, salesforce_org):
    store.ensure_secret()
    store.promote(store.put_pending(doc(salesforce_org, 0)))
    restored = []
    same_app = store.put_pending(doc(salesforce_org, 1))
    with pytest.raises(RolloutFailed, match="was deployed back"):
        verify_version(store, request(salesforce_org, same_app), restore_certificate=restored.append)
    assert [d.fingerprint_sha256 for d in restored] == [doc(salesforce_org, 0).fingerprint_sha256]
    other_slot = store.put_pending(doc(salesforce_org, 2, app_name="Billing_Sync_B", slot="b"))
    with pytest.raises(RolloutFailed) as failure:  # blue-green: the other app keeps its certificate
        verify_version(store, request(salesforce_org, other_slot), restore_certificate=restored.append)
    assert "deployed back" not in str(failure.value) and len(restored) == 1


def deployed_doc(org, index: int):
    """The helpers' ECA deployed with key pair ``index``, and a document for it."""
    from tests.fixtures.salesforce_apps import KEY, app_spec, client

    mdapi = client(org)
    mdapi.deploy_app(app_spec(key_index=index))
    mdapi.assign_permission_set(org.integration_username, "Acme_JWT_Access")
    return mdapi, credential_document(
        index,
        consumer_key=KEY,
        username=org.integration_username,
        login_url=org.instance_url,
        audience=org.instance_url,
        token_url=f"{org.instance_url}/services/oauth2/token",
        app_name="Acme_JWT",
    )


def read_back_request(org, version_id: str, fingerprint: str) -> VerificationRequest:
    return VerificationRequest(
        version_id,
        org.ca_bundle,
        "66.0",
        30,
        app_changed=True,
        expected_org_id=org.org_id,
        live_fingerprint=fingerprint,
    )


def test_a_certificate_read_back_by_the_deployment_is_not_read_again(store, salesforce_org):
    _, document = deployed_doc(salesforce_org, 0)
    store.ensure_secret()
    version = store.put_pending(document)
    prepared = []
    before = salesforce_org.calls()
    result = verify_version(
        store,
        read_back_request(salesforce_org, version, document.fingerprint_sha256),
        prepare=lambda doc: prepared.append(doc) or False,
    )
    calls = {k: v - before.get(k, 0) for k, v in salesforce_org.calls().items() if v != before.get(k, 0)}
    assert result.username == salesforce_org.integration_username and not prepared
    assert calls == {"token": 1, "rest:query": 1}  # one login, one API call: no Metadata API read


def test_a_stale_read_back_is_caught_by_the_first_failed_login_and_repaired(store, salesforce_org):
    """A failed run put the previous certificate back after the deployment read the new one."""
    from components.salesforce.bundle import ECA
    from tests.fixtures.salesforce_apps import KEY, EmulatorClock, app_spec

    mdapi, new = deployed_doc(salesforce_org, 1)
    mdapi.deploy_app(app_spec(ECA, key_index=0), known_consumer_key=KEY)  # the live app holds key 0 again
    store.ensure_secret()
    version = store.put_pending(new)
    repaired = []

    def prepare(doc):
        repaired.append(doc.fingerprint_sha256)
        mdapi.deploy_app(app_spec(ECA, key_index=1), known_consumer_key=KEY)
        return True

    result = verify_version(
        store,
        read_back_request(salesforce_org, version, new.fingerprint_sha256),
        prepare=prepare,
        clock=EmulatorClock(salesforce_org),
    )
    assert repaired == [new.fingerprint_sha256] and result.attempts == 2
    assert result.errors_seen == ("invalid_grant",)  # the stale certificate refused the first assertion
