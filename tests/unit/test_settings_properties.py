"""Property-based checks of the settings rules: app names, scopes, URLs, renewal windows, secrecy."""

from __future__ import annotations

import string

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from components import settings as S
from components.salesforce.wsdl import enum_values
from tests.fixtures.settings import BASE

SCOPES = [s for s in enum_values(S.SCOPE_ENUM) if s not in S.SCOPE_ALIASES]


def load(**overrides):
    return S.load_settings({**BASE, **overrides}, stack="dev", env={}, require_deployer=False)


def is_developer_name(name: str, limit: int) -> bool:
    """Independent oracle for the developer-name rules."""
    return (
        0 < len(name) <= limit
        and name.isascii()
        and name[0].isalpha()
        and all(c.isalnum() or c == "_" for c in name)
        and "__" not in name
        and not name.endswith("_")
    )


name_chars = st.text(alphabet=string.ascii_letters + string.digits + "_-é ", min_size=0, max_size=45)
valid_names = st.from_regex(r"[A-Za-z](?:[A-Za-z0-9]|_[A-Za-z0-9]){0,19}", fullmatch=True)


@given(name_chars)
def test_developer_name_rule_matches_oracle(name):
    accepted = True
    try:
        S.validate_developer_name(name)
    except ValueError:
        accepted = False
    assert accepted == is_developer_name(name, S.APP_NAME_MAX)


@given(valid_names, st.sampled_from(S.ROTATION_STRATEGIES))
def test_valid_app_names_give_valid_derived_names(name, strategy):
    s = load(appName=name, rotationStrategy=strategy)
    for slot in s.slots:
        assert is_developer_name(slot.app_name, S.APP_NAME_MAX)
    assert is_developer_name(s.app.permission_set_name, S.PERMISSION_SET_NAME_MAX)
    assert S.validate_secret_name(s.secret.name) == s.secret.name
    assert len({slot.app_name for slot in s.slots}) == len(s.slots)


@given(st.lists(st.sampled_from(SCOPES), unique=True, max_size=8), st.randoms())
def test_scope_sets_with_refresh_token_accepted_in_any_order(scopes, rnd):
    scopes = [s for s in scopes if s != "RefreshToken"] + ["RefreshToken"]
    rnd.shuffle(scopes)
    assert load(scopes=scopes).app.scopes == tuple(scopes)


@given(st.lists(st.sampled_from(SCOPES), min_size=1, max_size=6, unique=True))
def test_scope_sets_without_refresh_token_refused(scopes):
    assume("RefreshToken" not in scopes)
    with pytest.raises(S.SettingsError, match="must include 'RefreshToken'"):
        load(scopes=scopes)


@given(st.sampled_from(SCOPES))
def test_wrong_case_scope_refused_with_suggestion(scope):
    wrong = scope.lower() if scope.lower() != scope else scope.upper()
    assume(wrong not in SCOPES and wrong not in S.SCOPE_ALIASES)
    with pytest.raises(ValueError, match="did you mean"):
        S.validate_scope(wrong)


labels = st.from_regex(r"[a-z0-9]{1,10}(?:-[a-z0-9]{1,10}){0,2}", fullmatch=True)


@given(labels, st.one_of(st.none(), st.from_regex(r"[a-z0-9]{1,10}", fullmatch=True)))
def test_my_domain_urls_accepted_and_normalised(name, sandbox):
    host = f"{name}--{sandbox}.sandbox.my.salesforce.com" if sandbox else f"{name}.my.salesforce.com"
    normalised = S.validate_login_url(f"HTTPS://{host.upper()}/")
    assert normalised == f"https://{host}"
    assert S.validate_login_url(normalised) == normalised


@given(
    st.sampled_from(["login.salesforce.com", "acme.my.salesforce.com", "127.0.0.1", "localhost"]),
    st.integers(1, 65535),
    st.from_regex(r"/[a-z]{1,8}", fullmatch=True),
)
def test_http_and_paths_always_refused(host, port, path):
    with pytest.raises(ValueError, match="plain http"):
        S.validate_login_url(f"http://{host}:{port}")
    with pytest.raises(ValueError):
        S.validate_login_url(f"https://{host}{path}")


@given(st.integers(1, 65535))
def test_loopback_ports_accepted(port):
    assert S.validate_login_url(f"https://127.0.0.1:{port}") == f"https://127.0.0.1:{port}"


@given(st.data(), st.integers(2, 3650))
def test_explicit_renewal_window(data, validity):
    renew = data.draw(st.integers(1, validity - 1))
    cert = load(certificateValidityDays=str(validity), renewBeforeDays=renew).certificate
    assert cert.early_renewal_hours == renew * 24 < cert.validity_hours


@given(st.integers(1, 3650), st.integers(0, 4000))
def test_renewal_window_not_shorter_than_validity_refused(validity, extra):
    with pytest.raises(S.SettingsError, match="less than certificateValidityDays"):
        load(certificateValidityDays=validity, renewBeforeDays=validity + extra)


@given(st.integers(1, 3650))
def test_default_renewal_is_a_third(validity):
    cert = load(certificateValidityDays=validity).certificate
    assert 0 < cert.early_renewal_hours < cert.validity_hours
    assert cert.early_renewal_hours * 3 <= cert.validity_hours < (cert.early_renewal_hours + 1) * 3


@settings(max_examples=40)
@given(
    st.text(alphabet=string.ascii_letters + string.digits + "!.", min_size=12, max_size=40).filter(
        lambda t: not any(t in key for key in S.KNOWN_KEYS)  # a token spelled like a key name is no leak
    )
)
def test_secret_values_never_echoed(token):
    for secrets in (
        {"deployerAuthUrl": f"force://{token}"},  # malformed: parse error path
        {"deployerAuthUrl": f"force://a:b:{token}@h", "deployerAccessToken": token},  # two methods
        {"deployerPassword": token},
    ):  # incomplete method
        with pytest.raises(S.SettingsError) as info:
            S.load_settings({**BASE, **secrets, "appName": "bad__"}, stack="dev", env={})
        assert token not in str(info.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
    max_leaves=6,
)


@settings(max_examples=150)
@given(st.dictionaries(st.sampled_from(sorted(S.KNOWN_KEYS)), json_values, max_size=8))
def test_any_input_gives_settings_or_one_settings_error(overrides):
    """Whatever the config holds, the loader answers with Settings or SettingsError, never a crash."""
    try:
        result = S.load_settings({**BASE, **overrides}, stack="dev", env={}, require_deployer=False)
    except S.SettingsError as exc:
        assert exc.problems and all(p.key and p.message for p in exc.problems)
    else:
        assert isinstance(result, S.Settings)
