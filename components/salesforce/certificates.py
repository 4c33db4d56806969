"""Small certificate helpers the Salesforce client needs (parse, check RSA, fingerprint)."""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import rsa


def load_certificate(pem: str, *, setting: str = "certificate_pem") -> x509.Certificate:
    """Parse one PEM certificate; ``ValueError`` naming ``setting`` when it is not one."""
    if not isinstance(pem, str) or "-----BEGIN CERTIFICATE-----" not in pem:
        raise ValueError(f"{setting}: expected a PEM certificate ('-----BEGIN CERTIFICATE-----' ...)")
    try:
        return x509.load_pem_x509_certificate(pem.encode("ascii"))
    except ValueError as exc:
        raise ValueError(f"{setting}: not a readable PEM X.509 certificate ({exc})") from None


def require_rsa_certificate(pem: str, *, setting: str = "certificate_pem") -> x509.Certificate:
    """Parse ``pem`` and insist on an RSA key of at least 2048 bits (Salesforce JWT bearer is RS256 only)."""
    cert = load_certificate(pem, setting=setting)
    key = cert.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise ValueError(
            f"{setting}: the certificate holds a {type(key).__name__} key; Salesforce's JWT bearer "
            "flow accepts RS256 only, so issue the certificate for an RSA key (2048 bits or more)"
        )
    if key.key_size < 2048:
        raise ValueError(f"{setting}: RSA key of {key.key_size} bits; Salesforce needs 2048 bits or more")
    return cert


def fingerprint_sha256(pem: str) -> str:
    """SHA-256 fingerprint of a PEM certificate as upper-case colon hex (``AB:CD:...``)."""
    digest = load_certificate(pem).fingerprint(hashes.SHA256())
    return ":".join(f"{byte:02X}" for byte in digest)


def same_fingerprint(left: str | None, right: str | None) -> bool:
    """Compare two colon-hex fingerprints ignoring case and separators."""
    if not left or not right:
        return False
    norm = lambda value: value.replace(":", "").lower()  # noqa: E731
    return norm(left) == norm(right)
