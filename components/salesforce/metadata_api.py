"""Deploy, poll, read and list through the Metadata API; assign the permission set through REST.

``MetadataClient(session)`` offers:
- ``deploy(bundle)``: exactly one deploy call (no ``testLevel`` unless one was chosen: production orgs
  refuse ``NoTestRun``, and a metadata-only deploy runs no tests without one), then checkDeployStatus
  polls with exponential backoff and jitter under a deadline; ``DeployFailed`` lists every component
  failure, and the Spring '26 connected-app block is raised as ``ConnectedAppCreationBlocked`` with the fix;
- ``read_app(name, kind)``: the live app as an ``AppSnapshot`` (certificate fingerprint, scopes,
  pre-authorization, permission sets/profiles, consumer key when the org shows it, component fullNames);
  certificates are read in both forms orgs return (PEM, or bare base64 DER); discovery reads only the
  app's own components, never every ECA's global OAuth settings;
- ``plan(spec)``: the spec to deploy on this org (consumer key only on create, existing fullNames reused);
- ``deploy_app(spec)``: plan + build + deploy + read back;
- ``assign_permission_set(username, name)``: idempotent PermissionSetAssignment through REST.
Polls and reads retry transient transport errors; the deploy call itself is retried only when the
request certainly never reached Salesforce, so a deploy is never duplicated.
"""

from __future__ import annotations

import base64
import dataclasses
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from lxml import etree
from tenacity import (
    RetryCallState,
    Retrying,
    retry_if_result,
    wait_exponential_jitter,
)

from components import keys
from components.progress import Report, Wait
from components.salesforce import rest, soap
from components.salesforce.bundle import CONNECTED_APP, ECA, ECA_TYPES, AppKind, AppSpec, Bundle, build_bundle
from components.salesforce.namespaces import XSI_NS
from components.salesforce.retries import TRANSIENT_ATTEMPTS, transient_retrying
from components.salesforce.session import SalesforceSession
from components.salesforce.token_exchange import Clock, SystemClock
from components.settings import TEST_LEVELS

SPRING_26_MARKERS = ("can't create a connected app", "cannot create a connected app", "connected app creation")
SPRING_26_HINT = (
    "Salesforce no longer lets this org create connected apps (Spring '26). Set `appKind: external-client-app` "
    "in the stack configuration to deploy an External Client App instead (or ask Salesforce Support to "
    "re-enable connected app creation for this org)."
)


# -- typed results --------------------------------------------------------------------------------
@dataclass(frozen=True)
class ComponentMessage:
    """One DeployMessage (a component success or failure)."""

    component_type: str
    full_name: str
    file_name: str
    success: bool
    created: bool = False
    changed: bool = False
    deleted: bool = False
    problem: str | None = None
    problem_type: str | None = None

    def describe(self) -> str:
        kind = self.component_type or "file"
        return f"{kind} {self.full_name or '?'} ({self.file_name}): {self.problem or 'failed'}"


@dataclass(frozen=True)
class DeployResult:
    """A parsed DeployResult plus how it was obtained (polls and waits)."""

    id: str
    done: bool
    status: str
    success: bool
    number_component_errors: int = 0
    number_components_deployed: int = 0
    number_components_total: int = 0
    state_detail: str | None = None
    error_message: str | None = None
    error_status_code: str | None = None
    failures: tuple[ComponentMessage, ...] = ()
    successes: tuple[ComponentMessage, ...] = ()
    polls: int = 0
    poll_waits: tuple[float, ...] = ()

    @property
    def created(self) -> tuple[str, ...]:
        """fullNames of components this deploy created."""
        return tuple(s.full_name for s in self.successes if s.created and s.component_type)


class DeployFailed(Exception):
    """A deploy finished unsuccessfully; the message lists each component and its problem."""

    def __init__(self, result: DeployResult, message: str | None = None):
        self.result = result
        super().__init__(message or describe_failure(result))


class ConnectedAppCreationBlocked(DeployFailed):
    """The org refuses to create a new ConnectedApp (Spring '26)."""

    def __init__(self, result: DeployResult):
        super().__init__(result, f"{describe_failure(result)}\n{SPRING_26_HINT}")


class DeployTimeout(Exception):
    """The deploy did not finish before the deadline."""

    def __init__(self, deploy_id: str, waited: float, last_status: str):
        self.deploy_id = deploy_id
        super().__init__(
            f"deploy {deploy_id} still {last_status} after {waited:.0f} s; raise the deploy deadline or check "
            f"Setup > Deployment Status for {deploy_id} (a re-run reads the org first, so it is safe)"
        )


class DeployUncertain(Exception):
    """The deploy request may have reached Salesforce but no answer came back; it is not resent."""


class DeployUnresolved(Exception):
    """A deploy's outcome is unknown and the app does not hold what it deployed (it may still commit)."""

    def __init__(self, message: str, live: AppSnapshot | None):
        self.live = live
        super().__init__(message)


class ConsumerKeyUnknown(Exception):
    """An existing app's consumer key is neither shown by Salesforce nor known to this project."""

    def __init__(self, name: str, kind: AppKind):
        what = "External Client App" if kind == ECA else "Connected App"
        super().__init__(
            f"the {what} {name} already exists and Salesforce did not return its consumer key, which the credential "
            f'document needs. Set the stack setting `existingConsumerKeys` to {{"{name}": "<consumer key>"}} '
            f"(Setup > External Client App Manager > {name} > Settings > OAuth Settings > Consumer Key and Secret), "
            'or let the Metadata API return it: turn on "Allow Access to OAuth Consumer Secrets via Metadata API" '
            'for the org (Setup > External Client App Settings) and give the deployer the user permission "View '
            'External Client Apps Consumer Secrets in Metadata". Nothing was deployed.'
        )


class DeleteFailed(Exception):
    """deleteMetadata refused a component; the message names it and why."""


class PermissionSetAssignmentError(Exception):
    """The permission set could not be assigned; the message names what is missing."""


@dataclass(frozen=True)
class FileProperties:
    type: str
    full_name: str
    file_name: str
    id: str | None = None


@dataclass(frozen=True)
class AppSnapshot:
    """What Salesforce stores for the app (for drift checks and outputs)."""

    kind: AppKind
    name: str
    label: str | None
    contact_email: str | None
    consumer_key: str | None
    certificate_pem: str | None = field(repr=False)
    certificate_fingerprint: str | None
    scopes: tuple[str, ...]
    pre_authorized: bool
    permission_sets: tuple[str, ...]
    profiles: tuple[str, ...]
    component_names: Mapping[str, str]


@dataclass(frozen=True)
class DeployOutcome:
    """Outcome of ``deploy_app``."""

    result: DeployResult
    snapshot: AppSnapshot
    created: bool
    deployed_spec: AppSpec


@dataclass(frozen=True)
class AssignmentResult:
    created: bool
    assignment_id: str | None


@dataclass(frozen=True)
class PollPolicy:
    """checkDeployStatus cadence: initial * multiplier^n (+ jitter), capped; give up after ``deadline`` s."""

    initial: float = 0.5
    multiplier: float = 1.6
    max_interval: float = 15.0
    jitter: float = 0.1
    deadline: float = 600.0

    def __post_init__(self) -> None:
        if self.initial <= 0 or self.multiplier < 1 or self.max_interval < self.initial or self.deadline <= 0:
            raise ValueError("poll: need initial > 0, multiplier >= 1, max_interval >= initial, deadline > 0")


# -- parsing --------------------------------------------------------------------------------------
def _int(node: etree._Element, name: str) -> int:
    try:
        return int(soap.text(node, name) or 0)
    except ValueError:
        return 0


def _message(node: etree._Element) -> ComponentMessage:
    return ComponentMessage(
        component_type=soap.text(node, "componentType") or "",
        full_name=soap.text(node, "fullName") or "",
        file_name=soap.text(node, "fileName") or "",
        success=soap.flag(node, "success"),
        created=soap.flag(node, "created"),
        changed=soap.flag(node, "changed"),
        deleted=soap.flag(node, "deleted"),
        problem=soap.text(node, "problem"),
        problem_type=soap.text(node, "problemType"),
    )


def parse_deploy_result(result: etree._Element) -> DeployResult:
    """A ``checkDeployStatusResponse/result`` element as a ``DeployResult``."""
    details = soap.children(result, "details")
    failures: list[ComponentMessage] = []
    successes: list[ComponentMessage] = []
    for detail in details:
        failures += [_message(n) for n in soap.children(detail, "componentFailures")]
        successes += [_message(n) for n in soap.children(detail, "componentSuccesses")]
    return DeployResult(
        id=soap.text(result, "id") or "",
        done=soap.flag(result, "done"),
        status=soap.text(result, "status") or "Unknown",
        success=soap.flag(result, "success"),
        number_component_errors=_int(result, "numberComponentErrors"),
        number_components_deployed=_int(result, "numberComponentsDeployed"),
        number_components_total=_int(result, "numberComponentsTotal"),
        state_detail=soap.text(result, "stateDetail"),
        error_message=soap.text(result, "errorMessage"),
        error_status_code=soap.text(result, "errorStatusCode"),
        failures=tuple(failures),
        successes=tuple(successes),
    )


def describe_failure(result: DeployResult) -> str:
    """One readable message: the deploy id and status, then one line per failed component."""
    lines = [f"Metadata deploy {result.id} {result.status}"]
    if result.error_message:
        lines.append(f"  - {result.error_status_code or 'error'}: {result.error_message}")
    lines += [f"  - {failure.describe()}" for failure in result.failures]
    if len(lines) == 1:
        lines.append("  - no component failure was reported")
    return "\n".join(lines)


def is_connected_app_blocked(result: DeployResult) -> bool:
    """True when a ConnectedApp failure carries the Spring '26 creation-block text."""
    return any(
        f.component_type == "ConnectedApp" and any(marker in (f.problem or "").lower() for marker in SPRING_26_MARKERS)
        for f in result.failures
    )


def plan_spec(spec: AppSpec, existing: Mapping[str, str] | None) -> AppSpec:
    """The spec to deploy given the app's existing components (type -> fullName), or None if new.

    On update the consumer key is never sent and existing child fullNames are reused, so the deploy
    updates the auto-created/UI-created policies instead of colliding with them.
    """
    if not existing:
        return spec
    if spec.kind == CONNECTED_APP:
        return dataclasses.replace(spec, consumer_key=None)
    return dataclasses.replace(
        spec,
        consumer_key=None,
        global_oauth_name=existing.get("ExtlClntAppGlobalOauthSettings", spec.global_oauth_name),
        oauth_settings_name=existing.get("ExtlClntAppOauthSettings", spec.oauth_settings_name),
        oauth_policy_name=existing.get("ExtlClntAppOauthConfigurablePolicies", spec.oauth_policy_name),
        app_policy_name=existing.get("ExtlClntAppConfigurablePolicies", spec.app_policy_name),
    )


# -- the client -----------------------------------------------------------------------------------
def _transient(exc: BaseException) -> bool:
    return isinstance(exc, soap.TransientError)


def _unsent(exc: BaseException) -> bool:
    return isinstance(exc, soap.TransientError) and exc.never_sent


class MetadataClient:
    """Metadata API + REST calls on one authenticated deployer session."""

    def __init__(
        self,
        session: SalesforceSession,
        *,
        poll: PollPolicy | None = None,
        clock: Clock | None = None,
        transport_attempts: int = TRANSIENT_ATTEMPTS,
        test_level: str | None = None,
        progress: Report | None = None,
    ):
        if test_level is not None and test_level not in TEST_LEVELS:
            raise ValueError(f"test_level: {test_level!r} is not one of {', '.join(TEST_LEVELS)} (or None)")
        self.session = session
        self.test_level = test_level
        self.poll = poll or PollPolicy()
        self.clock = clock or SystemClock()
        self.transport_attempts = transport_attempts
        self.progress = progress  # hears about long deploy waits
        self.calls: Counter[str] = Counter()

    # -- transport --------------------------------------------------------------------------------
    def _call(self, operation: etree._Element, *, retry_if=_transient) -> etree._Element:
        name = etree.QName(operation).localname
        retrying = transient_retrying(retry_if, attempts=self.transport_attempts, sleep=self.clock.sleep)

        def once() -> etree._Element:
            self.calls[name] += 1
            return soap.call(self.session.http, self.session.metadata_url, self.session.access_token, operation)

        return retrying(once)

    # -- deploy -----------------------------------------------------------------------------------
    def start_deploy(self, bundle: Bundle, *, check_only: bool = False) -> str:
        """Send the one deploy call; returns the async id. Resent only if it certainly never arrived."""
        options = soap.element(
            "DeployOptions",
            soap.element("allowMissingFiles", text=False),
            soap.element("autoUpdatePackage", text=False),
            soap.element("checkOnly", text=check_only),
            soap.element("ignoreWarnings", text=False),
            soap.element("performRetrieve", text=False),
            soap.element("purgeOnDelete", text=False),
            soap.element("rollbackOnError", text=True),
            soap.element("singlePackage", text=True),
        )
        if self.test_level is not None:
            options.append(soap.element("testLevel", text=self.test_level))
        operation = soap.element(
            "deploy", soap.element("ZipFile", text=base64.b64encode(bundle.zip_bytes).decode("ascii")), options
        )
        try:
            response = self._call(operation, retry_if=_unsent)
        except soap.TransientError as exc:
            if exc.never_sent:
                raise
            raise DeployUncertain(
                f"{exc}; the deploy may have started, so it was not resent. Re-running is safe: the next run "
                "reads the org first and updates what exists"
            ) from None
        result = soap.children(response, "result")
        deploy_id = soap.text(result[0], "id") if result else None
        if not deploy_id:
            raise DeployUncertain("the deploy answer carried no id; check Setup > Deployment Status")
        return deploy_id

    def check_deploy_status(self, deploy_id: str) -> DeployResult:
        """One checkDeployStatus call (with details)."""
        operation = soap.element(
            "checkDeployStatus",
            soap.element("asyncProcessId", text=deploy_id),
            soap.element("includeDetails", text=True),
        )
        response = self._call(operation)
        result = soap.children(response, "result")
        if not result:
            raise soap.TransientError("checkDeployStatus answered without a result", never_sent=False)
        return parse_deploy_result(result[0])

    def wait_for_deploy(self, deploy_id: str) -> DeployResult:
        """Poll until done, with exponential backoff and jitter, under ``poll.deadline``."""
        policy = self.poll
        start = self.clock.now()
        deadline = start + policy.deadline
        backoff = wait_exponential_jitter(
            multiplier=policy.initial, max=policy.max_interval, exp_base=policy.multiplier, jitter=policy.jitter
        )
        waits: list[float] = []
        polls = 0

        def wait(state: RetryCallState) -> float:
            seconds = max(0.0, min(backoff(state), deadline - self.clock.now()))
            waits.append(seconds)
            return seconds

        retrying = Retrying(
            retry=retry_if_result(lambda r: not r.done),
            stop=lambda state: self.clock.now() >= deadline,
            wait=wait,
            sleep=self.clock.sleep,
            retry_error_callback=lambda state: state.outcome.result(),  # type: ignore[union-attr]
        )

        waiting = Wait(f"deploy {deploy_id} to finish", policy.deadline, self.progress, start)

        def poll_once() -> DeployResult:
            nonlocal polls
            polls += 1
            result = self.check_deploy_status(deploy_id)
            if not result.done:
                waiting.tick(self.clock.now(), result.state_detail or result.status)
            return result

        result: DeployResult = retrying(poll_once)
        result = dataclasses.replace(result, polls=polls, poll_waits=tuple(waits[: polls - 1]))
        if not result.done:
            raise DeployTimeout(deploy_id, self.clock.now() - start, result.status)
        return result

    def deploy(self, bundle: Bundle, *, check_only: bool = False) -> DeployResult:
        """Deploy and wait; ``DeployFailed``/``ConnectedAppCreationBlocked`` unless it succeeded."""
        result = self.wait_for_deploy(self.start_deploy(bundle, check_only=check_only))
        if not result.success:
            if is_connected_app_blocked(result):
                raise ConnectedAppCreationBlocked(result)
            raise DeployFailed(result)
        return result

    # -- list / read ------------------------------------------------------------------------------
    def list_metadata(self, types: Iterable[str]) -> dict[str, list[FileProperties]]:
        """listMetadata for each type (three queries per call, as the API allows)."""
        found: dict[str, list[FileProperties]] = {t: [] for t in types}
        for group in soap.chunks(found, 3):
            queries = [soap.element("queries", soap.element("type", text=t)) for t in group]
            response = self._call(
                soap.element("listMetadata", *queries, soap.element("asOfVersion", text=self.session.api_version))
            )
            for node in soap.children(response, "result"):
                props = FileProperties(
                    type=soap.text(node, "type") or "",
                    full_name=soap.text(node, "fullName") or "",
                    file_name=soap.text(node, "fileName") or "",
                    id=soap.text(node, "id"),
                )
                if props.type in found and props.full_name:
                    found[props.type].append(props)
        return found

    def read_metadata(self, metadata_type: str, full_names: Iterable[str]) -> list[etree._Element]:
        """readMetadata in chunks of ten; records of missing names (nil/empty) are dropped."""
        records: list[etree._Element] = []
        for group in soap.chunks(dict.fromkeys(full_names), 10):
            names = [soap.element("fullNames", text=name) for name in group]
            response = self._call(soap.element("readMetadata", soap.element("type", text=metadata_type), *names))
            for result in soap.children(response, "result"):
                for record in soap.children(result, "records"):
                    nil = record.get(f"{{{XSI_NS}}}nil", "").lower() == "true"
                    if not nil and soap.text(record, "fullName"):
                        records.append(record)
        return records

    def existing_components(self, spec: AppSpec) -> dict[str, str] | None:
        """The app's components already in the org (type -> fullName), or None when the app is new."""
        records = self._app_records(spec.name, spec.kind)
        if records is None:
            return None
        return {type_name: soap.text(record, "fullName") or "" for type_name, record in records.items()}

    def _app_records(self, name: str, kind: AppKind) -> dict[str, etree._Element] | None:
        header_type = "ConnectedApp" if kind == CONNECTED_APP else "ExternalClientApplication"
        listed = self.list_metadata([header_type] if kind == CONNECTED_APP else ECA_TYPES)
        if not any(p.full_name == name for p in listed[header_type]):
            return None
        records = {header_type: self.read_metadata(header_type, [name])}
        if kind == ECA:
            for type_name in ECA_TYPES[1:]:
                records[type_name] = self._eca_children(name, type_name, [p.full_name for p in listed[type_name]])
        if not records[header_type]:
            return None
        return {type_name: found[0] for type_name, found in records.items() if found}

    def _eca_children(self, app: str, type_name: str, listed: list[str]) -> list[etree._Element]:
        """The app's component of one ECA child type, reading as few records as possible.

        Names that belong to the app (``<app>_...``, as Salesforce and this project name them) are read
        first. Only the policy types fall back to reading the others (their names are free); the global
        OAuth settings of other apps (consumer keys, certificates) are never read.
        """
        own = [n for n in listed if n.startswith(f"{app}_")]
        others = [] if type_name == "ExtlClntAppGlobalOauthSettings" else [n for n in listed if n not in own]
        for names in (own, others):
            found = [
                r for r in self.read_metadata(type_name, names) if soap.text(r, "externalClientApplication") == app
            ]
            if found:
                return found
        return []

    def _named_records(self, components: Mapping[str, str]) -> dict[str, etree._Element]:
        found = {t: self.read_metadata(t, [full_name]) for t, full_name in components.items()}
        return {t: records[0] for t, records in found.items() if records}

    def read_app(self, name: str, kind: AppKind, components: Mapping[str, str] | None = None) -> AppSnapshot | None:
        """The live app as Salesforce stores it, or None when it does not exist.

        ``components`` (type -> fullName, e.g. ``AppSpec.component_names()`` of the last deploy) skips
        the listMetadata discovery and reads those components directly.
        """
        header_type = "ConnectedApp" if kind == CONNECTED_APP else "ExternalClientApplication"
        records = self._named_records(components) if components else self._app_records(name, kind)
        if not records or header_type not in records:
            return None
        return _snapshot(kind, name, records)

    # -- high level -------------------------------------------------------------------------------
    def plan(self, spec: AppSpec) -> tuple[AppSpec, bool]:
        """(spec to deploy, whether the app is created by it)."""
        existing = self.existing_components(spec)
        return plan_spec(spec, existing), existing is None

    def deploy_app(
        self, spec: AppSpec, *, known_consumer_key: str | None = None, components: Mapping[str, str] | None = None
    ) -> DeployOutcome:
        """Plan against the org, deploy the bundle once, read the app back.

        The snapshot's consumer key is what Salesforce shows, else the key this deploy created the app
        with, else ``known_consumer_key``; an existing app whose key is none of these is refused with
        ``ConsumerKeyUnknown`` before anything is deployed. (A new app created without a key gets one from
        Salesforce, which the snapshot shows only if the org reveals it.) ``components`` (type -> fullName,
        the snapshot of an earlier deploy) reads the existing app by name instead of discovering it
        with listMetadata; when its header is gone, discovery runs after all.
        """
        records = self._named_records(components) if components else None
        header = "ConnectedApp" if spec.kind == CONNECTED_APP else "ExternalClientApplication"
        if not records or header not in records:
            records = self._app_records(spec.name, spec.kind)
        existing = {t: soap.text(r, "fullName") or "" for t, r in records.items()} if records is not None else None
        planned, creating = plan_spec(spec, existing), existing is None
        consumer_key = spec.consumer_key if creating else self._existing_consumer_key(spec, records, known_consumer_key)
        if not creating and not consumer_key:
            raise ConsumerKeyUnknown(spec.name, spec.kind)
        try:
            result = self.deploy(build_bundle(planned))
        except (DeployUncertain, DeployTimeout) as uncertain:
            result = self._resolve(spec, uncertain)
        snapshot = self.read_app(spec.name, spec.kind, planned.component_names())
        if snapshot is None:
            raise DeployFailed(result, f"deploy {result.id} succeeded but {spec.kind} {spec.name} cannot be read back")
        snapshot = dataclasses.replace(snapshot, consumer_key=snapshot.consumer_key or consumer_key)
        return DeployOutcome(result=result, snapshot=snapshot, created=creating, deployed_spec=planned)

    def _existing_consumer_key(
        self, spec: AppSpec, records: Mapping[str, etree._Element] | None, known: str | None
    ) -> str | None:
        """The key of an app that exists: shown by the org, else known to the project, else ours when
        the app already holds the certificate of this very deploy (a run that was killed after its
        deploy committed created it, with ``spec.consumer_key``: nobody else has that certificate)."""
        shown = _record_consumer_key(records or {})
        if shown or known or not records:
            return shown or known
        live = _snapshot(spec.kind, spec.name, records)
        return spec.consumer_key if live.certificate_fingerprint == _certificate(spec.certificate_pem)[1] else None

    def _resolve(self, spec: AppSpec, uncertain: DeployUncertain | DeployTimeout) -> DeployResult:
        """The outcome of a deploy whose answer was lost (or that outlived the deadline), from the app
        itself: when it holds the certificate of this deploy, the deploy committed (deploys are
        all-or-nothing) and the run goes on; otherwise ``DeployUnresolved`` (the caller puts the
        previous state back: deploys run one at a time, so a late commit cannot land after that)."""
        try:
            live = self.read_app(spec.name, spec.kind)
        except (soap.TransientError, soap.MetadataFault) as error:
            raise DeployUnresolved(f"{uncertain}. Reading {spec.name} back failed too ({error})", None) from None
        wanted = _certificate(spec.certificate_pem)[1]
        if live is not None and wanted is not None and live.certificate_fingerprint == wanted:
            deploy_id = getattr(uncertain, "deploy_id", "") or ""
            return DeployResult(deploy_id, True, "Succeeded", True, state_detail="read back: the answer was lost")
        holds = "does not exist" if live is None else f"holds certificate {live.certificate_fingerprint or '(none)'}"
        raise DeployUnresolved(f"{uncertain}. {spec.name} was read back and {holds}, not the one deployed", live)

    def delete_app(self, name: str, kind: AppKind) -> bool:
        """Delete the app's components, children before the header; False when there is no such app."""
        records = self._app_records(name, kind)
        if records is None:
            return False
        header = "ConnectedApp" if kind == CONNECTED_APP else "ExternalClientApplication"
        order = [t for t in reversed(ECA_TYPES) if t in records and t != header] + [header]
        for type_name in order:
            full_name = soap.text(records[type_name], "fullName") or ""
            response = self._call(
                soap.element(
                    "deleteMetadata", soap.element("type", text=type_name), soap.element("fullNames", text=full_name)
                )
            )
            for result in soap.children(response, "result"):
                if not soap.flag(result, "success"):
                    problems = [soap.text(e, "message") or "" for e in soap.children(result, "errors")]
                    raise DeleteFailed(f"deleting {type_name} {full_name} failed: {'; '.join(problems)}")
        return True

    # -- REST -------------------------------------------------------------------------------------
    def _single_id(self, soql: str, what: str) -> str | None:
        self.calls["query"] += 1
        records = self.session.query(soql)
        if len(records) > 1:
            raise PermissionSetAssignmentError(f"{what} is ambiguous ({len(records)} matches)")
        return records[0]["Id"] if records else None

    def integration_user_id(self, username: str) -> str:
        """The id of the user the integration logs in as; ``PermissionSetAssignmentError`` naming the
        setting when the org has no such user (checked before a deploy changes anything)."""
        user_id = self._single_id(
            f"SELECT Id FROM User WHERE Username = {rest.soql_quote(username)}", f"user {username}"
        )
        if not user_id:
            raise PermissionSetAssignmentError(
                f"integration user {username!r} not found in this org; check the `integrationUsername` setting "
                "(the full Salesforce username, e.g. orders@acme.example.com). Nothing was deployed."
            )
        return user_id

    def assign_permission_set(self, username: str, permission_set: str, user_id: str | None = None) -> AssignmentResult:
        """Assign ``permission_set`` (API name) to ``username``; a second call changes nothing.

        One query finds an assignment that exists already (by the user's and the permission set's
        names); only a missing one costs the lookups of both ids (the user's unless ``user_id`` is
        given) and the insert.
        """
        quote = rest.soql_quote
        existing = self._single_id(
            "SELECT Id FROM PermissionSetAssignment WHERE Assignee.Username = "
            f"{quote(username)} AND PermissionSet.Name = {quote(permission_set)}",
            "assignment",
        )
        if existing:
            return AssignmentResult(created=False, assignment_id=existing)
        user_id = user_id or self.integration_user_id(username)
        ps_id = self._single_id(
            f"SELECT Id FROM PermissionSet WHERE Name = {quote(permission_set)} AND IsOwnedByProfile = false",
            f"permission set {permission_set}",
        )
        if not ps_id:
            raise PermissionSetAssignmentError(
                f"permission set {permission_set!r} not found; deploy it first (access_permission_set) or fix the name"
            )
        return self._create_assignment(username, permission_set, user_id, ps_id)

    def _create_assignment(self, username: str, permission_set: str, user_id: str, ps_id: str) -> AssignmentResult:
        self.calls["create"] += 1
        try:
            created = self.session.create("PermissionSetAssignment", {"AssigneeId": user_id, "PermissionSetId": ps_id})
        except rest.ApiError as exc:
            if exc.status == 400 and "DUPLICATE_VALUE" in str(exc.content):
                return AssignmentResult(created=False, assignment_id=None)
            if exc.status == 400:
                raise PermissionSetAssignmentError(
                    f"assigning {permission_set} to {username} failed: {exc.content}"
                ) from None
            raise PermissionSetAssignmentError(
                f"assigning {permission_set} to {username} failed (HTTP {exc.status}); the deployer needs "
                "'Assign Permission Sets'"
            ) from None
        return AssignmentResult(created=True, assignment_id=created.get("id"))


# -- snapshots ------------------------------------------------------------------------------------
def _record_consumer_key(records: Mapping[str, etree._Element]) -> str | None:
    """The consumer key in read-back records, when the org shows it."""
    if "ConnectedApp" in records:
        oauth = soap.children(records["ConnectedApp"], "oauthConfig")
        return (soap.text(oauth[0], "consumerKey") if oauth else None) or None
    glbl = records.get("ExtlClntAppGlobalOauthSettings")
    return (soap.text(glbl, "consumerKey") if glbl is not None else None) or None


def _certificate(stored: str | None) -> tuple[str | None, str | None]:
    """(PEM, SHA-256 fingerprint) of a read-back certificate in either form orgs return; the text
    unchanged and no fingerprint when it is not a certificate."""
    certificate = keys.load_stored_certificate(stored)
    if certificate is None:
        return stored, None
    return keys.pem_of(certificate), keys.fingerprint_sha256(certificate)


def _snapshot(kind: AppKind, name: str, records: Mapping[str, etree._Element]) -> AppSnapshot:
    """The app as its read-back records describe it, for either kind."""
    return _connected_app_snapshot(records) if kind == CONNECTED_APP else _eca_snapshot(name, records)


def _connected_app_snapshot(records: Mapping[str, etree._Element]) -> AppSnapshot:
    app = records["ConnectedApp"]
    oauth = (soap.children(app, "oauthConfig") or [etree.Element("oauthConfig")])[0]
    certificate, fingerprint = _certificate(soap.text(oauth, "certificate"))
    return AppSnapshot(
        kind=CONNECTED_APP,
        name=soap.text(app, "fullName") or "",
        label=soap.text(app, "label"),
        contact_email=soap.text(app, "contactEmail"),
        consumer_key=soap.text(oauth, "consumerKey") or None,
        certificate_pem=certificate,
        certificate_fingerprint=fingerprint,
        scopes=tuple(soap.texts(oauth, "scopes")),
        pre_authorized=soap.flag(oauth, "isAdminApproved"),
        permission_sets=tuple(n for n in soap.texts(app, "permissionSetName") if n),
        profiles=tuple(n for n in soap.texts(app, "profileName") if n),
        component_names={"ConnectedApp": soap.text(app, "fullName") or ""},
    )


def _eca_snapshot(name: str, records: Mapping[str, etree._Element]) -> AppSnapshot:
    empty = etree.Element("none")
    header = records["ExternalClientApplication"]
    glbl = records.get("ExtlClntAppGlobalOauthSettings", empty)
    oauth = records.get("ExtlClntAppOauthSettings", empty)
    policy = records.get("ExtlClntAppOauthConfigurablePolicies", empty)
    certificate, fingerprint = _certificate(soap.text(glbl, "certificate"))
    return AppSnapshot(
        kind=ECA,
        name=name,
        label=soap.text(header, "label"),
        contact_email=soap.text(header, "contactEmail"),
        consumer_key=soap.text(glbl, "consumerKey") or None,  # absent unless the org lets the deployer see it
        certificate_pem=certificate,
        certificate_fingerprint=fingerprint,
        scopes=soap.split_csv(soap.text(oauth, "commaSeparatedOauthScopes")),
        pre_authorized=soap.text(policy, "permittedUsersPolicyType") == "AdminApprovedPreAuthorized",
        permission_sets=soap.split_csv(soap.text(policy, "commaSeparatedPermissionSet")),
        profiles=soap.split_csv(soap.text(policy, "commaSeparatedProfile")),
        component_names={t: soap.text(r, "fullName") or "" for t, r in records.items()},
    )
