"""Several integrations per stack: the integrations key, defaults, per-item errors and clashes."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.settings import (
    INTEGRATION_KEYS,
    KNOWN_KEYS,
    STACK_WIDE_KEYS,
    SettingsError,
    load_integrations,
    load_settings,
)

REFRESH = "5Aep861TopSecretRefresh.Token"
TOP = {
    "salesforceLoginUrl": "https://acme.my.salesforce.com",
    "contactEmail": "admin@example.com",
    "awsRegion": "eu-west-1",
    "deployerAuthUrl": f"force://PlatformCLI::{REFRESH}@acme.my.salesforce.com",
}
ORDERS = {"appName": "Orders_JWT", "integrationUsername": "orders@acme.example.com"}
BILLING = {"appName": "Billing_JWT", "integrationUsername": "billing@acme.example.com"}


def load(items, **top):
    return load_integrations({**TOP, **top, "integrations": items}, stack="dev", env={})


def problems(items, **top) -> list[str]:
    with pytest.raises(SettingsError) as info:
        load(items, **top)
    return [str(p) for p in info.value.problems]


# ---------------------------------------------------------------- reading


def test_without_the_key_exactly_one_as_load_settings_reads_it():
    config = {**TOP, **ORDERS}
    assert load_integrations(config, stack="dev", env={}) == (load_settings(config, stack="dev", env={}),)


def test_without_the_key_errors_are_load_settings_errors():
    with pytest.raises(SettingsError) as info:
        load_integrations({**TOP, **ORDERS, "keySize": 1024}, stack="dev", env={})
    assert [p.key for p in info.value.problems] == ["keySize = 1024"]


def test_one_settings_per_item_in_order_with_top_level_defaults():
    orders, billing = load(
        [ORDERS, {**BILLING, "keySize": 4096, "scopes": ["Api", "Web", "RefreshToken"]}],
        keySize="3072",
        recoveryWindowDays="7",
    )
    assert (orders.app.name, billing.app.name) == ("Orders_JWT", "Billing_JWT")
    assert (orders.certificate.key_size, billing.certificate.key_size) == (3072, 4096)  # item overrides default
    assert orders.secret.recovery_window_days == billing.secret.recovery_window_days == 7
    assert orders.app.scopes == ("Api", "RefreshToken") and billing.app.scopes == ("Api", "Web", "RefreshToken")
    assert (orders.secret.name, billing.secret.name) == (
        "salesforce/jwt/dev/Orders_JWT",
        "salesforce/jwt/dev/Billing_JWT",
    )
    assert orders.salesforce == billing.salesforce and orders.aws == billing.aws
    assert orders.deployer == billing.deployer and orders.deployer.method == "auth-url"


def test_items_as_pulumi_passes_them_json_text_and_prefixed_key():
    config = {f"salesforce-jwt:{k}": v for k, v in TOP.items()}
    config["salesforce-jwt:integrations"] = json.dumps([ORDERS, {**BILLING, "rotation": "2"}])
    assert [s.operations.rotation for s in load_integrations(config, stack="dev", env={})] == [0, 2]


def test_each_item_has_its_own_strategy_slots_and_budget():
    orders, billing = load([ORDERS, {**BILLING, "rotationStrategy": "blue-green", "appKind": "connected-app"}])
    assert [s.app_name for s in orders.slots] == ["Orders_JWT"]
    assert [s.app_name for s in billing.slots] == ["Billing_JWT_A", "Billing_JWT_B"]
    assert (orders.operations.verification_budget_seconds, billing.operations.verification_budget_seconds) == (
        1800,
        600,
    )


def test_an_empty_item_value_falls_back_to_the_default():
    (orders,) = load([{**ORDERS, "kmsKeyId": ""}], kmsKeyId="alias/acme")
    assert orders.secret.kms_key_id == "alias/acme"


# ---------------------------------------------------------------- problems name the item


def test_an_items_bad_value_names_the_item():
    found = problems([ORDERS, {**BILLING, "keySize": 1024}])
    assert found == ["integrations[1].keySize = 1024: RSA below 2048 bits is refused; accepted: 2048, 3072 or 4096"]


def test_a_bad_top_level_default_is_reported_once_under_its_own_key():
    found = problems([ORDERS, BILLING], keySize="1024")
    assert found == ["keySize = '1024': RSA below 2048 bits is refused; accepted: 2048, 3072 or 4096"]


def test_a_missing_required_key_names_the_item():
    found = problems([ORDERS, {"appName": "Billing_JWT"}])
    assert found == [
        "integrations[1].integrationUsername: is required: the Salesforce username the integration logs in as"
    ]


def test_every_problem_of_every_item_together():
    found = problems([{**ORDERS, "rotation": -1}, {**BILLING, "scopes": ["Api"], "appNmae": "x"}], keySize="512")
    keys = sorted(p.split(" ")[0].rstrip(":") for p in found)
    assert keys == ["integrations[0].rotation", "integrations[1].appNmae", "integrations[1].scopes", "keySize"]
    assert any("did you mean 'appName'" in p for p in found)


@pytest.mark.parametrize("key", sorted(STACK_WIDE_KEYS))
def test_stack_wide_keys_are_refused_in_an_item(key):
    found = problems([{**ORDERS, key: "x"}])
    assert found[0].startswith(f"integrations[0].{key}")
    assert "is stack-wide: set it once at the top level" in found[0]


def test_a_secret_put_in_an_item_is_never_shown():
    found = problems([{**ORDERS, "deployerRefreshToken": REFRESH}])
    assert found == [
        "integrations[0].deployerRefreshToken (value hidden): is stack-wide: set it once at the top "
        "level, where it applies to every integration"
    ]


def test_the_list_itself_is_checked():
    assert "must list at least one integration" in problems([])[0]
    assert "must be a list" in problems({"appName": "x"})[0]
    assert "item 1 must be a map" in problems([ORDERS, "Billing_JWT"])[0]
    assert "written as YAML or JSON" in problems("Orders_JWT, Billing_JWT")[0]


def test_load_settings_refuses_the_key_and_points_to_load_integrations():
    with pytest.raises(SettingsError) as info:
        load_settings({**TOP, "integrations": [ORDERS]}, stack="dev", env={})
    assert [p.key for p in info.value.problems] == ["integrations"]
    assert "load_integrations" in info.value.problems[0].message


# ---------------------------------------------------------------- what two items may not share


def test_same_app_name_names_both_items():
    found = problems([ORDERS, BILLING, {**ORDERS, "integrationUsername": "other@acme.example.com"}])
    assert found == [
        "integrations[2].appName = 'Orders_JWT': is also the appName of integrations[0]; every "
        "integration needs its own app (and so its own secret and permission set)"
    ]


def test_a_shared_top_level_app_name_is_a_clash():
    found = problems(
        [{"integrationUsername": "a@acme.example.com"}, {"integrationUsername": "b@acme.example.com"}],
        appName="Shared_JWT",
    )
    assert found == [
        "integrations[1].appName = 'Shared_JWT': is also the appName of integrations[0]; every "
        "integration needs its own app (and so its own secret and permission set)"
    ]


def test_blue_green_slot_names_count():
    found = problems([{**ORDERS, "rotationStrategy": "blue-green"}, {**BILLING, "appName": "Orders_JWT_B"}])
    assert found == [
        "integrations[1].appName = 'Orders_JWT_B': gives the app 'Orders_JWT_B', which "
        "integrations[0] deploys too (blue-green adds _A/_B); choose another appName"
    ]


def test_same_secret_name_names_both_items():
    found = problems([{**ORDERS, "secretName": "team/jwt"}, {**BILLING, "secretName": "team/jwt"}])
    assert found == [
        "integrations[1].secretName = 'team/jwt': is also the secretName of integrations[0]; each "
        "integration needs its own secret"
    ]


def test_same_permission_set_names_both_items():
    found = problems([ORDERS, {**BILLING, "permissionSetName": "Orders_JWT_Access"}])
    assert found == [
        "integrations[1].permissionSetName = 'Orders_JWT_Access': is also the permissionSetName of "
        "integrations[0]; each integration creates its own permission set"
    ]


def test_a_clash_is_reported_with_the_other_problems():
    found = problems([ORDERS, {**ORDERS, "integrationUsername": "not-an-email"}])
    assert sorted(p.split(" ")[0] for p in found) == ["integrations[1].appName", "integrations[1].integrationUsername"]


# ---------------------------------------------------------------- properties


def test_every_key_is_either_stack_wide_or_per_integration():
    assert STACK_WIDE_KEYS | INTEGRATION_KEYS | {"integrations"} == KNOWN_KEYS
    assert not STACK_WIDE_KEYS & INTEGRATION_KEYS
    assert {"salesforceLoginUrl", "awsRegion", "apiVersion", "deployerAuthUrl"} <= STACK_WIDE_KEYS
    assert {"appName", "scopes", "keySize", "secretName", "rotation", "testLevel", "appKind"} <= INTEGRATION_KEYS


app_names = st.lists(st.from_regex(r"[A-Z][a-z0-9]{1,8}", fullmatch=True), min_size=1, max_size=5, unique=True)


@settings(max_examples=40, deadline=None)
@given(app_names, st.data())
def test_distinct_items_give_distinct_settings_in_order(names, data):
    sizes = data.draw(st.lists(st.sampled_from([2048, 3072, 4096]), min_size=len(names), max_size=len(names)))
    items = [
        {"appName": n, "integrationUsername": f"{n.lower()}@acme.example.com", "keySize": k}
        for n, k in zip(names, sizes, strict=False)
    ]
    loaded = load(items)
    assert [s.app.name for s in loaded] == names
    assert [s.certificate.key_size for s in loaded] == sizes
    assert len({s.secret.name for s in loaded}) == len({s.app.permission_set_name for s in loaded}) == len(names)


@settings(max_examples=40, deadline=None)
@given(app_names.filter(lambda n: len(n) >= 2), st.data())
def test_any_repeated_app_name_is_one_problem_naming_both(names, data):
    first = data.draw(st.integers(0, len(names) - 1))
    items = [{"appName": n, "integrationUsername": f"u{i}@acme.example.com"} for i, n in enumerate(names)]
    items.append({"appName": names[first], "integrationUsername": "late@acme.example.com"})
    found = problems(items)
    assert found == [
        f"integrations[{len(names)}].appName = {names[first]!r}: is also the appName of "
        f"integrations[{first}]; every integration needs its own app (and so its own secret and "
        "permission set)"
    ]
