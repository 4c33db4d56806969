"""The provisioning steps of one integration, in terms of the core modules (no ``pulumi`` here).

The dynamic providers translate engine calls into these functions; everything that decides
something lives here so it can be tested without an engine:

* which apps (slots) exist and which one is active (`plan_slots`);
* the consumer key an app is created with (`consumer_key_for`);
* deploying the app and pre-authorizing the integration user (`deploy_app`);
* staging the credential document as AWSPENDING (`stage_credential`);
* proving the staged key with a real JWT login, and putting the previous certificate back when that
  fails (`verify_version`);
* promoting the proven version to AWSCURRENT (`promote_version`).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from components import timestamps
from components.credentials.stages import AWSCURRENT
from components.resource_props import AppOutputs

if TYPE_CHECKING:  # imported where used: the Pulumi program needs only the slot plan from here
    from components.credentials import CredentialDocument, CredentialStore
    from components.progress import Report
    from components.salesforce.bundle import AppKind, AppSpec
    from components.salesforce.metadata_api import AppSnapshot, MetadataClient
    from components.salesforce.session import (
        AccessTokenAuth,
        JwtAuth,
        RefreshTokenAuth,
        SalesforceSession,
        SoapLoginAuth,
    )
    from components.salesforce.token_exchange import Clock, VerificationFailed, VerificationResult
    from components.settings import DeployerCredentials, Settings

    SessionCredentials = AccessTokenAuth | JwtAuth | RefreshTokenAuth | SoapLoginAuth


@dataclass(frozen=True)
class SlotPlan:
    """One app of the integration and the key generation it carries."""

    slot: str  # "a" or "b"
    app_name: str
    app_label: str
    generation: int  # bumping it replaces the slot's private key
    active: bool  # the slot whose key becomes AWSCURRENT


def plan_slots(settings: Settings) -> tuple[SlotPlan, ...]:
    """Slots that exist for the current ``rotation`` counter.

    ``single``: one app; every rotation replaces its key. ``blue-green``: rotation ``n`` makes slot
    ``a`` active when ``n`` is even and ``b`` when odd; a slot's key changes only when the slot
    becomes active again, so the idle slot keeps the previous, still working, key and certificate.
    """
    rotation = settings.operations.rotation
    if settings.operations.rotation_strategy == "single":
        slot = settings.slots[0]
        return (SlotPlan(slot.name, slot.app_name, slot.label, rotation, True),)
    active = "a" if rotation % 2 == 0 else "b"
    generations = {"a": rotation // 2, "b": (rotation - 1) // 2}
    return tuple(
        SlotPlan(s.name, s.app_name, s.label, generations[s.name], s.name == active)
        for s in settings.slots
        if generations[s.name] >= 0
    )


def consumer_key_for(stack: str, app_name: str, org_id: str) -> str:
    """The consumer key an app is created with: stable per stack, app and org, unique across orgs.

    Consumer keys are globally unique, and many orgs sit behind https://login.salesforce.com, so the
    org id of the deployer's session (15-character form) is part of the digest, not the login URL.
    Supplying our own key on create means the credential document never has to wait for Salesforce
    to generate one (or to reveal it); an app that already exists keeps the key it has (it is immutable).
    """
    if not org_id.startswith("00D") or len(org_id) not in (15, 18):
        raise ValueError(f"org_id: {org_id!r} is not a Salesforce org id (00D..., 15 or 18 characters)")
    digest = hashlib.sha256(f"salesforce-jwt|{stack}|{app_name}|{org_id[:15]}".encode()).hexdigest()
    return f"SJP{digest[:61]}"


# -- the deployer ------------------------------------------------------------------------------------


def session_credentials(
    deployer: DeployerCredentials, login_url: str, aws_region: str | None = None, aws_endpoint_url: str | None = None
) -> SessionCredentials:
    """Map the validated deployer settings onto the Salesforce session's credential types."""
    from components.salesforce.session import (
        AccessTokenAuth,
        JwtAuth,
        KeyFile,
        RefreshTokenAuth,
        SecretsManagerKey,
        SoapLoginAuth,
    )

    if deployer.method == "access-token":
        return AccessTokenAuth(deployer.instance_url or login_url, deployer.access_token.reveal())
    if deployer.method in ("auth-url", "refresh-token"):
        secret = deployer.client_secret.reveal() if deployer.client_secret else ""
        return RefreshTokenAuth(
            deployer.instance_url or login_url, deployer.client_id or "", deployer.refresh_token.reveal(), secret
        )
    if deployer.method == "jwt":
        key: Any = (
            KeyFile(deployer.key_file)
            if deployer.key_file is not None
            else SecretsManagerKey(deployer.key_secret_id or "", aws_region, aws_endpoint_url)
        )
        return JwtAuth(
            login_url=login_url, consumer_key=deployer.consumer_key or "", username=deployer.username or "", key=key
        )
    if deployer.method == "password":
        return SoapLoginAuth(login_url, deployer.username or "", deployer.password.reveal(), "")
    raise ValueError(f"unknown deployer method {deployer.method!r}")


def deployer_session(credentials: SessionCredentials, *, ca_bundle: str | None, api_version: str) -> SalesforceSession:
    """Authenticate the deployer once for one provider call."""
    from components.salesforce.session import open_session

    return open_session(credentials, ca_bundle=ca_bundle, api_version=api_version)


# -- the app ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class AppRequest:
    """What one app deployment should leave in the org.

    ``spec.consumer_key`` is the key the app is created with; ``known_consumer_key`` is the key of an
    app that already exists (recorded by an earlier run, or given in ``existingConsumerKeys``), used
    when Salesforce does not show it. ``test_level`` is the deploy's testLevel (None: not sent).
    """

    spec: AppSpec
    integration_username: str
    deploy_timeout_seconds: float
    known_consumer_key: str | None = None
    test_level: str | None = None
    progress: Report | None = None  # hears about a long deploy wait


def app_spec(
    *,
    kind: str,
    name: str,
    label: str,
    contact_email: str,
    description: str,
    certificate_pem: str,
    scopes: tuple[str, ...],
    permission_set_name: str,
    extra_permission_sets: tuple[str, ...],
    profiles: tuple[str, ...],
    consumer_key: str,
    api_version: str,
) -> AppSpec:
    """The bundle description of one slot's app, with its own access permission set."""
    from components.salesforce.bundle import AppSpec, PermissionSetSpec

    return AppSpec(
        kind=cast("AppKind", kind),
        name=name,
        label=label,
        contact_email=contact_email,
        description=description,
        certificate_pem=certificate_pem,
        scopes=scopes,
        permission_sets=extra_permission_sets,
        profiles=profiles,
        consumer_key=consumer_key,
        api_version=api_version,
        access_permission_set=PermissionSetSpec(permission_set_name, permission_set_name.replace("_", " ")),
    )


def metadata_client(session: SalesforceSession, request: AppRequest) -> MetadataClient:
    from components.salesforce.metadata_api import MetadataClient, PollPolicy

    return MetadataClient(
        session,
        poll=PollPolicy(deadline=request.deploy_timeout_seconds),
        test_level=request.test_level,
        progress=request.progress,
    )


class DeployNotApplied(Exception):
    """A deploy's answer was lost and the app does not hold what it deployed; the message says what
    was put back so the app and AWSCURRENT still agree."""


def deploy_app(
    session: SalesforceSession,
    request: AppRequest,
    components: dict[str, str] | None = None,
    previous: AppRequest | None = None,
) -> AppSnapshot:
    """Deploy the bundle (create or update), then assign the access permission set to the user.
    The snapshot always names the consumer key (see ``MetadataClient.deploy_app``); ``components``
    (from the last deploy's outputs) reads the existing app by name instead of discovering it.

    A deploy whose outcome stays unknown (its answer was lost and the app was read back without the
    new certificate) is followed by a deploy of ``previous`` (what the app held before, the
    certificate AWSCURRENT has the key for): deploys run one at a time, so a late commit of the lost
    one cannot end up on top; then ``DeployNotApplied``."""
    from components.salesforce.metadata_api import DeployUnresolved

    client = metadata_client(session, request)
    assigns = request.spec.access_permission_set is not None and bool(request.integration_username)
    user_id = client.integration_user_id(request.integration_username) if assigns else None
    try:
        outcome = client.deploy_app(request.spec, known_consumer_key=request.known_consumer_key, components=components)
    except DeployUnresolved as unresolved:
        raise DeployNotApplied(_unresolved_message(client, request, previous, unresolved)) from None
    if request.spec.access_permission_set is not None:
        name = request.spec.access_permission_set.name
        client.assign_permission_set(request.integration_username, name, user_id)
    return outcome.snapshot


def _unresolved_message(
    client: MetadataClient, request: AppRequest, previous: AppRequest | None, unresolved: Exception
) -> str:
    name = request.spec.name
    if previous is None:
        return (
            f"the first deploy of {name} is unresolved: {unresolved}. Nothing uses this integration yet "
            "(AWSCURRENT is not provisioned). Run `pulumi up` again: it reads the app back, and an app that "
            "holds this stack's new certificate is taken over."
        )
    try:
        client.deploy_app(previous.spec, known_consumer_key=previous.known_consumer_key)
    except Exception as error:
        return (
            f"the deploy of a new certificate to {name} is unresolved: {unresolved}. Deploying the previous "
            f"certificate again FAILED ({type(error).__name__}: {error}): if the lost deploy commits, {name} "
            "holds a certificate AWSCURRENT has no key for and integrations fail to log in. Run "
            "`pulumi up --refresh` now; `check --drift` shows which certificate the app holds."
        )
    return (
        f"the deploy of a new certificate to {name} is unresolved: {unresolved}. The previous certificate was "
        "deployed again after it, so the app still matches the key in AWSCURRENT; the new key was not "
        "promoted. Run `pulumi up --refresh` to try the rotation again."
    )


def ensure_app_certificate(session: SalesforceSession, request: AppRequest, fingerprint: str) -> bool:
    """Redeploy when the live app does not hold this certificate (a failed rotation put the previous one
    back, or someone changed it); True when it had to. Makes a retried verification self-healing."""
    live = read_app(session, request.spec.name, request.spec.kind)
    if live is not None and live.certificate_fingerprint == fingerprint:
        return False
    deploy_app(session, request)
    return True


def read_app(session: SalesforceSession, name: str, kind: str) -> AppSnapshot | None:
    """The app as Salesforce stores it now, or None when it is gone."""
    from components.salesforce.metadata_api import MetadataClient

    return MetadataClient(session).read_app(name, cast("AppKind", kind))


def delete_app(session: SalesforceSession, name: str, kind: str) -> bool:
    """Remove the app from the org (only with deleteAppOnDestroy); False when it was already gone."""
    from components.salesforce.metadata_api import MetadataClient

    return MetadataClient(session).delete_app(name, cast("AppKind", kind))


def app_outputs(snapshot: AppSnapshot, known_consumer_key: str | None = None) -> AppOutputs:
    """The live facts of an app, as provider outputs (compared with the inputs to show drift). An
    External Client App's consumer key is often not shown: then the key already known stands."""
    return {
        "consumer_key": snapshot.consumer_key or known_consumer_key,
        "certificate_fingerprint": snapshot.certificate_fingerprint,
        "scopes": sorted(snapshot.scopes),
        "pre_authorized": snapshot.pre_authorized,
        "permission_sets": sorted(snapshot.permission_sets),
        "profiles": sorted(snapshot.profiles),
        "component_names": dict(snapshot.component_names),
    }


# -- the credential --------------------------------------------------------------------------------


def credential_document(
    *,
    private_key_pem: str,
    certificate_pem: str,
    consumer_key: str,
    username: str,
    login_url: str,
    audience: str,
    token_url: str,
    app_name: str,
    app_kind: str,
    slot: str | None,
) -> CredentialDocument:
    """The document an integration reads at run time. ``created_at`` is the certificate's start, so
    the same key and certificate always give the same document (and the same secret version)."""
    from components import keys
    from components.credentials import CredentialDocument

    info = keys.certificate_info(certificate_pem)
    return CredentialDocument(
        private_key_pem=private_key_pem,
        certificate_pem=certificate_pem,
        fingerprint_sha256=info.fingerprint_sha256,
        not_after=info.not_after,
        consumer_key=consumer_key,
        username=username,
        login_url=login_url,
        audience=audience,
        token_url=token_url,
        app_name=app_name,
        app_kind=app_kind,
        slot=slot,
        created_at=info.not_before,
    )


def stage_credential(
    store: CredentialStore,
    document: CredentialDocument,
    *,
    kms_key_id: str | None,
    tags: dict[str, str],
    reader_arns: tuple[str, ...] | None,
    description: str,
) -> tuple[str, str]:
    """Create or align the secret, then put the document as AWSPENDING; returns (ARN, version id).

    With named readers, the role running the deployment is named too: it reads the pending version
    back to verify it, and the resource policy denies every principal it does not name."""
    if reader_arns:
        deployer = store.caller_principal()
        reader_arns = tuple(dict.fromkeys((*reader_arns, *([deployer] if deployer else []))))
    described = store.ensure_secret(
        kms_key_id=kms_key_id, tags=tags, description=description, reader_principals=reader_arns
    )
    version_id = store.put_pending(document)
    return described.arn, version_id


# -- verification and promotion ---------------------------------------------------------------------


@dataclass(frozen=True)
class VerificationRequest:
    """Prove one stored version: a JWT login with its key, then an API call.

    ``app_changed``: this run deployed the app or its policies, so "user hasn't approved this consumer"
    may be propagation and is retried within the budget. ``expected_org_id``: the deployer's org.
    """

    version_id: str
    ca_bundle: str | None
    api_version: str
    budget_seconds: float
    app_changed: bool = False
    expected_org_id: str | None = None
    live_fingerprint: str | None = None  # the certificate the app deployment read back in this run
    progress: Report | None = None  # hears about the wait while the login is retried


class RolloutFailed(Exception):
    """Verification failed; the message says what was put back and what to fix."""


def verify_version(
    store: CredentialStore,
    request: VerificationRequest,
    *,
    prepare: Callable[[CredentialDocument], Any] | None = None,
    restore_certificate: Callable[[CredentialDocument], Any] | None = None,
    clock: Clock | None = None,
) -> VerificationResult:
    """Log in with the stored version's key, then prove the token on the API.

    ``prepare`` makes sure the app holds the version's certificate (returning True when it had to
    redeploy it). When the app deployment of this run read that certificate back
    (``request.live_fingerprint``), the login is tried at once and ``prepare`` runs only if the first
    attempt fails in a way a stale app would explain (a failed earlier run may have put the previous
    certificate back); otherwise it runs first. On failure, when that version is not AWSCURRENT and the
    current document names the same app, ``restore_certificate`` redeploys the current certificate so
    the key in use keeps working; AWSCURRENT is never touched, the failed version stays AWSPENDING."""
    from components.salesforce.token_exchange import VerificationFailed, login_for, verify_jwt_login

    stored = store.get_version(request.version_id)
    doc = stored.document
    read_back = (request.live_fingerprint or "").upper() == doc.fingerprint_sha256.upper()
    redeployed = prepare(doc) is True if prepare is not None and not read_back else False
    login = login_for(
        doc,
        ca_bundle=request.ca_bundle,
        api_version=request.api_version,
        budget_seconds=request.budget_seconds,
        app_changed=request.app_changed or redeployed,
        expected_org_id=request.expected_org_id,
    )
    recheck = (lambda: prepare(doc) is True) if prepare is not None and read_back else None
    try:
        return verify_jwt_login(login, clock=clock, first_failure=recheck, progress=request.progress)
    except VerificationFailed as failure:
        raise RolloutFailed(_failure_message(store, stored.stages, doc, failure, restore_certificate)) from None


def _failure_message(
    store: CredentialStore,
    stages: tuple[str, ...],
    doc: CredentialDocument,
    failure: VerificationFailed,
    restore_certificate: Callable[[CredentialDocument], Any] | None,
) -> str:
    message = f"verification of the new credential failed: {failure}"
    if AWSCURRENT in stages:  # only a secret created by an older release, or a hand-moved label
        return message + (
            ". This version is already AWSCURRENT, so integrations use it now; fix the cause and run `pulumi up` again."
        )
    if not store.is_provisioned():
        return message + (
            f". This is the first credential of this integration: AWSCURRENT in {store.name} still holds the "
            "not-provisioned placeholder, so no integration can use the unverified key (it stays AWSPENDING). "
            "Fix the cause and run `pulumi up` again."
        )
    current = store.get(AWSCURRENT).document
    restored = ""
    if (
        restore_certificate is not None
        and current.app_name == doc.app_name
        and current.fingerprint_sha256 != doc.fingerprint_sha256
    ):
        try:
            restore_certificate(current)
            restored = (
                f" The previous certificate ({current.fingerprint_sha256[:23]}...) was deployed back to "
                f"{doc.app_name}, so the key in AWSCURRENT keeps working."
            )
        except Exception as error:
            restored = (
                f" The previous certificate could NOT be deployed back to {doc.app_name} "
                f"({type(error).__name__}: {error}): integrations using AWSCURRENT fail until the app "
                "holds it again."
            )
    return (
        message + f". AWSCURRENT is unchanged; the new version stays AWSPENDING in {store.name}.{restored} "
        "Fix the cause, then run `pulumi up --refresh` to deploy and verify again."
    )


def promote_version(store: CredentialStore, version_id: str) -> str:
    """AWSCURRENT -> ``version_id`` (the old one becomes AWSPREVIOUS); returns the current version id."""
    store.promote(version_id)
    return version_id


def current_version(store: CredentialStore) -> str | None:
    """The version labelled AWSCURRENT, or None."""
    return store.describe().version_for(AWSCURRENT)


iso = timestamps.iso  # outputs show seconds
