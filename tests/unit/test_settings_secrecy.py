"""Secrets never appear in an error, a repr or a dump; pydantic's own wording never reaches the user."""

from __future__ import annotations

import string

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.settings import KNOWN_KEYS, SECRET_KEYS, SettingsError, load_deployer, load_integrations, load_settings
from components.settings.rules import DEPLOYER_ENV
from tests.fixtures.settings import BASE

# "Zq" + random: long enough that no message contains it by chance.
tokens = st.text(alphabet=string.ascii_letters + string.digits + "!._-", min_size=12, max_size=40).map("Zq".__add__)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5000) | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=5,
)
noise = st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS - SECRET_KEYS - {"integrations"})), json_values, max_size=5)
other_deployer = st.dictionaries(
    st.sampled_from(sorted(set(DEPLOYER_ENV) - SECRET_KEYS)),
    st.sampled_from(
        ["3MVG9ConsumerKey", "d@acme.example.com", "/nonexistent", "ci/key", "https://acme.my.salesforce.com", "x"]
    ),
    max_size=3,
)


def placements(token: str) -> st.SearchStrategy[dict[str, str]]:
    """Every way a secret reaches the loader: each secret key, whole or as part of an auth URL."""
    secret_values = {
        "deployerAccessToken": token,
        "deployerRefreshToken": token,
        "deployerClientSecret": token,
        "deployerPassword": token,
    }
    auth_urls = [
        token,
        f"force://PlatformCLI::{token}@acme.my.salesforce.com",
        f"force://PlatformCLI:{token}:refresh@acme.my.salesforce.com",
        f"force://x:y:{token}",
        f"http://{token}",
    ]
    singles = [{k: v} for k, v in secret_values.items()] + [{"deployerAuthUrl": u} for u in auth_urls]
    return st.lists(st.sampled_from(singles), min_size=1, max_size=3).map(
        lambda ds: {k: v for d in ds for k, v in d.items()}
    )


def assert_hidden(token: str, run) -> None:
    try:
        result = run()
    except SettingsError as exc:
        assert token not in str(exc)
        assert all(token not in p.key and token not in p.message for p in exc.problems)
        return
    for s in result if isinstance(result, tuple) else (result,):
        for text in (repr(s), str(s), s.model_dump_json()):
            assert token not in text


@settings(max_examples=150, deadline=None)
@given(
    tokens.flatmap(lambda t: st.tuples(st.just(t), placements(t))),
    noise,
    other_deployer,
    st.sampled_from([None, [], ["salesforce-jwt:deployerAuthUrl"]]),
    st.booleans(),
)
def test_a_secret_in_config_never_appears(token_and_secrets, other, deployer, secret_keys, required):
    token, secrets = token_and_secrets
    config = {**BASE, **other, **deployer, **secrets}
    assert_hidden(
        token, lambda: load_settings(config, stack="dev", env={}, secret_keys=secret_keys, require_deployer=required)
    )


@settings(max_examples=100, deadline=None)
@given(tokens.flatmap(lambda t: st.tuples(st.just(t), placements(t))), other_deployer, noise)
def test_a_secret_in_the_environment_never_appears(token_and_secrets, deployer, other):
    token, secrets = token_and_secrets
    env = {DEPLOYER_ENV[k]: v for k, v in {**deployer, **secrets}.items()}
    assert_hidden(token, lambda: load_settings({**BASE, **other}, stack="dev", env=env))
    assert_hidden(token, lambda: load_deployer({}, login_url="https://login.salesforce.com", env=env))


@settings(max_examples=60, deadline=None)
@given(tokens.flatmap(lambda t: st.tuples(st.just(t), placements(t))), noise)
def test_a_secret_in_an_integration_item_or_the_provider_config_never_appears(token_and_secrets, other):
    token, secrets = token_and_secrets
    items = [
        {"appName": "Orders_JWT", "integrationUsername": "o@acme.example.com", **secrets},
        {**other, "appName": "Billing_JWT"},
    ]
    assert_hidden(token, lambda: load_integrations({**BASE, "integrations": items}, stack="dev", env={}))
    assert_hidden(token, lambda: load_integrations({**BASE, "integrations": [secrets, 5]}, stack="dev", env={}))
    assert_hidden(token, lambda: load_deployer(secrets, login_url="https://acme.my.salesforce.com", env={}))


@settings(max_examples=40, deadline=None)
@given(tokens, st.sampled_from(["self-signed", "ca-signed", "nonsense"]), st.sampled_from(["single", "blue-green"]))
def test_the_ca_certificate_text_is_never_echoed(token, mode, strategy):
    pem = f"-----BEGIN PRIVATE KEY-----\n{token}\n-----END PRIVATE KEY-----"
    for value in (pem, token):
        assert_hidden(
            token,
            lambda value=value: load_settings(
                {**BASE, "caCertificatePem": value, "certificateMode": mode, "rotationStrategy": strategy},
                stack="dev",
                env={},
                require_deployer=False,
            ),
        )


PYDANTIC_WORDING = (
    "Input should",
    "validation error",
    "pydantic",
    "Value error,",
    "type=",
    "Field required",
    "input_value",
    "String should",
)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(st.sampled_from(sorted(KNOWN_KEYS)), json_values, max_size=8),
    st.dictionaries(st.sampled_from(sorted(DEPLOYER_ENV.values())), st.text(max_size=10), max_size=3),
)
def test_messages_are_ours_never_pydantics(overrides, env):
    try:
        load_settings({**BASE, **overrides}, stack="dev", env=env)
    except SettingsError as exc:
        for problem in exc.problems:
            assert not any(phrase in str(problem) for phrase in PYDANTIC_WORDING), str(problem)
            assert "is not accepted; see docs/configuration.md" not in problem.message, str(problem)


def test_the_fallback_is_never_needed_for_the_documented_types():
    """Each typed key refuses a wrong type in its own words (not the generic fallback)."""
    for key in sorted(KNOWN_KEYS - {"integrations"}):
        for bad in ({"a": 1}, [1], 3.5):
            try:
                load_settings({**BASE, key: bad}, stack="dev", env={}, require_deployer=False)
            except SettingsError as exc:
                assert all("see docs/configuration.md for the rule" not in p.message for p in exc.problems), key


@pytest.mark.parametrize("key", sorted(SECRET_KEYS))
def test_a_wrongly_typed_secret_is_named_but_hidden(key):
    with pytest.raises(SettingsError) as info:
        load_settings({**BASE, key: 12345678901234}, stack="dev", env={})
    assert f"{key} (value hidden): must be a string, not int" in str(info.value)
    assert "12345678901234" not in str(info.value)
