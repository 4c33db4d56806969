"""Test-side client for the stand-in tls plugin: starts it through its launcher and speaks gRPC like the engine.

Wire constants are spelled out here (not imported from the plugin) so the tests check the plugin
against the protocol rather than against itself.
"""

from __future__ import annotations

import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

REPO_ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = REPO_ROOT / "emulator" / "tls_plugin" / "bin" / "pulumi-resource-tls"
NOW_ENV = "PULUMI_TLS_STANDIN_NOW"
ENGINE = "127.0.0.1:1"  # an engine address nobody listens on: the plugin must not need to call back
SIG_KEY = "4dabf18193072939515e22adb298388d"
SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
START_TIMEOUT_S = 60.0
CALL_TIMEOUT_S = 60.0
ENGINE_GRACE_S = 5.0  # what the CLI allows a plugin between SIGINT and SIGKILL

PRIVATE_KEY = "tls:index/privateKey:PrivateKey"
SELF_SIGNED_CERT = "tls:index/selfSignedCert:SelfSignedCert"
CERT_REQUEST = "tls:index/certRequest:CertRequest"


def secret(value: Any) -> dict:
    return {SIG_KEY: SECRET_SIG, "value": value}


def is_secret(value: Any) -> bool:
    return isinstance(value, dict) and value.get(SIG_KEY) == SECRET_SIG


def plain(value: Any) -> Any:
    if is_secret(value):
        return plain(value["value"])
    if isinstance(value, dict):
        return {k: plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v) for v in value]
    return value


def struct(props: dict) -> struct_pb2.Struct:
    message = struct_pb2.Struct()
    message.update(props)
    return message


def props(message: struct_pb2.Struct) -> dict:
    return json_format.MessageToDict(message)


def urn(type_: str, name: str) -> str:
    return f"urn:pulumi:dev::proj::{type_}::{name}"


def read_port(stream, timeout_s: float = START_TIMEOUT_S) -> str:
    """Read stdout up to the first newline, byte by byte as the engine does, with a deadline."""
    deadline = time.monotonic() + timeout_s
    selector = selectors.DefaultSelector()
    selector.register(stream, selectors.EVENT_READ)
    line = b""
    try:
        while not line.endswith(b"\n"):
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not selector.select(remaining):
                raise TimeoutError(f"no port line within {timeout_s}s (got {line!r})")
            byte = os.read(stream.fileno(), 1)
            if not byte:
                raise EOFError(f"plugin closed stdout before the port line (got {line!r})")
            line += byte
    finally:
        selector.close()
    return line.decode().strip()


@dataclass
class Plugin:
    """A running plugin process and an engine-like client for it."""

    process: subprocess.Popen
    port: int
    channel: grpc.Channel
    stub: provider_pb2_grpc.ResourceProviderStub
    stderr_path: Path

    # -- engine-like calls --------------------------------------------------------------------
    def handshake_and_configure(self) -> tuple[Any, Any]:
        shake = self.stub.Handshake(
            provider_pb2.ProviderHandshakeRequest(engine_address=ENGINE, configure_with_urn=True, supports_views=True),
            timeout=CALL_TIMEOUT_S,
        )
        config = self.stub.Configure(
            provider_pb2.ConfigureRequest(
                acceptSecrets=True,
                acceptResources=True,
                sends_old_inputs=True,
                sends_old_inputs_to_delete=True,
                args=struct({"version": "5.6.2"}),
                urn=urn("pulumi:providers:tls", "default_5_6_2"),
                type="pulumi:providers:tls",
                name="default_5_6_2",
                id="prov-id",
            ),
            timeout=CALL_TIMEOUT_S,
        )
        return shake, config

    def check(self, type_: str, news: dict, name: str = "r") -> tuple[dict, list[tuple[str, str]]]:
        response = self.stub.Check(
            provider_pb2.CheckRequest(urn=urn(type_, name), name=name, type=type_, olds=struct({}), news=struct(news)),
            timeout=CALL_TIMEOUT_S,
        )
        return props(response.inputs), [(f.property, f.reason) for f in response.failures]

    def create(self, type_: str, inputs: dict, preview: bool = False, name: str = "r") -> tuple[str, dict]:
        response = self.stub.Create(
            provider_pb2.CreateRequest(
                urn=urn(type_, name), name=name, type=type_, properties=struct(inputs), preview=preview
            ),
            timeout=CALL_TIMEOUT_S,
        )
        return response.id, props(response.properties)

    def checked_create(self, type_: str, news: dict, name: str = "r") -> tuple[dict, str, dict]:
        inputs, failures = self.check(type_, news, name)
        assert failures == []
        id_, outputs = self.create(type_, inputs, name=name)
        return inputs, id_, outputs

    def diff(
        self, type_: str, id_: str, olds: dict, old_inputs: dict, news: dict, name: str = "r"
    ) -> provider_pb2.DiffResponse:
        return self.stub.Diff(
            provider_pb2.DiffRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                olds=struct(olds),
                old_inputs=struct(old_inputs),
                news=struct(news),
            ),
            timeout=CALL_TIMEOUT_S,
        )

    def read(self, type_: str, id_: str, outputs: dict, inputs: dict, name: str = "r") -> provider_pb2.ReadResponse:
        return self.stub.Read(
            provider_pb2.ReadRequest(
                id=id_, urn=urn(type_, name), name=name, type=type_, properties=struct(outputs), inputs=struct(inputs)
            ),
            timeout=CALL_TIMEOUT_S,
        )

    def update(
        self, type_: str, id_: str, olds: dict, old_inputs: dict, news: dict, preview: bool = False, name: str = "r"
    ) -> dict:
        response = self.stub.Update(
            provider_pb2.UpdateRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                olds=struct(olds),
                old_inputs=struct(old_inputs),
                news=struct(news),
                preview=preview,
            ),
            timeout=CALL_TIMEOUT_S,
        )
        return props(response.properties)

    def delete(self, type_: str, id_: str, outputs: dict, inputs: dict, name: str = "r") -> None:
        self.stub.Delete(
            provider_pb2.DeleteRequest(
                id=id_,
                urn=urn(type_, name),
                name=name,
                type=type_,
                properties=struct(outputs),
                old_inputs=struct(inputs),
            ),
            timeout=CALL_TIMEOUT_S,
        )

    def cancel(self) -> None:
        self.stub.Cancel(empty_pb2.Empty(), timeout=CALL_TIMEOUT_S)

    # -- process ------------------------------------------------------------------------------------
    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> None:
        """Stop as the engine does: SIGINT to the plugin, SIGKILL if it has not gone within the grace period."""
        self.channel.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=ENGINE_GRACE_S)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.process.wait(timeout=30)
        for stream in (self.process.stdin, self.process.stdout):
            if stream:
                stream.close()


def start_plugin(
    log_dir: Path, now: str | None = None, extra_args: tuple[str, ...] = (), configure: bool = True
) -> Plugin:
    """Start the launcher as the engine does (flags, then the engine address) and connect to it."""
    env = {k: v for k, v in os.environ.items() if k != NOW_ENV}
    if now is not None:
        env[NOW_ENV] = now
    log_dir.mkdir(parents=True, exist_ok=True)
    stderr_path = log_dir / f"plugin-{time.monotonic_ns()}.stderr"
    with stderr_path.open("w") as stderr:
        process = subprocess.Popen(
            [str(LAUNCHER), "--logtostderr", "-v=9", "--tracing", "127.0.0.1:9", *extra_args, ENGINE],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=stderr,
            env=env,
            cwd=log_dir,
        )
    try:
        port = int(read_port(process.stdout))
        channel = grpc.insecure_channel(f"127.0.0.1:{port}")
        grpc.channel_ready_future(channel).result(timeout=START_TIMEOUT_S)
    except BaseException:
        process.kill()
        process.wait(timeout=30)
        raise
    plugin = Plugin(process, port, channel, provider_pb2_grpc.ResourceProviderStub(channel), stderr_path)
    if configure:
        plugin.handshake_and_configure()
    return plugin
