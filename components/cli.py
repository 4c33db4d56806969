"""Operations CLI: `python -m components check | verify | preview-summary` (click).

Exit codes (cron/CI friendly): 0 healthy, 1 warning (inside the renewal window), 2 critical
(expired, verification failed, drift, stuck rotation, secret scheduled for deletion), 3 usage or
configuration error. Never prints a private key or an access token.

Each command imports what it needs when it runs (the inspection service and botocore for check and
verify, rich and the renderers for reports), so a `verify` makes its few calls without loading
report, Metadata API or preview code, and `preview-summary` loads no AWS or Salesforce client.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from enum import Enum
from pathlib import Path
from typing import Any

import click

from components.credentials.names import secret_name as secret_name
from components.credentials.stages import AWSCURRENT, AWSPENDING
from components.severity import Severity
from components.usage import DEFAULT_VERIFY_BUDGET, UsageProblem

USAGE_ERROR = int(Severity.ERROR)
PROG_NAME = "python -m components"
MAX_CONCURRENCY = 10  # botocore's default connection pool size per client
DEFAULT_CONCURRENCY = 8


class OutputFormat(str, Enum):
    table = "table"
    json = "json"
    markdown = "markdown"
    prometheus = "prometheus"


class VerifyFormat(str, Enum):
    table = "table"
    json = "json"


def started() -> None:
    """The CLI has loaded what it needs: keep it out of the garbage collector's way and turn the collector
    back on, when ``python -m components`` paused it for the start (see ``components/__main__.py``)."""
    if not gc.isenabled():
        gc.freeze()
        gc.enable()


def _stderr(text: str) -> None:
    click.echo(text, err=True)


def require_writable(output: Path | None) -> None:
    """Refuse an ``--output`` that cannot be written, before any work is done."""
    if output is None:
        return
    directory = output.resolve().parent
    if output.is_dir():
        raise UsageProblem(f"--output {output} is a directory; name a file in it")
    if not directory.is_dir():
        raise UsageProblem(f"--output {output}: the directory {directory} does not exist; create it or choose another")
    if not os.access(directory, os.W_OK | os.X_OK) or (output.exists() and not os.access(output, os.W_OK)):
        raise UsageProblem(f"--output {output} is not writable by this user; choose a writable path")


def _write(text: str, output: Path | None) -> None:
    """Print, or replace `output` atomically (a Prometheus textfile collector may be reading it)."""
    if output is None:
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    import tempfile

    require_writable(output)
    temporary: str | None = None
    try:
        with tempfile.NamedTemporaryFile(
            "w", dir=output.resolve().parent, delete=False, prefix=f".{output.name}.", encoding="utf-8"
        ) as handle:
            temporary = handle.name
            handle.write(text)
        os.replace(temporary, output)
    except OSError as exc:
        if temporary is not None:
            Path(temporary).unlink(missing_ok=True)
        raise UsageProblem(f"cannot write --output {output}: {exc.strerror or exc}") from None


def _render(report: Any, output_format: OutputFormat) -> str:
    from components import reports

    if output_format is OutputFormat.json:
        return reports.render_json(report)
    if output_format is OutputFormat.markdown:
        return reports.render_check_markdown(report)
    if output_format is OutputFormat.prometheus:
        return reports.render_prometheus(report)
    return _table_text(report)


def _table_text(report: Any) -> str:
    from components.reports import render_plain

    return render_plain(report)


def _print_table(report: Any) -> None:
    """The table on stdout: rich (in colour) on a terminal, the plain layout in pipes and files."""
    if not sys.stdout.isatty():
        _write(_table_text(report), None)
        return
    from rich.console import Console

    from components.reports import render_table

    Console(highlight=False).print(render_table(report))


@contextlib.contextmanager
def _waits(status: bool) -> Iterator[Callable[[str], None]]:
    """Where long waits report: a rich status line on a terminal (``status``), else plain lines on
    stderr (dim on a terminal, above a progress bar). rich is loaded only for a terminal."""
    if not sys.stderr.isatty():
        yield lambda line: print(line, file=sys.stderr, flush=True)
        return
    from rich.console import Console

    console = Console(stderr=True, highlight=False)
    if status:
        with console.status("logging in") as shown:
            yield shown.update
    else:
        yield lambda line: console.print(line, style="dim", markup=False)


def _progress(enabled: bool) -> Any:
    """A progress bar on stderr, shown only on a terminal."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    return Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        transient=True,
        disable=not (enabled and console.is_terminal),
    )


# --------------------------------------------------------------------------- commands


def _choice(enum: type[Enum]) -> click.Choice:
    return click.Choice([member.value for member in enum])


def _aws_options(command: Any) -> Any:
    """--region, --endpoint-url and --ca-bundle, shared by check and verify."""
    command = click.option(
        "--ca-bundle",
        envvar="SF_CA_BUNDLE",
        type=click.Path(exists=True, dir_okay=False, readable=True),
        help="Extra CA bundle (PEM) for Salesforce TLS; verification always stays on.",
    )(command)
    command = click.option(
        "--endpoint-url",
        envvar=["AWS_ENDPOINT_URL_SECRETS_MANAGER", "AWS_ENDPOINT_URL"],
        help="Secrets Manager endpoint (e.g. a local moto server); default: AWS itself.",
    )(command)
    return click.option("--region", envvar=["AWS_REGION", "AWS_DEFAULT_REGION"], help="AWS region of the secrets.")(
        command
    )


@click.group(
    no_args_is_help=True,
    context_settings={"help_option_names": ["--help"]},
    help="Operate Salesforce JWT integrations: health checks, live logins, PR preview summaries. "
    "Exit codes: 0 healthy, 1 warning, 2 critical, 3 usage or configuration error.",
)
def app() -> None:
    """The command group."""


@app.command()
@click.option(
    "--secret-id", "-s", "secret_id", multiple=True, help="Secret name or ARN of one integration (repeatable)."
)
@click.option("--all", "all_", is_flag=True, help="Every secret tagged managed-by=salesforce-jwt-pulumi.")
@click.option("--prefix", help="With --all: only names starting with this.")
@click.option("--verify", is_flag=True, help="Also log in live with the stored key (JWT bearer).")
@click.option(
    "--drift", is_flag=True, help="Also compare the live app with the document (needs deployer credentials, SF_*)."
)
@click.option(
    "--format",
    "-f",
    "output_format",
    type=_choice(OutputFormat),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the report to this file.")
@_aws_options
@click.option(
    "--concurrency",
    type=click.IntRange(1, MAX_CONCURRENCY),
    default=DEFAULT_CONCURRENCY,
    show_default=True,
    help="Integrations checked at once with --all.",
)
@click.option(
    "--renew-before-days",
    type=click.FloatRange(min=0.0),
    help="Renewal window; default: the last third of the lifetime (cert-manager).",
)
@click.option(
    "--stuck-after-minutes",
    type=click.FloatRange(min=0.0),
    default=60.0,
    show_default=True,
    help="An AWSPENDING version older than this is a stuck rotation.",
)
@click.option(
    "--verify-budget",
    type=click.FloatRange(0.0, 1800.0),
    default=DEFAULT_VERIFY_BUDGET,
    show_default=True,
    help="Seconds --verify may retry while an app change propagates.",
)
@click.option(
    "--require-scope",
    multiple=True,
    help="With --drift: OAuth scopes the live app must have (repeatable; default RefreshToken).",
)
@click.option(
    "--login-url",
    envvar="SF_LOGIN_URL",
    default="https://login.salesforce.com",
    show_default=True,
    help="The org's login or My Domain URL, for the deployer credentials (--drift, live certificate).",
)
@click.option(
    "--pretend-now",
    envvar="SALESFORCE_JWT_PRETEND_NOW",
    hidden=True,
    help="Tests and the demo only: check as if it were this time (RFC 3339); the live login's "
    "JWT is dated by the same clock.",
)
def check(
    secret_id: tuple[str, ...],
    all_: bool,
    prefix: str | None,
    verify: bool,
    drift: bool,
    output_format: str,
    output: Path | None,
    region: str | None,
    endpoint_url: str | None,
    ca_bundle: str | None,
    concurrency: int,
    renew_before_days: float | None,
    stuck_after_minutes: float,
    verify_budget: float,
    require_scope: tuple[str, ...],
    login_url: str,
    pretend_now: str | None,
) -> None:
    """Certificate expiry, stuck rotations, deletion marks; optionally a live login and drift."""
    from components import inspection as ins
    from components.health import CheckReport

    require_writable(output)
    secret_ids = list(secret_id)
    if bool(secret_ids) == all_:
        raise UsageProblem("give either --secret-id (one or more) or --all")
    if prefix and not all_:
        raise UsageProblem("--prefix only applies with --all")
    try:
        clock = ins.pretend_clock(pretend_now)
    except ValueError as exc:
        raise UsageProblem(str(exc)) from None
    pretend: dict[str, Any] = {"now": clock.utcnow, "clock": clock} if clock else {}
    deployer, note = (ins.deployer_credentials(login_url), None) if drift else ins.optional_deployer(login_url)
    inspector = ins.Inspector(
        ins.require_region(region),
        endpoint_url or None,
        policy=ins.policy(renew_before_days, stuck_after_minutes, list(require_scope) or None),
        verify=verify,
        drift=drift,
        ca_bundle=ca_bundle or None,
        verify_budget=verify_budget,
        deployer=deployer,
        **pretend,
    )
    started()
    targets = _targets(inspector, secret_ids, all_, prefix)
    with _progress(all_) as progress, _waits(status=False) as waits:
        inspector.progress = waits
        results = ins.run_checks(inspector, targets, concurrency, progress if all_ else None)
    report = CheckReport(tuple(results), inspector.now(), notes=(note,) if note else ())
    if output_format == OutputFormat.table.value and output is None:
        _print_table(report)
    else:
        _write(_render(report, OutputFormat(output_format)), output)
    raise click.exceptions.Exit(report.exit_code)


def _targets(inspector: Any, secret_ids: list[str], all_: bool, prefix: str | None) -> list[Any]:
    from components import credentials as creds
    from components.inspection import targets

    try:
        return targets(inspector, secret_ids, all_, prefix)
    except (creds.StoreConfigError, ValueError) as exc:
        raise UsageProblem(str(exc)) from None


@app.command()
@click.option("--secret-id", "-s", "secret_id", required=True, help="Secret name or ARN.")
@click.option(
    "--stage",
    type=click.Choice([AWSCURRENT, AWSPENDING]),
    default=AWSCURRENT,
    show_default=True,
    help="Which version's key to log in with.",
)
@click.option("--format", "-f", "output_format", type=_choice(VerifyFormat), default="table", show_default=True)
@_aws_options
@click.option(
    "--budget",
    type=click.FloatRange(0.0, 3600.0),
    default=DEFAULT_VERIFY_BUDGET,
    show_default=True,
    help="Seconds to keep retrying while an app change propagates.",
)
def verify(
    secret_id: str,
    stage: str,
    output_format: str,
    region: str | None,
    endpoint_url: str | None,
    ca_bundle: str | None,
    budget: float,
) -> None:
    """The JWT bearer login alone: who logged in, to which org, how fast, after how many attempts."""
    from components import credentials as creds
    from components import inspection as ins

    inspector = ins.Inspector(
        ins.require_region(region), endpoint_url or None, ca_bundle=ca_bundle or None, verify_budget=budget
    )
    started()
    try:
        stored = inspector.store(secret_id).get(stage)
    except creds.StoreConfigError as exc:
        raise UsageProblem(str(exc)) from None
    except creds.StageNotFoundError:
        raise UsageProblem(f"secret {secret_id!r} has no {stage} version") from None
    except (creds.CredentialDocumentError, creds.SecretScheduledForDeletionError) as exc:
        _stderr(f"critical: {exc}")
        raise click.exceptions.Exit(int(Severity.CRITICAL)) from None
    except creds.CredentialError as exc:
        raise UsageProblem(str(exc)) from None
    document = stored.document.to_dict()
    with _waits(status=True) as waits:
        inspector.progress = waits
        result = inspector.client_login(secret_id, stage)
    _write(_verify_text(secret_id, document, result, VerifyFormat(output_format)), None)
    raise click.exceptions.Exit(0 if result.ok else int(Severity.CRITICAL))


def _verify_text(secret_id: str, document: dict[str, Any], result: Any, fmt: VerifyFormat) -> str:
    if fmt is VerifyFormat.json:
        data = {
            "secret_id": secret_id,
            "stage": result.stage,
            "ok": result.ok,
            "app_name": document["app_name"],
            "username": result.username,
            "org_id": result.org_id,
            "instance_url": result.instance_url,
            "attempts": result.attempts,
            "elapsed_seconds": round(result.elapsed_seconds, 3),
            "error": result.error,
        }
        return json.dumps(data, indent=2) + "\n"
    if result.ok:
        return (
            f"OK: {result.username} logged in to org {result.org_id} ({result.instance_url}) with the "
            f"{result.stage} key of {secret_id} in {result.elapsed_seconds:.2f} s after "
            f"{result.attempts} attempt(s)\n"
        )
    return (
        f"FAILED: JWT login with the {result.stage} key of {secret_id} (app {document['app_name']}, user "
        f"{document['username']}) after {result.attempts} attempt(s): {result.error}\n"
    )


@app.command("preview-summary")
@click.argument("files", nargs=-1, type=click.Path(allow_dash=True, path_type=Path))
@click.option("--output", "-o", type=click.Path(path_type=Path), help="Write the Markdown here.")
def preview_summary(files: tuple[Path, ...], output: Path | None) -> None:
    """Markdown for a PR comment from `pulumi preview --json` files (one per stack; '-' or none: stdin):
    certificate and app changes per stack, rotation, downtime risk."""
    from components.preview_summary import PreviewFormatError, load_preview, render_preview_markdown, summarize

    require_writable(output)
    previews = []
    for path in files or (Path("-"),):
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
    _write(render_preview_markdown(summarize(_merge(previews))), output)


def _merge(previews: list[dict[str, Any]]) -> dict[str, Any]:
    """One preview document out of several (one per stack)."""
    summary: dict[str, int] = {}
    for preview in previews:
        for op, count in (preview.get("changeSummary") or {}).items():
            summary[op] = summary.get(op, 0) + count
    return {
        "steps": [s for p in previews for s in p["steps"]],
        "changeSummary": summary,
        "diagnostics": [d for p in previews for d in p.get("diagnostics") or []],
    }


# --------------------------------------------------------------------------- entry point


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (usage errors are 3, not click's 2)."""
    try:
        result = app.main(args=list(argv) if argv is not None else None, prog_name=PROG_NAME, standalone_mode=False)
    except UsageProblem as exc:
        _stderr(f"error: {exc}")
        return USAGE_ERROR
    except click.ClickException as exc:  # bad option, missing argument, no command (click's usage errors)
        exc.show()
        return USAGE_ERROR
    except click.Abort:
        return 130
    return result if isinstance(result, int) else 0
