"""The dynamic provider host: one per run, never left running."""

import os
from pathlib import Path

import grpc
import pytest

from emulator.engine.dynamic_host import provider_message

pytestmark = pytest.mark.slow  # drives the sample stack through real processes


def _children() -> list[str]:
    me, found = str(os.getpid()), []
    for proc in Path("/proc").iterdir():
        try:
            stat = (proc / "stat").read_text()
            if stat.rsplit(")", 1)[1].split()[1] == me:
                found.append((proc / "cmdline").read_text().replace("\0", " "))
        except (OSError, IndexError):
            continue
    return found


def test_host_is_started_once_and_killed(deployed, monkeypatch):
    from emulator.engine import dynamic_host

    started = []
    real_popen = dynamic_host.subprocess.Popen

    def counting_popen(command, *args, **kwargs):
        started.append(command)
        return real_popen(command, *args, **kwargs)

    monkeypatch.setattr(dynamic_host.subprocess, "Popen", counting_popen)
    result = deployed.engine(recordValue="v2", extraRecord="true").up()
    assert result.ok and result.call_count("Create") == 1 and result.call_count("Update") == 1
    hosts = [c for c in started if c[-2:] == ["-m", "pulumi.dynamic"]]
    assert len(hosts) == 1, "one provider host per run, however many dynamic resources"
    assert not [c for c in _children() if "pulumi.dynamic" in c], "the host must be killed after the run"


def test_host_gets_stack_config_and_its_output_is_relayed(sample):
    # the sample provider reads `remoteFile` in configure(); writing there proves Configure carried the config
    result = sample.engine().up().check()
    assert sample.remote()["log"] == ["create alpha"]
    assert "provider: record alpha written (create)" in result.messages


class _RpcError(grpc.RpcError):
    def __init__(self, details):
        self._details = details

    def details(self):
        return self._details

    def code(self):
        return grpc.StatusCode.UNKNOWN


def test_provider_message_is_the_exception_text_of_the_host_traceback():
    traceback = ('Traceback (most recent call last):\n  File "/p/prov.py", line 3, in create\n'
                 '    raise ValueError("x")\n    ^^^^^^^^^^^^\nValueError: app rejected\nfix: set appName\n')
    assert provider_message(_RpcError(traceback)) == "ValueError: app rejected\nfix: set appName"
    assert provider_message(_RpcError("plain failure")) == "plain failure"
