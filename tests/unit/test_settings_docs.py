"""The configuration reference and the example stacks stay true to the code."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from components import settings as S

ROOT = Path(__file__).resolve().parents[2]
DOC = ROOT / "docs" / "configuration.md"


def test_configuration_reference_is_current():
    text = DOC.read_text()
    assert S.update_reference(text) == text, "regenerate with: python -m components.settings docs/configuration.md"


def test_every_setting_is_documented_once():
    text = DOC.read_text()
    documented = re.findall(r"^\| `([A-Za-z]+)` \|", text, flags=re.M)
    assert sorted(documented) == sorted(S.KNOWN_KEYS)


def test_secret_and_environment_markers_in_reference():
    reference = S.render_reference()
    for spec in S.SPECS:
        row = next(line for line in reference.splitlines() if line.startswith(f"| `{spec.key}` |"))
        assert ("**Secret**" in row) == spec.secret, spec.key
        if spec.env:
            assert f"`{spec.env}`" in row


def test_update_reference_needs_markers():
    with pytest.raises(ValueError, match="markers"):
        S.update_reference("# no markers here\n")


def test_spec_defaults_match_the_loader():
    """The documented simple defaults are the ones load_settings applies."""
    s = S.load_settings(
        {
            "salesforceLoginUrl": "https://acme.my.salesforce.com",
            "appName": "Acme",
            "contactEmail": "a@example.com",
            "integrationUsername": "i@example.com",
            "awsRegion": "eu-west-1",
        },
        stack="dev",
        env={},
        require_deployer=False,
    )
    spec = {x.key: x.default for x in S.SPECS}
    assert spec["apiVersion"] == f"`{s.salesforce.api_version}`"
    assert spec["appKind"] == f"`{s.app.kind}`"
    assert spec["keySize"] == f"`{s.certificate.key_size}`"
    assert spec["certificateValidityDays"] == f"`{s.certificate.validity_days}`"
    assert spec["recoveryWindowDays"] == f"`{s.secret.recovery_window_days}`"
    assert spec["rotationStrategy"] == f"`{s.operations.rotation_strategy}`"
    assert spec["deployTimeoutSeconds"] == f"`{s.operations.deploy_timeout_seconds}`"
    assert spec["certificateMode"] == f"`{s.certificate.mode}`"


def _stack_config(name: str) -> tuple[dict, list[str]]:
    document = yaml.safe_load((ROOT / f"Pulumi.{name}.yaml").read_text())
    config = document["config"]
    # As the language host passes them: strings, structured values as JSON text.
    as_passed = {k: v if isinstance(v, str) else json.dumps(v) for k, v in config.items()}
    return as_passed, [k for k, v in config.items() if isinstance(v, dict) and "secure" in v]


@pytest.mark.parametrize("stack", ["dev", "local"])
def test_example_stacks_are_valid(stack):
    config, secure = _stack_config(stack)
    assert all(key.startswith("salesforce-jwt:") for key in config)
    assert not secure, "example stacks must not carry secrets"
    settings = S.load_settings(config, stack=stack, env={}, secret_keys=secure, require_deployer=False)
    assert settings.stack == stack


def test_local_stack_points_at_loopback_emulators():
    config, _ = _stack_config("local")
    settings = S.load_settings(config, stack="local", env={}, require_deployer=False)
    assert settings.salesforce.is_loopback
    assert settings.aws.endpoint_url.startswith("http://127.0.0.1:")


def test_dev_stack_is_a_real_org_shape():
    config, _ = _stack_config("dev")
    settings = S.load_settings(config, stack="dev", env={}, require_deployer=False)
    assert settings.salesforce.login_url.endswith(".my.salesforce.com")
    assert settings.aws.endpoint_url is None
