"""The credential document: strict, versioned JSON that never shows its private key."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.credentials import (
    NOT_PROVISIONED_JSON,
    SCHEMA_VERSION,
    CredentialDocument,
    CredentialDocumentError,
    NewerSchemaError,
    is_not_provisioned,
)
from tests.fixtures.aws import credential_document, generated_key_pair

FIELDS = {
    "schema_version",
    "private_key_pem",
    "certificate_pem",
    "fingerprint_sha256",
    "not_after",
    "consumer_key",
    "username",
    "login_url",
    "audience",
    "token_url",
    "app_name",
    "app_kind",
    "slot",
    "created_at",
}

aware_times = st.datetimes(
    min_value=datetime(2000, 1, 1),
    max_value=datetime(2200, 1, 1),
    timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]),
)
text = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=1, max_size=40).filter(str.strip)
hosts = st.from_regex(r"[a-z][a-z0-9-]{0,20}\.(my\.)?salesforce\.com", fullmatch=True)


def test_json_has_exactly_the_contract_fields():
    assert set(json.loads(credential_document().to_json())) == FIELDS


def test_repr_and_str_redact_the_private_key():
    doc = credential_document()
    key_body = doc.private_key_pem.splitlines()[1]
    for shown in (repr(doc), str(doc), f"{doc}", repr([doc])):
        assert "PRIVATE KEY" not in shown and key_body not in shown
        assert "[redacted]" in shown and doc.consumer_key in shown


@settings(max_examples=60, deadline=None)
@given(
    consumer_key=text,
    user=st.from_regex(r"[a-z0-9.]{1,20}@[a-z]{1,10}\.com", fullmatch=True),
    host=hosts,
    app_name=text,
    kind=st.sampled_from(["external-client-app", "connected-app"]),
    slot=st.one_of(st.none(), st.sampled_from(["a", "b"]), text),
    not_after=aware_times,
    created=aware_times,
    lower=st.booleans(),
)
def test_round_trip_through_json(consumer_key, user, host, app_name, kind, slot, not_after, created, lower):
    fingerprint = generated_key_pair()[2]
    doc = credential_document(
        consumer_key=consumer_key,
        username=user,
        login_url=f"https://{host}",
        audience=f"https://{host}",
        token_url=f"https://{host}/services/oauth2/token",
        app_name=app_name,
        app_kind=kind,
        slot=slot,
        not_after=not_after,
        created_at=created,
        fingerprint_sha256=fingerprint.lower() if lower else fingerprint,
    )
    again = CredentialDocument.from_json(doc.to_json())
    assert again == doc
    assert again.to_json() == doc.to_json()
    assert again.version_token() == doc.version_token()
    assert again.not_after == not_after and again.not_after.tzinfo == UTC
    assert again.fingerprint_sha256 == fingerprint


def test_times_serialise_as_utc_with_z():
    doc = credential_document(not_after=datetime(2027, 1, 1, 5, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))))
    assert json.loads(doc.to_json())["not_after"] == "2027-01-01T00:00:00Z"


def test_version_token_depends_on_content_only():
    doc = credential_document()
    shuffled = json.dumps(dict(reversed(list(json.loads(doc.to_json()).items()))))
    assert CredentialDocument.from_json(shuffled).version_token() == doc.version_token()
    assert credential_document(consumer_key="other").version_token() != doc.version_token()
    assert credential_document(index=1).version_token() != doc.version_token()
    assert 32 <= len(doc.version_token()) <= 64  # AWS ClientRequestToken limits


@pytest.mark.parametrize(
    "change, fragment",
    [
        ({"username": "no-at-sign"}, "username"),
        ({"login_url": "http://login.salesforce.com"}, "login_url must be an https URL"),
        ({"audience": "login.salesforce.com"}, "audience"),
        ({"token_url": ""}, "token_url must be a non-empty string"),
        ({"app_kind": "lightning-app"}, "app_kind must be one of external-client-app, connected-app"),
        ({"fingerprint_sha256": "AB:CD"}, "fingerprint_sha256"),
        ({"slot": ""}, "slot"),
        ({"not_after": datetime(2027, 1, 1)}, "not_after must be a timezone-aware datetime"),
        ({"certificate_pem": "not a cert"}, "certificate_pem must be a PEM certificate"),
        ({"private_key_pem": "-----BEGIN CERTIFICATE-----\nabc"}, "private_key_pem must be a PEM private key"),
        (
            {"private_key_pem": "-----BEGIN ENCRYPTED PRIVATE KEY-----\nabc\n-----END ENCRYPTED PRIVATE KEY-----"},
            "must not be encrypted",
        ),
        ({"schema_version": 0}, "schema_version"),
    ],
)
def test_invalid_fields_are_named(change, fragment):
    with pytest.raises(CredentialDocumentError, match=fragment):
        credential_document(**change)


def test_all_problems_reported_together():
    with pytest.raises(CredentialDocumentError) as info:
        credential_document(username="x", app_kind="y", login_url="ftp://z")
    message = str(info.value)
    assert "username" in message and "app_kind" in message and "login_url" in message


def _stored(**changes):
    data = json.loads(credential_document().to_json())
    data.update(changes)
    return data


def test_missing_and_unknown_fields_are_listed():
    data = _stored(extra_field=1)
    del data["consumer_key"]
    with pytest.raises(CredentialDocumentError, match="missing field.*consumer_key.*unknown field.*extra_field"):
        CredentialDocument.from_dict(data)


def test_newer_schema_says_upgrade():
    with pytest.raises(NewerSchemaError, match=f"schema_version {SCHEMA_VERSION + 1}.*upgrade"):
        CredentialDocument.from_dict(_stored(schema_version=SCHEMA_VERSION + 1, future_field="x"))


@pytest.mark.parametrize("version", [None, "1", 1.0, True, -1])
def test_schema_version_must_be_a_positive_int(version):
    with pytest.raises(CredentialDocumentError, match="schema_version"):
        CredentialDocument.from_dict(_stored(schema_version=version))


@pytest.mark.parametrize(
    "value, fragment",
    [("2027-01-01T00:00:00", "time zone"), ("tomorrow", "not ISO 8601"), (1700000000, "ISO 8601 string")],
)
def test_times_must_be_iso_with_zone(value, fragment):
    with pytest.raises(CredentialDocumentError, match=fragment):
        CredentialDocument.from_dict(_stored(not_after=value))


@pytest.mark.parametrize("raw", ["", "{", "[1, 2]", "null", '"text"'])
def test_not_a_json_object(raw):
    with pytest.raises(CredentialDocumentError, match="JSON"):
        CredentialDocument.from_json(raw)


def test_errors_never_quote_the_private_key():
    doc_json = credential_document().to_json()
    key_body = json.loads(doc_json)["private_key_pem"].splitlines()[1]
    with pytest.raises(CredentialDocumentError) as info:
        CredentialDocument.from_json(doc_json[:-1])  # truncated JSON
    assert "PRIVATE KEY" not in str(info.value) and key_body not in str(info.value)
    data = json.loads(doc_json)
    data["private_key_pem"] = data["private_key_pem"].replace("PRIVATE KEY", "PUBLIC KEY")
    with pytest.raises(CredentialDocumentError) as info:
        CredentialDocument.from_dict(data)
    assert data["private_key_pem"].splitlines()[1] not in str(info.value)


def test_document_is_immutable():
    doc = credential_document()
    with pytest.raises(AttributeError):
        doc.consumer_key = "changed"  # type: ignore[misc]


@pytest.mark.parametrize(
    "text, expected",
    [
        (NOT_PROVISIONED_JSON, True),
        ('{"provisioned": false}', True),
        ('{"provisioned": false, "note": "placeholder"}', True),
        ('{"provisioned": true}', False),
        ('{"provisioned": 0}', False),  # only JSON false marks it
        ('{"provisioned": false, "private_key_pem": "-----BEGIN PRIVATE KEY-----"}', False),  # holds a key
        ('[{"provisioned": false}]', False),
        ("not json", False),
        ("", False),
        (None, False),
    ],
)
def test_not_provisioned_marker_is_a_json_object_with_provisioned_false_and_no_key(text, expected):
    assert is_not_provisioned(text) is expected


def test_a_real_document_is_not_the_not_provisioned_marker():
    assert not is_not_provisioned(credential_document(0).to_json())
    with pytest.raises(CredentialDocumentError):  # and the marker is no credential document
        CredentialDocument.from_json(NOT_PROVISIONED_JSON)
