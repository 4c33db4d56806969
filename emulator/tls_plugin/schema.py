"""``GetSchema``: a small but valid Pulumi package schema for ``tls`` 5.6.2, covering what the stand-in models.

It lists the three resources with their input and output properties (secret flags included), not the
real provider's functions, LocallySignedCert, provider configuration or documentation.
"""

from __future__ import annotations

import json
from typing import Any

from . import PACKAGE, VERSION
from .resources import CERT_REQUEST, PRIVATE_KEY, SECRET_OUTPUTS, SELF_SIGNED_CERT

STRING: dict[str, Any] = {"type": "string"}
INTEGER: dict[str, Any] = {"type": "integer"}
BOOLEAN: dict[str, Any] = {"type": "boolean"}
STRINGS: dict[str, Any] = {"type": "array", "items": {"type": "string"}}
SUBJECT_PROPERTIES = {
    **{
        k: STRING
        for k in (
            "commonName",
            "country",
            "emailAddress",
            "locality",
            "organization",
            "organizationalUnit",
            "postalCode",
            "province",
            "serialNumber",
        )
    },
    "streetAddresses": STRINGS,
}


def _subject_type(resource: str) -> str:
    return f"{PACKAGE}:index/{resource}Subject:{resource}Subject"


def _ref(token: str) -> dict[str, Any]:
    return {"$ref": f"#/types/{token}"}


KEY_INPUTS = {"algorithm": STRING, "ecdsaCurve": STRING, "rsaBits": INTEGER}
KEY_OUTPUTS = {
    k: STRING
    for k in (
        "privateKeyPem",
        "privateKeyPemPkcs8",
        "privateKeyOpenssh",
        "publicKeyPem",
        "publicKeyOpenssh",
        "publicKeyFingerprintMd5",
        "publicKeyFingerprintSha256",
    )
}
CERT_INPUTS = {
    "privateKeyPem": STRING,
    "allowedUses": STRINGS,
    "validityPeriodHours": INTEGER,
    "earlyRenewalHours": INTEGER,
    "isCaCertificate": BOOLEAN,
    "dnsNames": STRINGS,
    "ipAddresses": STRINGS,
    "uris": STRINGS,
    "maxPathLength": INTEGER,
    "setSubjectKeyId": BOOLEAN,
    "setAuthorityKeyId": BOOLEAN,
    "subject": _ref(_subject_type("SelfSignedCert")),
}
CERT_OUTPUTS = {
    "certPem": STRING,
    "validityStartTime": STRING,
    "validityEndTime": STRING,
    "readyForRenewal": BOOLEAN,
    "keyAlgorithm": STRING,
}
CSR_INPUTS = {
    "privateKeyPem": STRING,
    "dnsNames": STRINGS,
    "ipAddresses": STRINGS,
    "uris": STRINGS,
    "subject": _ref(_subject_type("CertRequest")),
}
CSR_OUTPUTS = {"certRequestPem": STRING, "keyAlgorithm": STRING}


def _props(specs: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {k: {**v, "secret": True} if k in SECRET_OUTPUTS else dict(v) for k, v in specs.items()}


def _resource(description: str, inputs: dict, outputs: dict, required_inputs: list[str]) -> dict[str, Any]:
    properties = _props({**inputs, **outputs})
    return {
        "description": description,
        "inputProperties": _props(inputs),
        "requiredInputs": required_inputs,
        "properties": properties,
        "required": sorted(set(outputs) | set(required_inputs)),
        "type": "object",
    }


def schema() -> dict[str, Any]:
    """The package schema as a dict."""
    return {
        "name": PACKAGE,
        "displayName": "TLS",
        "version": VERSION,
        "description": "Stand-in for the pulumi-tls provider (test equipment; see docs/tls-plugin.md).",
        "meta": {"moduleFormat": "(.*)(?:/[^/]*)"},
        "config": {},
        "provider": {"description": "The tls stand-in provider; it takes no configuration.", "type": "object"},
        "types": {
            _subject_type(r): {"type": "object", "properties": _props(SUBJECT_PROPERTIES)}
            for r in ("SelfSignedCert", "CertRequest")
        },
        "resources": {
            PRIVATE_KEY: _resource("A private key (RSA, ECDSA or ED25519).", KEY_INPUTS, KEY_OUTPUTS, ["algorithm"]),
            SELF_SIGNED_CERT: _resource(
                "A self-signed certificate.",
                CERT_INPUTS,
                CERT_OUTPUTS,
                ["allowedUses", "privateKeyPem", "validityPeriodHours"],
            ),
            CERT_REQUEST: _resource("A certificate signing request.", CSR_INPUTS, CSR_OUTPUTS, ["privateKeyPem"]),
        },
    }


def schema_json() -> str:
    """The package schema as the JSON text GetSchema returns."""
    return json.dumps(schema(), sort_keys=True)
