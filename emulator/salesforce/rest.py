"""REST: versions, resources, limits, SOQL query, PermissionSetAssignment, userinfo, identity URL."""

from __future__ import annotations

import json
import re
from typing import Any

from werkzeug.wrappers import Request, Response

from . import soql
from . import xmlutil as X
from .common import api_version, bearer, iso, json_response, release_label
from .models import Session
from .state import API_ENABLED, VIEW_SETUP, Org, OrgError

SESSION_INVALID = [{"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}]
NOT_FOR_REST = [{"message": "This session is not valid for use with the REST API", "errorCode": "INVALID_SESSION_ID"}]
NOT_FOUND = [{"errorCode": "NOT_FOUND", "message": "The requested resource does not exist"}]
API_DISABLED = [{"message": "API is disabled for this User", "errorCode": "API_CURRENTLY_DISABLED"}]
INSUFFICIENT_ACCESS = [{"message": "Insufficient Privileges", "errorCode": "INSUFFICIENT_ACCESS"}]
#: Scopes the identity service (userinfo, identity URL) accepts; ``full`` encompasses every scope.
IDENTITY_SCOPES = ("id", "openid", "profile", "email", "address", "phone", "full")
REST_SCOPES = ("api", "full")
#: The identity service answers refusals as plain text (a capture shows 403 ``Bad_OAuth_Token``).
IDENTITY_REFUSAL = "Bad_OAuth_Token"
_DATA = re.compile(r"^/services/data/v(?P<version>\d+\.\d)(?P<rest>/.*)?$")
DAILY_API_REQUESTS = 15000
ORGANIZATION_TYPES = {
    "production": "Enterprise Edition",
    "sandbox": "Enterprise Edition",
    "developer": "Developer Edition",
    "scratch": "Developer Edition",
}


class RestError(Exception):
    """An error answered as ``[{"message", "errorCode"}]`` with an HTTP status."""

    def __init__(self, status: int, body: list[dict[str, Any]]) -> None:
        super().__init__(body[0]["message"])
        self.status, self.body = status, body


def _error(status: int, code: str, message: str) -> RestError:
    return RestError(status, [{"message": message, "errorCode": code}])


def versions(org: Org) -> Response:
    """``GET /services/data`` (no authentication)."""
    top = api_version(org.settings.max_api_version) or 66
    return json_response(
        [{"label": release_label(v), "url": f"/services/data/v{v}.0", "version": f"{v}.0"} for v in range(20, top + 1)]
    )


def handle(org: Org, request: Request, path: str) -> Response:
    """Authenticated REST calls (caller holds ``org.lock``)."""
    try:
        session = _session(org, request)
        if path.rstrip("/") == "/services/oauth2/userinfo" or path.startswith("/id/"):
            if not set(IDENTITY_SCOPES) & set(session.scopes):
                return Response(IDENTITY_REFUSAL, status=403, content_type="text/plain;charset=UTF-8")
            if path.startswith("/id/"):
                return json_response(_identity(org, session, path))
            return json_response(_userinfo(org, session))
        _api_access(org, session)
        match = _DATA.match(path.rstrip("/"))
        if not match:
            raise RestError(404, NOT_FOUND)
        version = match.group("version")
        if (api_version(version) or 0) > (api_version(org.settings.max_api_version) or 0):
            raise RestError(404, NOT_FOUND)
        return _data(org, session, request, version, match.group("rest") or "")
    except RestError as exc:
        return json_response(exc.body, exc.status)


def _session(org: Org, request: Request) -> Session:
    session = org.session(bearer(request))
    if session is None:
        raise RestError(401, SESSION_INVALID)
    return session


def _api_access(org: Org, session: Session) -> None:
    """The data API needs the ``api`` (or ``full``) scope and the user's API Enabled permission."""
    if not set(REST_SCOPES) & set(session.scopes):
        raise RestError(401, NOT_FOR_REST)
    if not org.has_permission(org.user_by_id(session.user_id), API_ENABLED):
        raise RestError(403, API_DISABLED)


def _data(org: Org, session: Session, request: Request, version: str, rest: str) -> Response:
    if rest == "":
        return json_response(
            {
                name: f"/services/data/v{version}/{name}"
                for name in ("sobjects", "query", "limits", "tooling", "metadata", "search")
            }
        )
    if rest == "/limits":
        if not org.has_permission(org.user_by_id(session.user_id), VIEW_SETUP):
            raise RestError(403, INSUFFICIENT_ACCESS)
        used = sum(n for op, n in org.calls.items() if op.startswith("rest"))
        return json_response(
            {
                "DailyApiRequests": {"Max": DAILY_API_REQUESTS, "Remaining": max(DAILY_API_REQUESTS - used, 0)},
                "DailyAsyncApexExecutions": {"Max": 250000, "Remaining": 250000},
                "DataStorageMB": {"Max": 5, "Remaining": 5},
                "FileStorageMB": {"Max": 20, "Remaining": 20},
            }
        )
    if rest in ("/query", "/tooling/query"):
        return _query(org, request.args.get("q", ""), version, tooling=rest.startswith("/tooling"))
    if rest == "/sobjects/PermissionSetAssignment" and request.method == "POST":
        return _create_assignment(org, request)
    if rest.startswith("/sobjects/PermissionSetAssignment/") and request.method == "DELETE":
        return _delete_assignment(org, rest.rsplit("/", 1)[-1])
    raise RestError(404, NOT_FOUND)


def tables(org: Org) -> dict[str, tuple[list[str], list[dict[str, Any]]]]:
    """The queryable objects as (columns, rows)."""
    profiles = {p.name: p for p in org.profiles.values()}
    users = [
        {
            "Id": u.id,
            "Username": u.username,
            "Name": u.name,
            "FirstName": u.first_name,
            "LastName": u.last_name,
            "Email": u.email,
            "IsActive": u.active,
            "UserType": "Standard",
            "ProfileId": profiles[u.profile].id,
            "Profile.Name": u.profile,
            "Profile.__type": "Profile",
        }
        for u in org.users.values()
    ]
    permission_sets = [
        {
            "Id": c.id,
            "Name": c.full_name,
            "Label": _label(c.xml) or c.full_name,
            "IsOwnedByProfile": False,
            "ProfileId": None,
            "NamespacePrefix": None,
        }
        for (kind, _), c in sorted(org.components.items())
        if kind == "PermissionSet"
    ]
    by_id = {row["Id"]: row for row in permission_sets}
    assignments = []
    for a in org.assignments.values():
        user = org.user_by_id(a.assignee_id)
        assignments.append(
            {
                "Id": a.id,
                "AssigneeId": a.assignee_id,
                "PermissionSetId": a.permission_set_id,
                "Assignee.Username": user.username if user else None,
                "Assignee.__type": "User",
                "PermissionSet.Name": by_id.get(a.permission_set_id, {}).get("Name"),
                "PermissionSet.__type": "PermissionSet",
            }
        )
    edition = org.settings.edition
    organization = [
        {
            "Id": org.org_id,
            "Name": "Emulated Org",
            "InstanceName": "EMU1",
            "IsSandbox": edition == "sandbox",
            "TrialExpirationDate": iso(org.now() + 30 * 86400) if edition == "scratch" else None,
            "NamespacePrefix": None,
            "OrganizationType": ORGANIZATION_TYPES[edition],
        }
    ]
    return {
        "User": (
            [
                "Id",
                "Username",
                "Name",
                "FirstName",
                "LastName",
                "Email",
                "IsActive",
                "UserType",
                "ProfileId",
                "Profile.Name",
            ],
            users,
        ),
        "Profile": (["Id", "Name"], [{"Id": p.id, "Name": p.name} for p in org.profiles.values()]),
        "PermissionSet": (["Id", "Name", "Label", "IsOwnedByProfile", "ProfileId", "NamespacePrefix"], permission_sets),
        "PermissionSetAssignment": (
            ["Id", "AssigneeId", "PermissionSetId", "Assignee.Username", "PermissionSet.Name"],
            assignments,
        ),
        "Organization": (
            ["Id", "Name", "InstanceName", "IsSandbox", "TrialExpirationDate", "NamespacePrefix", "OrganizationType"],
            organization,
        ),
    }


def _label(xml: bytes) -> str | None:
    return X.text(X.parse(xml), "label")


def _query(org: Org, text: str, version: str, tooling: bool) -> Response:
    try:
        query = soql.parse(text)
        if tooling:
            return json_response(
                {
                    "size": 0,
                    "totalSize": 0,
                    "done": True,
                    "queryLocator": None,
                    "entityTypeName": query.sobject,
                    "records": [],
                }
            )
        return json_response(soql.run(query, tables(org), version))
    except soql.SoqlError as exc:
        raise _error(400, exc.code, str(exc)) from None


def _body(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.get_data() or b"{}")
    except ValueError:
        raise _error(400, "JSON_PARSER_ERROR", "The request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _error(400, "JSON_PARSER_ERROR", "Expected a JSON object")
    return body


def _create_assignment(org: Org, request: Request) -> Response:
    body = _body(request)
    user = org.user_by_id(str(body.get("AssigneeId") or ""))
    ps = org.permission_set_by_id(str(body.get("PermissionSetId") or ""))
    if user is None:
        raise _error(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id: AssigneeId")
    if ps is None:
        raise _error(400, "INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id: PermissionSetId")
    try:
        assignment = org.assign(user, ps)
    except OrgError as exc:
        existing = str(exc).split(":", 1)[1]
        raise RestError(
            400,
            [
                {
                    "message": f"duplicate value found: <unknown> duplicates value on record with id: {existing}",
                    "errorCode": "DUPLICATE_VALUE",
                    "fields": [],
                }
            ],
        ) from None
    return json_response({"id": assignment.id, "success": True, "errors": []}, 201)


def _delete_assignment(org: Org, assignment_id: str) -> Response:
    found = next((key for key in org.assignments if key[:15] == assignment_id[:15]), None)
    if found is None:
        raise _error(404, "ENTITY_IS_DELETED", "entity is deleted")
    del org.assignments[found]
    return Response(status=204)


def _identity_urls(org: Org, user_id: str) -> dict[str, str]:
    base = org.instance_url
    return {
        "enterprise": f"{base}/services/Soap/c/{{version}}/{org.org_id}",
        "metadata": f"{base}/services/Soap/m/{{version}}/{org.org_id}",
        "partner": f"{base}/services/Soap/u/{{version}}/{org.org_id}",
        "rest": f"{base}/services/data/v{{version}}/",
        "sobjects": f"{base}/services/data/v{{version}}/sobjects/",
        "search": f"{base}/services/data/v{{version}}/search/",
        "query": f"{base}/services/data/v{{version}}/query/",
        "profile": f"{base}/{user_id}",
    }


def _userinfo(org: Org, session: Session) -> dict[str, Any]:
    user = org.user_by_id(session.user_id)
    return {
        "sub": f"{org.instance_url}/id/{org.org_id}/{user.id}",
        "user_id": user.id,
        "organization_id": org.org_id,
        "preferred_username": user.username,
        "nickname": user.username.split("@")[0],
        "name": user.name,
        "email": user.email,
        "email_verified": True,
        "given_name": user.first_name,
        "family_name": user.last_name,
        "zoneinfo": "Europe/London",
        "active": user.active,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_GB",
        "utcOffset": 0,
        "is_salesforce_integration_user": False,
        "urls": _identity_urls(org, user.id),
    }


def _identity(org: Org, session: Session, path: str) -> dict[str, Any]:
    parts = path.strip("/").split("/")
    user = org.user_by_id(session.user_id)
    if len(parts) != 3 or parts[1][:15] != org.org_id15 or parts[2][:15] != user.id[:15]:
        raise _error(403, "INSUFFICIENT_ACCESS", "Identity URL does not belong to this session's user")
    return {
        "id": f"{org.instance_url}/id/{org.org_id}/{user.id}",
        "asserted_user": True,
        "user_id": user.id,
        "organization_id": org.org_id,
        "username": user.username,
        "nick_name": user.username.split("@")[0],
        "display_name": user.name,
        "email": user.email,
        "active": user.active,
        "user_type": "STANDARD",
        "urls": _identity_urls(org, user.id),
    }
