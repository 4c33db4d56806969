"""Metadata API (SOAP) at ``/services/Soap/m/{version}[/...]``: dispatch on the Body's first element."""

from __future__ import annotations

import base64
import binascii
import io
import zipfile
from collections.abc import Callable
from typing import Any

from lxml import etree
from werkzeug.wrappers import Request, Response

from . import readback, soap
from . import xmlutil as X
from .common import api_version, bearer, iso
from .deploy import settle_deploys
from .metadata_types import TYPES
from .models import DeployJob, DeployMessage, RetrieveJob, Session
from .schema import MD_NS, MetadataSchema
from .state import API_ENABLED, METADATA_PERMISSIONS, Org

DEPLOY_FLAGS = (
    "allowMissingFiles",
    "autoUpdatePackage",
    "checkOnly",
    "ignoreWarnings",
    "performRetrieve",
    "purgeOnDelete",
    "rollbackOnError",
    "singlePackage",
)
MAX_READ_NAMES = 10
NO_TEST_RUN_IN_PRODUCTION = "testLevel of NoTestRun cannot be used in production organizations"


def operation_of(body: bytes) -> tuple[etree._Element | None, etree._Element]:
    """Parse the request; raise ``soap.SoapFault`` for malformed envelopes."""
    return soap.parse_request(body)


def handle(
    org: Org,
    schema: Callable[[], MetadataSchema],
    request: Request,
    version_text: str,
    header: etree._Element | None,
    operation: etree._Element,
) -> Response:
    """Answer one Metadata API call (caller holds ``org.lock``)."""
    try:
        version = api_version(version_text)
        if version is None or not 31 <= version <= api_version(org.settings.max_api_version):
            raise soap.SoapFault("UNSUPPORTED_API_VERSION", "Invalid Api version specified on URL")
        session = _session(org, soap.session_id(header) or bearer(request))
        name = X.local(operation)
        handler = HANDLERS.get(name)
        if handler is None:
            raise soap.SoapFault("Client", f"No operation available for request {{{MD_NS}}}{name}", client=True)
        settle_deploys(org, schema)
        return soap.result_response(name, handler(org, schema, session, operation))
    except soap.SoapFault as fault:
        return soap.fault_response(fault)


def _session(org: Org, token: str | None) -> Session:
    session = org.session(token)
    if session is None:
        raise soap.SoapFault("INVALID_SESSION_ID", "Invalid Session ID found in SessionHeader: Illegal Session")
    if not {"api", "full"} & set(session.scopes):
        raise soap.SoapFault("INVALID_SESSION_ID", "This session is not valid for use with the API")
    user = org.user_by_id(session.user_id)
    if not org.has_permission(user, API_ENABLED):
        raise soap.SoapFault("API_CURRENTLY_DISABLED", "API is disabled for this User")
    if not org.has_permission(user, *METADATA_PERMISSIONS):
        raise soap.SoapFault(
            "INSUFFICIENT_ACCESS",
            "use of the Metadata API requires a user with the ModifyAllData or ModifyMetadata permissions",
        )
    return session


def _check_test_level(org: Org, schema: MetadataSchema, options: etree._Element | None) -> None:
    """Production orgs refuse NoTestRun at the deploy call (forcedotcom/cli#2105, #3244)."""
    level = X.text(options, "testLevel")
    if level is None:
        return
    if level not in schema.enums.get("TestLevel", ()):
        raise soap.SoapFault("Client", f"'{level}' is not a valid value for the enum 'TestLevel'", client=True)
    if level == "NoTestRun" and org.settings.edition == "production":
        raise soap.SoapFault("INVALID_OPERATION", NO_TEST_RUN_IN_PRODUCTION)


def _require_type(schema: MetadataSchema, type_name: str | None) -> str:
    if not type_name or not (type_name in TYPES or schema.is_metadata_type(type_name)):
        raise soap.SoapFault("INVALID_TYPE", "This type of metadata is not available for this organization")
    return type_name


# ---- deploy ----
def _deploy(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    encoded = X.text(op, "ZipFile") or ""
    try:
        data = base64.b64decode("".join(encoded.split()), validate=True)
    except (binascii.Error, ValueError):
        raise soap.SoapFault("Client", "Unable to decode ZipFile: not valid base64Binary", client=True) from None
    options_el = X.child(op, "DeployOptions")
    _check_test_level(org, schema(), options_el)
    options = {flag: X.boolean(X.text(options_el, flag)) for flag in DEPLOY_FLAGS}
    now = org.now()
    job = DeployJob(org.ids.new("0Af"), now, now + org.settings.deploy_seconds, session.user_id, options, data)
    org.deploys[job.id] = job
    return [{"done": False, "id": job.id, "state": "Queued"}]


def _message(m: DeployMessage, created: str) -> dict[str, Any]:
    return {
        "changed": m.changed,
        "columnNumber": m.column,
        "componentType": m.component_type,
        "created": m.created,
        "createdDate": created,
        "deleted": m.deleted,
        "fileName": m.file_name,
        "fullName": m.full_name,
        "id": m.id,
        "lineNumber": m.line,
        "problem": m.problem,
        "problemType": m.problem_type,
        "success": m.success,
    }


def deploy_result(org: Org, job: DeployJob, include_details: bool) -> dict[str, Any]:
    """DeployResult in WSDL element order."""
    creator = org.user_by_id(job.created_by)
    done_date = iso(job.completed_at) if job.done else None
    details: dict[str, Any] = {}
    if job.done and include_details:
        details = {
            "componentFailures": [_message(m, done_date) for m in job.messages if not m.success],
            "componentSuccesses": [_message(m, done_date) for m in job.messages if m.success],
            "runTestResult": {"numFailures": 0, "numTestsRun": 0, "totalTime": "0.0"},
        }
    return {
        "checkOnly": job.options.get("checkOnly", False),
        "completedDate": done_date,
        "createdBy": job.created_by[:15],
        "createdByName": creator.name if creator else "",
        "createdDate": iso(job.created_at),
        "details": details,
        "done": job.done,
        "errorMessage": job.error_message,
        "errorStatusCode": job.error_status_code,
        "id": job.id,
        "ignoreWarnings": job.options.get("ignoreWarnings", False),
        "lastModifiedDate": done_date or iso(job.created_at),
        "numberComponentErrors": job.errors if job.done else 0,
        "numberComponentsDeployed": job.deployed if job.done else 0,
        "numberComponentsTotal": job.total if job.done else 0,
        "numberTestErrors": 0,
        "numberTestsCompleted": 0,
        "numberTestsTotal": 0,
        "rollbackOnError": job.options.get("rollbackOnError", False),
        "runTestsEnabled": False,
        "startDate": iso(job.created_at),
        "stateDetail": None if job.done else "Processing Type: Metadata",
        "status": job.status if job.done else "InProgress",
        "success": job.done and job.status == "Succeeded",
    }


def _check_deploy(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    job = org.deploys.get(X.text(op, "asyncProcessId") or "") or next(
        (j for i, j in org.deploys.items() if i[:15] == (X.text(op, "asyncProcessId") or "")[:15]), None
    )
    if job is None:
        raise soap.SoapFault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    return [deploy_result(org, job, X.boolean(X.text(op, "includeDetails")))]


# ---- read / list / delete ----
def _read(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    type_name = _require_type(schema(), X.text(op, "type"))
    names = X.texts(op, "fullNames")
    if len(names) > MAX_READ_NAMES:
        raise soap.SoapFault("LIMIT_EXCEEDED", f"Too many fullNames: at most {MAX_READ_NAMES} per readMetadata call")
    records = []
    user = org.user_by_id(session.user_id)
    for name in names:
        component = org.components.get((type_name, name))
        if component is None:
            empty = etree.Element(f"{{{MD_NS}}}records", nsmap={"xsi": soap.XSI_NS})
            empty.set(f"{{{soap.XSI_NS}}}nil", "true")
            records.append(empty)
        else:
            shown = readback.as_read(org, user, type_name, X.parse(component.xml))
            records.append(soap.typed_record(type_name, name, shown))
    return [{"records": records}]


def _file_properties(org: Org, component) -> dict[str, Any]:
    creator = org.user_by_id(component.created_by)
    return {
        "createdById": component.created_by,
        "createdByName": creator.name if creator else "",
        "createdDate": iso(component.created_at),
        "fileName": TYPES[component.type].file_name(component.full_name),
        "fullName": component.full_name,
        "id": component.id,
        "lastModifiedById": component.created_by,
        "lastModifiedByName": creator.name if creator else "",
        "lastModifiedDate": iso(component.modified_at),
        "manageableState": "unmanaged",
        "type": component.type,
    }


def _list(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    queries = X.children(op, "queries")
    if len(queries) > 3:
        raise soap.SoapFault("LIMIT_EXCEEDED", "Too many queries: at most 3 ListMetadataQuery per call")
    results = []
    for query in queries:
        type_name = _require_type(schema(), X.text(query, "type"))
        for (kind, _), component in sorted(org.components.items()):
            if kind == type_name:
                results.append(_file_properties(org, component))
    return results


def _delete(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    type_name = _require_type(schema(), X.text(op, "type"))
    components = dict(org.components)
    results = []
    for name in X.texts(op, "fullNames"):
        if components.pop((type_name, name), None) is None:
            results.append(
                {
                    "errors": {
                        "message": f"no {type_name} named {name} found",
                        "statusCode": "INVALID_CROSS_REFERENCE_KEY",
                    },
                    "fullName": name,
                    "success": False,
                }
            )
            continue
        if type_name == "ExternalClientApplication":
            for key in [
                k for k, c in components.items() if X.text(X.parse(c.xml), "externalClientApplication") == name
            ]:
                del components[key]
        results.append({"fullName": name, "success": True})
    org.replace_components(components)
    return results


# ---- retrieve ----
def _retrieve(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    request = X.child(op, "retrieveRequest")
    if request is None:
        request = X.child(op, "request")
    if request is None:
        raise soap.SoapFault("Client", "retrieve needs a retrieveRequest (or request) element", client=True)
    single = X.boolean(X.text(request, "singlePackage"))
    prefix = "" if single else "unpackaged/"
    wanted: dict[str, list[str]] = {}
    for types in X.children(X.child(request, "unpackaged"), "types"):
        wanted.setdefault(X.text(types, "name") or "", []).extend(X.texts(types, "members"))
    buffer, properties, messages = io.BytesIO(), [], []
    user = org.user_by_id(session.user_id)
    manifest = etree.Element(f"{{{MD_NS}}}Package", nsmap={None: MD_NS})
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for type_name, members in sorted(wanted.items()):
            found = _retrieve_type(org, schema(), type_name, members, messages, prefix)
            if found:
                types = etree.SubElement(manifest, f"{{{MD_NS}}}types")
                for component in found:
                    etree.SubElement(types, f"{{{MD_NS}}}members").text = component.full_name
                    shown = readback.as_read(org, user, type_name, X.parse(component.xml))
                    archive.writestr(prefix + TYPES[type_name].file_name(component.full_name), X.to_bytes(shown))
                    properties.append(_file_properties(org, component))
                etree.SubElement(types, f"{{{MD_NS}}}name").text = type_name
        etree.SubElement(manifest, f"{{{MD_NS}}}version").text = (
            X.text(request, "apiVersion") or org.settings.max_api_version
        )
        archive.writestr(prefix + "package.xml", X.to_bytes(manifest))
    job = RetrieveJob(org.ids.new("09S"), buffer.getvalue(), properties, messages)
    org.retrieves[job.id] = job
    return [{"done": False, "id": job.id, "state": "Queued"}]


def _retrieve_type(
    org: Org, schema: MetadataSchema, type_name: str, members: list[str], messages: list[dict[str, str]], prefix: str
) -> list:
    if type_name not in TYPES:
        if not schema.is_metadata_type(type_name):
            messages.append(
                {
                    "fileName": prefix + "package.xml",
                    "problem": f"Unknown type name '{type_name}' specified in package.xml",
                }
            )
        return []
    existing = {name: c for (kind, name), c in sorted(org.components.items()) if kind == type_name}
    if "*" in members:
        return list(existing.values())
    found = []
    for name in members:
        if name in existing:
            found.append(existing[name])
        else:
            messages.append(
                {
                    "fileName": prefix + "package.xml",
                    "problem": f"Entity of type '{type_name}' named '{name}' cannot be found",
                }
            )
    return found


def _check_retrieve(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    job = org.retrieves.get(X.text(op, "asyncProcessId") or "")
    if job is None:
        raise soap.SoapFault("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id")
    include_zip = X.boolean(X.text(op, "includeZip"), True)
    return [
        {
            "done": True,
            "fileProperties": job.file_properties,
            "id": job.id,
            "messages": job.messages,
            "status": "Succeeded",
            "success": True,
            "zipFile": base64.b64encode(job.zip_bytes).decode() if include_zip else None,
        }
    ]


def _describe(org: Org, schema, session: Session, op: etree._Element) -> list[Any]:
    objects = [
        {
            "directoryName": info.folder,
            "inFolder": False,
            "metaFile": False,
            "suffix": info.suffix,
            "xmlName": info.name,
        }
        for info in TYPES.values()
    ]
    return [
        {"metadataObjects": objects, "organizationNamespace": "", "partialSaveAllowed": True, "testRequired": False}
    ]


HANDLERS: dict[str, Callable[..., list[Any]]] = {
    "deploy": _deploy,
    "checkDeployStatus": _check_deploy,
    "readMetadata": _read,
    "listMetadata": _list,
    "deleteMetadata": _delete,
    "retrieve": _retrieve,
    "checkRetrieveStatus": _check_retrieve,
    "describeMetadata": _describe,
}
