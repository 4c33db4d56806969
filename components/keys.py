"""Key and certificate policy for the Salesforce JWT bearer flow.

Salesforce verifies JWT bearer assertions with RS256 only, so keys must be RSA of at least
2048 bits. The product creates keys with pulumi-tls; this module checks what it is given
(PEM parsing, key/certificate match, fingerprints, validity and renewal time) with
``cryptography``. Error messages never contain key material.
"""

from __future__ import annotations

import base64
import binascii
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes, PrivateKeyTypes

ALLOWED_RSA_BITS = (2048, 3072, 4096)
MIN_RSA_BITS = 2048
RS256_ONLY = "Salesforce's JWT bearer flow accepts RS256 signatures only"
RENEWAL_FRACTION = 2 / 3  # cert-manager: renew when 2/3 of the lifetime has passed


def default_renew_before_hours(validity_hours: int) -> int:
    """Hours before not-after when renewal is due by default: the last (1 - RENEWAL_FRACTION) of the lifetime."""
    return round(validity_hours * (1 - RENEWAL_FRACTION))


_PEM_LABEL = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----")
_KEY_LABELS = {
    b"PRIVATE KEY",
    b"RSA PRIVATE KEY",
    b"EC PRIVATE KEY",
    b"DSA PRIVATE KEY",
    b"ENCRYPTED PRIVATE KEY",
    b"OPENSSH PRIVATE KEY",
}
_CERT_LABELS = {b"CERTIFICATE", b"X509 CERTIFICATE", b"TRUSTED CERTIFICATE"}
_WHAT_IS = {
    b"CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    b"NEW CERTIFICATE REQUEST": "a certificate signing request (CSR)",
    b"PUBLIC KEY": "a public key",
    b"RSA PUBLIC KEY": "a public key",
}


class KeyPolicyError(ValueError):
    """A key or certificate is unusable for the JWT bearer flow, or cannot be read."""


class KeyRefusedError(KeyPolicyError):
    """A well-formed key that the RS256 policy refuses (not RSA, or RSA below 2048 bits)."""


@dataclass(frozen=True)
class CertificateInfo:
    """What matters about a certificate for deployment, drift and expiry checks."""

    fingerprint_sha256: str  # openssl form: AB:CD:...
    subject: str  # RFC 4514
    issuer: str  # RFC 4514
    serial: str  # uppercase hex, as openssl prints it
    not_before: datetime  # timezone-aware UTC
    not_after: datetime  # timezone-aware UTC
    key_algorithm: str  # RSA | EC | Ed25519 | Ed448 | DSA
    key_size: int  # bits (curve size for EC)
    self_signed: bool

    @property
    def lifetime(self) -> timedelta:
        return self.not_after - self.not_before

    def days_left(self, now: datetime | None = None) -> int:
        """Whole days until not-after (negative once expired)."""
        return days_left(self.not_after, now)

    def renew_after(self, renew_before: timedelta | None = None) -> datetime:
        """When renewal is due; see :func:`renewal_time`."""
        return renewal_time(self.not_before, self.not_after, renew_before=renew_before)


def describe_key(key: PrivateKeyTypes | CertificatePublicKeyTypes) -> tuple[str, int]:
    """(algorithm, size in bits) of a private or public key."""
    if isinstance(key, (rsa.RSAPrivateKey, rsa.RSAPublicKey)):
        return "RSA", key.key_size
    if isinstance(key, (ec.EllipticCurvePrivateKey, ec.EllipticCurvePublicKey)):
        return "EC", key.curve.key_size
    if isinstance(key, (ed25519.Ed25519PrivateKey, ed25519.Ed25519PublicKey)):
        return "Ed25519", 256
    if isinstance(key, (ed448.Ed448PrivateKey, ed448.Ed448PublicKey)):
        return "Ed448", 456
    if isinstance(key, (dsa.DSAPrivateKey, dsa.DSAPublicKey)):
        return "DSA", key.key_size
    return type(key).__name__, 0


def check_key_policy(key: PrivateKeyTypes | CertificatePublicKeyTypes) -> None:
    """Refuse non-RSA keys and RSA keys below 2048 bits."""
    algorithm, size = describe_key(key)
    if algorithm != "RSA":
        raise KeyRefusedError(f"{algorithm} keys are refused: {RS256_ONLY}; use an RSA key of 2048 bits or more")
    if size < MIN_RSA_BITS:
        raise KeyRefusedError(f"RSA key of {size} bits is refused: at least {MIN_RSA_BITS} bits are required")


def _as_bytes(pem: str | bytes) -> bytes:
    return pem.encode("utf-8") if isinstance(pem, str) else bytes(pem)


def _labels(data: bytes) -> list[bytes]:
    return _PEM_LABEL.findall(data)


def _not_pem(what: str, data: bytes) -> KeyPolicyError:
    if not data.strip():
        return KeyPolicyError(f"the {what} is empty; expected PEM text starting with '-----BEGIN'")
    return KeyPolicyError(
        f"the {what} is not PEM text (no '-----BEGIN ...-----' line); if it is DER, convert it with "
        f"'openssl {'x509' if what == 'certificate' else 'pkey'} -inform DER -outform PEM'"
    )


def load_private_key(
    pem: str | bytes, *, passphrase: str | bytes | None = None, enforce_policy: bool = True
) -> PrivateKeyTypes:
    """Parse a PEM private key; by default also apply the RS256 policy (RSA >= 2048)."""
    data = _as_bytes(pem)
    labels = _labels(data)
    if not labels:
        raise _not_pem("private key", data)
    first = labels[0]
    if first in _CERT_LABELS:
        raise KeyPolicyError(
            "a certificate was given where a private key is expected; "
            "pass the '-----BEGIN PRIVATE KEY-----' block instead"
        )
    if first in _WHAT_IS:
        raise KeyPolicyError(f"{_WHAT_IS[first]} was given where a private key is expected")
    if first == b"OPENSSH PRIVATE KEY":
        raise KeyPolicyError(
            "the private key is in OpenSSH format; convert it to PKCS#8 PEM with 'ssh-keygen -p -m PKCS8 -f <file>'"
        )
    if first not in _KEY_LABELS:
        raise KeyPolicyError(f"unexpected PEM block '{first.decode()}' where a private key is expected")
    encrypted = first == b"ENCRYPTED PRIVATE KEY" or b"Proc-Type: 4,ENCRYPTED" in data
    if encrypted and not passphrase:
        raise KeyPolicyError(
            "the private key is encrypted and no passphrase was given; supply the "
            "passphrase or decrypt it with 'openssl pkey -in <file> -out <plain file>'"
        )
    password = _as_bytes(passphrase) if passphrase and encrypted else None
    try:
        key = serialization.load_pem_private_key(data, password=password)
    except (ValueError, TypeError, UnsupportedAlgorithm) as exc:
        if encrypted:
            raise KeyPolicyError(
                "the private key could not be decrypted: wrong passphrase or unsupported encryption"
            ) from None
        raise KeyPolicyError(
            f"the private key PEM is malformed ({type(exc).__name__}); check that the whole block was copied"
        ) from None
    if enforce_policy:
        check_key_policy(key)
    return key


def load_stored_private_key(pem: str | bytes) -> PrivateKeyTypes:
    """A key read back from the credential store, under the RS256 policy but without RSA's costly
    consistency check (~30-50 ms a key, which would dominate ``check --all``).

    Every stored key was proven before it became AWSCURRENT: the verification step loads it with the
    full check and logs in with it. What still matters for a stored key is checked where it is used:
    the policy here, its public half against the stored certificate by ``check``, the login itself.
    """
    data = _as_bytes(pem)
    if not _labels(data) or _labels(data)[0] not in _KEY_LABELS - {b"ENCRYPTED PRIVATE KEY", b"OPENSSH PRIVATE KEY"}:
        return load_private_key(data)  # the full parser explains what was given instead
    try:
        key = serialization.load_pem_private_key(data, password=None, unsafe_skip_rsa_key_validation=True)
    except (ValueError, TypeError, UnsupportedAlgorithm):
        raise KeyPolicyError(
            "the private key PEM is malformed or encrypted; check that the whole block was copied"
        ) from None
    check_key_policy(key)
    return key


def load_certificate(pem: str | bytes) -> x509.Certificate:
    """Parse the first certificate of a PEM text."""
    data = _as_bytes(pem)
    labels = _labels(data)
    if not labels:
        raise _not_pem("certificate", data)
    first = labels[0]
    if first in _KEY_LABELS:
        raise KeyPolicyError(
            "a private key was given where a certificate is expected; never put a "
            "private key there — pass the '-----BEGIN CERTIFICATE-----' block"
        )
    if first in _WHAT_IS:
        raise KeyPolicyError(f"{_WHAT_IS[first]} was given where a certificate is expected")
    if first not in _CERT_LABELS:
        raise KeyPolicyError(f"unexpected PEM block '{first.decode()}' where a certificate is expected")
    try:
        return x509.load_pem_x509_certificate(data)
    except ValueError:
        raise KeyPolicyError("the certificate PEM is malformed; check that the whole block was copied") from None


def load_stored_certificate(text: str | None) -> x509.Certificate | None:
    """A certificate as Salesforce returns it from readMetadata/retrieve: PEM, or bare base64 DER
    without armour (what real orgs send for a ConnectedApp); None when it is neither."""
    if not text or not text.strip():
        return None
    if "-----BEGIN" in text:
        try:
            return load_certificate(text.strip() + "\n")
        except KeyPolicyError:
            return None
    try:
        return x509.load_der_x509_certificate(base64.b64decode("".join(text.split()), validate=True))
    except (binascii.Error, ValueError):
        return None


def pem_of(certificate: x509.Certificate) -> str:
    """The PEM text of a certificate."""
    return certificate.public_bytes(serialization.Encoding.PEM).decode("ascii")


def _public_der(key: PrivateKeyTypes | CertificatePublicKeyTypes) -> bytes:
    public: Any = key.public_key() if hasattr(key, "private_bytes") else key  # type: ignore[union-attr]
    return public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def certificate_matches_key(certificate: x509.Certificate, private_key: PrivateKeyTypes) -> bool:
    """True when the certificate carries the public half of ``private_key``."""
    return _public_der(certificate.public_key()) == _public_der(private_key)


def require_match(certificate: x509.Certificate, private_key: PrivateKeyTypes) -> None:
    """Raise unless the certificate belongs to the private key."""
    if not certificate_matches_key(certificate, private_key):
        raise KeyPolicyError(
            f"the certificate (SHA-256 {fingerprint_sha256(certificate)}) does not match the private key: "
            "it was issued for a different key pair; sign a CSR made from this key"
        )


def fingerprint_sha256(certificate: x509.Certificate) -> str:
    """SHA-256 fingerprint as ``openssl x509 -fingerprint -sha256`` prints it (AB:CD:...)."""
    return certificate.fingerprint(hashes.SHA256()).hex(":").upper()


def _is_self_signed(certificate: x509.Certificate) -> bool:
    if certificate.issuer != certificate.subject:
        return False
    try:
        certificate.verify_directly_issued_by(certificate)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def certificate_info(certificate: x509.Certificate | str | bytes) -> CertificateInfo:
    """Facts about a certificate (PEM text or parsed)."""
    cert = certificate if isinstance(certificate, x509.Certificate) else load_certificate(certificate)
    algorithm, size = describe_key(cert.public_key())
    return CertificateInfo(
        fingerprint_sha256=fingerprint_sha256(cert),
        subject=cert.subject.rfc4514_string(),
        issuer=cert.issuer.rfc4514_string(),
        serial=format(cert.serial_number, "X"),
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        key_algorithm=algorithm,
        key_size=size,
        self_signed=_is_self_signed(cert),
    )


def _utcnow(now: datetime | None) -> datetime:
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    return now


def days_left(not_after: datetime, now: datetime | None = None) -> int:
    """Whole days from ``now`` until ``not_after``, floored (negative once expired)."""
    return (not_after - _utcnow(now)) // timedelta(days=1)


def renewal_time(not_before: datetime, not_after: datetime, *, renew_before: timedelta | None = None) -> datetime:
    """When to renew: 2/3 into the lifetime (cert-manager), or ``renew_before`` ahead of not-after."""
    lifetime = not_after - not_before
    if lifetime <= timedelta(0):
        raise KeyPolicyError(
            f"certificate lifetime is empty: not-after {not_after.isoformat()} is not after "
            f"not-before {not_before.isoformat()}"
        )
    if renew_before is None:
        return not_before + lifetime * RENEWAL_FRACTION
    if not timedelta(0) < renew_before < lifetime:
        raise KeyPolicyError(
            f"renewal window {renew_before} must be positive and shorter than the certificate lifetime {lifetime}"
        )
    return not_after - renew_before
