"""OAuth JWT bearer token endpoint on the wire: success shape and every error of reference 5.5."""

from __future__ import annotations

import http.client
import json
import ssl
import time
from urllib.parse import urlencode, urlparse

import jwt as pyjwt
import pytest

from tests.fixtures import emulator_builders as B

LOGIN = "https://login.salesforce.com"
TEST = "https://test.salesforce.com"


@pytest.fixture
def ca_app(salesforce_org):
    key, consumer_key = B.jwt_app(salesforce_org, B.Soap(salesforce_org))
    return salesforce_org, key, consumer_key


@pytest.fixture
def eca_app(salesforce_org):
    key, consumer_key = B.jwt_app(
        salesforce_org, B.Soap(salesforce_org), kind="ECA", name="EcaApp", slot=1, consumer_key="EcaKey0000000001"
    )
    return salesforce_org, key, consumer_key


def error_of(response) -> tuple[int, str, str]:
    body = response.json()
    return response.status_code, body["error"], body["error_description"]


def test_success_shape_and_opaque_token(ca_app):
    org, key, ck = ca_app
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, LOGIN))
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= {"access_token", "instance_url", "id", "token_type", "scope"}
    assert "refresh_token" not in body
    assert body["instance_url"] == org.instance_url
    assert body["id"].startswith(f"{org.instance_url}/id/{org.org_id}/005")
    assert body["access_token"].startswith(org.org_id[:15] + "!")
    assert body["access_token"].count(".") < 2  # never JWT-shaped
    assert body["scope"].split() == ["api", "refresh_token"]


@pytest.mark.parametrize("aud", ["{instance}", "{instance}/", LOGIN, LOGIN + "/", TEST])
def test_connected_app_accepts_every_documented_audience(ca_app, aud):
    org, key, ck = ca_app
    audience = aud.format(instance=org.instance_url)
    assert B.token_request(org, B.assertion(key, ck, org.integration_username, audience)).status_code == 200


@pytest.mark.parametrize("exp", ["string", "milliseconds", "far-future"])
def test_exp_as_numeric_string_milliseconds_or_far_future_is_accepted(ca_app, exp):
    org, key, ck = ca_app
    value = {
        "string": str(int(time.time()) + 180),
        "milliseconds": int(time.time() * 1000) + 300,
        "far-future": int(time.time()) + 10 * 365 * 86400,
    }[exp]
    assert B.token_request(org, B.assertion(key, ck, org.integration_username, LOGIN, exp=value)).status_code == 200


def test_chunked_request_body_is_decoded(ca_app):
    org, key, ck = ca_app
    body = urlencode(
        {"grant_type": B.JWT_BEARER, "assertion": B.assertion(key, ck, org.integration_username, org.instance_url)}
    ).encode()
    url = urlparse(org.token_url)
    context = ssl.create_default_context(cafile=org.ca_bundle)
    connection = http.client.HTTPSConnection(url.hostname, url.port, context=context, timeout=30)
    connection.request(
        "POST",
        url.path,
        body=iter([body[:50], body[50:]]),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Transfer-Encoding": "chunked"},
        encode_chunked=True,
    )
    response = connection.getresponse()
    payload = json.loads(response.read())
    connection.close()
    assert response.status == 200, payload
    assert "access_token" in payload


def test_parameters_in_query_string_and_trailing_query_are_accepted(ca_app):
    org, key, ck = ca_app
    jwt_text = B.assertion(key, ck, org.integration_username, LOGIN)
    session = org.session()
    response = session.post(
        org.token_url + "?.salesforce.com/services/oauth2/token",
        data={"grant_type": B.JWT_BEARER, "assertion": jwt_text},
        timeout=30,
    )
    assert response.status_code == 200
    response = session.post(org.token_url, params={"grant_type": B.JWT_BEARER, "assertion": jwt_text}, timeout=30)
    assert response.status_code == 200


# ---- reference 5.5, in validation order (5.7) ----
def test_wrong_grant_type(ca_app):
    org, key, ck = ca_app
    response = org.session().post(org.token_url, data={"grant_type": "password", "username": "x"}, timeout=30)
    assert error_of(response) == (400, "unsupported_grant_type", "grant type not supported")


@pytest.mark.parametrize("assertion", ["", "not-a-jwt", "a.b.c", "e30.e30.", "eyJhbGciOiJub25lIn0.eyJpc3MiOiJ4In0."])
def test_malformed_jwt_is_invalid_assertion(ca_app, assertion):
    org, _, _ = ca_app
    assert error_of(B.token_request(org, assertion)) == (400, "invalid_grant", "invalid assertion")


def test_hs256_is_refused_before_the_issuer_is_looked_up(ca_app):
    org, _, ck = ca_app
    forged = pyjwt.encode(
        {"iss": ck, "sub": org.integration_username, "aud": LOGIN, "exp": time.time() + 60},
        "a-shared-secret-of-enough-length-for-hs256",
        algorithm="HS256",
    )
    assert error_of(B.token_request(org, forged)) == (400, "invalid_grant", "invalid assertion")


def test_unknown_issuer_is_invalid_client_id(ca_app):
    org, key, _ = ca_app
    response = B.token_request(org, B.assertion(key, "UnknownKey123", org.integration_username, LOGIN))
    assert error_of(response) == (400, "invalid_client_id", "client identifier invalid")


def test_signature_from_another_key_is_invalid_assertion(ca_app):
    org, _, ck = ca_app
    other_key, _ = B.key_pair(5)
    response = B.token_request(org, B.assertion(other_key, ck, org.integration_username, LOGIN))
    assert error_of(response) == (400, "invalid_grant", "invalid assertion")


def test_eca_signature_error_is_configurable(eca_app):
    org, _, ck = eca_app
    other_key, _ = B.key_pair(5)
    org.settings(eca_signature_error=["invalid_client", "invalid client credentials"])
    response = B.token_request(org, B.assertion(other_key, ck, org.integration_username, org.instance_url))
    assert error_of(response) == (400, "invalid_client", "invalid client credentials")


@pytest.mark.parametrize("aud", ["https://evil.example.com", "https://127.0.0.1:1", "", None])
def test_foreign_audience_is_invalid(ca_app, aud):
    org, key, ck = ca_app
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, aud))
    assert error_of(response) == (400, "invalid_grant", "audience is invalid")


def test_eca_rejects_test_salesforce_com_with_app_not_found(eca_app):
    org, key, ck = eca_app
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, TEST))
    assert error_of(response) == (400, "app_not_found", "External client app is not installed in this org")
    assert B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url)).status_code == 200


def test_expired_assertion_follows_the_emulated_clock(ca_app):
    org, key, ck = ca_app
    jwt_text = B.assertion(key, ck, org.integration_username, LOGIN, exp=int(time.time()) + 120)
    org.advance_clock(121)
    assert error_of(B.token_request(org, jwt_text)) == (400, "invalid_grant", "expired authorization code")
    past = B.assertion(key, ck, org.integration_username, LOGIN, exp=int(time.time()) - 1)
    assert B.token_request(org, past).status_code == 400


@pytest.mark.parametrize("exp", ["soon", None, True])
def test_non_numeric_exp_is_invalid_assertion(ca_app, exp):
    org, key, ck = ca_app
    claims = {"iss": ck, "sub": org.integration_username, "aud": LOGIN}
    if exp is not None:
        claims["exp"] = exp
    assert error_of(B.token_request(org, pyjwt.encode(claims, key, algorithm="RS256")))[2] == "invalid assertion"


def test_unknown_and_inactive_users(ca_app):
    org, key, ck = ca_app
    response = B.token_request(org, B.assertion(key, ck, "nobody@example.com", LOGIN))
    assert error_of(response) == (400, "invalid_grant", "user hasn't approved this consumer")
    org.update_user(org.integration_username, active=False)
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, LOGIN))
    assert error_of(response) == (400, "invalid_grant", "inactive user")


def test_self_authorized_app_answers_user_has_not_approved(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), admin_approved=False)
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, LOGIN))
    assert error_of(response) == (400, "invalid_grant", "user hasn't approved this consumer")


def test_eca_all_self_authorized_answers_user_has_not_approved(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), kind="ECA", name="Eca", policy="AllSelfAuthorized")
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url))
    assert error_of(response) == (400, "invalid_grant", "user hasn't approved this consumer")


def test_admin_approved_but_user_not_assigned(ca_app):
    org, key, ck = ca_app
    org.add_user("other@example.com")
    response = B.token_request(org, B.assertion(key, ck, "other@example.com", LOGIN))
    assert error_of(response) == (400, "invalid_app_access", "user is not admin approved to access this app")
    org.settings(unassigned_user_error=["invalid_grant", "user hasn't approved this consumer"])
    response = B.token_request(org, B.assertion(key, ck, "other@example.com", LOGIN))
    assert error_of(response) == (400, "invalid_grant", "user hasn't approved this consumer")


def test_profile_pre_authorization_is_enough(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), profiles=["Standard User"])
    org.add_user("plain@example.com")  # Standard User, no permission set
    assert B.token_request(org, B.assertion(key, ck, "plain@example.com", LOGIN)).status_code == 200


def test_pre_authorized_eca_without_refresh_token_scope(salesforce_org):
    org = salesforce_org
    key, ck = B.jwt_app(org, B.Soap(org), kind="ECA", name="Eca", scopes="Api")
    response = B.token_request(org, B.assertion(key, ck, org.integration_username, org.instance_url))
    assert error_of(response) == (
        400,
        "invalid_request",
        "refresh_token scope is required and the connected app should be installed and preauthorized.",
    )


def test_new_app_answers_invalid_client_id_until_propagated(salesforce_org):
    org = salesforce_org
    org.settings(propagation_seconds={"ExternalClientApplication": 600})
    key, ck = B.jwt_app(org, B.Soap(org), kind="ECA", name="Eca")
    jwt_text = B.assertion(key, ck, org.integration_username, org.instance_url, exp=int(time.time()) + 10**6)
    assert error_of(B.token_request(org, jwt_text))[1:] == ("invalid_client_id", "client identifier invalid")
    assert org.app("Eca")["ready"] is False
    org.advance_clock(601)
    assert B.token_request(org, jwt_text).status_code == 200


def test_certificate_change_keeps_old_key_working_until_propagated(salesforce_org):
    org = salesforce_org
    org.settings(propagation_seconds={"ConnectedApp": 300})
    soap = B.Soap(org)
    old_key, ck = B.jwt_app(org, soap)
    org.advance_clock(301)
    new_key, new_cert = B.key_pair(3)
    B.deploy_ok(soap, {"ConnectedApp": {"JwtApp": B.connected_app(new_cert, permission_sets=["JwtAccess"])}})
    far = int(time.time()) + 10**6
    new_jwt = B.assertion(new_key, ck, org.integration_username, LOGIN, exp=far)
    old_jwt = B.assertion(old_key, ck, org.integration_username, LOGIN, exp=far)
    assert error_of(B.token_request(org, new_jwt))[2] == "invalid assertion"
    assert B.token_request(org, old_jwt).status_code == 200
    org.advance_clock(301)
    assert B.token_request(org, new_jwt).status_code == 200
    assert error_of(B.token_request(org, old_jwt))[2] == "invalid assertion"


def test_ec_certificate_is_silently_useless(salesforce_org):
    org = salesforce_org
    org.settings(allow_connected_app_creation=True)
    ec_key, ec_cert = B.key_pair(7, kind="ec")
    B.deploy_ok(
        B.Soap(org), {"ConnectedApp": {"EcApp": B.connected_app(ec_cert, "EcKey0000001", profiles=["Standard User"])}}
    )
    es256 = B.assertion(ec_key, "EcKey0000001", org.integration_username, LOGIN, alg="ES256")
    assert error_of(B.token_request(org, es256))[2] == "invalid assertion"


def test_request_log_holds_no_assertion_or_token(ca_app):
    org, key, ck = ca_app
    jwt_text = B.assertion(key, ck, org.integration_username, LOGIN)
    token = B.token_request(org, jwt_text).json()["access_token"]
    org.session().get(f"{org.instance_url}/services/data/v63.0/limits", headers={"Authorization": f"Bearer {token}"})
    log = json.dumps(org.requests_log())
    assert jwt_text not in log and token not in log and org.admin_access_token not in log
    assert any(entry["operation"] == "token" and entry["status"] == 200 for entry in org.requests_log())
