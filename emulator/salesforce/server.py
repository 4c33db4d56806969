"""HTTPS server: routes requests to the OAuth, Metadata SOAP, REST and control handlers.

cheroot's WSGI server over TLS: HTTP/1.1 keep-alive (clients reuse one TLS connection instead of a
handshake per request), a worker pool, idle connections expired after ``IDLE_SECONDS``; it decodes
chunked request bodies (the Node clients send them).
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter
from werkzeug.exceptions import ClientDisconnected, RequestEntityTooLarge
from werkzeug.wrappers import Request, Response

from . import control, metadata_soap, oauth, rest, soap
from .common import json_response
from .deploy import settle_deploys
from .schema import preload_in_background, shared_schema
from .state import DEFAULT_INTEGRATION, Org
from .tls import create_tls_files, server_context

LOG = logging.getLogger("emulator.salesforce")
SOAP_PREFIX = "/services/Soap/m/"
MAX_BODY = 60 * 1024 * 1024
WORKERS = 16  # requests answered at once (the test suite and benchmarks run up to 10 clients together)
IDLE_SECONDS = 30  # a stalled or idle client cannot pin a connection longer than this
KEEP_ALIVE_LIMIT = 64  # idle keep-alive connections kept open (cheroot's default of 10 is too few)


@dataclass
class Call:
    """How a request is answered: operation name (for faults and counters) and the handler."""

    operation: str
    fault_key: str
    run: Any


class EmulatorApp:
    """The WSGI application around one :class:`Org`."""

    def __init__(self, org: Org) -> None:
        self.org = org
        self.stopping = threading.Event()  # set on shutdown: delayed (faulted) replies end at once

    def __call__(self, environ: dict, start_response: Any) -> Any:
        request = Request(environ)
        request.max_content_length = MAX_BODY
        return self.respond(request)(environ, start_response)

    def respond(self, request: Request) -> Response:
        """Answer a request; unexpected errors become a Salesforce-style 500 (never a crash)."""
        try:
            return self._respond(request)
        except RequestEntityTooLarge:
            return json_response(
                [{"message": f"The request body exceeds {MAX_BODY} bytes", "errorCode": "REQUEST_ENTITY_TOO_LARGE"}],
                413,
            )
        except ClientDisconnected:
            return json_response(
                [{"message": "The request body could not be read", "errorCode": "INVALID_REQUEST"}], 400
            )
        except Exception:
            LOG.exception("unhandled error for %s %s", request.method, request.path)
            return json_response(
                [
                    {
                        "message": "An unexpected error occurred in the emulator; see its stderr",
                        "errorCode": "UNKNOWN_EXCEPTION",
                    }
                ],
                500,
            )

    def _respond(self, request: Request) -> Response:
        path = request.path
        if path.startswith(control.PREFIX + "/") or path == control.PREFIX:
            with self.org.lock:
                return control.handle(self.org, shared_schema, request)
        try:
            call = self._route(request)
        except soap.SoapFault as fault:
            response = soap.fault_response(fault)
            self._record("soap", request, response.status_code)
            return response
        with self.org.lock:
            fault = self.org.take_fault(call.fault_key)
        if fault is not None and fault.status:
            response = _fault_response(call.fault_key, fault.status)
        else:
            with self.org.lock:
                settle_deploys(self.org, shared_schema)
                response = call.run()
        # counted when handled, so a reset during a slow reply never sees a late count from before it
        self._record(call.operation, request, response.status_code)
        if fault is not None and fault.delay_seconds:
            self.stopping.wait(fault.delay_seconds)  # slow reply: the work is done, the answer comes late
        return response

    def _record(self, operation: str, request: Request, status: int) -> None:
        with self.org.lock:
            self.org.record(operation, request.method, request.path, status)

    def _route(self, request: Request) -> Call:
        org, path = self.org, request.path
        if path.rstrip("/") == "/services/oauth2/token" and request.method == "POST":
            return Call("token", "token", lambda: oauth.handle(org, request))
        if path.startswith(SOAP_PREFIX) and request.method == "POST":
            version = path[len(SOAP_PREFIX) :].split("/", 1)[0]
            header, operation = metadata_soap.operation_of(request.get_data())
            name = operation.xpath("local-name()")
            return Call(
                name, name, lambda: metadata_soap.handle(org, shared_schema, request, version, header, operation)
            )
        if path.rstrip("/") == "/services/data" and request.method == "GET":
            return Call("rest:versions", "rest", lambda: rest.versions(org))
        if path.startswith(("/services/data/", "/services/oauth2/userinfo", "/id/")):
            return Call(_rest_operation(path), "rest", lambda: rest.handle(org, request, path))
        return Call("not_found", "none", lambda: json_response(rest.NOT_FOUND, 404))


def _rest_operation(path: str) -> str:
    if path.startswith("/id/"):
        return "rest:identity"
    if "userinfo" in path:
        return "rest:userinfo"
    tail = path.split("/", 4)[4:] if path.startswith("/services/data/") else []
    return "rest:" + (tail[0].split("/")[0] if tail and tail[0] else "resources")


def _fault_response(key: str, status: int) -> Response:
    if key == "token":
        return json_response({"error": "unknown_error", "error_description": "retry your request"}, status)
    if key == "rest":
        code = {503: "SERVER_UNAVAILABLE", 429: "REQUEST_LIMIT_EXCEEDED"}.get(status, "UNKNOWN_EXCEPTION")
        return json_response([{"message": f"Injected fault ({status})", "errorCode": code}], status)
    if status == 500:
        return soap.fault_response(
            soap.SoapFault(
                "UNKNOWN_EXCEPTION",
                "An unexpected error occurred. Please include this ErrorId if you contact support: "
                "1234567890-12345 (-1)",
            )
        )
    return Response(f"Injected fault ({status})", status=status, content_type="text/plain")


@dataclass
class Running:
    """A started emulator: its HTTP server, org and the facts of the ready line."""

    server: wsgi.Server
    app: EmulatorApp
    ready: dict[str, str]

    @property
    def org(self) -> Org:
        return self.app.org

    def serve(self) -> None:
        """Answer requests until :meth:`stop` (or an interrupt)."""
        self.server.serve()

    def stop(self) -> None:
        """Stop accepting, cut delayed replies short, finish the requests in flight, close every connection."""
        self.app.stopping.set()
        self.server.stop()


def _tls_adapter(files: Any) -> BuiltinSSLAdapter:
    """cheroot's TLS adapter serving the emulator's certificate with our context (TLS 1.2 or later)."""
    adapter = BuiltinSSLAdapter(str(files.server_cert), str(files.server_key))
    adapter.context = server_context(files)
    return adapter


def _http_server(host: str, port: int, app: Any, files: Any) -> wsgi.Server:
    server = wsgi.Server((host, port), app, numthreads=WORKERS, timeout=IDLE_SECONDS, server_name="emulator")
    server.ssl_adapter = _tls_adapter(files)
    server.keep_alive_conn_limit = KEEP_ALIVE_LIMIT
    server.prepare()  # binds now, so the ready line can name the port
    return server


def start(host: str = "127.0.0.1", port: int = 0, data_dir: Path | None = None) -> Running:
    """Bind the server and build the org; call ``Running.serve()`` to serve."""
    directory = Path(data_dir) if data_dir else Path(tempfile.mkdtemp(prefix="sf-emulator-"))
    files = create_tls_files(directory, host)
    preload_in_background()
    holder: dict[str, EmulatorApp] = {}
    server = _http_server(host, port, lambda e, s: holder["app"](e, s), files)
    display_host = "127.0.0.1" if host in ("0.0.0.0", "") else host
    instance_url = f"https://{display_host}:{server.bind_addr[1]}"
    org = Org(instance_url)
    holder["app"] = EmulatorApp(org)
    ready = {
        "instance_url": instance_url,
        "login_url": instance_url,
        "ca_bundle": str(files.ca_bundle),
        "org_id": org.org_id,
        "admin_username": next(iter(org.users)),
        "admin_access_token": org.admin_access_token,
        "integration_username": DEFAULT_INTEGRATION,
        "control_url": instance_url + control.PREFIX,
    }
    return Running(server, holder["app"], ready)


def ready_line(running: Running) -> str:
    """The one JSON line printed on stdout when serving."""
    return json.dumps(running.ready)
