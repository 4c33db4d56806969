"""Project and stack config loading."""

import pytest

from emulator.engine import Engine, EngineError
from emulator.engine.project import load_stack_config, secret_env_var

from .conftest import SAMPLE


def test_stack_file_values_are_namespaced_strings():
    config = load_stack_config(SAMPLE, "engine-sample", "dev")
    assert config.values["engine-sample:validityHours"] == "48"
    assert config.values["engine-sample:commonName"] == "sample.internal"
    assert config.secret_keys == []


def test_overrides_and_secret_keys():
    config = load_stack_config(SAMPLE, "engine-sample", "dev", ["recordValue=v9", "other:flag=true"], ["apiToken=s"])
    assert config.values["engine-sample:recordValue"] == "v9" and config.values["other:flag"] == "true"
    assert config.secret_keys == ["engine-sample:apiToken"]


def test_secure_value_from_environment_is_secret():
    env = {secret_env_var("engine-sample:apiToken"): "from-env"}
    config = load_stack_config(SAMPLE, "engine-sample", "locked", env=env)
    assert config.values["engine-sample:apiToken"] == "from-env"
    assert config.secret_keys == ["engine-sample:apiToken"]


@pytest.mark.parametrize("kwargs, fragment", [
    ({"config": ["novalue"]}, "--config 'novalue' is not key=value"),
    ({"stack": "locked"}, "--secret apiToken=VALUE"),
    ({"stack": "bad/name"}, "--stack 'bad/name'"),
    ({"env": {"OFFLINE_ENGINE_NOW": "tomorrow"}}, "OFFLINE_ENGINE_NOW='tomorrow' is not an ISO 8601 timestamp"),
])
def test_bad_input_is_refused_before_anything_runs(tmp_path, kwargs, fragment):
    stack = kwargs.pop("stack", "dev")
    with pytest.raises(EngineError, match=None) as error:
        Engine(SAMPLE, stack, tmp_path, **kwargs)
    assert fragment in str(error.value)
    assert list(tmp_path.iterdir()) == []


def test_missing_project_file_names_the_fix(tmp_path):
    with pytest.raises(EngineError, match="no Pulumi.yaml"):
        Engine(tmp_path, "dev")
