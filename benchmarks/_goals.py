"""The one way benchmarks report a goal: ``GOAL <name> <measured> <target> met|missed``."""

from __future__ import annotations


def goal(name: str, measured: float | int | str, target: float | int, met: bool) -> str:
    """Print (and return) the goal line; ``measured`` is a number, or ``n/a`` when it could not be had."""
    shown = measured if isinstance(measured, str) else (f"{measured:.3g}" if isinstance(measured, float) else measured)
    line = f"GOAL {name} {shown} {target:g} {'met' if met else 'missed'}"
    print(line, flush=True)
    return line
