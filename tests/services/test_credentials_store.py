"""The credential store against a real moto server process on loopback."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from components.credentials import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    NOT_PROVISIONED_JSON,
    PLACEHOLDER_VERSION_ID,
    AwsRetryPolicy,
    CredentialDocumentError,
    CredentialStore,
    NoPreviousVersionError,
    NotProvisionedError,
    SecretNotFoundError,
    SecretNotManagedError,
    SecretScheduledForDeletionError,
    StageNotFoundError,
    StoreConfigError,
    VersionNotFoundError,
    is_not_provisioned,
    list_managed_secrets,
    secret_name,
)
from tests.fixtures.aws import credential_document

FAST = AwsRetryPolicy(attempts=2)


@pytest.fixture
def store(aws):
    return CredentialStore("salesforce/billing-sync/jwt", aws.region, endpoint_url=aws.endpoint_url, retry=FAST)


@pytest.fixture
def sm(aws):
    return aws.client("secretsmanager")


def test_ensure_secret_creates_it_with_tags_kms_key_and_description(aws, store, sm):
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    described = store.ensure_secret(kms_key_id=key_id, tags={"env": "dev"}, description="billing sync JWT key")
    raw = sm.describe_secret(SecretId=store.name)
    assert raw["KmsKeyId"] == key_id == described.kms_key_id
    assert {t["Key"]: t["Value"] for t in raw["Tags"]} == {"env": "dev", "managed-by": "salesforce-jwt-pulumi"}
    assert raw["Description"] == "billing sync JWT key"
    assert described.arn == raw["ARN"] and described.managed and not described.scheduled_for_deletion
    # AWS labels a secret's first version AWSCURRENT: that first version is the placeholder, never a key
    assert described.versions == {PLACEHOLDER_VERSION_ID: (AWSCURRENT,)}
    assert is_not_provisioned(sm.get_secret_value(SecretId=store.name, VersionStage=AWSCURRENT)["SecretString"])
    assert not store.is_provisioned()


def test_ensure_secret_is_idempotent_and_reconciles(store, sm):
    first = store.ensure_secret(tags={"env": "dev"})
    again = store.ensure_secret(tags={"env": "dev"})
    assert again.arn == first.arn
    updated = store.ensure_secret(tags={"env": "prod", "team": "billing"}, description="changed")
    assert updated.arn == first.arn
    assert updated.tags == {"env": "prod", "team": "billing", "managed-by": "salesforce-jwt-pulumi"}
    assert sm.describe_secret(SecretId=store.name)["Description"] == "changed"


def test_ensure_secret_refuses_a_secret_it_does_not_manage(store, sm):
    sm.create_secret(Name=store.name, SecretString="someone else's", Tags=[{"Key": "owner", "Value": "ops"}])
    with pytest.raises(SecretNotManagedError, match="not tagged managed-by=salesforce-jwt-pulumi"):
        store.ensure_secret()
    assert sm.get_secret_value(SecretId=store.name, VersionStage=AWSCURRENT)["SecretString"] == "someone else's"


def test_ensure_secret_sets_the_reader_resource_policy(store, sm):
    reader = "arn:aws:iam::123456789012:role/billing-sync"
    store.ensure_secret(reader_principals=[reader])
    policy = json.loads(sm.get_resource_policy(SecretId=store.name)["ResourcePolicy"])
    assert policy["Statement"][0]["Principal"] == {"AWS": [reader]}
    assert store.resource_policy() == policy
    store.remove_resource_policy()
    assert store.resource_policy() is None


def test_the_first_key_is_only_pending_until_promoted_and_nothing_rolls_back_to_the_placeholder(store):
    store.ensure_secret()
    version = store.put_pending(credential_document())
    assert version == credential_document().version_token()
    assert store.describe().versions == {version: (AWSPENDING,), PLACEHOLDER_VERSION_ID: (AWSCURRENT,)}
    pending = store.get(AWSPENDING)
    assert pending.version_id == version and pending.document == credential_document()
    with pytest.raises(NotProvisionedError):
        store.get(AWSCURRENT)  # an unverified key is never what AWSCURRENT readers get
    store.promote(version)
    assert store.describe().versions == {version: (AWSCURRENT,)}  # the placeholder keeps no AWSPREVIOUS
    assert store.is_provisioned()
    with pytest.raises(NoPreviousVersionError):
        store.rollback()


def test_put_pending_is_idempotent(store):
    store.ensure_secret()
    first = store.put_pending(credential_document())
    before = store.versions()
    changed_at = store.describe().last_changed
    assert store.put_pending(credential_document()) == first
    assert store.versions() == before
    assert store.describe().last_changed == changed_at


def test_rotation_put_promote_then_rollback(store, sm):
    store.ensure_secret()
    old = store.put_pending(credential_document(0))
    store.promote(old)
    assert store.describe().versions == {old: (AWSCURRENT,)}

    new = store.put_pending(credential_document(1))
    assert new != old
    versions = store.describe().versions
    assert versions[old] == (AWSCURRENT,) and versions[new] == (AWSPENDING,)
    assert store.get(AWSCURRENT).document == credential_document(0)  # pending does not leak into current
    assert store.get(AWSPENDING).document == credential_document(1)

    promoted = store.promote(new)
    assert promoted.versions == {new: (AWSCURRENT,), old: (AWSPREVIOUS,)}
    assert promoted.version_for(AWSPENDING) is None
    assert store.get(AWSCURRENT).document == credential_document(1)
    assert store.get(AWSPREVIOUS).document == credential_document(0)

    assert store.rollback() == old
    assert store.get(AWSCURRENT).document == credential_document(0)
    assert store.describe().versions == {old: (AWSCURRENT,), new: (AWSPREVIOUS,)}


def test_reads_always_name_the_stage(store, sm):
    """moto answers GetSecretValue without VersionStage with the stale value after a stage move.

    Real AWS does not. The store must always send the stage; this test fails if it stops doing so.
    """
    store.ensure_secret()
    store.promote(store.put_pending(credential_document(0)))
    store.promote(store.put_pending(credential_document(1)))
    unstaged = sm.get_secret_value(SecretId=store.name)["SecretString"]
    assert is_not_provisioned(unstaged)  # moto's stale answer: the secret's first version (the placeholder)
    assert store.get().document == credential_document(1)
    assert store.get(AWSCURRENT).document.consumer_key == credential_document(1).consumer_key


def test_promote_is_idempotent(store):
    store.ensure_secret()
    store.promote(store.put_pending(credential_document(0)))
    new = store.put_pending(credential_document(1))
    first = store.promote(new)
    assert store.promote(new).versions == first.versions


def test_putting_an_older_document_again_makes_it_pending(store):
    store.ensure_secret()
    old = store.put_pending(credential_document(0))
    store.promote(old)
    new = store.put_pending(credential_document(1))
    store.promote(new)
    assert store.put_pending(credential_document(0)) == old
    assert set(store.describe().versions[old]) == {AWSPREVIOUS, AWSPENDING}


def test_a_new_put_moves_pending_off_the_older_pending_version(store):
    store.ensure_secret()
    store.promote(store.put_pending(credential_document(0)))
    first = store.put_pending(credential_document(1))
    second = store.put_pending(credential_document(2))
    assert store.describe().version_for(AWSPENDING) == second
    assert AWSPENDING not in store.versions()[first]


def test_remove_pending(store):
    store.ensure_secret()
    current = store.put_pending(credential_document(0))
    store.promote(current)
    pending = store.put_pending(credential_document(1))
    assert store.remove_pending("some-other-version") is None
    assert store.describe().version_for(AWSPENDING) == pending
    assert store.remove_pending() == pending
    assert store.describe().versions == {current: (AWSCURRENT,)}
    assert store.remove_pending() is None
    with pytest.raises(StageNotFoundError, match="no version labelled AWSPENDING"):
        store.get(AWSPENDING)


def test_rollback_without_previous(store):
    store.ensure_secret()
    store.promote(store.put_pending(credential_document()))
    with pytest.raises(NoPreviousVersionError, match="no AWSPREVIOUS"):
        store.rollback()


def test_missing_secret_stage_and_version(store):
    with pytest.raises(SecretNotFoundError, match="secretName"):
        store.get(AWSCURRENT)
    with pytest.raises(SecretNotFoundError):
        store.describe()
    assert not store.exists()
    with pytest.raises(SecretNotFoundError):
        store.put_pending(credential_document())
    store.ensure_secret()
    assert store.exists()
    with pytest.raises(StageNotFoundError):
        store.get(AWSPREVIOUS)
    store.put_pending(credential_document())
    with pytest.raises(VersionNotFoundError):
        store.promote("00000000-0000-0000-0000-000000000000")
    with pytest.raises(VersionNotFoundError):
        store.get_version("00000000-0000-0000-0000-000000000000")


def test_get_version_by_id(store):
    store.ensure_secret()
    version = store.put_pending(credential_document())
    stored = store.get_version(version)
    assert stored.version_id == version and stored.document == credential_document()


def test_a_corrupted_secret_value_is_reported_without_its_content(store, sm):
    store.ensure_secret()
    # a deliberate fake: PEM-shaped text that holds no key (real keys are generated at run time)
    sm.put_secret_value(
        SecretId=store.name, SecretString="-----BEGIN PRIVATE KEY----- garbage", VersionStages=[AWSCURRENT]
    )
    with pytest.raises(CredentialDocumentError) as info:
        store.get(AWSCURRENT)
    assert "garbage" not in str(info.value) and store.name in str(info.value)


def test_describe_for_drift(aws, store, sm):
    store.ensure_secret(tags={"env": "dev"})
    before = datetime.now(UTC) - timedelta(minutes=1)
    version = store.put_pending(credential_document())
    described = store.describe()
    assert described.arn.startswith(f"arn:aws:secretsmanager:{aws.region}:")
    assert described.versions == {version: (AWSPENDING,), PLACEHOLDER_VERSION_ID: (AWSCURRENT,)}
    assert described.last_changed >= before
    assert described.deleted_date is None and described.kms_key_id is None
    assert described.tags["env"] == "dev"


def test_delete_defaults_to_a_30_day_window_and_restore_brings_it_back(store):
    store.ensure_secret()
    store.promote(store.put_pending(credential_document()))
    deletion = store.delete()
    expected = datetime.now(UTC) + timedelta(days=30)
    assert abs(deletion - expected) < timedelta(minutes=5)
    assert store.describe().scheduled_for_deletion
    with pytest.raises(SecretScheduledForDeletionError, match="restore"):
        store.get(AWSCURRENT)
    with pytest.raises(SecretScheduledForDeletionError, match="restore"):
        store.ensure_secret()
    with pytest.raises(SecretScheduledForDeletionError, match="restore"):
        store.put_pending(credential_document(1))
    store.restore()
    assert not store.describe().scheduled_for_deletion
    assert store.get(AWSCURRENT).document == credential_document()


def test_delete_with_a_7_day_window(store):
    store.ensure_secret()
    deletion = store.delete(recovery_window_days=7)
    assert abs(deletion - (datetime.now(UTC) + timedelta(days=7))) < timedelta(minutes=5)


@pytest.mark.parametrize("days", [0, 6, 31])
def test_delete_outside_the_window_changes_nothing(store, days):
    store.ensure_secret()
    with pytest.raises(StoreConfigError, match="7 to 30"):
        store.delete(recovery_window_days=days)
    assert not store.describe().scheduled_for_deletion


def test_list_managed_secrets(aws, sm):
    for name in ("salesforce/dev/jwt", "salesforce/prod/jwt", "other/jwt"):
        CredentialStore(name, aws.region, endpoint_url=aws.endpoint_url, retry=FAST).ensure_secret()
    sm.create_secret(Name="salesforce/foreign", Tags=[{"Key": "managed-by", "Value": "terraform"}])
    sm.create_secret(
        Name="salesforce/mixed",
        Tags=[{"Key": "managed-by", "Value": "terraform"}, {"Key": "note", "Value": "salesforce-jwt-pulumi"}],
    )
    CredentialStore("salesforce/prod/jwt", aws.region, endpoint_url=aws.endpoint_url).delete()

    everything = list_managed_secrets(aws.region, endpoint_url=aws.endpoint_url, retry=FAST)
    assert [s.name for s in everything] == ["other/jwt", "salesforce/dev/jwt", "salesforce/prod/jwt"]
    by_name = {s.name: s for s in everything}
    assert by_name["salesforce/prod/jwt"].deleted_date is not None
    assert by_name["salesforce/dev/jwt"].deleted_date is None
    prefixed = list_managed_secrets(aws.region, endpoint_url=aws.endpoint_url, name_prefix="salesforce/")
    assert [s.name for s in prefixed] == ["salesforce/dev/jwt", "salesforce/prod/jwt"]


def test_list_managed_secrets_reads_every_page(aws, sm):
    tags = [{"Key": "managed-by", "Value": "salesforce-jwt-pulumi"}]
    names = [f"fleet/app-{n:03d}" for n in range(130)]  # ListSecrets answers at most 100 per page
    for name in names:
        sm.create_secret(Name=name, SecretString="{}", Tags=tags)
    assert [s.name for s in list_managed_secrets(aws.region, endpoint_url=aws.endpoint_url, retry=FAST)] == names


def test_list_managed_secrets_checks_its_arguments():
    with pytest.raises(StoreConfigError, match="name_prefix"):
        list_managed_secrets("us-east-1", name_prefix="bad prefix")
    with pytest.raises(StoreConfigError, match="region"):
        list_managed_secrets("nowhere")


def test_runtime_policy_names_the_real_secret_arn(aws, store):
    key_id = aws.client("kms").create_key()["KeyMetadata"]["KeyId"]
    described = store.ensure_secret(kms_key_id=key_id)
    policy = store.runtime_policy()
    assert policy["Statement"][0]["Resource"] == described.arn
    assert policy["Statement"][1]["Resource"].endswith(f":key/{key_id}")


def test_the_document_never_reaches_the_logs(store):
    """Collected by our own handler, so a failure names the loggers and never replays the key."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.DEBUG)
    handler.emit = records.append  # type: ignore[method-assign]
    root = logging.getLogger()
    level, root.level = root.level, logging.DEBUG
    disabled = logging.root.manager.disable  # some library in the suite calls logging.disable()
    logging.disable(logging.NOTSET)
    root.addHandler(handler)
    try:
        store.ensure_secret()
        version = store.put_pending(credential_document())
        store.get(AWSPENDING)
        store.promote(version)
        store.get(AWSCURRENT)
    finally:
        root.removeHandler(handler)
        root.setLevel(level)
        logging.disable(disabled)
    assert "botocore" in {r.name.split(".")[0] for r in records}  # debug logging really was on
    key_body = credential_document().private_key_pem.splitlines()[1]
    leaks = sorted({r.name for r in records if "PRIVATE KEY" in r.getMessage() or key_body in r.getMessage()})
    assert leaks == []


def test_a_not_provisioned_placeholder_is_refused_as_such_by_every_read(store, sm):
    store.ensure_secret()
    sm.put_secret_value(SecretId=store.name, SecretString=NOT_PROVISIONED_JSON)  # AWS labels it AWSCURRENT
    with pytest.raises(NotProvisionedError, match="not provisioned yet") as raised:
        store.get(AWSCURRENT)
    assert isinstance(raised.value, CredentialDocumentError)  # callers that refuse bad documents refuse it too
    with pytest.raises(NotProvisionedError):
        store.find(AWSCURRENT)
    version = store.describe().version_for(AWSCURRENT)
    with pytest.raises(NotProvisionedError):
        store.get_version(version)


def test_find_returns_none_for_a_stage_no_version_carries_without_describing_the_secret(store, sm):
    store.ensure_secret()
    version = store.put_pending(credential_document(0))
    store.promote(version)
    assert store.find(AWSPENDING) is None
    found = store.find(AWSCURRENT)
    assert found is not None and found.version_id == version and AWSCURRENT in found.stages
    assert found.document == credential_document(0)


def test_secret_name_of_an_arn_is_the_name_aws_suffixed():
    arn = "arn:aws:secretsmanager:eu-west-1:123456789012:secret:prod/orders-AbC123"
    assert secret_name(arn) == "prod/orders"
    assert secret_name("prod/orders") == "prod/orders"
