"""Stand-in for the pulumi-tls provider (PrivateKey, SelfSignedCert, CertRequest) built on ``cryptography``.

Wire names are camelCase as in the provider schema. Replacement rules follow terraform-provider-tls:
every PrivateKey/CertRequest input forces replacement; every SelfSignedCert input except
``earlyRenewalHours`` does, and so does entering the renewal window (``readyForRenewal``).
"""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import secrets
from datetime import datetime, timedelta
from typing import Any, Callable

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from .clock import parse_rfc3339, rfc3339
from .dynamic_host import DiffOutcome, ProviderError
from .values import Props, contains_unknown, reveal, same_value

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"
TYPES = (PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST)
SECRET_OUTPUTS = ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh")

CURVES = {"P224": ec.SECP224R1, "P256": ec.SECP256R1, "P384": ec.SECP384R1, "P521": ec.SECP521R1}
KEY_USAGES = {
    "digital_signature", "content_commitment", "key_encipherment", "data_encipherment",
    "key_agreement", "cert_signing", "crl_signing", "encipher_only", "decipher_only",
}
EXTENDED_USAGES = {
    "any_extended": ExtendedKeyUsageOID.ANY_EXTENDED_KEY_USAGE,
    "server_auth": ExtendedKeyUsageOID.SERVER_AUTH,
    "client_auth": ExtendedKeyUsageOID.CLIENT_AUTH,
    "code_signing": ExtendedKeyUsageOID.CODE_SIGNING,
    "email_protection": ExtendedKeyUsageOID.EMAIL_PROTECTION,
    "timestamping": ExtendedKeyUsageOID.TIME_STAMPING,
    "ocsp_signing": ExtendedKeyUsageOID.OCSP_SIGNING,
}
SUBJECT_FIELDS = {
    "commonName": NameOID.COMMON_NAME, "organization": NameOID.ORGANIZATION_NAME,
    "organizationalUnit": NameOID.ORGANIZATIONAL_UNIT_NAME, "country": NameOID.COUNTRY_NAME,
    "province": NameOID.STATE_OR_PROVINCE_NAME, "locality": NameOID.LOCALITY_NAME,
    "postalCode": NameOID.POSTAL_CODE, "serialNumber": NameOID.SERIAL_NUMBER,
}
UPDATABLE = {SELF_SIGNED_CERT: {"earlyRenewalHours"}}


class TlsProvider:
    """The TLS provider emulation; ``clock`` returns the engine's current time."""

    def __init__(self, clock: Callable[[], datetime]):
        self._clock = clock

    # -- check -----------------------------------------------------------------------------------
    def check(self, urn: str, type_: str, name: str, olds: Props, news: Props) -> tuple[Props, list[tuple[str, str]]]:
        """Apply defaults and validate inputs; returns (inputs, failures)."""
        inputs = dict(news)
        failures: list[tuple[str, str]] = []
        if type_ == PRIVATE_KEY:
            failures += _check_private_key(inputs)
        elif type_ == SELF_SIGNED_CERT:
            inputs.setdefault("earlyRenewalHours", 0)
            inputs.setdefault("isCaCertificate", False)
            failures += _require(inputs, "privateKeyPem", "allowedUses", "validityPeriodHours")
            failures += _check_uses(inputs.get("allowedUses"))
        elif type_ == CERT_REQUEST:
            failures += _require(inputs, "privateKeyPem")
        else:
            failures.append(("", f"unsupported tls resource type {type_}"))
        return inputs, failures

    # -- diff ------------------------------------------------------------------------------------
    def diff(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> DiffOutcome:
        """Inputs other than the updatable ones replace; a certificate in its renewal window replaces."""
        changed = [k for k in sorted(set(old_inputs) | set(news))
                   if contains_unknown(news.get(k)) or not same_value(old_inputs.get(k), news.get(k))]
        replaces = [k for k in changed if k not in UPDATABLE.get(type_, set())]
        if type_ == SELF_SIGNED_CERT and self._ready_for_renewal(olds):
            replaces.append("readyForRenewal")
        return DiffOutcome("some" if changed or replaces else "none", replaces, False)

    # -- create / update / read / delete -------------------------------------------------------
    def create(self, urn: str, type_: str, name: str, inputs: Props) -> tuple[str, Props]:
        """Generate the key, certificate or CSR."""
        plain = reveal(inputs)
        try:
            if type_ == PRIVATE_KEY:
                return _create_private_key(plain)
            if type_ == SELF_SIGNED_CERT:
                return _create_self_signed(plain, self._clock())
            return _create_cert_request(plain)
        except (ValueError, TypeError) as error:
            raise ProviderError(f"{type_}: {error}") from None

    def update(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> Props:
        """Only SelfSignedCert.earlyRenewalHours updates in place."""
        outputs = {**olds, **news}
        if type_ == SELF_SIGNED_CERT:
            outputs["readyForRenewal"] = self._ready_for_renewal(outputs)
        return outputs

    def read(self, urn: str, type_: str, id_: str, outputs: Props, inputs: Props) -> tuple[str, Props, Props | None]:
        """Refresh: a certificate sets ``readyForRenewal`` once inside its renewal window."""
        if type_ == SELF_SIGNED_CERT and outputs.get("validityEndTime"):
            return id_, {**outputs, "readyForRenewal": self._ready_for_renewal(outputs)}, None
        return id_, outputs, None

    def delete(self, urn: str, type_: str, id_: str, outputs: Props, old_inputs: Props) -> None:
        """Nothing exists outside state."""

    def close(self) -> None:
        """Nothing to stop."""

    def _ready_for_renewal(self, outputs: Props) -> bool:
        end = outputs.get("validityEndTime")
        if not end or contains_unknown(end):
            return False
        early = timedelta(hours=float(outputs.get("earlyRenewalHours") or 0))
        return self._clock() >= parse_rfc3339(end) - early


# -- validation helpers -----------------------------------------------------------------------------
def _require(inputs: Props, *keys: str) -> list[tuple[str, str]]:
    return [(k, f"missing required property '{k}'") for k in keys if inputs.get(k) in (None, "", [])]


def _check_private_key(inputs: Props) -> list[tuple[str, str]]:
    algorithm = inputs.get("algorithm")
    if algorithm not in ("RSA", "ECDSA", "ED25519"):
        return [("algorithm", f"algorithm must be one of RSA, ECDSA, ED25519 (got {algorithm!r})")]
    if algorithm == "RSA":
        inputs.setdefault("rsaBits", 2048)
    if algorithm == "ECDSA":
        inputs.setdefault("ecdsaCurve", "P224")
        if inputs["ecdsaCurve"] not in CURVES and not contains_unknown(inputs["ecdsaCurve"]):
            return [("ecdsaCurve", f"ecdsaCurve must be one of {', '.join(CURVES)}")]
    return []


def _check_uses(uses: Any) -> list[tuple[str, str]]:
    if not isinstance(uses, list) or contains_unknown(uses):
        return []
    unknown = [u for u in uses if u not in KEY_USAGES and u not in EXTENDED_USAGES]
    return [("allowedUses", f"unsupported allowed use {u!r}") for u in unknown]


# -- generation --------------------------------------------------------------------------------------
def _generate_key(inputs: Props):
    if inputs["algorithm"] == "RSA":
        return rsa.generate_private_key(public_exponent=65537, key_size=int(inputs.get("rsaBits") or 2048))
    if inputs["algorithm"] == "ECDSA":
        return ec.generate_private_key(CURVES[inputs.get("ecdsaCurve") or "P224"]())
    return ed25519.Ed25519PrivateKey.generate()


def _pem(key, fmt) -> str:
    return key.private_bytes(serialization.Encoding.PEM, fmt, serialization.NoEncryption()).decode()


def _openssh_public(public_key) -> str:
    try:
        return public_key.public_bytes(serialization.Encoding.OpenSSH, serialization.PublicFormat.OpenSSH).decode() + "\n"
    except ValueError:
        return ""  # e.g. P224 has no OpenSSH form, as in the real provider


def _create_private_key(inputs: Props) -> tuple[str, Props]:
    key = _generate_key(inputs)
    public = key.public_key()
    legacy = serialization.PrivateFormat.PKCS8 if inputs["algorithm"] == "ED25519" else serialization.PrivateFormat.TraditionalOpenSSL
    public_der = public.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    openssh = _openssh_public(public)
    blob = base64.b64decode(openssh.split()[1]) if openssh else public_der
    outputs = {
        **inputs,
        "privateKeyPem": _pem(key, legacy),
        "privateKeyPemPkcs8": _pem(key, serialization.PrivateFormat.PKCS8),
        "privateKeyOpenssh": _pem(key, serialization.PrivateFormat.OpenSSH) if openssh else "",
        "publicKeyPem": public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode(),
        "publicKeyOpenssh": openssh,
        "publicKeyFingerprintMd5": ":".join(f"{b:02x}" for b in hashlib.md5(blob).digest()),
        "publicKeyFingerprintSha256": "SHA256:" + base64.b64encode(hashlib.sha256(blob).digest()).decode().rstrip("="),
    }
    return hashlib.sha1(public_der).hexdigest(), outputs


def _load_key(pem: str):
    return serialization.load_pem_private_key(pem.encode(), password=None)


def _subject(subject: Props | None) -> x509.Name:
    attributes = [x509.NameAttribute(oid, str(subject[k])) for k, oid in SUBJECT_FIELDS.items()
                  if subject and subject.get(k)]
    for street in (subject or {}).get("streetAddresses") or []:
        attributes.append(x509.NameAttribute(NameOID.STREET_ADDRESS, street))
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


def _add_usages(builder: x509.CertificateBuilder, uses: list[str], is_ca: bool) -> x509.CertificateBuilder:
    flags = {u: u in uses for u in KEY_USAGES}
    if any(flags.values()):
        builder = builder.add_extension(x509.KeyUsage(
            flags["digital_signature"], flags["content_commitment"], flags["key_encipherment"],
            flags["data_encipherment"], flags["key_agreement"], flags["cert_signing"], flags["crl_signing"],
            flags["encipher_only"] and flags["key_agreement"], flags["decipher_only"] and flags["key_agreement"]),
            critical=True)
    extended = [EXTENDED_USAGES[u] for u in uses if u in EXTENDED_USAGES]
    if extended:
        builder = builder.add_extension(x509.ExtendedKeyUsage(extended), critical=False)
    return builder.add_extension(x509.BasicConstraints(ca=is_ca, path_length=None), critical=True)


def _create_self_signed(inputs: Props, moment: datetime) -> tuple[str, Props]:
    key = _load_key(inputs["privateKeyPem"])
    start = moment.replace(microsecond=0)
    end = start + timedelta(hours=float(inputs["validityPeriodHours"]))
    serial = secrets.randbits(127) + 1
    name = _subject(inputs.get("subject"))
    builder = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
               .serial_number(serial).not_valid_before(start).not_valid_after(end))
    builder = _add_usages(builder, list(inputs.get("allowedUses") or []), bool(inputs.get("isCaCertificate")))
    if _san(inputs):
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(inputs)), critical=False)
    cert = builder.sign(key, _signature_hash(key))
    outputs = {
        **inputs,
        "certPem": cert.public_bytes(serialization.Encoding.PEM).decode(),
        "validityStartTime": rfc3339(start),
        "validityEndTime": rfc3339(end),
        "readyForRenewal": False,
        "keyAlgorithm": _key_algorithm(key),
    }
    return str(serial), outputs


def _create_cert_request(inputs: Props) -> tuple[str, Props]:
    key = _load_key(inputs["privateKeyPem"])
    builder = x509.CertificateSigningRequestBuilder().subject_name(_subject(inputs.get("subject")))
    if _san(inputs):
        builder = builder.add_extension(x509.SubjectAlternativeName(_san(inputs)), critical=False)
    pem = builder.sign(key, _signature_hash(key)).public_bytes(serialization.Encoding.PEM).decode()
    return hashlib.sha1(pem.encode()).hexdigest(), {**inputs, "certRequestPem": pem, "keyAlgorithm": _key_algorithm(key)}
