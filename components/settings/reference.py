"""The generated part of docs/configuration.md: one table per section, from the models' metadata."""

from __future__ import annotations

import sys
from pathlib import Path

from components.settings.specs import SPECS, SettingSpec

DOC_BEGIN = "<!-- BEGIN GENERATED: python -m components.settings -->"
DOC_END = "<!-- END GENERATED -->"


def _row(spec: SettingSpec) -> str:
    notes = [
        " **Secret**: set it with `pulumi config set --secret`." if spec.secret else "",
        f" Environment: `{spec.env}`." if spec.env else "",
    ]
    return f"| `{spec.key}` | {spec.default} | {spec.rule}{''.join(notes)} |"


def render_reference() -> str:
    """Markdown tables of every setting (default and rule), grouped by section."""
    out: list[str] = []
    for section in dict.fromkeys(s.section for s in SPECS):
        out += [f"### {section}", "", "| Key | Default | Rule |", "|---|---|---|"]
        out += [_row(spec) for spec in SPECS if spec.section == section]
        out.append("")
    return "\n".join(out).rstrip() + "\n"


def update_reference(document: str) -> str:
    """Replace the generated block of docs/configuration.md with the current reference."""
    head, begin, rest = document.partition(DOC_BEGIN)
    _, end, tail = rest.partition(DOC_END)
    if not begin or not end:
        raise ValueError(f"the document lacks the {DOC_BEGIN!r} ... {DOC_END!r} markers")
    return f"{head}{DOC_BEGIN}\n{render_reference()}{DOC_END}{tail}"


def main(argv: list[str]) -> None:
    """No argument: print the tables; a path: rewrite its generated block in place."""
    if not argv:
        sys.stdout.write(render_reference())
        return
    target = Path(argv[0])
    target.write_text(update_reference(target.read_text()))
