"""Operations CLI: `python -m components check | verify | preview-summary`.

Exit codes (cron/CI friendly): 0 healthy, 1 warning (inside the renewal window), 2 critical
(expired, verification failed, drift, stuck rotation, secret scheduled for deletion), 3 usage or
configuration error. Never prints a private key or an access token.
"""

from __future__ import annotations

import io
import json
import os
import re
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from enum import Enum
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from botocore.exceptions import BotoCoreError
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from components import credentials as creds
from components.credentials.aws_calls import AwsCaller
from components.health import (
    CheckReport,
    IntegrationHealth,
    LiveApp,
    Policy,
    SecretState,
    Severity,
    Verification,
    evaluate,
    unreadable,
)
from components.preview_summary import PreviewFormatError, load_preview, render_markdown, summarize
from components.reports import render_json, render_prometheus, render_table
from components.reports import render_markdown as render_check_markdown

USAGE_ERROR = int(Severity.ERROR)
MAX_CONCURRENCY = 10  # botocore's default connection pool size per client
DEFAULT_CONCURRENCY = 8
DEFAULT_VERIFY_BUDGET = 20.0
BATCH_SIZE = 20  # BatchGetSecretValue's limit for SecretIdList
PROG_NAME = "python -m components"

app = typer.Typer(
    add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
    help="Operate Salesforce JWT integrations: health checks, live logins, PR preview summaries. "
         "Exit codes: 0 healthy, 1 warning, 2 critical, 3 usage or configuration error.",
)


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    prometheus = "prometheus"


class VerifyFormat(str, Enum):
    table = "table"
    json = "json"


class Stage(str, Enum):
    AWSCURRENT = creds.AWSCURRENT
    AWSPENDING = creds.AWSPENDING


class UsageProblem(Exception):
    """Bad arguments or settings, found before any side effect (exit code 3)."""


def _stderr() -> Console:
    return Console(stderr=True, highlight=False)


# --------------------------------------------------------------------------- gathering (I/O)

def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


def _holder(versions: dict[str, tuple[str, ...]], stage: str) -> str | None:
    return next((version for version, stages in versions.items() if stage in stages), None)


@dataclass(frozen=True)
class Target:
    """One secret to check, with what a listing already told about it."""

    secret_id: str
    versions: dict[str, tuple[str, ...]] | None = None
    deleted_date: datetime | None = None


_SECRET_ARN = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+)-[A-Za-z0-9]{6}$")


def secret_name(secret_id: str) -> str:
    """The secret's name, also when given its ARN (AWS appends '-' and 6 characters to the name)."""
    match = _SECRET_ARN.match(secret_id)
    return match.group("name") if match else secret_id


def _parse_document(secret_id: str, version_id: str, text: str) -> dict[str, Any]:
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
    deployer: Any = None  # components.salesforce.session.DeployerCredentials, for --drift
    client: Any = None  # one boto3 client shared by all threads (boto3 clients are thread-safe)
    now: Callable[[], datetime] = _utcnow
    _session: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    _local: threading.local = field(default_factory=threading.local, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            try:
                self.client = creds.make_client(self.region, self.endpoint_url)
            except (ValueError, BotoCoreError) as exc:  # e.g. a malformed --endpoint-url or --region
                raise UsageProblem(f"cannot reach Secrets Manager with --region {self.region!r} and "
                                   f"--endpoint-url {self.endpoint_url!r}: {exc}") from None

    def store(self, secret_id: str) -> creds.CredentialStore:
        """The store of one secret (validates the name, region and endpoint; no I/O)."""
        return creds.CredentialStore(secret_name(secret_id), self.region, self.endpoint_url, client=self.client)

    def fetch_current(self, targets: Sequence[Target]) -> dict[str, tuple[str, str]]:
        """AWSCURRENT values of listed secrets, 20 per BatchGetSecretValue call: {name: (version, text)}.

        Best effort: whatever is missing or not the listed AWSCURRENT version (moto answers batch reads
        with a stale version after a stage move) is read one by one, with its stage, by read_state.
        """
        names = [t.secret_id for t in targets if t.versions and t.deleted_date is None]
        call = AwsCaller(self.client, creds.RetryPolicy(), "(batch)", self.endpoint_url or f"AWS ({self.region})")
        found: dict[str, tuple[str, str]] = {}
        for start in range(0, len(names), BATCH_SIZE):
            try:
                page = call("BatchGetSecretValue", SecretIdList=names[start:start + BATCH_SIZE])
            except creds.CredentialError:
                continue  # e.g. no secretsmanager:BatchGetSecretValue permission: read one by one
            for entry in page.get("SecretValues", []):
                if creds.AWSCURRENT in entry.get("VersionStages", ()) and "SecretString" in entry:
                    found[entry["Name"]] = (entry["VersionId"], entry["SecretString"])
        return found

    def read_state(self, secret_id: str, versions: dict[str, tuple[str, ...]] | None = None,
                   deleted_date: datetime | None = None,
                   prefetched: tuple[str, str] | None = None) -> SecretState:
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
        except creds.CredentialDocumentError as exc:
            return SecretState(secret_id, None, current_version=current_version, document_error=str(exc))
        pending, pending_created = None, None
        if pending_version and pending_version != current_version:
            pending_created = store.version_created(pending_version)  # when AWSPENDING was written
            try:
                pending = store.get(creds.AWSPENDING).document.to_dict()
            except creds.CredentialDocumentError:
                pending = {}  # still a pending version
        return SecretState(secret_id, current, pending=pending, pending_created=pending_created,
                           current_version=current_version)

    def verification(self, document: dict[str, Any], stage: str = creds.AWSCURRENT) -> Verification:
        """One live JWT bearer login with the stored key, exactly as the integration would do it."""
        from components.salesforce import token_exchange as tx

        try:
            login = tx.JwtLogin(
                consumer_key=document["consumer_key"], username=document["username"],
                private_key_pem=document["private_key_pem"], token_url=document["token_url"],
                audience=document["audience"], app_kind=document["app_kind"], ca_bundle=self.ca_bundle,
                budget_seconds=self.verify_budget, certificate_changed=False,
                retry=tx.RetryPolicy(max_interval=5.0), key_proven=True,
            )
            result = tx.verify_jwt_login(login, http=self._http())
        except tx.VerificationFailed as exc:
            return Verification(False, stage, attempts=exc.attempts, elapsed_seconds=exc.elapsed_seconds,
                                error=str(exc))
        except (ValueError, KeyError) as exc:
            return Verification(False, stage, error=f"cannot build the JWT login from the document: {exc}")
        return Verification(True, stage, username=result.username, org_id=result.org_id,
                            instance_url=result.instance_url, attempts=result.attempts,
                            elapsed_seconds=result.elapsed_seconds)

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

    def live_app(self, document: dict[str, Any]) -> LiveApp:
        """The app as deployed now, read through the Metadata API with the deployer's session."""
        from components.salesforce import metadata_api

        try:
            client = metadata_api.MetadataClient(self.session())
            snapshot = client.read_app(document["app_name"], document["app_kind"])
        except Exception as exc:  # noqa: BLE001 - any failure to read the org is reported, not raised
            return LiveApp(False, error=f"{type(exc).__name__}: {exc}")
        if snapshot is None:
            return LiveApp(False)
        return LiveApp(True, snapshot.certificate_fingerprint, snapshot.consumer_key,
                       tuple(snapshot.scopes), snapshot.pre_authorized)

    def inspect_many(self, targets: Sequence[Target]) -> list[IntegrationHealth]:
        """Inspect a chunk of listed secrets, reading their AWSCURRENT values in batches."""
        prefetched = self.fetch_current(targets) if len(targets) > 1 else {}
        return [self.inspect(t.secret_id, t.versions, t.deleted_date, prefetched.get(t.secret_id))
                for t in targets]

    def inspect(self, secret_id: str, versions: dict[str, tuple[str, ...]] | None = None,
                deleted_date: datetime | None = None,
                prefetched: tuple[str, str] | None = None) -> IntegrationHealth:
        """Everything `check` says about one secret; AWS errors become an exit-3 result."""
        try:
            state = self.read_state(secret_id, versions, deleted_date, prefetched)
        except (creds.CredentialError, ValueError) as exc:
            return unreadable(secret_id, str(exc))
        verification = self.verification(state.current) if state.current and self.verify else None
        live = self.live_app(state.current) if state.current and self.drift else None
        return evaluate(state, self.now(), verification=verification, live_app=live, policy=self.policy)


def chunk_size(count: int, concurrency: int, live: bool = False) -> int:
    """Secrets per worker task, at most one batch read (20) each.

    Reading only AWS, full batches are fastest (fewest round trips); with live logins or drift
    reads (slow, one per secret) the secrets are spread over all the workers instead.
    """
    if not live:
        return max(1, min(BATCH_SIZE, count))
    return max(1, min(BATCH_SIZE, -(-count // max(1, concurrency))))


def run_checks(inspector: Inspector, targets: Sequence[Target], concurrency: int,
               progress: Progress | None = None) -> list[IntegrationHealth]:
    """Inspect every target with at most `concurrency` threads; results keep the targets' order."""
    results: list[IntegrationHealth | None] = [None] * len(targets)
    live = bool(getattr(inspector, "verify", False) or getattr(inspector, "drift", False))
    size = chunk_size(len(targets), concurrency, live)
    chunks = {start: targets[start:start + size] for start in range(0, len(targets), size)}
    task = progress.add_task("checking", total=len(targets)) if progress else None
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(chunks)))) as pool:
        futures = {pool.submit(inspector.inspect_many, chunk): start for start, chunk in chunks.items()}
        for future in as_completed(futures):
            start = futures[future]
            try:
                healths = future.result()
            except Exception as exc:  # noqa: BLE001 - one broken secret must not hide the others
                healths = [unreadable(t.secret_id, f"{type(exc).__name__}: {exc}") for t in chunks[start]]
            results[start:start + len(healths)] = healths
            if progress is not None and task is not None:
                progress.advance(task, len(healths))
    return [r for r in results if r is not None]


# --------------------------------------------------------------------------- helpers

def _require_region(region: str | None) -> str:
    if not region:
        raise UsageProblem("no AWS region: pass --region or set AWS_REGION (e.g. us-east-1)")
    return region


def _deployer_credentials(login_url: str) -> Any:
    """The deployer from the environment, read by the same rules (and variable names) as the stack."""
    from components.rollout import session_credentials
    from components.salesforce.session import SessionError
    from components.settings import SettingsError, load_deployer

    try:
        return session_credentials(load_deployer({}, login_url=login_url), login_url)
    except (SettingsError, SessionError, ValueError) as exc:
        raise UsageProblem(f"--drift needs deployer credentials to read the live app: {exc}") from None


def _policy(renew_before_days: float | None, stuck_after_minutes: float,
            require_scope: list[str] | None) -> Policy:
    if renew_before_days is not None and renew_before_days <= 0:
        raise UsageProblem("--renew-before-days must be more than 0 (or left out for the last third of the lifetime)")
    scopes = frozenset(require_scope) if require_scope else Policy().required_scopes
    renew = timedelta(days=renew_before_days) if renew_before_days is not None else None
    return Policy(renew_before=renew, stuck_after=timedelta(minutes=stuck_after_minutes), required_scopes=scopes)


def _targets(inspector: Inspector, secret_ids: list[str], all_: bool, prefix: str | None) -> list[Target]:
    if not all_:
        for secret_id in secret_ids:
            inspector.store(secret_id)  # validates the name before any call
        return [Target(s) for s in dict.fromkeys(secret_ids)]
    try:
        listed = creds.list_managed_secrets(inspector.region, endpoint_url=inspector.endpoint_url,
                                            client=inspector.client, name_prefix=prefix or None)
    except creds.StoreConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except creds.CredentialError as exc:
        raise UsageProblem(f"cannot list the managed secrets: {exc}") from None
    if not listed:
        where = f" whose name starts with {prefix!r}" if prefix else ""
        raise UsageProblem(f"no secrets tagged {creds.MANAGED_BY_KEY}={creds.MANAGED_BY_VALUE}{where} in "
                           f"{inspector.region}; check --region, --endpoint-url and --prefix")
    return [Target(s.name, dict(s.versions) or None, s.deleted_date) for s in listed]


def _write(text: str, output: Path | None) -> None:
    """Print, or replace `output` atomically (a Prometheus textfile collector may be reading it)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    directory = output.resolve().parent
    with tempfile.NamedTemporaryFile("w", dir=directory, delete=False, prefix=f".{output.name}.",
                                     encoding="utf-8") as handle:
        handle.write(text)
    os.replace(handle.name, output)


def _render(report: CheckReport, output_format: OutputFormat) -> str:
    if output_format is OutputFormat.json:
        return render_json(report)
    if output_format is OutputFormat.markdown:
        return render_check_markdown(report)
    if output_format is OutputFormat.prometheus:
        return render_prometheus(report)
    console = Console(file=io.StringIO(), width=160, color_system=None, highlight=False)
    console.print(render_table(report))
    return console.file.getvalue()


def _progress(enabled: bool) -> Progress:
    console = Console(stderr=True)
    return Progress(TextColumn("[progress.description]{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True,
                    disable=not (enabled and console.is_terminal))


# --------------------------------------------------------------------------- commands

RegionOption = Annotated[Optional[str], typer.Option(
    "--region", envvar=["AWS_REGION", "AWS_DEFAULT_REGION"], help="AWS region of the secrets.")]
EndpointOption = Annotated[Optional[str], typer.Option(
    "--endpoint-url", envvar=["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"],
    help="Secrets Manager endpoint (e.g. a local moto server); default: AWS itself.")]
CaBundleOption = Annotated[Optional[Path], typer.Option(
    "--ca-bundle", envvar="SF_CA_BUNDLE", exists=True, dir_okay=False, readable=True,
    help="Extra CA bundle (PEM) for Salesforce TLS; verification always stays on.")]


@app.command()
def check(
    secret_id: Annotated[Optional[list[str]], typer.Option(
        "--secret-id", "-s", help="Secret name or ARN of one integration (repeatable).")] = None,
    all_: Annotated[bool, typer.Option(
        "--all", help="Every secret tagged managed-by=salesforce-jwt-pulumi.")] = False,
    prefix: Annotated[Optional[str], typer.Option(
        "--prefix", help="With --all: only names starting with this.")] = None,
    verify: Annotated[bool, typer.Option(
        "--verify", help="Also log in live with the stored key (JWT bearer).")] = False,
    drift: Annotated[bool, typer.Option(
        "--drift", help="Also compare the live app with the document (needs deployer credentials, SF_*).")] = False,
    output_format: Annotated[OutputFormat, typer.Option("--format", "-f", help="Output format.")] = OutputFormat.table,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the report to this file.")] = None,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
    ca_bundle: CaBundleOption = None,
    concurrency: Annotated[int, typer.Option(
        min=1, max=MAX_CONCURRENCY, help="Integrations checked at once with --all.")] = DEFAULT_CONCURRENCY,
    renew_before_days: Annotated[Optional[float], typer.Option(
        min=0.0, help="Renewal window; default: the last third of the lifetime (cert-manager).")] = None,
    stuck_after_minutes: Annotated[float, typer.Option(
        min=0.0, help="An AWSPENDING version older than this is a stuck rotation.")] = 60.0,
    verify_budget: Annotated[float, typer.Option(
        min=0.0, max=1800.0, help="Seconds --verify may retry while an app change propagates.",
    )] = DEFAULT_VERIFY_BUDGET,
    require_scope: Annotated[Optional[list[str]], typer.Option(
        "--require-scope",
        help="With --drift: OAuth scopes the live app must have (repeatable; default RefreshToken).",
    )] = None,
    login_url: Annotated[str, typer.Option(
        "--login-url", envvar="SF_LOGIN_URL",
        help="With --drift: the org's login or My Domain URL, for the deployer credentials.",
    )] = "https://login.salesforce.com",
) -> None:
    """Certificate expiry, stuck rotations, deletion marks; optionally a live login and drift."""
    secret_ids = list(secret_id or [])
    if bool(secret_ids) == all_:
        raise UsageProblem("give either --secret-id (one or more) or --all")
    if prefix and not all_:
        raise UsageProblem("--prefix only applies with --all")
    inspector = Inspector(
        _require_region(region), endpoint_url or None,
        policy=_policy(renew_before_days, stuck_after_minutes, require_scope), verify=verify, drift=drift,
        ca_bundle=str(ca_bundle) if ca_bundle else None, verify_budget=verify_budget,
        deployer=_deployer_credentials(login_url) if drift else None,
    )
    try:
        targets = _targets(inspector, secret_ids, all_, prefix)
    except (creds.StoreConfigError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None
    with _progress(all_) as progress:
        results = run_checks(inspector, targets, concurrency, progress if all_ else None)
    report = CheckReport(tuple(results), inspector.now())
    if output_format is OutputFormat.table and output is None:
        Console(highlight=False).print(render_table(report))
    else:
        _write(_render(report, output_format), output)
    raise typer.Exit(report.exit_code)


@app.command()
def verify(
    secret_id: Annotated[str, typer.Option("--secret-id", "-s", help="Secret name or ARN.")],
    stage: Annotated[Stage, typer.Option("--stage", help="Which version's key to log in with.")] = Stage.AWSCURRENT,
    output_format: Annotated[VerifyFormat, typer.Option("--format", "-f")] = VerifyFormat.table,
    region: RegionOption = None,
    endpoint_url: EndpointOption = None,
    ca_bundle: CaBundleOption = None,
    budget: Annotated[float, typer.Option(
        min=0.0, max=3600.0, help="Seconds to keep retrying while an app change propagates.")] = DEFAULT_VERIFY_BUDGET,
) -> None:
    """The JWT bearer login alone: who logged in, to which org, how fast, after how many attempts."""
    inspector = Inspector(_require_region(region), endpoint_url or None,
                          ca_bundle=str(ca_bundle) if ca_bundle else None, verify_budget=budget)
    try:
        stored = inspector.store(secret_id).get(stage.value)
    except creds.StoreConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except creds.StageNotFoundError:
        raise UsageProblem(f"secret {secret_id!r} has no {stage.value} version") from None
    except (creds.CredentialDocumentError, creds.SecretScheduledForDeletionError) as exc:
        _stderr().print(f"critical: {exc}", markup=False)
        raise typer.Exit(int(Severity.CRITICAL)) from None
    except creds.CredentialError as exc:
        raise UsageProblem(str(exc)) from None
    document = stored.document.to_dict()
    result = inspector.verification(document, stage.value)
    _write(_verify_text(secret_id, document, result, output_format), None)
    raise typer.Exit(0 if result.ok else int(Severity.CRITICAL))


def _verify_text(secret_id: str, document: dict[str, Any], result: Verification, fmt: VerifyFormat) -> str:
    if fmt is VerifyFormat.json:
        data = {"secret_id": secret_id, "stage": result.stage, "ok": result.ok, "app_name": document["app_name"],
                "username": result.username, "org_id": result.org_id, "instance_url": result.instance_url,
                "attempts": result.attempts, "elapsed_seconds": round(result.elapsed_seconds, 3),
                "error": result.error}
        return json.dumps(data, indent=2) + "\n"
    if result.ok:
        return (f"OK: {result.username} logged in to org {result.org_id} ({result.instance_url}) with the "
                f"{result.stage} key of {secret_id} in {result.elapsed_seconds:.2f} s after "
                f"{result.attempts} attempt(s)\n")
    return (f"FAILED: JWT login with the {result.stage} key of {secret_id} (app {document['app_name']}, user "
            f"{document['username']}) after {result.attempts} attempt(s): {result.error}\n")


@app.command("preview-summary")
def preview_summary(
    files: Annotated[Optional[list[Path]], typer.Argument(
        help="Files holding `pulumi preview --json` output (one per stack); '-' or none: stdin.",
        allow_dash=True)] = None,
    output: Annotated[Optional[Path], typer.Option("--output", "-o", help="Write the Markdown here.")] = None,
) -> None:
    """Markdown for a PR comment: certificate and app changes per stack, rotation, downtime risk."""
    previews = []
    for path in files or [Path("-")]:
        name = "stdin" if str(path) == "-" else str(path)
        try:
            text = sys.stdin.read() if str(path) == "-" else path.read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageProblem(f"cannot read {name}: {exc.strerror}") from None
        except UnicodeDecodeError:
            raise UsageProblem(f"{name} is not UTF-8 text; pass the output of `pulumi preview --json`") from None
        try:
            previews.append(load_preview(text))
        except PreviewFormatError as exc:
            raise UsageProblem(f"{name}: {exc}") from None
    _write(render_markdown(summarize(_merge(previews))), output)


def _merge(previews: list[dict[str, Any]]) -> dict[str, Any]:
    """One preview document out of several (one per stack)."""
    summary: dict[str, int] = {}
    for preview in previews:
        for op, count in (preview.get("changeSummary") or {}).items():
            summary[op] = summary.get(op, 0) + count
    return {"steps": [s for p in previews for s in p["steps"]], "changeSummary": summary,
            "diagnostics": [d for p in previews for d in p.get("diagnostics") or []]}


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (usage errors are 3, not click's 2)."""
    command = typer.main.get_command(app)
    try:
        result = command.main(args=list(argv) if argv is not None else None, prog_name=PROG_NAME,
                              standalone_mode=False)
    except UsageProblem as exc:
        _stderr().print(f"error: {exc}", markup=False)
        return USAGE_ERROR
    except typer.TyperException as exc:  # bad option, missing argument, no command (click's usage errors)
        show = getattr(exc, "show", None)
        if show:
            show()
        else:
            _stderr().print(f"error: {exc.format_message()}", markup=False)
        return USAGE_ERROR
    except typer.Abort:
        return 130
    return result if isinstance(result, int) else 0
