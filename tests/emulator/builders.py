"""Test-side builders: keys and certificates, JWT assertions, metadata bundles, a tiny SOAP caller.

Keys are generated at run time (never committed). The SOAP caller is deliberately plain
``requests`` + lxml so emulator tests do not depend on the product's client.
"""

from __future__ import annotations

import base64
import datetime
import functools
import io
import time
import zipfile
from collections.abc import Iterable
from typing import Any
from xml.sax.saxutils import escape

import jwt
import requests
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from tests.fixtures.certificates import make_cert, make_ec_key, make_rsa_key, pem_cert, pem_key

MD = "http://soap.sforce.com/2006/04/metadata"
SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


@functools.lru_cache(maxsize=8)
def key_pair(slot: int = 0, kind: str = "rsa") -> tuple[bytes, str]:
    """(private key PEM, self-signed certificate PEM); cached per slot so tests stay fast."""
    key = make_rsa_key(2048, 4000 + slot) if kind == "rsa" else make_ec_key()
    now = datetime.datetime.now(datetime.UTC)
    cert = make_cert(key, common_name=f"jwt-test-{slot}", not_before=now - datetime.timedelta(days=1), serial=None)
    return pem_key(key), pem_cert(cert).decode()


def der(certificate_pem: str) -> bytes:
    """The DER bytes of a PEM certificate (what a real org's bare base64 read-back decodes to)."""
    return x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)


def assertion(
    private_key: bytes, iss: str, sub: str, aud: str, exp: Any = None, alg: str = "RS256", **extra: Any
) -> str:
    """A signed JWT bearer assertion (PyJWT, like simple-salesforce)."""
    claims = {"iss": iss, "sub": sub, "aud": aud, "exp": int(time.time()) + 180 if exp is None else exp, **extra}
    return jwt.encode(claims, private_key, algorithm=alg)


def token_request(org, jwt_text: str, **form: str) -> requests.Response:
    """POST the assertion to the emulator's token endpoint."""
    data = {"grant_type": JWT_BEARER, "assertion": jwt_text, **form}
    return requests.post(org.token_url, data=data, verify=org.ca_bundle, timeout=30)


def _elements(name: str, values: Iterable[str]) -> str:
    return "".join(f"<{name}>{escape(v)}</{name}>" for v in values)


def connected_app(
    cert: str | None,
    consumer_key: str | None = None,
    admin_approved: bool = True,
    scopes: Iterable[str] = ("Api", "RefreshToken"),
    permission_sets: Iterable[str] = (),
    profiles: Iterable[str] = (),
    label: str = "JWT App",
) -> str:
    """A WSDL-ordered ConnectedApp document."""
    oauth = "<callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>"
    if cert:
        oauth += f"<certificate>{escape(cert)}</certificate>"
    if consumer_key:
        oauth += f"<consumerKey>{consumer_key}</consumerKey>"
    oauth += f"<isAdminApproved>{str(admin_approved).lower()}</isAdminApproved>" + _elements("scopes", scopes)
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><ConnectedApp xmlns="{MD}">'
        f"<contactEmail>admin@example.com</contactEmail><label>{escape(label)}</label>"
        f"<oauthConfig>{oauth}</oauthConfig>"
        "<oauthPolicy><ipRelaxation>ENFORCE</ipRelaxation><refreshTokenPolicy>infinite</refreshTokenPolicy></oauthPolicy>"
        f"{_elements('permissionSetName', permission_sets)}{_elements('profileName', profiles)}</ConnectedApp>"
    )


def permission_set(label: str = "JWT Access") -> str:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><PermissionSet xmlns="{MD}">'
        f"<hasActivationRequired>false</hasActivationRequired><label>{escape(label)}</label></PermissionSet>"
    )


def eca_files(
    name: str,
    cert: str | None,
    consumer_key: str | None = None,
    scopes: str = "Api, RefreshToken",
    policy: str = "AdminApprovedPreAuthorized",
    permission_sets: Iterable[str] = (),
    profiles: Iterable[str] = (),
    with_policies: bool = True,
    oauth_name: str | None = None,
) -> dict[str, dict[str, str]]:
    """The ECA bundle: {type: {fullName: xml}} (header, global OAuth, OAuth settings, two policies)."""
    oauth_name = oauth_name or f"{name}_oauth"
    glbl = "<callbackUrl>https://login.salesforce.com/services/oauth2/success</callbackUrl>"
    if cert:
        glbl += f"<certificate>{escape(cert)}</certificate>"
    if consumer_key:
        glbl += f"<consumerKey>{consumer_key}</consumerKey>"
    glbl += f"<externalClientApplication>{name}</externalClientApplication><label>{name} global</label>"
    files = {
        "ExternalClientApplication": {
            name: (
                f'<ExternalClientApplication xmlns="{MD}"><contactEmail>admin@example.com</contactEmail>'
                f"<distributionState>Local</distributionState><isProtected>false</isProtected><label>{name}</label>"
                "</ExternalClientApplication>"
            )
        },
        "ExtlClntAppGlobalOauthSettings": {
            f"{name}_glbloauth": f'<ExtlClntAppGlobalOauthSettings xmlns="{MD}">{glbl}</ExtlClntAppGlobalOauthSettings>'
        },
        "ExtlClntAppOauthSettings": {
            oauth_name: (
                f'<ExtlClntAppOauthSettings xmlns="{MD}"><commaSeparatedOauthScopes>{scopes}</commaSeparatedOauthScopes>'
                f"<externalClientApplication>{name}</externalClientApplication><label>{name} oauth</label>"
                "</ExtlClntAppOauthSettings>"
            )
        },
    }
    if with_policies:
        sets = (
            f"<commaSeparatedPermissionSet>{','.join(permission_sets)}</commaSeparatedPermissionSet>"
            if permission_sets
            else ""
        )
        profs = f"<commaSeparatedProfile>{','.join(profiles)}</commaSeparatedProfile>" if profiles else ""
        files["ExtlClntAppOauthConfigurablePolicies"] = {
            f"{oauth_name}_defaultPolicy": (
                f'<ExtlClntAppOauthConfigurablePolicies xmlns="{MD}">{sets}{profs}'
                f"<externalClientApplication>{name}</externalClientApplication><ipRelaxationPolicyType>Enforce</ipRelaxationPolicyType>"
                f"<label>{name} policy</label><permittedUsersPolicyType>{policy}</permittedUsersPolicyType>"
                "</ExtlClntAppOauthConfigurablePolicies>"
            )
        }
        files["ExtlClntAppConfigurablePolicies"] = {
            f"{name}_defaultPolicy": (
                f'<ExtlClntAppConfigurablePolicies xmlns="{MD}"><externalClientApplication>{name}</externalClientApplication>'
                f"<isEnabled>true</isEnabled><isOauthPluginEnabled>true</isOauthPluginEnabled><label>{name} app policy</label>"
                "</ExtlClntAppConfigurablePolicies>"
            )
        }
    return files


FOLDERS = {
    "ConnectedApp": ("connectedApps", "connectedApp"),
    "PermissionSet": ("permissionsets", "permissionset"),
    "ExternalClientApplication": ("externalClientApps", "eca"),
    "ExtlClntAppGlobalOauthSettings": ("extlClntAppGlobalOauthSets", "ecaGlblOauth"),
    "ExtlClntAppOauthSettings": ("extlClntAppOauthSettings", "ecaOauth"),
    "ExtlClntAppOauthConfigurablePolicies": ("extlClntAppOauthPolicies", "ecaOauthPlcy"),
    "ExtlClntAppConfigurablePolicies": ("extlClntAppPolicies", "ecaPlcy"),
}


def bundle(
    components: dict[str, dict[str, str]],
    prefix: str = "",
    version: str = "63.0",
    extra_files: dict[str, bytes] | None = None,
) -> bytes:
    """A deploy zip from {type: {fullName: xml}} with a matching package.xml."""
    types = "".join(
        f"<types>{_elements('members', sorted(members))}<name>{kind}</name></types>"
        for kind, members in components.items()
    )
    manifest = (
        f'<?xml version="1.0" encoding="UTF-8"?><Package xmlns="{MD}">{types}<version>{version}</version></Package>'
    )
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr(prefix + "package.xml", manifest)
        for kind, members in components.items():
            folder, suffix = FOLDERS[kind]
            for full_name, xml in members.items():
                archive.writestr(f"{prefix}{folder}/{full_name}.{suffix}", xml)
        for path, data in (extra_files or {}).items():
            archive.writestr(path, data)
    return buffer.getvalue()


class Soap:
    """A minimal Metadata API caller (requests + lxml) for emulator tests."""

    def __init__(self, org, token: str | None = None, version: str = "63.0") -> None:
        self.org, self.token, self.version = org, token or org.admin_access_token, version

    def post_raw(self, body: bytes | str, path_suffix: str = "") -> requests.Response:
        url = f"{self.org.instance_url}/services/Soap/m/{self.version}{path_suffix}"
        return requests.post(
            url,
            data=body,
            headers={"Content-Type": "text/xml", "SOAPAction": '""'},
            verify=self.org.ca_bundle,
            timeout=30,
        )

    def call(self, operation_xml: str) -> requests.Response:
        envelope = (
            f'<soapenv:Envelope xmlns:soapenv="{SOAP}" xmlns="{MD}"><soapenv:Header><SessionHeader>'
            f"<sessionId>{self.token}</sessionId></SessionHeader></soapenv:Header>"
            f"<soapenv:Body>{operation_xml}</soapenv:Body></soapenv:Envelope>"
        )
        return self.post_raw(envelope)

    def result(self, operation_xml: str) -> list[etree._Element]:
        response = self.call(operation_xml)
        assert response.status_code == 200, response.text
        return etree.fromstring(response.content).findall(f".//{{{MD}}}result")

    def deploy(self, zip_bytes: bytes, **options: bool) -> str:
        opts = "".join(f"<{k}>{str(v).lower()}</{k}>" for k, v in {"singlePackage": True, **options}.items())
        encoded = base64.b64encode(zip_bytes).decode()
        found = self.result(f"<deploy><ZipFile>{encoded}</ZipFile><DeployOptions>{opts}</DeployOptions></deploy>")
        return found[0].findtext(f"{{{MD}}}id")

    def status(self, job_id: str) -> etree._Element:
        return self.result(
            f"<checkDeployStatus><asyncProcessId>{job_id}</asyncProcessId>"
            "<includeDetails>true</includeDetails></checkDeployStatus>"
        )[0]

    def deploy_and_wait(self, zip_bytes: bytes, **options: bool) -> etree._Element:
        job = self.deploy(zip_bytes, **options)
        for _ in range(200):
            result = self.status(job)
            if result.findtext(f"{{{MD}}}done") == "true":
                return result
            time.sleep(0.05)
        raise AssertionError("deploy did not finish")

    def read(self, type_name: str, *names: str) -> list[etree._Element]:
        body = "".join(f"<fullNames>{n}</fullNames>" for n in names)
        found = self.result(f"<readMetadata><type>{type_name}</type>{body}</readMetadata>")
        return found[0].findall(f"{{{MD}}}records")


def problems(result: etree._Element) -> list[str]:
    """Problem texts of a DeployResult's componentFailures."""
    return [f.findtext(f"{{{MD}}}problem") for f in result.iter(f"{{{MD}}}componentFailures")]


def field(result: etree._Element, name: str) -> str | None:
    return result.findtext(f"{{{MD}}}{name}")


def deploy_ok(soap: Soap, components: dict[str, dict[str, str]], **options: bool) -> etree._Element:
    """Deploy and assert success."""
    result = soap.deploy_and_wait(bundle(components), **options)
    assert field(result, "status") == "Succeeded", problems(result)
    return result


def jwt_app(
    org,
    soap: Soap,
    kind: str = "ConnectedApp",
    name: str = "JwtApp",
    slot: int = 0,
    consumer_key: str = "EmuKey0000000001",
    **kwargs: Any,
) -> tuple[bytes, str]:
    """Deploy a pre-authorized JWT app (+ permission set ``JwtAccess`` assigned to the integration user)."""
    private_key, cert = key_pair(slot)
    components: dict[str, dict[str, str]] = {"PermissionSet": {"JwtAccess": permission_set()}}
    if kind == "ConnectedApp":
        org.settings(allow_connected_app_creation=True)
        components["ConnectedApp"] = {name: connected_app(cert, consumer_key, permission_sets=["JwtAccess"], **kwargs)}
    else:
        components.update(eca_files(name, cert, consumer_key, permission_sets=["JwtAccess"], **kwargs))
    deploy_ok(soap, components)
    holder = next(u for u in org.users() if u["username"] == org.integration_username)
    if "JwtAccess" not in holder["permission_sets"]:
        org.assign(org.integration_username, "JwtAccess")
    return private_key, consumer_key
