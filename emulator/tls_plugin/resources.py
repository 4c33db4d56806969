"""The three TLS resources (PrivateKey, SelfSignedCert, CertRequest) generated with ``cryptography``.

Every function here takes and returns plain values (no secret wrappers): the server unwraps inputs
before calling in and wraps secret outputs on the way out. Property names are the provider schema's
camelCase wire names. Functions return only the *computed* properties; the server adds the inputs.
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID, ObjectIdentifier

from .clock import parse_rfc3339, rfc3339
from .values import UNKNOWN, Props, contains_unknown

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
TYPES = (PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST)

#: Outputs the real provider marks sensitive; the server always returns them as secrets.
SECRET_OUTPUTS = ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh")
RENEWAL = "readyForRenewal"

COMPUTED: dict[str, tuple[str, ...]] = {
    PRIVATE_KEY: (
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
        "publicKeyPem",
        "publicKeyOpenssh",
        "publicKeyFingerprintMd5",
        "publicKeyFingerprintSha256",
    ),
    SELF_SIGNED_CERT: ("certPem", "validityStartTime", "validityEndTime", RENEWAL, "keyAlgorithm"),
    CERT_REQUEST: ("certRequestPem", "keyAlgorithm"),
}
CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
KEY_USAGES = (
    "digital_signature",
    "content_commitment",
    "key_encipherment",
    "data_encipherment",
    "key_agreement",
    "cert_signing",
    "crl_signing",
    "encipher_only",
    "decipher_only",
)
EXTENDED_USAGES = {
    "any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "ipsec_end_system": ObjectIdentifier("1.3.6.1.5.5.7.3.5"),
    "ipsec_tunnel": ObjectIdentifier("1.3.6.1.5.5.7.3.6"),
    "ipsec_user": ObjectIdentifier("1.3.6.1.5.5.7.3.7"),
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
    "microsoft_server_gated_crypto": ObjectIdentifier("1.3.6.1.4.1.311.10.3.3"),
    "netscape_server_gated_crypto": ObjectIdentifier("2.16.840.1.113730.4.1"),
    "microsoft_commercial_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.2.1.22"),
    "microsoft_kernel_code_signing": ObjectIdentifier("1.3.6.1.4.1.311.61.1.1"),
}
SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME,
    "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME,
    "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME,
    "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE,
    "serialNumber": NameOID.SERIAL_NUMBER,
    "emailAddress": NameOID.EMAIL_ADDRESS,
}


class ResourceError(Exception):
    """A create/update failed; the message never contains key material."""


# -- entry points ------------------------------------------------------------------------------------
def create(type_: str, inputs: Props, moment: datetime) -> tuple[str, Props]:
    """Generate the key, certificate or CSR; returns (id, computed outputs)."""
    try:
        if type_ == PRIVATE_KEY:
            return _create_private_key(inputs)
        if type_ == SELF_SIGNED_CERT:
            return _create_self_signed(inputs, moment)
        if type_ == CERT_REQUEST:
            return _create_cert_request(inputs)
    except (ValueError, TypeError, KeyError) as error:
        raise ResourceError(f"{type_}: {_safe(error)}") from None
    raise ResourceError(f"unsupported tls resource type {type_}")


def preview(type_: str) -> Props:
    """Computed outputs during a preview: all unknown."""
    return {name: UNKNOWN for name in COMPUTED.get(type_, ())}


def ready_for_renewal(outputs: Props, early_renewal_hours: Any, moment: datetime) -> bool:
    """True once ``moment`` is at or past ``validityEndTime - early_renewal_hours``."""
    end = outputs.get("validityEndTime")
    if not end or contains_unknown(end) or contains_unknown(early_renewal_hours):
        return False
    early = timedelta(hours=float(early_renewal_hours or 0))
    return moment >= parse_rfc3339(str(end)) - early


def refresh(type_: str, outputs: Props, moment: datetime) -> Props:
    """What a refresh changes: a certificate sets ``readyForRenewal`` inside its renewal window."""
    if type_ != SELF_SIGNED_CERT or not outputs.get("validityEndTime"):
        return {}
    if ready_for_renewal(outputs, outputs.get("earlyRenewalHours"), moment):
        return {RENEWAL: True}
    return {}


def update(type_: str, olds: Props, news: Props, moment: datetime) -> Props:
    """In-place update (only SelfSignedCert.earlyRenewalHours): recompute ``readyForRenewal``."""
    if type_ != SELF_SIGNED_CERT:
        return {}
    early = news.get("earlyRenewalHours")
    if contains_unknown(early):  # a preview with the new value not yet known
        return {RENEWAL: UNKNOWN}
    return {RENEWAL: ready_for_renewal(olds, early, moment)}


# -- private keys --------------------------------------------------------------------------------------
def _generate_key(inputs: Props):
    algorithm = inputs.get("algorithm")
    if algorithm == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or 2048))
    if algorithm == "ECDSA":
        return ec.generate_private_key(CURVES[inputs.get("ecdsaCurve") or "P224"]())
    if algorithm == "ED25519":
        return ed25519.Ed25519PrivateKey.generate()
    raise ValueError(f"unsupported algorithm {algorithm!r}")


def _pem(key, fmt) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _openssh_public(public_key) -> str:
    try:
        return (
            public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + "\n"
        )
    except ValueError:
        return ""  # e.g. P224 has no OpenSSH form; the real provider leaves these empty too


def _create_private_key(inputs: Props) -> tuple[str, Props]:
    key = _generate_key(inputs)
    public = key.public_key()
    legacy = (
        serialization.PrivateFormat.PKCS8
        if inputs["algorithm"] == "ED25519"
        else serialization.PrivateFormat.TraditionalOpenSSL
    )
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    openssh = _openssh_public(public)
    blob = base64.b64decode(openssh.split()[1]) if openssh else public_der
    outputs = {
        "privateKeyPem": _pem(key, legacy),
        "privateKeyPemPkcs8": _pem(key, serialization.PrivateFormat.PKCS8),
        "privateKeyOpenssh": _pem(key, serialization.PrivateFormat.OpenSSH) if openssh else "",
        "publicKeyPem": public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        ).decode(),
        "publicKeyOpenssh": openssh,
        "publicKeyFingerprintMd5": ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest()),
        "publicKeyFingerprintSha256": "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="),
    }
    return hashlib.sha1(public_der).hexdigest(), outputs


# -- certificates and requests -------------------------------------------------------------------------
def _load_key(pem: Any):
    if not isinstance(pem, str) or "PRIVATE KEY-----" not in pem:
        raise ValueError("privateKeyPem is not a PEM private key")
    try:
        return serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise ValueError("privateKeyPem could not be parsed as an unencrypted PEM private key") from None


def _subject(subject: Props | None) -> x509.Name:
    subject = subject or {}
    attributes = [x509.NameAttribute(oid, str(subject[k])) for k, oid in SUBJECT_FIELDS.items() if subject.get(k)]
    attributes += [x509.NameAttribute(NameOID.STREET_ADDRESS, s) for s in subject.get("streetAddresses") or []]
    return x509.Name(attributes)


def _san(inputs: Props) -> list[x509.GeneralName]:
    names: list[x509.GeneralName] = [x509.DNSName(d) for d in inputs.get("dnsNames") or []]
    names += [x509.IPAddress(ipaddress.ip_address(i)) for i in inputs.get("ipAddresses") or []]
    names += [x509.UniformResourceIdentifier(u) for u in inputs.get("uris") or []]
    return names


def _signature_hash(key):
    return None if isinstance(key, ed25519.Ed25519PrivateKey) else hashes.SHA256()


def _key_algorithm(key) -> str:
    if isinstance(key, rsa.RSAPrivateKey):
        return "RSA"
    return "ECDSA" if isinstance(key, ec.EllipticCurvePrivateKey) else "ED25519"


def _key_usage(uses: list[str]) -> x509.KeyUsage | None:
    flags = {u: u in uses for u in KEY_USAGES}
    if not any(flags.values()):
        return None
    agreement = flags["key_agreement"]
    return x509.KeyUsage(
        flags["digital_signature"],
        flags["content_commitment"],
        flags["key_encipherment"],
        flags["data_encipherment"],
        agreement,
        flags["cert_signing"],
        flags["crl_signing"],
        flags["encipher_only"] and agreement,
        flags["decipher_only"] and agreement,
    )


def _add_usages(builder: x509.CertificateBuilder, uses: list[str], is_ca: bool) -> x509.CertificateBuilder:
    usage = _key_usage(uses)
    if usage is not None:
        builder = builder.add_extension(usage, critical=True)
    extended = [EXTENDED_USAGES[u] for u in uses if u in EXTENDED_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    return builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)


def _add_key_ids(builder: x509.CertificateBuilder, inputs: Props, key) -> x509.CertificateBuilder:
    wants_ski = bool(inputs.get("isCaCertificate")) or bool(inputs.get("setSubjectKeyId"))
    if inputs.get("setAuthorityKeyId") and not wants_ski:
        raise ValueError("setAuthorityKeyId needs a subject key identifier (isCaCertificate or setSubjectKeyId)")
    if not wants_ski:
        return builder
    ski = x509.SubjectKeyIdentifier.from_public_key(key.public_key())
    builder = builder.add_extension(ski, critical=False)
    if inputs.get("setAuthorityKeyId"):
        aki = x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski)
        builder = builder.add_extension(aki, critical=False)
    return builder


def _create_self_signed(inputs: Props, moment: datetime) -> tuple[str, Props]:
    key = _load_key(inputs.get("privateKeyPem"))
    start = moment.replace(microsecond=0)
    end = start + timedelta(hours=float(inputs["validityPeriodHours"]))
    serial = secrets.randbits(127) + 1
    name = _subject(inputs.get("subject"))
    is_ca = bool(inputs.get("isCaCertificate"))
    if is_ca and not list(name):
        raise ValueError("a CA certificate needs at least one subject field")
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(serial)
        .not_valid_before(start)
        .not_valid_after(end)
    )
    builder = _add_usages(builder, list(inputs.get("allowedUses") or []), is_ca)
    builder = _add_key_ids(builder, inputs, key)
    if _san(inputs):
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(inputs)), critical=False)
    cert = builder.sign(key, _signature_hash(key))
    return str(serial), {
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": rfc3339(start),
        "validityEndTime": rfc3339(end),
        RENEWAL: False,
        "keyAlgorithm": _key_algorithm(key),
    }


def _create_cert_request(inputs: Props) -> tuple[str, Props]:
    key = _load_key(inputs.get("privateKeyPem"))
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(inputs.get("subject")))
    if _san(inputs):
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(inputs)), critical=False)
    pem = builder.sign(key, _signature_hash(key)).public_bytes(serialization.Encoding.PEM).decode()
    return hashlib.sha1(pem.encode()).hexdigest(), {"certRequestPem": pem, "keyAlgorithm": _key_algorithm(key)}


def _safe(error: Exception) -> str:
    """An error message fit for the engine's log: truncated, and never a PEM body."""
    text = str(error)
    return "invalid key material" if "-----BEGIN" in text else text[:300]
