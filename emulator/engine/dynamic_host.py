"""Client for the SDK's dynamic provider host, ``python -m pulumi.dynamic``, spoken to over gRPC.

One host process per engine run: started lazily under a lock (the monitor serves several threads),
``Configure``d with the whole stack config, and always killed by :meth:`DynamicHost.close`.
Secrets are stripped before every call because the host answers ``acceptSecrets=false``.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import grpc
from pulumi.runtime.proto import provider_pb2, provider_pb2_grpc

from .values import Props, from_struct, reveal, to_struct

START_TIMEOUT_S = 30.0


class ProviderError(Exception):
    """A provider call failed; the message is the provider's own (last traceback line)."""


@dataclass
class DiffOutcome:
    """What the provider's Diff said."""

    changes: str  # "none" | "some" | "unknown"
    replaces: list[str] = field(default_factory=list)
    delete_before_replace: bool = False


def provider_message(error: grpc.RpcError) -> str:
    """The exception text at the end of a host traceback (``ValueError: ...``, all its lines), or the detail."""
    lines = (error.details() or "").rstrip().splitlines()
    frames = [i for i, line in enumerate(lines) if line.startswith('  File "')]
    if not frames:
        return "\n".join(lines).strip() or str(error.code())
    rest = lines[frames[-1] + 1:]
    start = next((i for i, line in enumerate(rest) if line and not line[0].isspace()), len(rest))
    return "\n".join(rest[start:]).strip() or str(error.code())


class DynamicHost:
    """A lazily started ``python -m pulumi.dynamic`` process for one project directory."""

    def __init__(self, project_dir: Path, project: str, config: dict[str, str], env: dict[str, str],
                 log: Callable[[str], None] = lambda _line: None):
        self._project_dir = project_dir
        self._log = log
        self._project = project
        self._config = config
        self._env = env
        self._lock = threading.Lock()
        self._process: subprocess.Popen | None = None
        self._channel: grpc.Channel | None = None
        self._stub: provider_pb2_grpc.ResourceProviderStub | None = None
        self._warmup: threading.Thread | None = None

    # -- lifecycle -------------------------------------------------------------------------------
    def _ensure(self) -> provider_pb2_grpc.ResourceProviderStub:
        with self._lock:
            if self._stub is None:
                try:
                    self._start()
                except (grpc.RpcError, grpc.FutureTimeoutError, OSError) as error:
                    raise ProviderError(f"could not start the dynamic provider host: {error!r}") from None
            assert self._stub is not None
            return self._stub

    def _start(self) -> None:
        env = {**os.environ, **self._env, "PULUMI_PROJECT": self._project}
        self._process = subprocess.Popen(
            [sys.executable, "-u", "-m", "pulumi.dynamic"],
            cwd=self._project_dir, env=env, stdout=subprocess.PIPE, stderr=None,
        )
        try:
            self._channel = grpc.insecure_channel(f"127.0.0.1:{self._read_port()}")
            threading.Thread(target=self._drain, args=(self._process.stdout,), daemon=True).start()
            grpc.channel_ready_future(self._channel).result(timeout=START_TIMEOUT_S)
            stub = provider_pb2_grpc.ResourceProviderStub(self._channel)
            stub.Configure(provider_pb2.ConfigureRequest(
                args=to_struct(reveal(self._config)), variables=reveal(self._config), acceptSecrets=True))
        except BaseException:
            self._stop_process()
            raise
        self._stub = stub

    def _read_port(self) -> int:
        assert self._process is not None and self._process.stdout is not None
        result: list[bytes] = []
        reader = threading.Thread(target=lambda: result.append(self._process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(START_TIMEOUT_S)
        if not result or not result[0].strip().isdigit():
            raise ProviderError("the dynamic provider host (python -m pulumi.dynamic) did not print its port")
        return int(result[0])

    def _drain(self, stream) -> None:
        """Relay what providers print (so the pipe never fills and blocks the host)."""
        try:
            for line in iter(stream.readline, b""):
                self._log(f"provider: {line.decode(errors='replace').rstrip()}")
        except (OSError, ValueError):
            pass  # stream closed by close()

    def prestart(self) -> None:
        """Start the host in the background so its start-up overlaps the program's; errors surface on first use."""
        def warm() -> None:
            try:
                self._ensure()
            except ProviderError:
                pass  # the first real call retries and reports
        self._warmup = threading.Thread(target=warm, name="dynamic-host-warmup", daemon=True)
        self._warmup.start()

    @property
    def started(self) -> bool:
        """True once a host process has been started in this run."""
        return self._process is not None

    def close(self) -> None:
        """Kill the host process (if any) and close the channel."""
        if self._warmup is not None:
            self._warmup.join(START_TIMEOUT_S + 5)
        with self._lock:
            self._stop_process()

    def _stop_process(self) -> None:
        if self._channel is not None:
            self._channel.close()
        if self._process is not None:
            self._process.kill()
            self._process.wait(timeout=10)
            if self._process.stdout:
                self._process.stdout.close()
        self._process, self._channel, self._stub = None, None, None

    # -- resource calls --------------------------------------------------------------------------
    def _call(self, method: str, request):
        stub = self._ensure()
        try:
            return getattr(stub, method)(request)
        except grpc.RpcError as error:
            raise ProviderError(provider_message(error)) from None

    def check(self, urn: str, type_: str, name: str, olds: Props, news: Props) -> tuple[Props, list[tuple[str, str]]]:
        """Check: returns (checked inputs, failures as (property, reason))."""
        resp = self._call("Check", provider_pb2.CheckRequest(
            urn=urn, type=type_, name=name, olds=to_struct(reveal(olds)), news=to_struct(reveal(news))))
        return from_struct(resp.inputs), [(f.property, f.reason) for f in resp.failures]

    def diff(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> DiffOutcome:
        """Diff: olds are the prior outputs, news the checked inputs."""
        resp = self._call("Diff", provider_pb2.DiffRequest(
            urn=urn, type=type_, id=id_, olds=to_struct(reveal(olds)), old_inputs=to_struct(reveal(old_inputs)),
            news=to_struct(reveal(news))))
        changes = {provider_pb2.DiffResponse.DIFF_NONE: "none", provider_pb2.DiffResponse.DIFF_SOME: "some"}
        return DiffOutcome(changes.get(resp.changes, "unknown"), list(resp.replaces), resp.deleteBeforeReplace)

    def create(self, urn: str, type_: str, name: str, inputs: Props) -> tuple[str, Props]:
        """Create: returns (id, outputs)."""
        resp = self._call("Create", provider_pb2.CreateRequest(
            urn=urn, type=type_, name=name, properties=to_struct(reveal(inputs))))
        if not resp.id:
            raise ProviderError(f"provider returned an empty id for {urn}")
        return resp.id, from_struct(resp.properties)

    def update(self, urn: str, type_: str, id_: str, olds: Props, old_inputs: Props, news: Props) -> Props:
        """Update: returns the new outputs."""
        resp = self._call("Update", provider_pb2.UpdateRequest(
            urn=urn, id=id_, olds=to_struct(reveal(olds)), old_inputs=to_struct(reveal(old_inputs)),
            news=to_struct(reveal(news))))
        return from_struct(resp.properties)

    def read(self, urn: str, type_: str, id_: str, outputs: Props, inputs: Props) -> tuple[str, Props, Props | None]:
        """Read (refresh): returns (id or "" if gone, outputs, inputs if the provider returned them)."""
        resp = self._call("Read", provider_pb2.ReadRequest(
            urn=urn, id=id_, properties=to_struct(reveal(outputs)), inputs=to_struct(reveal(inputs))))
        new_inputs = from_struct(resp.inputs) if resp.HasField("inputs") else None
        return resp.id, from_struct(resp.properties), new_inputs

    def delete(self, urn: str, type_: str, id_: str, outputs: Props, old_inputs: Props) -> None:
        """Delete the resource."""
        self._call("Delete", provider_pb2.DeleteRequest(
            urn=urn, id=id_, properties=to_struct(reveal(outputs)), old_inputs=to_struct(reveal(old_inputs))))
