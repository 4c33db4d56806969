"""CLI: ``python -m emulator.engine [--cwd DIR] [--stack NAME] [--state-dir DIR] COMMAND``.

Exit codes: 0 ok, 1 error, 2 changes found with ``--expect-no-changes``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Optional

import typer

from .engine import BANNER, Engine, EngineError, RunResult
from .render import render_outputs, render_run

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help=f"{BANNER}: preview/up/refresh/destroy a Pulumi Python project without the Pulumi CLI.")

ConfigOpt = typer.Option([], "--config", "-c", help="Config override key=value (repeatable).")
SecretOpt = typer.Option([], "--secret", help="Secret config key=value (repeatable); marked secret for the program.")


@dataclass
class Globals:
    """Options given before the command."""

    cwd: Path = Path(".")
    stack: str = "dev"
    state_dir: Optional[Path] = None
    config: list[str] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


@app.callback()
def main(ctx: typer.Context,
         cwd: Path = typer.Option(Path("."), "--cwd", "-C", help="Project directory (holds Pulumi.yaml)."),
         stack: str = typer.Option("dev", "--stack", "-s", help="Stack name (reads Pulumi.<stack>.yaml)."),
         state_dir: Optional[Path] = typer.Option(None, "--state-dir", help="State directory (default <project>/.state)."),
         config: list[str] = ConfigOpt, secret: list[str] = SecretOpt) -> None:
    """Offline stand-in for the Pulumi CLI, for tests and the demo."""
    ctx.obj = Globals(cwd, stack, state_dir, list(config), list(secret))


def _engine(ctx: typer.Context, config: list[str], secrets: list[str]) -> Engine:
    options: Globals = ctx.obj
    try:
        return Engine(options.cwd, options.stack, options.state_dir,
                      config=options.config + list(config), secrets=options.secrets + list(secrets))
    except EngineError as error:
        typer.echo(f"error: {error}", err=True)
        raise typer.Exit(1) from None


def _finish(result: RunResult, as_json: bool = False, diff: bool = False) -> None:
    stream_err = as_json
    for message in result.messages:
        typer.echo(message, err=stream_err)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        for error in result.errors:
            typer.echo(f"error: {error}", err=True)
    else:
        typer.echo(render_run(result, diff=diff))
    if result.exit_code == 2:
        typer.echo("error: changes were found but --expect-no-changes was given", err=True)
    raise typer.Exit(result.exit_code)


@app.command()
def preview(ctx: typer.Context, json_: bool = typer.Option(False, "--json", help="Print the preview as JSON."),
            diff: bool = typer.Option(False, "--diff", help="Show a per-property diff."),
            expect_no_changes: bool = typer.Option(False, "--expect-no-changes", help="Exit 2 if anything would change."),
            config: list[str] = ConfigOpt, secret: list[str] = SecretOpt) -> None:
    """Show what `up` would do (Check/Diff only; nothing is created, state untouched)."""
    _finish(_engine(ctx, config, secret).preview(expect_no_changes=expect_no_changes), json_, diff)


@app.command()
def up(ctx: typer.Context, yes: bool = typer.Option(False, "--yes", "-y", help="Accepted for CLI compatibility."),
       diff: bool = typer.Option(False, "--diff", help="Show a per-property diff."),
       config: list[str] = ConfigOpt, secret: list[str] = SecretOpt) -> None:
    """Run the program and apply the changes."""
    _finish(_engine(ctx, config, secret).up(), diff=diff)


@app.command()
def refresh(ctx: typer.Context, yes: bool = typer.Option(False, "--yes", "-y", help="Accepted for CLI compatibility."),
            preview_only: bool = typer.Option(False, "--preview-only", help="Report drift without writing state."),
            expect_no_changes: bool = typer.Option(False, "--expect-no-changes", help="Exit 2 on drift."),
            diff: bool = typer.Option(False, "--diff", help="Show a per-property diff."),
            config: list[str] = ConfigOpt, secret: list[str] = SecretOpt) -> None:
    """Read every resource back from its provider and record drift."""
    engine = _engine(ctx, config, secret)
    _finish(engine.refresh(preview_only=preview_only, expect_no_changes=expect_no_changes), diff=diff)


@app.command()
def destroy(ctx: typer.Context, yes: bool = typer.Option(False, "--yes", "-y", help="Accepted for CLI compatibility."),
            config: list[str] = ConfigOpt, secret: list[str] = SecretOpt) -> None:
    """Delete every resource of the stack (refuses if any is protected)."""
    _finish(_engine(ctx, config, secret).destroy())


@app.command()
def outputs(ctx: typer.Context, show_secrets: bool = typer.Option(False, "--show-secrets", help="Reveal secret outputs."),
            json_: bool = typer.Option(False, "--json", help="Print the outputs as JSON.")) -> None:
    """Print the stack outputs from state (secrets as "[secret]" unless --show-secrets)."""
    engine = _engine(ctx, [], [])
    typer.echo(BANNER, err=json_)
    values = engine.outputs(show_secrets=show_secrets)
    typer.echo(json.dumps(values, indent=2, sort_keys=True) if json_ else render_outputs(values))


if __name__ == "__main__":
    sys.exit(app())
