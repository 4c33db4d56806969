"""The org: one lock around all records, the clock, settings, faults, call counters, request log."""

from __future__ import annotations

import collections
import re
import secrets
import string
import threading
from typing import Any

from . import apps as A
from . import xmlutil as X
from .ids import IdFactory
from .models import (
    AppRuntime,
    Assignment,
    Clock,
    Component,
    DeployJob,
    Fault,
    Profile,
    RetrieveJob,
    Session,
    Settings,
    User,
)

ADMIN_PROFILE = "System Administrator"
STANDARD_PROFILE = "Standard User"
INTEGRATION_PROFILE = "Minimum Access - API Only Integrations"
API_ENABLED = "ApiEnabled"
VIEW_SETUP = "ViewSetup"
#: "View External Client App Consumer Secrets in Metadata" (PermissionsViewClientSecret).
VIEW_CLIENT_SECRET = "ViewClientSecret"
METADATA_PERMISSIONS = ("ModifyAllData", "ModifyMetadata")
#: User permissions each seeded profile grants (API names, as in PermissionSet userPermissions).
PROFILE_PERMISSIONS: dict[str, tuple[str, ...]] = {
    ADMIN_PROFILE: (
        API_ENABLED,
        VIEW_SETUP,
        "ModifyAllData",
        "ModifyMetadata",
        "CustomizeApplication",
        "ManageUsers",
        "AssignPermissionSets",
    ),
    STANDARD_PROFILE: (API_ENABLED,),
    INTEGRATION_PROFILE: (API_ENABLED,),
}
DEFAULT_ADMIN = "admin@example.com"
DEFAULT_INTEGRATION = "integration@example.com"
FAULT_OPERATIONS = (
    "token",
    "deploy",
    "checkDeployStatus",
    "readMetadata",
    "listMetadata",
    "retrieve",
    "checkRetrieveStatus",
    "deleteMetadata",
    "rest",
)
_TOKEN_ALPHABET = string.ascii_letters + string.digits
_PERMISSION = re.compile(r"^[A-Za-z][A-Za-z0-9]{1,79}$")


class OrgError(ValueError):
    """A control-API request that cannot be applied (message names the field and the fix)."""


class Org:
    """All emulated org state. Every public method must be called with ``org.lock`` held."""

    def __init__(self, instance_url: str, ids: IdFactory | None = None) -> None:
        self.lock = threading.RLock()
        self.ids = ids or IdFactory()
        self.instance_url = instance_url.rstrip("/")
        self.org_id = self.ids.new("00D")
        self.admin_access_token = self._new_token()
        self.clock = Clock()
        self.reset()

    # -- lifecycle -------------------------------------------------------------------------
    def reset(self) -> None:
        """Back to the default org; the org id and the admin access token stay the same."""
        self.clock.offset = 0.0
        self.settings = Settings()
        self.profiles: dict[str, Profile] = {}
        self.users: dict[str, User] = {}
        self.assignments: dict[str, Assignment] = {}
        self.components: dict[tuple[str, str], Component] = {}
        self.runtime: dict[str, AppRuntime] = {}
        self.deploys: dict[str, DeployJob] = {}
        self.retrieves: dict[str, RetrieveJob] = {}
        self.faults: list[Fault] = []
        self.calls: collections.Counter[str] = collections.Counter()
        self.request_log: collections.deque[dict[str, Any]] = collections.deque(maxlen=1000)
        self._apps_cache: dict[str, A.AppView] | None = None
        for name in PROFILE_PERMISSIONS:
            self.profiles[name] = Profile(self.ids.new("00e"), name)
        admin = self.add_user(DEFAULT_ADMIN, ADMIN_PROFILE, first_name="Admin", last_name="User")
        self.add_user(DEFAULT_INTEGRATION, INTEGRATION_PROFILE, first_name="Integration", last_name="User")
        self.sessions: dict[str, Session] = {
            self.admin_access_token: Session(admin.id, ["api", "web", "full"], self.now(), None)
        }

    def now(self) -> float:
        """Emulated time (epoch seconds)."""
        return self.clock.now()

    @property
    def org_id15(self) -> str:
        return self.org_id[:15]

    # -- users and permission sets ---------------------------------------------------------
    def add_user(
        self,
        username: str,
        profile: str = STANDARD_PROFILE,
        *,
        active: bool = True,
        first_name: str = "",
        last_name: str = "",
        email: str = "",
        permissions: list[str] | None = None,
    ) -> User:
        """Create a user (username unique, profile must exist; permissions default to the profile's)."""
        if not username or "@" not in username:
            raise OrgError("field 'username' must look like an email address, e.g. 'jwt@example.com'")
        if username.lower() in (u.lower() for u in self.users):
            raise OrgError(f"field 'username': user {username!r} already exists; pick another username")
        if profile not in self.profiles:
            raise OrgError(f"field 'profile': no profile named {profile!r}; use one of {sorted(self.profiles)}")
        granted = self.check_permissions(permissions) if permissions is not None else self.profile_permissions(profile)
        user = User(self.ids.new("005"), username, profile, active, first_name, last_name, email or username, granted)
        self.users[username] = user
        return user

    @staticmethod
    def profile_permissions(profile: str) -> list[str]:
        """The user permissions a seeded profile grants."""
        return list(PROFILE_PERMISSIONS.get(profile, (API_ENABLED,)))

    @staticmethod
    def check_permissions(permissions: object) -> list[str]:
        """A list of permission API names, or OrgError naming the field."""
        if not isinstance(permissions, list) or not all(
            isinstance(p, str) and _PERMISSION.match(p) for p in permissions
        ):
            raise OrgError(
                "field 'permissions' must be a list of permission API names such as "
                f"{API_ENABLED!r}, {VIEW_SETUP!r}, {VIEW_CLIENT_SECRET!r}"
            )
        return list(dict.fromkeys(permissions))

    def user_permissions(self, user: User) -> set[str]:
        """Effective permissions: the user's own plus those enabled by assigned permission sets."""
        granted = set(user.permissions)
        for name in self.assigned_permission_sets(user):
            root = X.parse(self.components[("PermissionSet", name)].xml)
            for entry in X.children(root, "userPermissions"):
                if X.boolean(X.text(entry, "enabled")) and X.text(entry, "name"):
                    granted.add(X.text(entry, "name"))
        return granted

    def has_permission(self, user: User | None, *names: str) -> bool:
        """True when ``user`` holds at least one of ``names``."""
        return user is not None and bool(self.user_permissions(user) & set(names))

    def user(self, username: str) -> User | None:
        """Look a user up by username (case-insensitive, as Salesforce does)."""
        return self.users.get(username) or next(
            (u for name, u in self.users.items() if name.lower() == username.lower()), None
        )

    def user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users.values() if u.id[:15] == user_id[:15]), None)

    def permission_set(self, name: str) -> Component | None:
        return self.components.get(("PermissionSet", name))

    def permission_set_by_id(self, ps_id: str) -> Component | None:
        return next(
            (c for (t, _), c in self.components.items() if t == "PermissionSet" and c.id[:15] == ps_id[:15]), None
        )

    def assign(self, user: User, permission_set: Component) -> Assignment:
        """Assign a permission set; a repeat raises OrgError('DUPLICATE_VALUE ...')."""
        for existing in self.assignments.values():
            if existing.assignee_id == user.id and existing.permission_set_id == permission_set.id:
                raise OrgError(f"DUPLICATE_VALUE:{existing.id}")
        assignment = Assignment(self.ids.new("0Pa"), user.id, permission_set.id)
        self.assignments[assignment.id] = assignment
        return assignment

    def assigned_permission_sets(self, user: User) -> list[str]:
        names = []
        for assignment in self.assignments.values():
            if assignment.assignee_id == user.id:
                ps = self.permission_set_by_id(assignment.permission_set_id)
                if ps is not None:
                    names.append(ps.full_name)
        return names

    # -- metadata --------------------------------------------------------------------------
    def apps(self) -> dict[str, A.AppView]:
        """Apps derived from the deployed components (cached until the metadata changes)."""
        if self._apps_cache is None:
            self._apps_cache = A.derive_apps(self.components)
        return self._apps_cache

    def app_by_consumer_key(self, consumer_key: str) -> A.AppView | None:
        return next((a for a in self.apps().values() if a.consumer_key == consumer_key), None)

    def replace_components(self, components: dict[tuple[str, str], Component]) -> None:
        """Commit a new metadata snapshot and record app creation / certificate changes."""
        before = {name: app for name, app in self.apps().items()}
        removed_ps = {c.id for k, c in self.components.items() if k[0] == "PermissionSet" and k not in components}
        self.components = components
        self._apps_cache = None
        self.assignments = {i: a for i, a in self.assignments.items() if a.permission_set_id not in removed_ps}
        self._note_app_changes(before)

    def _note_app_changes(self, before: dict[str, A.AppView]) -> None:
        now = self.now()
        after = self.apps()
        for name in list(self.runtime):
            if name not in after:
                del self.runtime[name]
        for name, app in after.items():
            old = before.get(name)
            runtime = self.runtime.get(name)
            if runtime is None or old is None or old.kind != app.kind:
                self.runtime[name] = AppRuntime(created_at=now)
            elif old.certificate_pem != app.certificate_pem:
                runtime.previous_certificate = self.live_certificate(old)
                runtime.certificate_changed_at = now

    def propagation_seconds(self, kind: str) -> float:
        return float(self.settings.propagation_seconds.get(kind, 0.0))

    def app_ready(self, app: A.AppView) -> bool:
        """False while a new app is still propagating (token endpoint: invalid_client_id)."""
        runtime = self.runtime.get(app.name)
        return runtime is None or self.now() >= runtime.created_at + self.propagation_seconds(app.kind)

    def live_certificate(self, app: A.AppView) -> str | None:
        """The certificate the token endpoint verifies with: the previous one until a change propagates."""
        runtime = self.runtime.get(app.name)
        if runtime is None or runtime.certificate_changed_at is None:
            return app.certificate_pem
        if self.now() < runtime.certificate_changed_at + self.propagation_seconds(app.kind):
            return runtime.previous_certificate
        return app.certificate_pem

    def patch_app(self, name: str, changes: dict[str, Any], schema) -> A.AppView:
        """Change an app out of band (drift): certificate, scopes, pre-authorization, ..."""
        app = self.apps().get(name)
        if app is None:
            raise OrgError(f"no app named {name!r}; GET /__emulator__/apps lists the deployed apps")
        try:
            updated = A.patch_app(schema, self.components, app, dict(changes))
        except ValueError as exc:
            raise OrgError(str(exc)) from None
        components = dict(self.components)
        now = self.now()
        for key, xml in updated.items():
            old = components[key]
            components[key] = Component(old.type, old.full_name, xml, old.id, old.created_at, now, old.created_by)
        self.replace_components(components)
        return self.apps()[name]

    # -- sessions --------------------------------------------------------------------------
    def _new_token(self) -> str:
        body = "".join(secrets.choice(_TOKEN_ALPHABET) for _ in range(96))
        return f"{self.org_id[:15]}!AQ{body}"

    def issue_token(self, user: User, app: A.AppView) -> tuple[str, Session]:
        """A new opaque access token (``00D...!AQ...``, never JWT-shaped)."""
        token = self._new_token()
        now = self.now()
        session = Session(user.id, app.wire_scopes(), now, now + self.settings.session_seconds, app.name)
        self.sessions[token] = session
        return token, session

    def session(self, token: str | None) -> Session | None:
        """The live session of a token, or None when unknown or expired (emulator clock)."""
        found = self.sessions.get(token or "")
        if found is None or (found.expires_at is not None and self.now() >= found.expires_at):
            return None
        return found

    def expire_sessions(self) -> int:
        """Invalidate every issued token except the admin token; return how many."""
        doomed = [t for t in self.sessions if t != self.admin_access_token]
        for token in doomed:
            del self.sessions[token]
        return len(doomed)

    # -- faults, counters, log -------------------------------------------------------------
    def add_fault(self, operation: str, status: int | None, count: int, delay_seconds: float = 0.0) -> Fault:
        if operation not in FAULT_OPERATIONS:
            raise OrgError(f"field 'operation': {operation!r} is not one of {', '.join(FAULT_OPERATIONS)}")
        if status is not None and not (isinstance(status, int) and 400 <= status <= 599):
            raise OrgError("field 'status' must be an HTTP error status between 400 and 599")
        if not isinstance(count, int) or count < 1:
            raise OrgError("field 'count' must be a positive integer")
        if status is None and not delay_seconds:
            raise OrgError("give 'status' (an error to return) and/or 'delay_seconds' (a slow response)")
        if not isinstance(delay_seconds, (int, float)) or not 0 <= delay_seconds <= 60:
            raise OrgError("field 'delay_seconds' must be a number between 0 and 60")
        fault = Fault(operation, status, count, float(delay_seconds))
        self.faults.append(fault)
        return fault

    def take_fault(self, operation: str) -> Fault | None:
        """Consume one use of the first fault armed for ``operation``."""
        for fault in self.faults:
            if fault.operation == operation and fault.count > 0:
                fault.count -= 1
                if fault.count == 0:
                    self.faults.remove(fault)
                return fault
        return None

    def record(self, operation: str, method: str, path: str, status: int) -> None:
        """Count a call and log it (path only: query strings and bodies may hold secrets)."""
        self.calls[operation] += 1
        self.request_log.append(
            {"time": round(self.now(), 3), "operation": operation, "method": method, "path": path, "status": status}
        )
