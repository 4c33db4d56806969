"""How the deployer authenticates to Salesforce, and the authenticated session it gets.

Methods (typed credentials, every secret hidden from ``repr``):
- ``AccessTokenAuth``: an access token + instance URL obtained elsewhere;
- ``JwtAuth``: JWT bearer through an existing admin app, key from a PEM, a file or a Secrets Manager secret;
- ``RefreshTokenAuth``: refresh token (also parsed from an SFDX auth URL ``force://id:secret:token@host``);
- ``SoapLoginAuth``: legacy partner SOAP ``login()`` (refused at API 65.0 and later).
``open_session`` turns any of them into a ``SalesforceSession`` (instance URL, token, org id, user),
checked with one API call: a SOQL query of the user named by the token response's ``id`` URL (the
``api`` scope suffices), or userinfo for a bare access token, which has no ``id`` URL (that needs an
``id``/``openid``/``full`` scope). TLS verification stays on (``ca_bundle`` adds a private CA).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import requests
from lxml import etree

from components.salesforce import rest
from components.salesforce.namespaces import PARTNER_NS, SOAP_ENV_NS
from components.salesforce.retries import TRANSIENT_ATTEMPTS, transient_retrying
from components.salesforce.token_exchange import (
    AccessToken,
    Clock,
    ErrorClass,
    SystemClock,
    TokenExchangeError,
    api_refusal,
    assertion_claims,
    build_assertion,
    load_rsa_private_key,
    own_user,
    post_token_request,
    require_https,
    tls_hint,
    verified_session,
)
from components.settings import DEFAULT_API_VERSION, deployer_names, parse_auth_url

LAST_SOAP_LOGIN_VERSION = 64


class SessionError(Exception):
    """The deployer could not authenticate; the message names the setting to fix (never a secret)."""


# -- key sources for JWT ----------------------------------------------------------------------------
@dataclass(frozen=True)
class PemKey:
    """A private key given inline (e.g. from a Pulumi config secret)."""

    pem: str = field(repr=False)

    def load(self) -> str:
        return self.pem


@dataclass(frozen=True)
class KeyFile:
    """A private key in a PEM file."""

    path: Path

    def load(self) -> str:
        try:
            return Path(self.path).read_text(encoding="ascii")
        except OSError as exc:
            raise SessionError(f"jwt key file: cannot read {self.path} ({exc.strerror})") from None


@dataclass(frozen=True)
class SecretsManagerKey:
    """A private key in AWS Secrets Manager: a PEM string or a JSON document with ``json_field``."""

    secret_id: str
    region: str | None = None
    endpoint_url: str | None = None
    version_stage: str = "AWSCURRENT"
    json_field: str = "private_key_pem"

    def load(self) -> str:
        import boto3  # local import: only this key source needs AWS
        from botocore.exceptions import BotoCoreError, ClientError

        client = boto3.client("secretsmanager", region_name=self.region, endpoint_url=self.endpoint_url)
        try:
            value = client.get_secret_value(SecretId=self.secret_id, VersionStage=self.version_stage)["SecretString"]
        except (ClientError, BotoCoreError, KeyError) as exc:
            raise SessionError(
                f"jwt key secret {self.secret_id!r} ({self.version_stage}): cannot read it ({type(exc).__name__})"
            ) from None
        if value.lstrip().startswith("{"):
            try:
                value = json.loads(value)[self.json_field]
            except (ValueError, KeyError, TypeError):
                raise SessionError(
                    f"jwt key secret {self.secret_id!r}: JSON without a {self.json_field!r} field"
                ) from None
        return str(value)


KeySource = PemKey | KeyFile | SecretsManagerKey


# -- credentials -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class AccessTokenAuth:
    instance_url: str
    access_token: str = field(repr=False)

    def __post_init__(self) -> None:
        require_https(self.instance_url, "instance_url")
        if not self.access_token:
            raise SessionError(f"access token: empty; set {deployer_names('deployerAccessToken')}")


@dataclass(frozen=True)
class JwtAuth:
    """JWT bearer through an existing admin app (the deployer's own app, not the one being deployed)."""

    login_url: str
    consumer_key: str
    username: str
    key: KeySource
    audience: str | None = None
    token_url: str | None = None

    def __post_init__(self) -> None:
        require_https(self.login_url, "login_url")
        if not self.consumer_key or not self.username:
            raise SessionError(
                f"jwt: set both the deployer app's consumer key and the username: "
                f"{deployer_names('deployerJwtConsumerKey', 'deployerUsername')}"
            )


@dataclass(frozen=True)
class RefreshTokenAuth:
    login_url: str
    client_id: str
    refresh_token: str = field(repr=False)
    client_secret: str = field(default="", repr=False)

    def __post_init__(self) -> None:
        require_https(self.login_url, "login_url")
        if not self.client_id or not self.refresh_token:
            raise SessionError(
                "refresh token: set the client id and the refresh token "
                f"({deployer_names('deployerClientId', 'deployerRefreshToken')}), "
                f"or {deployer_names('deployerAuthUrl')}"
            )

    @classmethod
    def from_sfdx_auth_url(cls, auth_url: str) -> RefreshTokenAuth:
        """Parse ``force://<clientId>:<clientSecret>:<refreshToken>@<host>`` (secret may be empty)."""
        try:
            parts = parse_auth_url(auth_url)
        except ValueError as exc:
            raise SessionError(f"sfdx auth url {exc}") from None
        return cls(
            login_url=f"https://{parts['host']}",
            client_id=parts["client_id"],
            refresh_token=parts["refresh_token"],
            client_secret=parts["client_secret"],
        )


@dataclass(frozen=True)
class SoapLoginAuth:
    """Legacy partner SOAP login (username + password + security token); gone from API 65.0."""

    login_url: str
    username: str
    password: str = field(repr=False)
    security_token: str = field(default="", repr=False)
    api_version: str = "64.0"

    def __post_init__(self) -> None:
        require_https(self.login_url, "login_url")
        if int(float(self.api_version)) > LAST_SOAP_LOGIN_VERSION:
            raise SessionError(
                f"soap login: SOAP login() is not available at API {self.api_version} (removed in 65.0); "
                "use an access token, JWT or a refresh token / SFDX auth URL instead"
            )
        if not self.username or not self.password:
            raise SessionError(
                f"soap login: set {deployer_names('deployerUsername', 'deployerPassword')} "
                "(with the security token appended to the password when the org asks for one)"
            )


DeployerAuth = AccessTokenAuth | JwtAuth | RefreshTokenAuth | SoapLoginAuth


# -- the session -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SalesforceSession:
    """An authenticated deployer session; ``repr`` hides the token."""

    instance_url: str
    access_token: str = field(repr=False)
    org_id: str
    user_id: str | None
    username: str
    api_version: str = DEFAULT_API_VERSION
    ca_bundle: str | None = None
    http: requests.Session = field(default_factory=requests.Session, repr=False, compare=False)

    def query(self, soql: str) -> list[dict[str, Any]]:
        """The records of a SOQL query (REST, on this session's requests session and TLS trust)."""
        return rest.query(self.http, self.instance_url, self.access_token, soql, self.api_version)

    def create(self, sobject: str, fields: dict[str, Any]) -> dict[str, Any]:
        """Insert one record through REST."""
        return rest.create(self.http, self.instance_url, self.access_token, sobject, fields, self.api_version)

    @property
    def metadata_url(self) -> str:
        return f"{self.instance_url}/services/Soap/m/{self.api_version}"


TOKEN_ATTEMPTS = TRANSIENT_ATTEMPTS  # deployer token requests, when the endpoint does not answer usefully


def _with_transient_retry(call: Any) -> Any:
    return transient_retrying(
        lambda exc: isinstance(exc, TokenExchangeError) and exc.error_class is ErrorClass.TRANSIENT
    )(call)


def _token_via_jwt(auth: JwtAuth, http: requests.Session, clock: Clock) -> AccessToken:
    pem = auth.key.load()
    try:
        load_rsa_private_key(pem, setting="jwt key")
    except ValueError as exc:
        raise SessionError(str(exc)) from None
    base = require_https(auth.login_url, "login_url")
    token_url = auth.token_url or f"{base}/services/oauth2/token"
    claims = assertion_claims(
        consumer_key=auth.consumer_key, username=auth.username, audience=auth.audience or base, issued_at=clock.now()
    )
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:jwt-bearer", "assertion": build_assertion(pem, claims)}
    return _with_transient_retry(lambda: post_token_request(http, token_url, form, certificate_changed=False))


def _token_via_refresh(auth: RefreshTokenAuth, http: requests.Session) -> AccessToken:
    form = {"grant_type": "refresh_token", "client_id": auth.client_id, "refresh_token": auth.refresh_token}
    if auth.client_secret:
        form["client_secret"] = auth.client_secret
    return _with_transient_retry(lambda: post_token_request(http, f"{auth.login_url}/services/oauth2/token", form))


def soap_login_envelope(username: str, password: str) -> bytes:
    """The partner ``login`` request body."""
    envelope = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soapenv": SOAP_ENV_NS, "urn": PARTNER_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_ENV_NS}}}Body")
    login = etree.SubElement(body, f"{{{PARTNER_NS}}}login")
    etree.SubElement(login, f"{{{PARTNER_NS}}}username").text = username
    etree.SubElement(login, f"{{{PARTNER_NS}}}password").text = password
    return etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")


def parse_soap_login(xml: bytes) -> tuple[AccessToken, str, str]:
    """(token, org id, username) from a partner ``loginResponse``; ``SessionError`` on a fault."""
    try:
        root = etree.fromstring(xml)
    except etree.XMLSyntaxError:
        raise SessionError(
            "soap login: the server did not answer with SOAP XML; check the login URL (the stack's `loginUrl`, "
            "or `check --login-url`)"
        ) from None
    fault = root.find(f".//{{{SOAP_ENV_NS}}}Fault")
    if fault is not None:
        reason = fault.findtext("faultstring") or "login refused"
        raise SessionError(f"soap login refused: {reason}; check username, password and security token")
    find = lambda path: root.findtext(path, namespaces={"p": PARTNER_NS})  # noqa: E731
    session_id = find(".//p:result/p:sessionId")
    server_url = find(".//p:result/p:serverUrl")
    if not session_id or not server_url:
        raise SessionError("soap login: the answer has no sessionId/serverUrl")
    parts = urlsplit(server_url)
    token = AccessToken(access_token=session_id, instance_url=f"{parts.scheme}://{parts.netloc}")
    return token, find(".//p:userInfo/p:organizationId") or "", find(".//p:userInfo/p:userName") or ""


def _token_via_soap(auth: SoapLoginAuth, http: requests.Session) -> AccessToken:
    url = f"{auth.login_url.rstrip('/')}/services/Soap/u/{auth.api_version}"
    body = soap_login_envelope(auth.username, auth.password + auth.security_token)
    try:
        response = http.post(url, data=body, headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": "login"})
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SessionError(f"soap login: {urlsplit(url).netloc} did not answer ({type(exc).__name__})") from None
    if response.status_code == 404:
        raise SessionError(
            f"soap login: {url} does not exist (HTTP 404); use OAuth (JWT, refresh token or access token)"
        )
    return parse_soap_login(response.content)[0]


def _token_for(credentials: DeployerAuth, http: requests.Session, clock: Clock) -> AccessToken:
    if isinstance(credentials, AccessTokenAuth):
        return AccessToken(access_token=credentials.access_token, instance_url=credentials.instance_url)
    try:
        if isinstance(credentials, JwtAuth):
            return _token_via_jwt(credentials, http, clock)
        if isinstance(credentials, RefreshTokenAuth):
            return _token_via_refresh(credentials, http)
    except TokenExchangeError as exc:
        assert isinstance(credentials, JwtAuth | RefreshTokenAuth)  # the only token-exchanging methods
        raise SessionError(_token_failure(credentials, exc)) from None
    if isinstance(credentials, SoapLoginAuth):
        return _token_via_soap(credentials, http)
    raise SessionError(f"unsupported credentials type {type(credentials).__name__}")


JWT_NAMES = ("deployerJwtConsumerKey", "deployerUsername", "deployerJwtKeyFile", "deployerJwtKeySecretId")
REFRESH_NAMES = ("deployerAuthUrl", "deployerClientId", "deployerRefreshToken")


def _token_failure(credentials: JwtAuth | RefreshTokenAuth, exc: TokenExchangeError) -> str:
    """A refused deployer login names the settings to check; an endpoint that did not answer usefully
    (5xx, timeouts) is not a refusal: nothing is wrong with the credentials."""
    what, names = ("JWT", JWT_NAMES) if isinstance(credentials, JwtAuth) else ("refresh-token", REFRESH_NAMES)
    host = urlsplit(credentials.login_url).netloc
    if exc.error_class is ErrorClass.TRANSIENT:
        status = f"HTTP {exc.status}" if exc.status else exc.error
        return (
            f"the deployer {what} login got no usable answer from {host} ({status}: {exc.description}) after "
            f"{TOKEN_ATTEMPTS} attempts; Salesforce may be unavailable or in maintenance "
            "(status.salesforce.com): run again later"
        )
    return f"deployer {what} login refused ({exc.error}: {exc.description}); check {deployer_names(*names)}"


def open_session(
    credentials: DeployerAuth,
    *,
    ca_bundle: str | None = None,
    api_version: str = DEFAULT_API_VERSION,
    http: requests.Session | None = None,
    clock: Clock | None = None,
) -> SalesforceSession:
    """Authenticate the deployer and identify the user and org with one API call."""
    http = http or verified_session(ca_bundle)
    token = _token_for(credentials, http, clock or SystemClock())
    instance_url = require_https(token.instance_url, "instance_url")
    host = urlsplit(instance_url).netloc
    try:
        org_id, user_id, username = _identify(http, instance_url, token, api_version)
    except rest.ApiError as exc:
        raise SessionError(f"the deployer token was refused by {host} (HTTP {exc.status}): {_refusal(exc)}") from None
    except requests.exceptions.SSLError:
        raise SessionError(f"TLS verification failed for {host}: {tls_hint(http)}") from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise SessionError(f"{host} did not answer ({type(exc).__name__})") from None
    if not org_id or not username:
        raise SessionError("the org did not name the deployer's user and org; is instance_url a Salesforce org?")
    return SalesforceSession(
        instance_url=instance_url,
        access_token=token.access_token,
        org_id=org_id,
        user_id=user_id,
        username=username,
        api_version=api_version,
        ca_bundle=ca_bundle,
        http=http,
    )


def _identify(
    http: requests.Session, instance_url: str, token: AccessToken, api_version: str
) -> tuple[str, str | None, str]:
    """(org id, user id, username): from the ``id`` URL and the user's own record, else from userinfo."""
    if token.org_id and token.user_id:
        record = own_user(http, instance_url, token.access_token, token.user_id, api_version) or {}
        return token.org_id, record.get("Id") or token.user_id, str(record.get("Username") or "")
    info = rest.userinfo(http, instance_url, token.access_token)
    return (str(info.get("organization_id") or ""), info.get("user_id"), str(info.get("preferred_username") or ""))


def _refusal(exc: rest.ApiError) -> str:
    if exc.status == 403 and "Bad_OAuth_Token" in str(exc.content):
        return (
            "an access token without an identity URL is identified through userinfo, which needs the id, "
            "openid or full scope; use a token with one of them, or the JWT / auth URL method"
        )
    reason = api_refusal(exc)
    if exc.status == 401 and reason.startswith("the token is expired"):
        return "it is expired, revoked or for another org - obtain a new one"
    return reason
