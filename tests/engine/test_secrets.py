"""Secrets stay secret: in state (marked), outputs, preview JSON and errors."""

import json

import pytest

from emulator.engine.values import SIG_KEY, is_secret

from .conftest import TOKEN

pytestmark = pytest.mark.slow  # drives the sample stack through real processes


def _walk(value):
    yield value
    if isinstance(value, dict):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item)


def test_state_keeps_secrets_marked(deployed):
    state = json.loads(deployed.state_text())
    by_name = {r["urn"].rsplit("::", 1)[-1]: r for r in state["resources"]}
    key = by_name["web-key"]["outputs"]
    assert is_secret(key["privateKeyPem"]) and is_secret(key["privateKeyPemPkcs8"])
    assert not is_secret(key["publicKeyPem"])
    record = by_name["web-record"]
    assert is_secret(record["inputs"]["token"]) and is_secret(record["outputs"]["token"]), "secret input -> secret output"
    assert is_secret(record["outputs"]["receipt"]), "additional_secret_outputs"
    assert not is_secret(record["outputs"]["fingerprint"]), "a new computed output is plain"
    assert is_secret(by_name["web-cert"]["inputs"]["privateKeyPem"])
    plain = [v for v in _walk(state) if isinstance(v, str) and ("PRIVATE KEY-----" in v or v == TOKEN)]
    wrapped = [v["value"] for v in _walk(state) if is_secret(v)]
    assert plain and all(v in wrapped for v in plain), "every private key / token string sits inside a secret wrapper"


def test_outputs_are_masked_unless_asked(deployed):
    masked = deployed.engine().outputs()
    assert masked["privateKeyPem"] == masked["token"] == masked["receipt"] == "[secret]"
    assert masked["certPem"].startswith("-----BEGIN CERTIFICATE-----")
    shown = deployed.engine().outputs(show_secrets=True)
    assert shown["token"] == TOKEN and "PRIVATE KEY" in shown["privateKeyPem"]


def test_preview_json_has_the_contract_shape_and_no_secret(deployed):
    document = deployed.engine(recordValue="v2").preview().to_json()
    text = json.dumps(document)

    assert TOKEN not in text and "PRIVATE KEY-----" not in text and SIG_KEY not in text
    assert set(document) == {"steps", "changeSummary", "duration"}
    assert document["changeSummary"] == {"create": 0, "update": 1, "replace": 0, "delete": 0, "same": 4}
    step = next(s for s in document["steps"] if s["op"] == "update")
    assert step["urn"].endswith("::web-record") and step["diffReasons"] == ["value"]
    assert step["detailedDiff"] == {"value": {"kind": "update", "inputDiff": True}}
    assert step["oldState"]["inputs"]["token"] == "[secret]" and step["newState"]["inputs"]["value"] == "v2"
    assert {"urn", "type", "custom", "inputs", "outputs", "parent"} <= set(step["newState"])
    assert step["provider"].endswith("pulumi:providers:pulumi-python::default")


def test_create_steps_have_no_old_state(sample):
    document = sample.engine().preview().to_json()
    assert all("oldState" not in s and "newState" in s for s in document["steps"])
    assert document["changeSummary"]["create"] == 5


def test_provider_error_does_not_leak_secrets(sample):
    result = sample.engine(failOn="create").up()
    assert result.exit_code == 1
    assert TOKEN not in " ".join(result.errors + result.messages)
