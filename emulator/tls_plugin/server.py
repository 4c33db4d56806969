"""The ResourceProvider gRPC servicer: wire marshalling, secrets, and the RPCs the engine calls.

Inputs arrive as Structs, possibly with secret wrappers (the engine sends them because ``Configure``
says ``acceptSecrets``). They are unwrapped for the resource logic; outputs echo the inputs in their
wire form (so secret inputs stay secret) and the sensitive outputs are wrapped as secrets.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable
from concurrent import futures
from datetime import datetime
from typing import Any

import grpc
from google.protobuf import empty_pb2
from pulumi.runtime.proto import plugin_pb2, provider_pb2, provider_pb2_grpc

from . import VERSION, checks, diff, resources
from .clock import now
from .schema import schema_json
from .values import Props, contains_unknown, from_struct, reveal, same_value, to_struct, wrap_secrets

log = logging.getLogger("tls-standin")

GRPC_OPTIONS = [
    ("grpc.max_receive_message_length", 400 * 1024 * 1024),
    ("grpc.max_send_message_length", 400 * 1024 * 1024),
]


def rpc(method: Callable) -> Callable:
    """Turn a failure into a gRPC status with a message free of key material."""

    @functools.wraps(method)
    def wrapper(self: TlsProvider, request: Any, context: grpc.ServicerContext) -> Any:
        try:
            return method(self, request, context)
        except resources.ResourceError as error:
            code, message = grpc.StatusCode.UNKNOWN, str(error)
        except _Refused as error:
            code, message = error.code, str(error)
        except Exception as error:
            log.error("%s failed: %s", method.__name__, type(error).__name__)
            code, message = (
                grpc.StatusCode.INTERNAL,
                f"tls stand-in {method.__name__}: {type(error).__name__}: {resources._safe(error)}",
            )
        log.info("%s %s: %s", method.__name__, getattr(request, "urn", ""), message)
        context.abort(code, message)

    return wrapper


class _Refused(Exception):
    """A request the stand-in refuses, with the status code to answer."""

    def __init__(self, code: grpc.StatusCode, message: str):
        super().__init__(message)
        self.code = code


class TlsProvider(provider_pb2_grpc.ResourceProviderServicer):
    """The tls package's ResourceProvider, version 5.6.2."""

    def __init__(self, clock: Callable[[], datetime] = now, engine_address: str = ""):
        self._clock = clock
        self.engine_address = engine_address
        self._accept_secrets = False
        self.cancelled = threading.Event()

    # -- protocol and configuration -------------------------------------------------------------
    def Handshake(self, request: provider_pb2.ProviderHandshakeRequest, context: grpc.ServicerContext):
        """Protocol features: secrets and resource references yes, output values no."""
        self.engine_address = request.engine_address or self.engine_address
        return provider_pb2.ProviderHandshakeResponse(accept_secrets=True, accept_resources=True, accept_outputs=False)

    def Attach(self, request: plugin_pb2.PluginAttach, context: grpc.ServicerContext):
        """The engine attaching to an already running plugin (PULUMI_DEBUG_PROVIDERS)."""
        self.engine_address = request.address
        return empty_pb2.Empty()

    def GetPluginInfo(self, request: empty_pb2.Empty, context: grpc.ServicerContext):
        return plugin_pb2.PluginInfo(version=VERSION)

    def GetSchema(self, request: provider_pb2.GetSchemaRequest, context: grpc.ServicerContext):
        return provider_pb2.GetSchemaResponse(schema=schema_json())

    def CheckConfig(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext):
        """The provider takes no configuration: echo it."""
        return provider_pb2.CheckResponse(inputs=request.news)

    def DiffConfig(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext):
        return provider_pb2.DiffResponse(changes=provider_pb2.DiffResponse.DIFF_NONE)

    def Configure(self, request: provider_pb2.ConfigureRequest, context: grpc.ServicerContext):
        self._accept_secrets = request.acceptSecrets
        return provider_pb2.ConfigureResponse(
            acceptSecrets=True, supportsPreview=True, acceptResources=True, acceptOutputs=False
        )

    def Cancel(self, request: empty_pb2.Empty, context: grpc.ServicerContext):
        """Refuse further creates and updates; the process exits when the engine closes it."""
        self.cancelled.set()
        return empty_pb2.Empty()

    @rpc
    def Invoke(self, request: provider_pb2.InvokeRequest, context: grpc.ServicerContext):
        raise _Refused(grpc.StatusCode.UNIMPLEMENTED, f"tls stand-in does not model function {request.tok}")

    # -- resources ----------------------------------------------------------------------------------
    @rpc
    def Check(self, request: provider_pb2.CheckRequest, context: grpc.ServicerContext):
        news = from_struct(request.news)
        checked, failures = checks.check(_type(request), reveal(news))
        inputs = {**news, **{k: v for k, v in checked.items() if k not in news}}  # defaults added, wire kept
        return provider_pb2.CheckResponse(
            inputs=to_struct(inputs), failures=[provider_pb2.CheckFailure(property=p, reason=r) for p, r in failures]
        )

    @rpc
    def Diff(self, request: provider_pb2.DiffRequest, context: grpc.ServicerContext):
        type_ = _type(request)
        olds, news = reveal(from_struct(request.olds)), reveal(from_struct(request.news))
        old_inputs = (
            reveal(from_struct(request.old_inputs)) if request.HasField("old_inputs") else _inputs_of(type_, olds)
        )
        result = diff.plan(type_, olds, old_inputs, news, self._clock(), request.ignoreChanges)
        return provider_pb2.DiffResponse(
            changes=provider_pb2.DiffResponse.DIFF_SOME if result.changed else provider_pb2.DiffResponse.DIFF_NONE,
            replaces=result.replaces,
            diffs=result.changed,
            deleteBeforeReplace=False,
            hasDetailedDiff=True,
            detailedDiff={
                k: provider_pb2.PropertyDiff(kind=getattr(provider_pb2.PropertyDiff, kind), inputDiff=i)
                for k, (kind, i) in result.detailed.items()
            },
        )

    @rpc
    def Create(self, request: provider_pb2.CreateRequest, context: grpc.ServicerContext):
        type_, props = _type(request), from_struct(request.properties)
        if request.preview:
            return provider_pb2.CreateResponse(id="", properties=self._outputs({**props, **resources.preview(type_)}))
        plain = self._known(props)
        id_, computed = resources.create(type_, plain, self._clock())
        log.info("created %s", request.urn)
        return provider_pb2.CreateResponse(id=id_, properties=self._outputs({**props, **computed}))

    @rpc
    def Read(self, request: provider_pb2.ReadRequest, context: grpc.ServicerContext):
        """Refresh from state (nothing lives outside it); no state means the resource cannot be found."""
        type_, props = _type(request), from_struct(request.properties)
        if not props:
            return provider_pb2.ReadResponse()
        outputs = {**props, **resources.refresh(type_, reveal(props), self._clock())}
        response = provider_pb2.ReadResponse(id=request.id, properties=self._outputs(outputs))
        if request.HasField("inputs"):
            response.inputs.CopyFrom(request.inputs)
        else:
            response.inputs.CopyFrom(to_struct(_inputs_of(type_, props)))
        return response

    @rpc
    def Update(self, request: provider_pb2.UpdateRequest, context: grpc.ServicerContext):
        """Only SelfSignedCert.earlyRenewalHours updates in place; anything else was a replacement."""
        type_, olds, news = _type(request), from_struct(request.olds), from_struct(request.news)
        old_inputs = from_struct(request.old_inputs) if request.HasField("old_inputs") else _inputs_of(type_, olds)
        self._refuse_in_place(type_, reveal(old_inputs), reveal(news))
        if not request.preview:
            self._known(news)
        kept = {k: v for k, v in olds.items() if k in resources.COMPUTED.get(type_, ())}
        computed = resources.update(type_, reveal(olds), reveal(news), self._clock())
        return provider_pb2.UpdateResponse(properties=self._outputs({**kept, **news, **computed}))

    @rpc
    def Delete(self, request: provider_pb2.DeleteRequest, context: grpc.ServicerContext):
        """Nothing exists outside the engine's state."""
        return empty_pb2.Empty()

    # -- helpers ---------------------------------------------------------------------------------------
    def _outputs(self, props: Props):
        if self._accept_secrets:
            props = wrap_secrets(props, resources.SECRET_OUTPUTS)
        return to_struct(props)

    def _known(self, props: Props) -> Props:
        if self.cancelled.is_set():
            raise _Refused(grpc.StatusCode.CANCELLED, "the engine cancelled the operation")
        plain = reveal(props)
        unknown = sorted(k for k, v in plain.items() if contains_unknown(v))
        if unknown:
            raise _Refused(grpc.StatusCode.INVALID_ARGUMENT, f"unknown inputs outside a preview: {', '.join(unknown)}")
        return plain

    @staticmethod
    def _refuse_in_place(type_: str, old_inputs: Props, news: Props) -> None:
        updatable = diff.UPDATABLE.get(type_, frozenset())
        fixed = sorted(
            k
            for k in set(old_inputs) | set(news)
            if k not in updatable and not same_value(old_inputs.get(k), news.get(k))
        )
        if fixed:
            raise _Refused(
                grpc.StatusCode.FAILED_PRECONDITION,
                f"{type_} cannot change {', '.join(fixed)} in place (these force replacement)",
            )


def _type(request: Any) -> str:
    """The resource type token: the request's ``type``, else the URN's last type segment."""
    if getattr(request, "type", ""):
        return request.type
    qualified = request.urn.split("::")[2] if request.urn.count("::") >= 3 else ""
    return qualified.split("$")[-1]


def _inputs_of(type_: str, outputs: Props) -> Props:
    computed = resources.COMPUTED.get(type_, ())
    return {k: v for k, v in outputs.items() if k not in computed}


def serve(provider: TlsProvider, workers: int = 8) -> tuple[grpc.Server, int]:
    """Start serving on 127.0.0.1 (an ephemeral port); returns (server, port)."""
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="rpc"), options=GRPC_OPTIONS
    )
    provider_pb2_grpc.add_ResourceProviderServicer_to_server(provider, server)
    port = server.add_insecure_port("127.0.0.1:0")
    if not port:
        raise OSError("could not bind 127.0.0.1")
    server.start()
    return server, port
