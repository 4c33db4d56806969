"""Shared set-up of the benchmarks: moto server and the org emulator on loopback, an ECA deployed with a
certificate made now, and credential documents stored as AWSCURRENT.

A fleet's secrets share one document (one app holds one certificate): nothing in the product caches
by key or document, so each integration costs what a distinct one would.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cryptography import x509  # noqa: E402
from cryptography.hazmat.primitives import hashes, serialization  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import rsa  # noqa: E402
from cryptography.x509.oid import NameOID  # noqa: E402

from components.credentials import CredentialDocument, CredentialStore  # noqa: E402
from components.salesforce.bundle import ECA, AppSpec, PermissionSetSpec  # noqa: E402
from components.salesforce.metadata_api import MetadataClient  # noqa: E402
from components.salesforce.session import AccessTokenAuth, open_session  # noqa: E402
from emulator.aws import start_moto_server  # noqa: E402
from emulator.salesforce.launcher import start_server  # noqa: E402

FAKE_AWS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_SESSION_TOKEN": "testing"}
APP, PERMISSION_SET = "Bench_App", "Bench_App_Access"
CONSUMER_KEY = "3MVG9benchConsumerKey000001"


@dataclass
class Emulators:
    """Both stand-ins, running: the moto server and the org emulator (its ready line as ``org``)."""

    moto: Any
    org: dict[str, str]
    work: Path

    @property
    def region(self) -> str:
        return self.moto.region

    @property
    def endpoint_url(self) -> str:
        return self.moto.endpoint_url


@contextlib.contextmanager
def emulators() -> Iterator[Emulators]:
    """Start moto server and the org emulator on 127.0.0.1; stop both at the end."""
    os.environ.update(FAKE_AWS)
    work = Path(tempfile.mkdtemp(prefix="bench-"))
    moto = start_moto_server()
    server = None
    try:
        server = start_server(work / "salesforce")
        yield Emulators(moto, server.ready, work)
    finally:
        if server is not None:
            server.stop()
        moto.stop()


def key_pair(index: int) -> tuple[str, str]:
    """(private key PEM, self-signed certificate PEM) made now."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"bench-{index}")])
    now = datetime.now(UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=10))
        .not_valid_after(now + timedelta(days=80))
        .sign(key, hashes.SHA256())
    )
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    return pem, cert.public_bytes(serialization.Encoding.PEM).decode()


def document(org: dict[str, str], private_key_pem: str, certificate_pem: str) -> CredentialDocument:
    """The credential document of one integration of the benchmark app."""
    from components.keys import certificate_info

    info, url = certificate_info(certificate_pem), org["instance_url"]
    return CredentialDocument(
        private_key_pem=private_key_pem,
        certificate_pem=certificate_pem,
        fingerprint_sha256=info.fingerprint_sha256,
        not_after=info.not_after,
        consumer_key=CONSUMER_KEY,
        username=org["integration_username"],
        login_url=url,
        audience=url,
        token_url=f"{url}/services/oauth2/token",
        app_name=APP,
        app_kind=ECA,
        slot=None,
        created_at=info.not_before,
    )


def deploy_app(org: dict[str, str], certificate_pem: str) -> None:
    """The benchmark ECA with this certificate, pre-authorized for the integration user."""
    session = open_session(
        AccessTokenAuth(instance_url=org["instance_url"], access_token=org["admin_access_token"]),
        ca_bundle=org["ca_bundle"],
    )
    client = MetadataClient(session)
    client.deploy_app(
        AppSpec(
            kind=ECA,
            name=APP,
            label="Bench App",
            contact_email="ops@example.com",
            certificate_pem=certificate_pem,
            consumer_key=CONSUMER_KEY,
            permission_sets=(PERMISSION_SET,),
            access_permission_set=PermissionSetSpec(PERMISSION_SET, "Bench App"),
        )
    )
    client.assign_permission_set(org["integration_username"], PERMISSION_SET)


def store(env: Emulators, name: str, doc: CredentialDocument) -> None:
    """Create the managed secret and promote the document to AWSCURRENT."""
    secret = CredentialStore(name, env.region, env.endpoint_url)
    secret.ensure_secret()
    secret.promote(secret.put_pending(doc))


def provision(env: Emulators, names: list[str], doc: CredentialDocument) -> None:
    """Store ``doc`` under each of ``names``, 8 at a time."""
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda name: store(env, name, doc), names))


def deployed(env: Emulators) -> CredentialDocument:
    """Deploy the benchmark app with a new key pair; its credential document."""
    private_key_pem, certificate_pem = key_pair(0)
    deploy_app(env.org, certificate_pem)
    return document(env.org, private_key_pem, certificate_pem)
