"""Control API under ``/__emulator__/`` (moto's ``/moto-api/`` convention): seed, configure, inspect."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote

from werkzeug.wrappers import Request, Response

from . import apps as A
from . import xmlutil as X
from .common import iso, json_response
from .deploy import settle_deploys
from .metadata_types import TYPES
from .models import Component
from .schema import MetadataSchema
from .state import Org, OrgError

PREFIX = "/__emulator__"


class ControlError(Exception):
    """HTTP 400/404 with ``{"error": message}``."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


def _body(request: Request) -> dict[str, Any]:
    raw = request.get_data()
    if not raw:
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise ControlError("the request body must be a JSON object") from None
    if not isinstance(body, dict):
        raise ControlError("the request body must be a JSON object")
    return body


def handle(org: Org, schema: Callable[[], MetadataSchema], request: Request) -> Response:
    """Dispatch one control call (caller holds ``org.lock``)."""
    path = request.path[len(PREFIX) :].strip("/")
    parts = [unquote(p) for p in path.split("/")] if path else []
    try:
        settle_deploys(org, schema)
        route = ROUTES.get((request.method, parts[0] if parts else ""))
        if route is None:
            raise ControlError(f"no control route {request.method} {request.path}; see docs/emulator.md", 404)
        return json_response(route(org, schema, request, parts[1:]))
    except (ControlError, OrgError) as exc:
        return json_response({"error": str(exc)}, getattr(exc, "status", 400))


def _user_json(org: Org, user) -> dict[str, Any]:
    return {
        "id": user.id,
        "username": user.username,
        "profile": user.profile,
        "active": user.active,
        "permissions": user.permissions,
        "permission_sets": org.assigned_permission_sets(user),
    }


def _reset(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    org.reset()
    return {"reset": True}


def _health(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    return {"ok": True, "org_id": org.org_id, "now": iso(org.now())}


def _list_users(org: Org, schema, request: Request, rest: list[str]) -> list[dict[str, Any]]:
    return [_user_json(org, u) for u in org.users.values()]


def _add_user(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    body = _body(request)
    names = body.get("permission_sets", [])
    if not isinstance(names, list):
        raise ControlError("field 'permission_sets' must be a list of permission set API names")
    missing = [n for n in names if org.permission_set(n) is None]
    if missing:
        raise ControlError(
            f"field 'permission_sets': no permission set named {missing[0]!r}; deploy it or "
            "create it with POST /__emulator__/permission-sets first"
        )
    user = org.add_user(
        str(body.get("username", "")),
        body.get("profile", "Standard User"),
        active=bool(body.get("active", True)),
        first_name=str(body.get("first_name", "")),
        last_name=str(body.get("last_name", "")),
        email=str(body.get("email", "")),
        permissions=body.get("permissions"),
    )
    for name in names:
        org.assign(user, org.permission_set(name))
    return _user_json(org, user)


def _patch_user(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    user = org.user(rest[0]) if rest else None
    if user is None:
        raise ControlError(f"no user named {rest[0] if rest else ''!r}", 404)
    body = _body(request)
    unknown = set(body) - {"active", "profile", "permissions"}
    if unknown:
        raise ControlError(f"cannot change {sorted(unknown)}; changeable fields: active, profile, permissions")
    if "profile" in body:
        if body["profile"] not in org.profiles:
            raise ControlError(f"field 'profile': no profile named {body['profile']!r}")
        user.profile = body["profile"]
        user.permissions = org.profile_permissions(user.profile)
    if "permissions" in body:
        user.permissions = org.check_permissions(body["permissions"])
    if "active" in body:
        user.active = bool(body["active"])
    return _user_json(org, user)


def _add_permission_set(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    body = _body(request)
    name = str(body.get("name", ""))
    if not name or org.permission_set(name) is not None:
        raise ControlError("field 'name' must be a new permission set API name")
    root = A.new_document("PermissionSet")
    X.set_values(schema(), "PermissionSet", root, "label", [str(body.get("label") or name)])
    now = org.now()
    admin = next(iter(org.users.values()))
    components = dict(org.components)
    components[("PermissionSet", name)] = Component(
        "PermissionSet", name, X.to_bytes(root), org.ids.new(TYPES["PermissionSet"].id_prefix), now, now, admin.id
    )
    org.replace_components(components)
    return {"id": org.permission_set(name).id, "name": name}


def _assign(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    body = _body(request)
    user = org.user(str(body.get("username", "")))
    ps = org.permission_set(str(body.get("permission_set", "")))
    if user is None or ps is None:
        raise ControlError("fields 'username' and 'permission_set' must name an existing user and permission set")
    try:
        return {"id": org.assign(user, ps).id}
    except OrgError:
        raise ControlError(f"{user.username} already holds {ps.full_name}") from None


def _settings(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    return org.settings.as_dict()


def _put_settings(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    try:
        org.settings.update(_body(request))
    except ValueError as exc:
        raise ControlError(str(exc)) from None
    return org.settings.as_dict()


def _clock(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    return {"now": org.now(), "iso": iso(org.now()), "offset_seconds": org.clock.offset}


def _advance(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    seconds = _body(request).get("advance_seconds")
    if not isinstance(seconds, (int, float)) or isinstance(seconds, bool) or seconds < 0:
        raise ControlError("field 'advance_seconds' must be a number >= 0 (the clock only moves forward)")
    org.clock.offset += float(seconds)
    settle_deploys(org, schema)
    return _clock(org, schema, request, rest)


def _faults(org: Org, schema, request: Request, rest: list[str]) -> list[dict[str, Any]]:
    return [vars(f).copy() for f in org.faults]


def _add_fault(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    body = _body(request)
    fault = org.add_fault(
        body.get("operation", ""), body.get("status"), body.get("count", 1), body.get("delay_seconds", 0.0)
    )
    return vars(fault).copy()


def _clear_faults(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    org.faults.clear()
    return {"cleared": True}


def _apps(org: Org, schema, request: Request, rest: list[str]) -> Any:
    views = {name: _app_json(org, app) for name, app in org.apps().items()}
    if rest:
        if rest[0] not in views:
            raise ControlError(f"no app named {rest[0]!r}", 404)
        return views[rest[0]]
    return list(views.values())


def _app_json(org: Org, app: A.AppView) -> dict[str, Any]:
    runtime = org.runtime.get(app.name)
    view = app.to_json()
    view["ready"] = org.app_ready(app)
    view["live_certificate_fingerprint_sha256"] = A.fingerprint(org.live_certificate(app))
    view["created_at"] = iso(runtime.created_at) if runtime else None
    return view


def _patch_app(org: Org, schema, request: Request, rest: list[str]) -> dict[str, Any]:
    if not rest:
        raise ControlError("PATCH /__emulator__/apps/{name}: name the app")
    return _app_json(org, org.patch_app(rest[0], _body(request), schema()))


def _calls(org: Org, schema, request: Request, rest: list[str]) -> dict[str, int]:
    return dict(org.calls)


def _requests(org: Org, schema, request: Request, rest: list[str]) -> list[dict[str, Any]]:
    return list(org.request_log)


def _expire_sessions(org: Org, schema, request: Request, rest: list[str]) -> dict[str, int]:
    return {"expired": org.expire_sessions()}


def _deploys(org: Org, schema, request: Request, rest: list[str]) -> list[dict[str, Any]]:
    return [
        {
            "id": j.id,
            "status": j.status if j.done else "InProgress",
            "done": j.done,
            "errors": [m.problem for m in j.messages if not m.success],
        }
        for j in org.deploys.values()
    ]


ROUTES: dict[tuple[str, str], Callable[..., Any]] = {
    ("POST", "reset"): _reset,
    ("GET", "health"): _health,
    ("GET", "users"): _list_users,
    ("POST", "users"): _add_user,
    ("PATCH", "users"): _patch_user,
    ("POST", "permission-sets"): _add_permission_set,
    ("POST", "assignments"): _assign,
    ("GET", "settings"): _settings,
    ("PUT", "settings"): _put_settings,
    ("GET", "clock"): _clock,
    ("POST", "clock"): _advance,
    ("GET", "faults"): _faults,
    ("POST", "faults"): _add_fault,
    ("DELETE", "faults"): _clear_faults,
    ("GET", "apps"): _apps,
    ("PATCH", "apps"): _patch_app,
    ("GET", "calls"): _calls,
    ("GET", "requests"): _requests,
    ("GET", "deploys"): _deploys,
    ("POST", "sessions"): _expire_sessions,
}
