"""Key and certificate policy: RS256-only keys, PEM errors, matching, fingerprints, validity, renewal."""

from __future__ import annotations

import shutil
import subprocess
from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives import hashes

from components import keys
from components.keys import KeyPolicyError
from tests.fixtures.certificates import NOW, make_cert, make_ec_key, make_ed25519_key, make_rsa_key, pem_cert, pem_key

# ---------------------------------------------------------------- policy


def test_policy_refuses_small_rsa_and_non_rsa_keys():
    keys.check_key_policy(make_rsa_key(2048))
    keys.check_key_policy(make_rsa_key(3072).public_key())
    with pytest.raises(KeyPolicyError, match="1024 bits is refused"):
        keys.check_key_policy(make_rsa_key(1024))
    with pytest.raises(KeyPolicyError, match="EC keys are refused: .*RS256"):
        keys.check_key_policy(make_ec_key())
    with pytest.raises(KeyPolicyError, match="Ed25519 keys are refused"):
        keys.check_key_policy(make_ed25519_key().public_key())


def test_describe_key():
    assert keys.describe_key(make_rsa_key(2048)) == ("RSA", 2048)
    assert keys.describe_key(make_ec_key().public_key()) == ("EC", 256)
    assert keys.describe_key(make_ed25519_key()) == ("Ed25519", 256)


# ---------------------------------------------------------------- loading private keys


@pytest.mark.parametrize("traditional", [False, True])
def test_load_private_key_pkcs8_and_traditional(traditional):
    key = make_rsa_key(2048)
    loaded = keys.load_private_key(pem_key(key, traditional=traditional).decode())
    assert loaded.private_numbers() == key.private_numbers()


@pytest.mark.parametrize("traditional", [False, True])
def test_encrypted_key_needs_passphrase(traditional):
    pem = pem_key(make_rsa_key(2048), passphrase=b"correct horse", traditional=traditional)
    with pytest.raises(KeyPolicyError, match="encrypted and no passphrase was given"):
        keys.load_private_key(pem)
    with pytest.raises(KeyPolicyError, match="wrong passphrase"):
        keys.load_private_key(pem, passphrase="wrong")
    assert keys.load_private_key(pem, passphrase="correct horse").key_size == 2048


def test_passphrase_for_plain_key_is_ignored():
    assert keys.load_private_key(pem_key(make_rsa_key(2048)), passphrase="unused").key_size == 2048


def test_private_key_policy_on_load():
    with pytest.raises(KeyPolicyError, match="RS256"):
        keys.load_private_key(pem_key(make_ec_key()))
    with pytest.raises(KeyPolicyError, match="at least 2048"):
        keys.load_private_key(pem_key(make_rsa_key(1024)))
    assert keys.describe_key(keys.load_private_key(pem_key(make_ec_key()), enforce_policy=False))[0] == "EC"


def test_certificate_where_key_expected():
    with pytest.raises(KeyPolicyError, match="a certificate was given where a private key is expected"):
        keys.load_private_key(pem_cert(make_cert(make_rsa_key(2048))))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "is empty"),
        ("   \n", "is empty"),
        ("MIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "not PEM text"),
        # deliberate malformed vectors below: PEM frames around nothing that decodes to a key
        ("-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n-----END PRIVATE KEY-----\n", "malformed"),
        ("-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC", "malformed"),
        (
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "certificate signing request",
        ),
        ("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", "a public key was given"),
        ("-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n", "ssh-keygen"),
        ("-----BEGIN WHATEVER-----\nAAAA\n-----END WHATEVER-----\n", "unexpected PEM block 'WHATEVER'"),
    ],
)
def test_bad_private_key_text(text, fragment):
    with pytest.raises(KeyPolicyError, match=fragment) as info:
        keys.load_private_key(text)
    assert "AAAA" not in str(info.value) and "MIIE" not in str(info.value)


def test_der_key_is_not_pem():
    from cryptography.hazmat.primitives import serialization

    der = make_rsa_key(2048).private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(KeyPolicyError, match="openssl pkey -inform DER"):
        keys.load_private_key(der)


def test_errors_never_contain_key_material():
    pem = pem_key(make_rsa_key(2048)).decode()
    body = pem.splitlines()[1]
    for call in (lambda: keys.load_certificate(pem), lambda: keys.load_private_key(pem[:-80])):
        with pytest.raises(KeyPolicyError) as info:
            call()
        assert body not in str(info.value) and "BEGIN PRIVATE KEY-----\n" not in str(info.value)
        assert info.value.__cause__ is None  # the parser's own exception (and its context) is dropped


# ---------------------------------------------------------------- loading certificates


def test_load_certificate_and_bundle_first():
    first, second = make_cert(make_rsa_key(2048), common_name="first"), make_cert(make_rsa_key(3072), common_name="x")
    loaded = keys.load_certificate(pem_cert(first) + pem_cert(second))
    assert loaded == first


def test_key_where_certificate_expected():
    with pytest.raises(KeyPolicyError, match="a private key was given where a certificate is expected"):
        keys.load_certificate(pem_key(make_rsa_key(2048)))


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("", "is empty"),
        ("hello", "not PEM text"),
        ("-----BEGIN CERTIFICATE-----\nZm9v\n-----END CERTIFICATE-----\n", "certificate PEM is malformed"),
        (
            "-----BEGIN CERTIFICATE REQUEST-----\nAAAA\n-----END CERTIFICATE REQUEST-----\n",
            "where a certificate is expected",
        ),
    ],
)
def test_bad_certificate_text(text, fragment):
    with pytest.raises(KeyPolicyError, match=fragment):
        keys.load_certificate(text)


# ---------------------------------------------------------------- matching


def test_certificate_matches_its_key_only():
    key, other = make_rsa_key(2048), make_rsa_key(2048, 1)
    cert = make_cert(key)
    assert keys.certificate_matches_key(cert, key)
    assert not keys.certificate_matches_key(cert, other)
    keys.require_match(cert, key)
    with pytest.raises(KeyPolicyError, match="does not match the private key") as info:
        keys.require_match(cert, other)
    assert keys.fingerprint_sha256(cert) in str(info.value)


def test_ca_signed_certificate_matches_subject_key_not_issuer():
    ca_key, key = make_rsa_key(2048, 2), make_rsa_key(2048, 3)
    cert = make_cert(key, issuer_key=ca_key, issuer_name="Acme Issuing CA")
    assert keys.certificate_matches_key(cert, key)
    assert not keys.certificate_matches_key(cert, ca_key)


# ---------------------------------------------------------------- fingerprint and info


def test_fingerprint_format():
    cert = make_cert(make_rsa_key(2048))
    fp = keys.fingerprint_sha256(cert)
    assert len(fp) == 95 and fp == fp.upper()
    assert fp.replace(":", "") == cert.fingerprint(hashes.SHA256()).hex().upper()


@pytest.mark.skipif(shutil.which("openssl") is None, reason="openssl CLI not installed")
def test_fingerprint_equals_openssl_output():
    pem = pem_cert(make_cert(make_rsa_key(2048)))
    out = subprocess.run(
        ["openssl", "x509", "-noout", "-fingerprint", "-sha256"], input=pem, capture_output=True, check=True, timeout=30
    ).stdout.decode()
    assert out.strip().split("=", 1)[1] == keys.fingerprint_sha256(keys.load_certificate(pem))


def test_certificate_info_self_signed():
    key = make_rsa_key(3072)
    cert = make_cert(key, serial=0xABCDEF0123, days=90)
    info = keys.certificate_info(pem_cert(cert).decode())
    assert info.subject == "O=Acme\\, Inc.,CN=Acme_JWT"
    assert info.issuer == info.subject
    assert info.serial == "ABCDEF0123"
    assert info.not_before == NOW and info.not_after == NOW + timedelta(days=90)
    assert info.not_after.tzinfo is not None
    assert (info.key_algorithm, info.key_size) == ("RSA", 3072)
    assert info.self_signed is True
    assert info.fingerprint_sha256 == keys.fingerprint_sha256(cert)
    assert info.lifetime == timedelta(days=90)


def test_certificate_info_ca_signed_and_forged_self_signed():
    ca_key, key = make_rsa_key(2048, 2), make_rsa_key(2048, 3)
    signed = keys.certificate_info(make_cert(key, issuer_key=ca_key, issuer_name="Acme Issuing CA"))
    assert signed.self_signed is False and signed.issuer == "CN=Acme Issuing CA"
    # issuer == subject but signed by another key: not self-signed
    forged = keys.certificate_info(make_cert(key, issuer_key=ca_key))
    assert forged.issuer == forged.subject and forged.self_signed is False


def test_certificate_info_of_ec_certificate_describes_it():
    info = keys.certificate_info(make_cert(make_ec_key()))
    assert (info.key_algorithm, info.key_size, info.self_signed) == ("EC", 256, True)


# ---------------------------------------------------------------- validity and renewal


def test_days_left():
    not_after = NOW + timedelta(days=10, hours=12)
    assert keys.days_left(not_after, NOW) == 10
    assert keys.days_left(not_after, not_after) == 0
    assert keys.days_left(not_after, not_after + timedelta(hours=1)) == -1
    assert keys.days_left(not_after, not_after + timedelta(days=3)) == -3
    with pytest.raises(ValueError, match="timezone-aware"):
        keys.days_left(not_after, datetime(2026, 1, 1))


def test_days_left_defaults_to_now():
    cert = keys.certificate_info(make_cert(make_rsa_key(2048), not_before=datetime.now(UTC), days=30))
    assert cert.days_left() in (29, 30)


def test_renewal_time_default_is_two_thirds():
    info = keys.certificate_info(make_cert(make_rsa_key(2048), days=90))
    assert info.renew_after() == NOW + timedelta(days=60)
    assert keys.renewal_time(NOW, NOW + timedelta(days=365)) == NOW + timedelta(days=365) * 2 / 3


def test_renewal_time_explicit_window():
    assert keys.renewal_time(NOW, NOW + timedelta(days=365), renew_before=timedelta(days=30)) == NOW + timedelta(
        days=335
    )


@pytest.mark.parametrize("window", [timedelta(0), timedelta(days=-1), timedelta(days=365), timedelta(days=400)])
def test_renewal_window_must_fit_the_lifetime(window):
    with pytest.raises(KeyPolicyError, match="shorter than the certificate lifetime"):
        keys.renewal_time(NOW, NOW + timedelta(days=365), renew_before=window)


def test_empty_lifetime_refused():
    with pytest.raises(KeyPolicyError, match="lifetime is empty"):
        keys.renewal_time(NOW, NOW)


def test_stored_certificates_are_read_in_both_forms_salesforce_returns() -> None:
    """Issue 9, point 3: a real org returns a ConnectedApp's certificate as bare base64 DER."""
    import base64
    import textwrap

    from cryptography.hazmat.primitives import serialization

    cert = make_cert(make_rsa_key())
    pem = pem_cert(cert).decode()
    der64 = base64.b64encode(cert.public_bytes(serialization.Encoding.DER)).decode()
    expected = keys.fingerprint_sha256(cert)
    for text in (pem, pem.strip(), der64, "\n".join(textwrap.wrap(der64, 64)), f"  {der64}\n"):
        found = keys.load_stored_certificate(text)
        assert found is not None and keys.fingerprint_sha256(found) == expected
    assert keys.pem_of(keys.load_stored_certificate(der64)).strip() == pem.strip()
    for junk in (
        None,
        "",
        "not base64!",
        base64.b64encode(b"not a certificate").decode(),
        "-----BEGIN CERTIFICATE-----\nbroken\n-----END CERTIFICATE-----",
    ):
        assert keys.load_stored_certificate(junk) is None
