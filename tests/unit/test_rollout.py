"""Pure decisions of the rollout: slots per rotation, consumer keys, deployer credential mapping."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.rollout import consumer_key_for, plan_slots, session_credentials
from components.salesforce.session import AccessTokenAuth, JwtAuth, KeyFile, RefreshTokenAuth, SecretsManagerKey
from components.settings import load_deployer, load_settings

BASE = {
    "salesforceLoginUrl": "https://acme.my.salesforce.com",
    "appName": "Acme_JWT",
    "contactEmail": "a@example.com",
    "integrationUsername": "i@example.com",
    "awsRegion": "us-east-1",
}
LOGIN = "https://acme.my.salesforce.com"


def settings(**config):
    return load_settings({**BASE, **{k: str(v) for k, v in config.items()}}, stack="dev", env={"SF_ACCESS_TOKEN": "t"})


def test_single_strategy_rotates_one_app():
    assert [(p.app_name, p.generation, p.active) for p in plan_slots(settings(rotation=3))] == [("Acme_JWT", 3, True)]


@given(st.integers(min_value=0, max_value=500))
def test_blue_green_changes_only_the_slot_becoming_active(rotation):
    before = {p.slot: p for p in plan_slots(settings(rotationStrategy="blue-green", rotation=rotation))}
    after = {p.slot: p for p in plan_slots(settings(rotationStrategy="blue-green", rotation=rotation + 1))}
    [active] = [s for s, p in after.items() if p.active]
    assert after[active].app_name.endswith("_A" if (rotation + 1) % 2 == 0 else "_B")
    idle = "b" if active == "a" else "a"
    assert after[idle].generation == before[idle].generation  # the idle slot keeps its key
    assert active not in before or after[active].generation == before[active].generation + 1


def test_blue_green_starts_with_one_slot():
    assert [p.slot for p in plan_slots(settings(rotationStrategy="blue-green"))] == ["a"]


ORG_A, ORG_B = "00D5g000000AbCdEAE", "00D5g000000WxYzEAA"


def test_consumer_keys_are_stable_per_stack_app_and_org_and_valid():
    key = consumer_key_for("dev", "Acme_JWT", ORG_A)
    assert key == consumer_key_for("dev", "Acme_JWT", ORG_A) and key.isalnum() and 8 <= len(key) <= 256
    assert key == consumer_key_for("dev", "Acme_JWT", ORG_A[:15])  # 15- and 18-character ids are one org
    assert (
        len(
            {
                key,
                consumer_key_for("prod", "Acme_JWT", ORG_A),
                consumer_key_for("dev", "Acme_JWT_B", ORG_A),
                consumer_key_for("dev", "Acme_JWT", ORG_B),
            }
        )
        == 4
    )


def test_two_orgs_behind_the_same_login_url_get_different_keys():
    """Issue 9, point 8: keys are globally unique; stack + app + login.salesforce.com collided."""
    assert consumer_key_for("prod", "Orders_JWT", ORG_A) != consumer_key_for("prod", "Orders_JWT", ORG_B)
    with pytest.raises(ValueError, match="not a Salesforce org id"):
        consumer_key_for("prod", "Orders_JWT", LOGIN)


@pytest.mark.parametrize(
    ("env", "kind"),
    [
        ({"SF_ACCESS_TOKEN": "SeKrEt"}, AccessTokenAuth),
        ({"SFDX_AUTH_URL": "force://PlatformCLI::5Aep861SeKrEt@acme.my.salesforce.com"}, RefreshTokenAuth),
        ({"SF_REFRESH_TOKEN": "5Aep861SeKrEt", "SF_CLIENT_ID": "PlatformCLI"}, RefreshTokenAuth),
        (
            {
                "SF_JWT_CONSUMER_KEY": "3MVG9abcdef",
                "SF_USERNAME": "admin@example.com",
                "SF_JWT_KEY_SECRET_ID": "deployer/key",
            },
            JwtAuth,
        ),
    ],
)
def test_deployer_settings_map_onto_session_credentials(env, kind):
    credentials = session_credentials(load_deployer({}, login_url=LOGIN, env=env), LOGIN, "us-east-1")
    assert isinstance(credentials, kind)
    assert "SeKrEt" not in repr(credentials)
    if kind is JwtAuth:
        assert credentials.key == SecretsManagerKey("deployer/key", "us-east-1", None)


def test_jwt_deployer_key_file(tmp_path):
    key = tmp_path / "deployer.pem"
    from tests.fixtures.certificates import make_rsa_key, pem_key

    key.write_bytes(pem_key(make_rsa_key(2048, 6000)))
    env = {"SF_JWT_CONSUMER_KEY": "3MVG9abcdef", "SF_USERNAME": "admin@example.com", "SF_JWT_KEY_FILE": str(key)}
    credentials = session_credentials(load_deployer({}, login_url=LOGIN, env=env), LOGIN)
    assert isinstance(credentials, JwtAuth) and credentials.key == KeyFile(key)
