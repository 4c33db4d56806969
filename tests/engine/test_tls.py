"""The pulumi-tls stand-in: generated material, replacement rules and the renewal window."""

from datetime import datetime, timedelta, timezone

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from emulator.engine.tls import PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST, TlsProvider

NOW = datetime(2030, 1, 1, tzinfo=timezone.utc)


@pytest.fixture
def provider():
    return TlsProvider(lambda: NOW)


def _key(provider, **inputs):
    checked, failures = provider.check("urn", PRIVATE_KEY, "k", {}, inputs)
    assert failures == []
    return provider.create("urn", PRIVATE_KEY, "k", checked)


@pytest.mark.parametrize("inputs, kind", [
    ({"algorithm": "RSA"}, rsa.RSAPrivateKey),
    ({"algorithm": "ECDSA", "ecdsaCurve": "P256"}, ec.EllipticCurvePrivateKey),
    ({"algorithm": "ED25519"}, ed25519.Ed25519PrivateKey),
])
def test_private_key_algorithms(provider, inputs, kind):
    _id, outputs = _key(provider, **inputs)
    key = serialization.load_pem_private_key(outputs["privateKeyPem"].encode(), None)
    assert isinstance(key, kind)
    public = serialization.load_pem_public_key(outputs["publicKeyPem"].encode())
    assert public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo) == \
        key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    assert outputs["publicKeyFingerprintSha256"].startswith("SHA256:")


def test_rsa_defaults_to_2048_and_honours_bits(provider):
    assert _key(provider, algorithm="RSA")[1]["rsaBits"] == 2048
    pem = _key(provider, algorithm="RSA", rsaBits=3072)[1]["privateKeyPem"]
    assert serialization.load_pem_private_key(pem.encode(), None).key_size == 3072


def test_bad_algorithm_is_a_check_failure(provider):
    _inputs, failures = provider.check("urn", PRIVATE_KEY, "k", {}, {"algorithm": "DSA"})
    assert failures and failures[0][0] == "algorithm"


def _cert(provider, key_pem, **extra):
    inputs = {"privateKeyPem": key_pem, "allowedUses": ["digital_signature", "client_auth"],
              "validityPeriodHours": 48, "earlyRenewalHours": 12, "subject": {"commonName": "svc", "organization": "Org"},
              **extra}
    checked, failures = provider.check("urn", SELF_SIGNED_CERT, "c", {}, inputs)
    assert failures == []
    return checked, provider.create("urn", SELF_SIGNED_CERT, "c", checked)


def test_self_signed_certificate_content(provider):
    key_pem = _key(provider, algorithm="RSA")[1]["privateKeyPem"]
    _inputs, (cert_id, outputs) = _cert(provider, key_pem)
    cert = x509.load_pem_x509_certificate(outputs["certPem"].encode())
    assert str(cert.serial_number) == cert_id
    assert cert.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "svc"
    assert cert.not_valid_before_utc == NOW and cert.not_valid_after_utc == NOW + timedelta(hours=48)
    assert outputs["validityEndTime"] == "2030-01-03T00:00:00Z" and outputs["readyForRenewal"] is False
    assert cert.extensions.get_extension_for_class(x509.KeyUsage).value.digital_signature
    assert ExtendedKeyUsageOID.CLIENT_AUTH in cert.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value
    cert.verify_directly_issued_by(cert)


def test_replacement_rules_and_renewal_window():
    clock = {"now": NOW}
    provider = TlsProvider(lambda: clock["now"])
    key_pem = _key(provider, algorithm="RSA")[1]["privateKeyPem"]
    inputs, (cert_id, outputs) = _cert(provider, key_pem)

    assert provider.diff("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs, inputs).changes == "none"
    early = provider.diff("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs, {**inputs, "earlyRenewalHours": 1})
    assert (early.changes, early.replaces) == ("some", [])
    longer = provider.diff("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs, {**inputs, "validityPeriodHours": 96})
    assert longer.replaces == ["validityPeriodHours"]

    clock["now"] = NOW + timedelta(hours=36) - timedelta(seconds=1)
    assert provider.diff("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs, inputs).replaces == []
    clock["now"] = NOW + timedelta(hours=36)
    assert provider.diff("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs, inputs).replaces == ["readyForRenewal"]
    assert provider.read("urn", SELF_SIGNED_CERT, cert_id, outputs, inputs)[1]["readyForRenewal"] is True


def test_every_private_key_input_replaces(provider):
    inputs, _ = provider.check("urn", PRIVATE_KEY, "k", {}, {"algorithm": "RSA"})
    outcome = provider.diff("urn", PRIVATE_KEY, "id", {}, inputs, {**inputs, "rsaBits": 4096})
    assert outcome.replaces == ["rsaBits"]


def test_cert_request_matches_the_key(provider):
    _id, key = _key(provider, algorithm="RSA")
    _csr_id, outputs = provider.create("urn", CERT_REQUEST, "r", {"privateKeyPem": key["privateKeyPem"],
                                                                   "subject": {"commonName": "svc"}})
    csr = x509.load_pem_x509_csr(outputs["certRequestPem"].encode())
    assert csr.is_signature_valid
    assert csr.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo) \
        .decode() == key["publicKeyPem"]
