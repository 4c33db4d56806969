"""Deployer credentials: exactly one complete method, from config or environment, never shown."""

from __future__ import annotations

import pickle

import pytest

from components.settings import Secret, SettingsError, load_settings
from tests.fixtures.certificates import make_ec_key, make_rsa_key, pem_key

REFRESH = "5Aep861TopSecretRefresh.Token"
ACCESS = "00D5g000000Fake!AQ4AQTopSecretAccessToken"


def base(**overrides):
    config = {
        "salesforceLoginUrl": "https://acme.my.salesforce.com",
        "appName": "Acme_JWT",
        "contactEmail": "admin@example.com",
        "integrationUsername": "integration@acme.example.com",
        "awsRegion": "eu-west-1",
    }
    config.update(overrides)
    return config


def load(env=None, secret_keys=None, **overrides):
    return load_settings(base(**overrides), stack="dev", env=env or {}, secret_keys=secret_keys)


def problems(env=None, **overrides) -> str:
    with pytest.raises(SettingsError) as info:
        load(env=env, **overrides)
    return str(info.value)


@pytest.fixture
def key_file(tmp_path):
    path = tmp_path / "deployer.key"
    path.write_bytes(pem_key(make_rsa_key(2048)))
    return path


# ---------------------------------------------------------------- each method


def test_auth_url_from_config():
    d = load(deployerAuthUrl=f"force://PlatformCLI:s3cr3t:{REFRESH}@Acme.my.salesforce.com").deployer
    assert (d.method, d.source, d.client_id) == ("auth-url", "config", "PlatformCLI")
    assert d.refresh_token.reveal() == REFRESH
    assert d.client_secret.reveal() == "s3cr3t"
    assert d.instance_url == "https://acme.my.salesforce.com"


def test_auth_url_with_empty_client_secret_from_environment():
    d = load(env={"SFDX_AUTH_URL": f"force://PlatformCLI::{REFRESH}@127.0.0.1:8443"}).deployer
    assert (d.method, d.source, d.client_secret) == ("auth-url", "environment", None)
    assert d.instance_url == "https://127.0.0.1:8443"


@pytest.mark.parametrize(
    "url",
    [
        "https://acme.my.salesforce.com",
        "force://PlatformCLI@host",
        f"force://id:secret:{REFRESH}",
        f"force://:secret:{REFRESH}@host",
    ],
)
def test_malformed_auth_url_is_refused_without_echo(url):
    message = problems(deployerAuthUrl=url)
    assert "deployerAuthUrl (value hidden): is not an SFDX auth URL" in message
    assert "force://<clientId>:<clientSecret>:<refreshToken>@<host>" in message
    assert REFRESH not in message and "secret:" not in message


def test_access_token_with_instance_url():
    d = load(env={"SF_ACCESS_TOKEN": ACCESS, "SF_INSTANCE_URL": "https://acme.my.salesforce.com/"}).deployer
    assert d.method == "access-token" and d.access_token.reveal() == ACCESS
    assert d.instance_url == "https://acme.my.salesforce.com"


def test_access_token_defaults_instance_to_my_domain_login_url():
    assert load(deployerAccessToken=ACCESS).deployer.instance_url == "https://acme.my.salesforce.com"


def test_access_token_needs_instance_url_with_generic_login_host():
    message = problems(deployerAccessToken=ACCESS, salesforceLoginUrl="https://login.salesforce.com")
    assert "deployerInstanceUrl: is required with an access token" in message


def test_instance_url_alone_is_incomplete():
    message = problems(env={"SF_INSTANCE_URL": "https://acme.my.salesforce.com"})
    assert "SF_ACCESS_TOKEN (environment)" in message and "is missing" in message


def test_instance_url_must_be_salesforce_https():
    message = problems(deployerAccessToken=ACCESS, deployerInstanceUrl="http://acme.my.salesforce.com")
    assert "plain http" in message
    assert "Salesforce instance" in problems(deployerAccessToken=ACCESS, deployerInstanceUrl="https://evil.example")


def test_jwt_with_key_file(key_file):
    d = load(
        env={
            "SF_JWT_CONSUMER_KEY": "3MVG9Consumer.Key_1",
            "SF_USERNAME": "deployer@acme.example.com",
            "SF_JWT_KEY_FILE": str(key_file),
        }
    ).deployer
    assert (d.method, d.consumer_key, d.username, d.key_file) == (
        "jwt",
        "3MVG9Consumer.Key_1",
        "deployer@acme.example.com",
        key_file.resolve(),
    )


def test_jwt_with_key_in_secrets_manager():
    d = load(
        deployerJwtConsumerKey="3MVG9ConsumerKey",
        deployerUsername="deployer@acme.example.com",
        deployerJwtKeySecretId="ci/salesforce/deployer-key",
    ).deployer
    assert d.key_secret_id == "ci/salesforce/deployer-key" and d.key_file is None


def test_jwt_incomplete_names_missing_keys():
    message = problems(deployerJwtConsumerKey="3MVG9ConsumerKey")
    assert (
        "the jwt method is incomplete: missing deployerUsername, deployerJwtKeyFile or deployerJwtKeySecretId"
        in message
    )
    message = problems(env={"SF_JWT_KEY_FILE": "/nonexistent"})
    assert "missing SF_JWT_CONSUMER_KEY (environment), SF_USERNAME (environment)" in message


def test_jwt_key_file_and_secret_id_are_exclusive(key_file):
    message = problems(
        deployerJwtConsumerKey="3MVG9ConsumerKey",
        deployerUsername="d@acme.example.com",
        deployerJwtKeyFile=str(key_file),
        deployerJwtKeySecretId="ci/key",
    )
    assert "not both" in message


def test_jwt_key_file_must_exist_and_be_an_rsa_key(tmp_path):
    common = {"deployerJwtConsumerKey": "3MVG9ConsumerKey", "deployerUsername": "d@acme.example.com"}
    assert "file not found" in problems(deployerJwtKeyFile=str(tmp_path / "nope.key"), **common)
    ec_file = tmp_path / "ec.key"
    ec_file.write_bytes(pem_key(make_ec_key()))
    message = problems(deployerJwtKeyFile=str(ec_file), **common)
    assert "unusable private key" in message and "RS256" in message
    encrypted = tmp_path / "enc.key"
    encrypted.write_bytes(pem_key(make_rsa_key(2048), passphrase=b"pw"))
    message = problems(deployerJwtKeyFile=str(encrypted), **common)
    assert "encrypted" in message and "BEGIN" not in message


def test_consumer_key_shape():
    message = problems(
        deployerJwtConsumerKey="short", deployerUsername="d@acme.example.com", deployerJwtKeySecretId="ci/key"
    )
    assert "8-256 letters" in message


def test_refresh_token_method():
    d = load(deployerRefreshToken=REFRESH, deployerClientId="PlatformCLI").deployer
    assert (d.method, d.client_id, d.client_secret) == ("refresh-token", "PlatformCLI", None)
    d = load(env={"SF_REFRESH_TOKEN": REFRESH, "SF_CLIENT_ID": "PlatformCLI", "SF_CLIENT_SECRET": "x"}).deployer
    assert d.client_secret.reveal() == "x"
    assert "missing deployerClientId" in problems(deployerRefreshToken=REFRESH)


def test_password_method_warns_about_soap_login():
    s = load(deployerUsername="d@acme.example.com", deployerPassword="hunter2token")
    assert s.deployer.method == "password" and s.deployer.password.reveal() == "hunter2token"
    assert any("SOAP login()" in w and "64.0" in w for w in s.warnings)
    assert "password method is incomplete: missing deployerUsername" in problems(deployerPassword="hunter2")


# ---------------------------------------------------------------- exactly one method


def test_no_method_lists_the_options():
    message = problems()
    assert "deployer credentials: none found" in message
    for name in ("SF_ACCESS_TOKEN", "SFDX_AUTH_URL", "SF_JWT_CONSUMER_KEY", "SF_REFRESH_TOKEN"):
        assert name in message


def test_deployer_optional_for_read_only_tools():
    s = load_settings(base(), stack="dev", env={}, require_deployer=False)
    assert s.deployer is None


def test_two_methods_are_refused_and_named():
    message = problems(env={"SF_ACCESS_TOKEN": ACCESS, "SFDX_AUTH_URL": f"force://a:b:{REFRESH}@h"})
    assert "more than one method is set in the environment" in message
    assert "access-token (SF_ACCESS_TOKEN (environment))" in message and "auth-url" in message
    assert ACCESS not in message and REFRESH not in message


def test_config_wins_over_environment():
    env = {"SF_ACCESS_TOKEN": ACCESS}
    d = load(env=env, deployerAuthUrl=f"force://PlatformCLI::{REFRESH}@acme.my.salesforce.com").deployer
    assert (d.method, d.source) == ("auth-url", "config")


def test_instance_url_with_another_method_is_refused():
    message = problems(
        deployerAuthUrl=f"force://PlatformCLI::{REFRESH}@h", deployerInstanceUrl="https://a.my.salesforce.com"
    )
    assert "more than one method" in message


# ---------------------------------------------------------------- secrets never shown


def test_secrets_never_in_repr_or_str_or_pickle_text():
    s = load(deployerAuthUrl=f"force://PlatformCLI:clientsecretvalue:{REFRESH}@acme.my.salesforce.com")
    for text in (repr(s), str(s), repr(s.deployer), f"{s.deployer.refresh_token}"):
        assert REFRESH not in text and "clientsecretvalue" not in text
    assert "Secret('********')" in repr(s.deployer)
    assert pickle.loads(pickle.dumps(s)).deployer.refresh_token.reveal() == REFRESH


def test_secret_equality_without_exposure():
    assert Secret("a") == Secret("a") and Secret("a") != Secret("b")
    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret) and "hunter2" not in str(secret) and "hunter2" not in f"{secret}"
    assert secret.reveal() == "hunter2"


def test_plain_text_secret_in_config_is_refused_when_secret_keys_known():
    with pytest.raises(SettingsError) as info:
        load(secret_keys=[], deployerAccessToken=ACCESS)
    message = str(info.value)
    assert "deployerAccessToken (value hidden): is stored in plain text" in message
    assert "pulumi config set --secret deployerAccessToken" in message
    assert ACCESS not in message
    assert load(secret_keys=["salesforce-jwt:deployerAccessToken"], deployerAccessToken=ACCESS).deployer


def test_invalid_secret_value_never_echoed_anywhere():
    with pytest.raises(SettingsError) as info:
        load(deployerAuthUrl=f"http://{REFRESH}", appName="bad__name")
    assert REFRESH not in str(info.value)
    assert all(REFRESH not in str(p) for p in info.value.problems)
