"""The in-process gRPC ResourceMonitor and Engine services the program's SDK talks to."""

from __future__ import annotations

from concurrent import futures
from typing import Callable

import grpc
from google.protobuf import empty_pb2
from google.protobuf import json_format
from pulumi.runtime.proto import engine_pb2, engine_pb2_grpc, provider_pb2, resource_pb2, resource_pb2_grpc

from .deployment import Deployment, DeploymentError, Goal
from .values import from_struct, to_struct

SUPPORTED_FEATURES = {
    "secrets": resource_pb2.RESOURCE_MONITOR_FEATURE_SECRETS,
    "aliasSpecs": resource_pb2.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
}
SEVERITIES = {engine_pb2.DEBUG: "debug", engine_pb2.INFO: "info", engine_pb2.WARNING: "warning", engine_pb2.ERROR: "error"}


def goal_from_request(request: resource_pb2.RegisterResourceRequest) -> Goal:
    """The parts of a RegisterResourceRequest the offline engine honours (aliases are ignored)."""
    dependencies = list(request.dependencies)
    for deps in request.propertyDependencies.values():
        dependencies += [u for u in deps.urns if u not in dependencies]
    return Goal(
        type=request.type, name=request.name, custom=request.custom, parent=request.parent,
        inputs=from_struct(request.object), dependencies=list(dict.fromkeys(dependencies)),
        protect=bool(request.protect), retain_on_delete=bool(request.retainOnDelete),
        delete_before_replace=request.deleteBeforeReplace, ignore_changes=list(request.ignoreChanges),
        replace_on_changes=list(request.replaceOnChanges),
        additional_secret_outputs=list(request.additionalSecretOutputs),
        replacement_trigger=(json_format.MessageToDict(request.replacement_trigger)
                             if request.HasField("replacement_trigger") else None),
    )


class ResourceMonitor(resource_pb2_grpc.ResourceMonitorServicer):
    """Forwards registrations to the :class:`Deployment`; refuses what the harness does not emulate."""

    def __init__(self, deployment: Deployment):
        self._deployment = deployment

    def GetDeploymentInfo(self, request, context):
        return resource_pb2.DeploymentInfo(supportedFeatures=list(SUPPORTED_FEATURES.values()))

    def SupportsFeature(self, request, context):
        return resource_pb2.SupportsFeatureResponse(hasSupport=request.id in SUPPORTED_FEATURES)

    def RegisterResource(self, request, context):
        try:
            state = self._deployment.register(goal_from_request(request))
        except DeploymentError as error:
            context.abort(grpc.StatusCode.UNKNOWN, str(error))
        return resource_pb2.RegisterResourceResponse(urn=state.urn, id=state.id, object=to_struct(state.outputs))

    def RegisterResourceOutputs(self, request, context):
        self._deployment.register_outputs(request.urn, from_struct(request.outputs))
        return empty_pb2.Empty()

    def Invoke(self, request, context):
        reason = f"the offline engine does not implement the function {request.tok!r}"
        return resource_pb2.ResourceInvokeResponse(failures=[provider_pb2.CheckFailure(property="", reason=reason)])

    def ReadResource(self, request, context):
        context.abort(grpc.StatusCode.UNIMPLEMENTED,
                      f"the offline engine cannot read existing resources ({request.type} {request.name}); "
                      "Resource.get() needs the Pulumi CLI")

    def SignalAndWaitForShutdown(self, request, context):
        return empty_pb2.Empty()


class EngineService(engine_pb2_grpc.EngineServicer):
    """Receives the program's log messages and root resource."""

    def __init__(self, log: Callable[[str], None]):
        self._log = log
        self._root = ""

    def Log(self, request, context):
        if request.severity != engine_pb2.DEBUG:
            prefix = SEVERITIES.get(request.severity, "info")
            where = f" {request.urn.rsplit('::', 1)[-1]}" if request.urn else ""
            self._log(f"{prefix}{where}: {request.message.rstrip()}")
        return empty_pb2.Empty()

    def GetRootResource(self, request, context):
        return engine_pb2.GetRootResourceResponse(urn=self._root)

    def SetRootResource(self, request, context):
        self._root = request.urn
        return engine_pb2.SetRootResourceResponse()

    def RequirePulumiVersion(self, request, context):
        return engine_pb2.RequirePulumiVersionResponse()


def serve(deployment: Deployment, log: Callable[[str], None]) -> tuple[grpc.Server, str]:
    """Start both services on 127.0.0.1 (free port); returns the server and its address."""
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=16))
    resource_pb2_grpc.add_ResourceMonitorServicer_to_server(ResourceMonitor(deployment), server)
    engine_pb2_grpc.add_EngineServicer_to_server(EngineService(log), server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    return server, f"127.0.0.1:{port}"
