"""How the demo talks: titled sections, each command as it is typed, its output and its real exit code."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from rich.console import Console

ROOT = Path(__file__).resolve().parent.parent
console = Console(highlight=False, emoji=False, soft_wrap=True)
COMMAND_TIMEOUT = 300


@dataclass(frozen=True)
class Ran:
    """A finished command: what it printed and how it exited."""

    argv: tuple[str, ...]
    exit_code: int
    stdout: str
    stderr: str


def section(title: str, subtitle: str) -> None:
    console.print()
    console.rule(f"[bold]{title}[/]", align="left")
    console.print(f"[bold]{subtitle}[/]")


def note(text: str) -> None:
    console.print(f"[dim]# {text}[/]")


def typed(argv: Sequence[str]) -> None:
    """Show a command the way a reader would type it."""
    shown = ["python" if part == sys.executable else part for part in argv]
    console.print(f"[bold cyan]$[/] {' '.join(_quote(p) for p in shown)}", markup=True)


def _quote(part: str) -> str:
    return f"'{part}'" if not part or any(c in part for c in ' {}"*|;&$') else part


def exit_code(code: int, meaning: str, expected: int | None = None) -> None:
    """The command's real exit code, what it means, and whether the demo expected it."""
    style = "green" if code == 0 else "yellow" if code in (1, 7) else "red"
    verdict = "" if expected is None else (" (as expected)" if code == expected else f" (expected {expected})")
    console.print(f"[{style}]-> exit {code}[/]: {meaning}{verdict}")


def run(argv: Sequence[str], env: Mapping[str, str] | None = None, show_output: bool = True) -> Ran:
    """Run a command from the project folder, print it, its output and nothing secret."""
    typed(argv)
    completed = subprocess.run(
        list(argv),
        cwd=ROOT,
        env={**os.environ, "COLUMNS": "150", **(env or {})},
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
    )
    if show_output:
        output(completed.stdout)
        output(completed.stderr)
    return Ran(tuple(argv), completed.returncode, completed.stdout, completed.stderr)


def output(text: str, keep: Callable[[str], bool] | None = None) -> None:
    """Print a command's output; ``keep`` picks lines (the caller says what it left out)."""
    lines = [line for line in text.rstrip().splitlines() if keep is None or keep(line)]
    if any(line.strip() for line in lines):
        console.print("\n".join(lines), markup=False)


class DemoFailed(RuntimeError):
    """A step did not do what the demo shows it doing."""


def expect(ran_code: int, wanted: int, what: str) -> None:
    if ran_code != wanted:
        raise DemoFailed(f"{what} exited {ran_code}, expected {wanted}")


_PLUGIN_WARNING = re.compile(r"\s*(warning: )?using pulumi-resource-tls from \$PATH at \S+")
_CHANGED = ("~ ", "+ ", "- ", "+-", "++", "--", "[id=")


def without_plugin_warnings(text: str) -> str:
    """The CLI's output minus its warning that the stand-in TLS plugin comes from PATH (docs/tls-plugin.md)."""
    lines: list[str] = []
    for line in text.splitlines():
        cleaned = _PLUGIN_WARNING.sub("", line).rstrip()
        if cleaned != line.rstrip() and (not cleaned.strip() or cleaned.strip().endswith("salesforce-jwt-local")):
            continue  # the line said nothing else
        if not (lines and cleaned.strip() and cleaned == lines[-1]):
            lines.append(cleaned)
    kept: list[str] = []
    index = 0
    while index < len(lines):
        if lines[index] == "Diagnostics:":  # a block left with resource headers only goes too
            end = next((i for i in range(index + 1, len(lines)) if not lines[i].strip()), len(lines))
            if all(line.strip().endswith("):") for line in lines[index + 1 : end]):
                index = end + 1
                continue
        kept.append(re.sub(r"\s+\d+ warnings?$", "", lines[index]))
        index += 1
    return "\n".join(kept)


def changed_lines_only(line: str) -> bool:
    """For a ``--diff`` listing: resource headers, changed properties and the summary, not every property."""
    stripped = line.strip()
    return not line.startswith(" ") or stripped.startswith(_CHANGED) or bool(re.fullmatch(r"\d+ unchanged", stripped))
