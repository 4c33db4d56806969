"""Deployer credentials: parsing, precedence, clear errors, redaction; SOAP login request/answer."""

from __future__ import annotations

from pathlib import Path

import pytest

from components.rollout import session_credentials
from components.salesforce.session import (
    AccessTokenAuth,
    KeyFile,
    PemKey,
    RefreshTokenAuth,
    SessionError,
    SoapLoginAuth,
    parse_soap_login,
    soap_login_envelope,
)
from components.settings import load_deployer


def test_sfdx_auth_url_is_parsed_including_an_empty_secret() -> None:
    auth = RefreshTokenAuth.from_sfdx_auth_url("force://PlatformCLI::5Aep861abc%3D%3D@acme.my.salesforce.com")
    assert auth.login_url == "https://acme.my.salesforce.com"
    assert (auth.client_id, auth.client_secret, auth.refresh_token) == ("PlatformCLI", "", "5Aep861abc==")
    assert "5Aep861" not in repr(auth)


@pytest.mark.parametrize(
    "url", ["https://acme.my.salesforce.com", "force://onlyid@host", "force://a:b:@host", "force://a:b:c@"]
)
def test_malformed_auth_urls_say_what_format_is_expected(url: str) -> None:
    with pytest.raises(SessionError, match=r"force://<clientId>:<clientSecret>:<refreshToken>@<host>"):
        RefreshTokenAuth.from_sfdx_auth_url(url)


def test_soap_login_is_refused_from_api_65() -> None:
    with pytest.raises(SessionError, match="removed in 65.0"):
        SoapLoginAuth("https://login.salesforce.com", "admin@example.com", "pw", api_version="65.0")


def test_secrets_are_redacted_in_reprs() -> None:
    shown = " ".join(
        repr(x)
        for x in (
            AccessTokenAuth("https://a.my.salesforce.com", "00D!TOKEN123"),
            SoapLoginAuth("https://login.salesforce.com", "admin@example.com", "PASSWORD123", "STOKEN123"),
            PemKey("-----BEGIN PRIVATE KEY-----KEYBYTES"),
            RefreshTokenAuth("https://a.my.salesforce.com", "cid", "REFRESH123", "SECRET123"),
        )
    )
    for secret in ("TOKEN123", "PASSWORD123", "STOKEN123", "KEYBYTES", "REFRESH123", "SECRET123"):
        assert secret not in shown


def test_missing_key_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(SessionError, match="jwt key file: cannot read"):
        KeyFile(tmp_path / "absent.pem").load()


def test_soap_login_round_trip_and_fault() -> None:
    request = soap_login_envelope("admin@example.com", "pw+token")
    assert b"<urn:username>admin@example.com</urn:username>" in request
    answer = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/" '
        b'xmlns="urn:partner.soap.sforce.com"><soapenv:Body><loginResponse><result>'
        b"<metadataServerUrl>https://acme.my.salesforce.com/services/Soap/m/64.0/00D</metadataServerUrl>"
        b"<serverUrl>https://acme.my.salesforce.com/services/Soap/u/64.0/00D</serverUrl>"
        b"<sessionId>00D!SESSION</sessionId><userId>005A</userId><userInfo>"
        b"<organizationId>00DA</organizationId><userName>admin@example.com</userName>"
        b"</userInfo></result></loginResponse></soapenv:Body></soapenv:Envelope>"
    )
    token, org_id, username = parse_soap_login(answer)
    assert token.instance_url == "https://acme.my.salesforce.com" and token.access_token == "00D!SESSION"
    assert (org_id, username) == ("00DA", "admin@example.com")
    fault = (
        b'<soapenv:Envelope xmlns:soapenv="http://schemas.xmlsoap.org/soap/envelope/"><soapenv:Body>'
        b"<soapenv:Fault><faultcode>INVALID_LOGIN</faultcode><faultstring>INVALID_LOGIN: Invalid username, "
        b"password, security token; or user locked out.</faultstring></soapenv:Fault></soapenv:Body>"
        b"</soapenv:Envelope>"
    )
    with pytest.raises(SessionError, match="INVALID_LOGIN.*security token"):
        parse_soap_login(fault)


def test_an_auth_url_from_stack_settings_is_decoded_like_one_given_to_the_session() -> None:
    """One parser for SFDX auth URLs: the deployer settings and the session read the same parts."""
    url = "force://PlatformCLI::5Aep861abc%3D%3D@acme.my.salesforce.com"
    login = "https://acme.my.salesforce.com"
    from_settings = session_credentials(load_deployer({}, login_url=login, env={"SFDX_AUTH_URL": url}), login, "x")
    assert from_settings == RefreshTokenAuth.from_sfdx_auth_url(url)
    assert isinstance(from_settings, RefreshTokenAuth) and from_settings.refresh_token == "5Aep861abc=="
