"""The pydantic models: constraints drive messages and the reference; frozen, typed, masked; the public API."""

from __future__ import annotations

import pickle
import subprocess
import sys
from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import SecretStr

import components.settings as S
from components.settings.fields import bounds_of, choices_of, is_number, key_of
from components.settings.model import SECTION_MODELS
from tests.fixtures.settings import BASE

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {
    key_of(name, field): field
    for model in SECTION_MODELS
    for name, field in model.model_fields.items()
    if key_of(name, field) in S.KNOWN_KEYS
}
RULES = {spec.key: spec.rule for spec in S.SPECS}
RANGED = sorted(k for k, f in FIELDS.items() if is_number(f) and all(b is not None for b in bounds_of(f)))
CHOICES = sorted(k for k, f in FIELDS.items() if choices_of(f))


def load(**overrides):
    return S.load_settings({**BASE, **overrides}, stack="dev", env={}, require_deployer=False)


def only_problem(**overrides) -> str:
    with pytest.raises(S.SettingsError) as info:
        load(**overrides)
    assert len(info.value.problems) == 1, info.value.problems
    return str(info.value.problems[0])


# ---------------------------------------------------------------- one constraint, three uses


def test_the_ranged_and_choice_settings_are_the_expected_ones():
    assert RANGED == [
        "certificateValidityDays",
        "deployTimeoutSeconds",
        "recoveryWindowDays",
        "verificationBudgetSeconds",
    ]
    assert CHOICES == ["appKind", "certificateMode", "keyAlgorithm", "rotationStrategy", "testLevel"]


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(RANGED), st.data())
def test_a_range_is_enforced_documented_and_explained_alike(key, data):
    low, high = bounds_of(FIELDS[key])
    assert f"Whole number {low}-{high}" in RULES[key]
    inside = data.draw(st.integers(low, high))
    assert load(**{key: str(inside), "renewBeforeDays": None}) is not None
    outside = data.draw(st.one_of(st.integers(high + 1, high + 10_000), st.integers(low - 10_000, low - 1)))
    assert only_problem(**{key: outside}) == f"{key} = {outside}: must be a whole number between {low} and {high}"


@pytest.mark.parametrize("key", CHOICES)
def test_choices_are_enforced_documented_and_suggested_alike(key):
    choices = choices_of(FIELDS[key])
    assert all(f"`{c}`" in RULES[key] for c in choices)
    for choice in choices:
        config = {key: choice}
        if key == "testLevel":
            config["salesforceLoginUrl"] = "https://acme--uat.sandbox.my.salesforce.com"
        if choice == "ca-signed":
            config["rotationStrategy"] = "single"
        assert load(**config) is not None
    near_miss = f"{choices[-1].upper()}x" if key != "keyAlgorithm" else "DSA"
    assert "accepted" in only_problem(**{key: near_miss})


def test_lengths_are_enforced_and_documented_alike():
    assert RULES["certificateCommonName"] == "1-64 characters."
    assert (
        only_problem(certificateCommonName="c" * 65)
        == f"certificateCommonName = {'c' * 65!r}: is 65 characters; at most 64 are allowed"
    )
    assert RULES["appDescription"] == "At most 256 characters."


def test_documented_plain_defaults_are_the_model_defaults():
    s = load()
    documented = {spec.key: spec.default for spec in S.SPECS}
    assert documented["deleteAppOnDestroy"] == f"`{str(s.app.delete_on_destroy).lower()}`"
    assert documented["scopes"] == ", ".join(f"`{x}`" for x in s.app.scopes)
    assert documented["rotation"] == f"`{s.operations.rotation}`"
    assert documented["keyAlgorithm"] == f"`{s.certificate.key_algorithm}`"
    budgets = {kind: load(appKind=kind).operations.verification_budget_seconds for kind in S.APP_KINDS}
    assert documented["verificationBudgetSeconds"] == ", ".join(f"`{v}` for {k}" for k, v in budgets.items())


# ---------------------------------------------------------------- the model's guarantees


def test_every_section_is_frozen_and_the_settings_hashable():
    s = load()
    for section in (s, s.salesforce, s.app, s.certificate, s.secret, s.aws, s.operations):
        with pytest.raises(FrozenInstanceError):
            section.stack = "other"  # type: ignore[misc]
    assert hash(s) == hash(load()) and s == load()


def test_warnings_do_not_take_part_in_equality():
    loopback = load(salesforceLoginUrl="https://127.0.0.1:8443")
    assert loopback.warnings
    assert loopback == S.Settings(**{**loopback.__dict__, "warnings": ()})


SECRET = "Zq5ecretValue"


@pytest.mark.parametrize(
    "config, kind, secrets",
    [
        ({"deployerAccessToken": SECRET}, S.AccessTokenDeployer, ["access_token"]),
        (
            {"deployerAuthUrl": f"force://PlatformCLI:{SECRET}1:{SECRET}2@acme.my.salesforce.com"},
            S.AuthUrlDeployer,
            ["refresh_token", "client_secret"],
        ),
        (
            {
                "deployerJwtConsumerKey": "3MVG9ConsumerKey",
                "deployerUsername": "d@acme.example.com",
                "deployerJwtKeySecretId": "ci/key",
            },
            S.JwtDeployer,
            [],
        ),
        (
            {"deployerRefreshToken": SECRET, "deployerClientId": "PlatformCLI", "deployerClientSecret": SECRET + "3"},
            S.RefreshTokenDeployer,
            ["refresh_token", "client_secret"],
        ),
        ({"deployerUsername": "d@acme.example.com", "deployerPassword": SECRET}, S.PasswordDeployer, ["password"]),
    ],
)
def test_each_deployer_method_is_its_own_type_with_secrets_masked(config, kind, secrets):
    s = S.load_settings({**BASE, **config}, stack="dev", env={})
    assert type(s.deployer) is kind and s.deployer.source == "config"
    held = [name for name, value in s.deployer.__dict__.items() if isinstance(value, SecretStr)]
    assert sorted(held) == sorted(secrets) and all(isinstance(getattr(s.deployer, n), S.Secret) for n in held)
    assert SECRET not in s.model_dump_json() and SECRET not in repr(s)
    assert pickle.loads(pickle.dumps(s)) == s


def test_the_settings_validate_from_their_own_dump():
    """The model is a real pydantic model: its python dump validates back to an equal Settings."""
    s = S.load_settings(
        {
            **BASE,
            "deployerAuthUrl": "force://PlatformCLI:cs:tok@acme.my.salesforce.com",
            "rotationStrategy": "blue-green",
            "tags": {"team": "x"},
        },
        stack="dev",
        env={},
    )
    assert S.Settings.model_validate(s.model_dump()) == s


# ---------------------------------------------------------------- the package


def test_the_public_api_resolves():
    for name in S.__all__:
        assert getattr(S, name) is not None, name
    with pytest.raises(AttributeError):
        S.no_such_name  # noqa: B018


def test_importing_a_constant_does_not_import_pydantic():
    code = (
        "import sys; from components.settings import DEFAULT_API_VERSION, TEST_LEVELS, validate_developer_name; "
        "import components.salesforce.bundle, components.salesforce.session; "
        "print('pydantic' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


def test_the_module_command_prints_and_rewrites_the_reference(tmp_path):
    printed = subprocess.run(
        [sys.executable, "-m", "components.settings"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert printed == S.render_reference()
    doc = tmp_path / "configuration.md"
    doc.write_text(f"# Title\n{S.DOC_BEGIN}\nstale\n{S.DOC_END}\ntail\n")
    subprocess.run([sys.executable, "-m", "components.settings", str(doc)], cwd=ROOT, check=True)
    assert doc.read_text() == f"# Title\n{S.DOC_BEGIN}\n{printed}{S.DOC_END}\ntail\n"
