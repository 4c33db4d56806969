"""The inspection service behind ``check`` and ``verify``: reads integrations from AWS (and Salesforce)
and evaluates them with :mod:`components.health`. Thread-safe; I/O only, no output.

A fleet is read in batches (``BatchGetSecretValue``, 20 secrets a call), its live logins spread over
the worker threads, each worker keeping one verified HTTPS session so connections to a host are
reused; stored keys are parsed once without RSA's consistency check (they were proven before they
were promoted, see :func:`components.keys.load_stored_private_key`).
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError

from components import credentials as creds
from components.credentials.aws_calls import AwsCaller
from components.credentials.names import secret_id_for
from components.health import (
    IntegrationHealth,
    LiveApp,
    LoginCheck,
    Policy,
    SecretState,
    evaluate,
    unreadable,
)
from components.usage import DEFAULT_VERIFY_BUDGET, UsageProblem

BATCH_SIZE = 20  # BatchGetSecretValue's limit for SecretIdList


def _utcnow() -> datetime:
    return datetime.now(UTC)


class PretendClock:
    """Wall-clock time shifted to start at a given instant (``check --pretend-now``); it keeps ticking.

    Serves both as ``Inspector.now`` and as the JWT's clock (``exp`` is dated by it), so a live login
    agrees with an org emulator whose clock was moved by the same amount.
    """

    def __init__(self, start: datetime) -> None:
        self.offset = start.timestamp() - time.time()

    def now(self) -> float:
        return time.time() + self.offset

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)

    def utcnow(self) -> datetime:
        return datetime.fromtimestamp(self.now(), UTC)


def pretend_clock(text: str | None) -> PretendClock | None:
    """The clock of ``--pretend-now`` (RFC 3339; no offset means UTC), or None for the real time;
    ValueError names the option and an example."""
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"--pretend-now {text!r} is not an RFC 3339 time; use e.g. 2030-01-01T00:00:00Z") from None
    return PretendClock(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _holder(versions: dict[str, tuple[str, ...]], stage: str) -> str | None:
    return next((version for version, stages in versions.items() if stage in stages), None)


@dataclass(frozen=True)
class Target:
    """One secret to check, with what a listing already told about it."""

    secret_id: str
    versions: dict[str, tuple[str, ...]] | None = None
    deleted_date: datetime | None = None


def _parse_document(secret_id: str, version_id: str, text: str) -> dict[str, Any]:
    if creds.is_not_provisioned(text):
        raise creds.NotProvisionedError(f"Secret '{secret_id}' version {version_id} is the placeholder")
    try:
        return creds.CredentialDocument.from_json(text).to_dict()
    except creds.CredentialDocumentError as exc:
        raise creds.CredentialDocumentError(f"Secret '{secret_id}' version {version_id}: {exc}") from None


@dataclass
class Inspector:
    """Reads one integration's state from AWS (and Salesforce) and evaluates it. Thread-safe."""

    region: str
    endpoint_url: str | None = None
    policy: Policy = field(default_factory=Policy)
    verify: bool = False
    drift: bool = False
    ca_bundle: str | None = None
    verify_budget: float = DEFAULT_VERIFY_BUDGET
    deployer: Any = None  # components.salesforce.session.DeployerAuth: --drift, or the live certificate
    client: Any = None  # one boto3 client shared by all threads (boto3 clients are thread-safe)
    now: Callable[[], datetime] = _utcnow
    clock: Any = None  # components.salesforce.token_exchange.Clock for the JWT; None: the system clock
    progress: Any = None  # components.progress.Report: hears about live logins that keep waiting
    _session: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            try:
                self.client = creds.make_client(self.region, self.endpoint_url)
            except (ValueError, BotoCoreError) as exc:  # e.g. a malformed --endpoint-url or --region
                raise UsageProblem(
                    f"cannot reach Secrets Manager with --region {self.region!r} and "
                    f"--endpoint-url {self.endpoint_url!r}: {exc}"
                ) from None

    def store(self, secret_id: str) -> creds.CredentialStore:
        """The store of one secret (validates the name, region and endpoint; no I/O)."""
        return creds.CredentialStore(
            secret_id_for(secret_id, self.region), self.region, self.endpoint_url, client=self.client
        )

    def fetch_current(self, targets: Sequence[Target]) -> dict[str, tuple[str, str]]:
        """AWSCURRENT values of listed secrets, 20 per BatchGetSecretValue call: {name: (version, text)}.

        Best effort: whatever is missing or not the listed AWSCURRENT version (moto answers batch reads
        with a stale version after a stage move) is read one by one, with its stage, by read_state.
        """
        names = [t.secret_id for t in targets if t.versions and t.deleted_date is None]
        call = AwsCaller(self.client, creds.AwsRetryPolicy(), "(batch)", self.endpoint_url or f"AWS ({self.region})")
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(names), BATCH_SIZE):
            try:
                page = call("BatchGetSecretValue", SecretIdList=names[start : start + BATCH_SIZE])
            except creds.CredentialError:
                continue  # e.g. no secretsmanager:BatchGetSecretValue permission: read one by one
            for entry in page.get("SecretValues", []):
                if creds.AWSCURRENT in entry.get("VersionStages", ()) and "SecretString" in entry:
                    found[entry["Name"]] = (entry["VersionId"], entry["SecretString"])
        return found

    def read_state(
        self,
        secret_id: str,
        versions: dict[str, tuple[str, ...]] | None = None,
        deleted_date: datetime | None = None,
        prefetched: tuple[str, str] | None = None,
    ) -> SecretState:
        """Documents at AWSCURRENT and AWSPENDING, and the deletion mark (versions: from a listing)."""
        store = self.store(secret_id)
        if not versions:
            description = store.describe()
            versions, deleted_date = dict(description.versions), description.deleted_date
        current_version, pending_version = _holder(versions, creds.AWSCURRENT), _holder(versions, creds.AWSPENDING)
        if deleted_date is not None:  # AWS refuses to read a secret scheduled for deletion
            return SecretState(secret_id, None, deletion_date=deleted_date, current_version=current_version)
        try:
            if prefetched is not None and prefetched[0] == current_version:
                current: dict[str, Any] | None = _parse_document(secret_id, *prefetched)
            else:
                current = store.get(creds.AWSCURRENT).document.to_dict() if current_version else None
        except creds.NotProvisionedError:
            return SecretState(secret_id, None, current_version=current_version, not_provisioned=True)
        except creds.CredentialDocumentError as exc:
            return SecretState(secret_id, None, current_version=current_version, document_error=str(exc))
        pending, pending_created = None, None
        if pending_version and pending_version != current_version:
            pending_created = store.version_created(pending_version)  # when AWSPENDING was written
            try:
                pending = store.get(creds.AWSPENDING).document.to_dict()
            except creds.CredentialDocumentError:
                pending = {}  # still a pending version
        return SecretState(
            secret_id, current, pending=pending, pending_created=pending_created, current_version=current_version
        )

    def client_login(self, secret_id: str, stage: str) -> LoginCheck:
        """One live login through the runtime client (the integrations' own code path), pinned to
        ``stage``: what ``verify`` and ``check --verify`` report. The store and the TLS session are
        shared with the rest of the inspection (connections are reused per host)."""
        from components.client import ClientOptions, LoginFailed, SalesforceJwtClient

        client = SalesforceJwtClient(
            secret_id,
            region=self.region,
            endpoint_url=self.endpoint_url,
            ca_bundle=self.ca_bundle,
            store=self.store(secret_id),
            clock=self.clock,
            options=ClientOptions(wait_seconds=self.verify_budget),
            http=self._http(),
            progress=self.progress,
        )
        try:
            result = client.login(stage=stage)
        except LoginFailed as exc:
            return LoginCheck(False, stage, attempts=exc.attempts, elapsed_seconds=exc.elapsed_seconds, error=str(exc))
        return LoginCheck(
            True,
            result.stage,
            username=result.username,
            org_id=result.org_id,
            instance_url=result.instance_url,
            attempts=result.attempts,
            elapsed_seconds=result.elapsed_seconds,
        )

    def _http(self) -> Any:
        """One verified requests session per worker thread, so TLS connections are reused."""
        from components.salesforce import token_exchange as tx

        http = getattr(self._local, "http", None)
        if http is None:
            http = self._local.http = tx.verified_session(self.ca_bundle)
        return http

    def session(self) -> Any:
        """The deployer's Salesforce session, opened once and shared by the worker threads."""
        from components.salesforce import session as sf_session

        with self._lock:
            if self._session is None:
                self._session = sf_session.open_session(self.deployer, ca_bundle=self.ca_bundle)
            return self._session

    def live_app(self, document: Mapping[str, Any]) -> LiveApp:
        """The app as deployed now, read through the Metadata API with the deployer's session."""
        from components.salesforce import metadata_api

        try:
            client = metadata_api.MetadataClient(self.session())
            snapshot = client.read_app(document["app_name"], document["app_kind"])
        except Exception as exc:
            return LiveApp(False, error=f"{type(exc).__name__}: {exc}")
        if snapshot is None:
            return LiveApp(False)
        return LiveApp(
            True,
            snapshot.certificate_fingerprint,
            snapshot.consumer_key,
            tuple(snapshot.scopes),
            snapshot.pre_authorized,
        )

    def inspect_many(self, targets: Sequence[Target]) -> list[IntegrationHealth]:
        """Inspect a chunk of listed secrets, reading their AWSCURRENT values in batches."""
        prefetched = self.fetch_current(targets) if len(targets) > 1 else {}
        return [self.inspect(t.secret_id, t.versions, t.deleted_date, prefetched.get(t.secret_id)) for t in targets]

    def inspect(
        self,
        secret_id: str,
        versions: dict[str, tuple[str, ...]] | None = None,
        deleted_date: datetime | None = None,
        prefetched: tuple[str, str] | None = None,
    ) -> IntegrationHealth:
        """Everything `check` says about one secret; AWS errors become an exit-3 result."""
        try:
            state = self.read_state(secret_id, versions, deleted_date, prefetched)
        except (creds.CredentialError, ValueError) as exc:
            return unreadable(secret_id, str(exc))
        verification = self.client_login(secret_id, creds.AWSCURRENT) if state.current and self.verify else None
        live = self.live_app(state.current) if state.current and (self.drift or self.deployer) else None
        return evaluate(
            state,
            self.now(),
            verification=verification,
            live_app=live,
            policy=self.policy,
            certificate_only=not self.drift,
        )


def chunk_size(count: int, concurrency: int, live: bool = False) -> int:
    """Secrets per worker task, at most one batch read (20) each.

    Reading only AWS, full batches are fastest (fewest round trips); with live logins or drift
    reads (slow, one per secret) the secrets are spread over all the workers instead.
    """
    if not live:
        return max(1, min(BATCH_SIZE, count))
    return max(1, min(BATCH_SIZE, -(-count // max(1, concurrency))))


def run_checks(
    inspector: Inspector, targets: Sequence[Target], concurrency: int, progress: Any = None
) -> list[IntegrationHealth]:
    """Inspect every target with at most `concurrency` threads; results keep the targets' order."""
    results: list[IntegrationHealth | None] = [None] * len(targets)
    live = any(getattr(inspector, name, None) for name in ("verify", "drift", "deployer"))
    size = chunk_size(len(targets), concurrency, live)
    chunks = {start: targets[start : start + size] for start in range(0, len(targets), size)}
    task = progress.add_task("checking", total=len(targets)) if progress else None
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(chunks)))) as pool:
        futures = {pool.submit(inspector.inspect_many, chunk): start for start, chunk in chunks.items()}
        for future in as_completed(futures):
            start = futures[future]
            try:
                healths = future.result()
            except Exception as exc:
                healths = [unreadable(t.secret_id, f"{type(exc).__name__}: {exc}") for t in chunks[start]]
            results[start : start + len(healths)] = healths
            if progress is not None and task is not None:
                progress.advance(task, len(healths))
    return [r for r in results if r is not None]


def require_region(region: str | None) -> str:
    if not region:
        raise UsageProblem("no AWS region: pass --region or set AWS_REGION (e.g. us-east-1)")
    return region


class NoDeployer(Exception):
    """No usable deployer credentials in the environment."""


def _environment_deployer(login_url: str) -> Any:
    from components.rollout import session_credentials
    from components.salesforce.session import SessionError
    from components.settings import DEPLOYER_ENV, SettingsError, load_deployer

    if not any(os.environ.get(name, "").strip() for name in DEPLOYER_ENV.values()):
        raise NoDeployer("no deployer credentials in the environment")
    if not login_url.lower().startswith("https://"):
        raise NoDeployer(
            f"--login-url (or SF_LOGIN_URL) {login_url!r} must be an https:// URL, the org's login or My Domain "
            "URL (e.g. https://login.salesforce.com); TLS verification is never turned off"
        )
    try:
        return session_credentials(load_deployer({}, login_url=login_url), login_url)
    except SettingsError as exc:
        raise NoDeployer("; ".join(str(problem) for problem in exc.problems)) from None
    except (SessionError, ValueError) as exc:
        raise NoDeployer(str(exc)) from None


def deployer_credentials(login_url: str) -> Any:
    """The deployer from the environment, read by the same rules (and variable names) as the stack."""
    try:
        return _environment_deployer(login_url)
    except NoDeployer as exc:
        raise UsageProblem(f"--drift needs deployer credentials to read the live app: {exc}") from None


def optional_deployer(login_url: str) -> tuple[Any, str | None]:
    """(deployer, None) when the environment has usable deployer credentials, else (None, the note
    that says why the live certificates were not compared)."""
    try:
        return _environment_deployer(login_url), None
    except NoDeployer as exc:
        return None, (
            f"The apps' live certificates were not compared with AWSCURRENT ({exc}); set the deployer "
            "credentials (SFDX_AUTH_URL, SF_ACCESS_TOKEN + SF_INSTANCE_URL, ... as for `pulumi up`) or use --drift."
        )


def policy(renew_before_days: float | None, stuck_after_minutes: float, require_scope: list[str] | None) -> Policy:
    if renew_before_days is not None and renew_before_days <= 0:
        raise UsageProblem("--renew-before-days must be more than 0 (or left out for the last third of the lifetime)")
    scopes = frozenset(require_scope) if require_scope else Policy().required_scopes
    renew = timedelta(days=renew_before_days) if renew_before_days is not None else None
    return Policy(renew_before=renew, stuck_after=timedelta(minutes=stuck_after_minutes), required_scopes=scopes)


def targets(inspector: Inspector, secret_ids: list[str], all_: bool, prefix: str | None) -> list[Target]:
    if not all_:
        for secret_id in secret_ids:
            inspector.store(secret_id)  # validates the name before any call
        return [Target(s) for s in dict.fromkeys(secret_ids)]
    try:
        listed = creds.list_managed_secrets(
            inspector.region, endpoint_url=inspector.endpoint_url, client=inspector.client, name_prefix=prefix or None
        )
    except creds.StoreConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except creds.CredentialError as exc:
        raise UsageProblem(f"cannot list the managed secrets: {exc}") from None
    if not listed:
        where = f" whose name starts with {prefix!r}" if prefix else ""
        raise UsageProblem(
            f"no secrets tagged {creds.MANAGED_BY_KEY}={creds.MANAGED_BY_VALUE}{where} in "
            f"{inspector.region}; check --region, --endpoint-url and --prefix"
        )
    return [Target(s.name, dict(s.versions) or None, s.deleted_date) for s in listed]
