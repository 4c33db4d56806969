"""`python -m benchmarks` (`make bench`): run every benchmark script, then re-print their GOAL lines.

Each ``benchmarks/<name>.py`` (helpers start with ``_``) prints its figures and one line per goal:
``GOAL <name> <measured> <target> met|missed``. The run ends with all of them, in order, and exits
non-zero only when a benchmark could not run (its script failed); a missed goal is a figure, not an error.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
GOAL = re.compile(r"^GOAL \S+ \S+ \S+ (met|missed)$")


def scripts() -> list[Path]:
    """The benchmark scripts, in name order."""
    return sorted(p for p in HERE.glob("*.py") if not p.name.startswith("_"))


def run(script: Path) -> tuple[int, list[str]]:
    """Run one script, echoing its output; (exit code, its GOAL lines)."""
    print(f"== {script.relative_to(HERE.parent)}", flush=True)
    goals = []
    with subprocess.Popen(
        [sys.executable, str(script)], cwd=HERE.parent, stdout=subprocess.PIPE, text=True, bufsize=1
    ) as process:
        assert process.stdout is not None
        for line in process.stdout:
            print(line, end="", flush=True)
            if GOAL.match(line.strip()):
                goals.append(line.strip())
    return process.returncode, goals


def main() -> int:
    goals, failed = [], []
    for script in scripts():
        code, found = run(script)
        goals += found
        if code != 0:
            failed.append(f"{script.name} (exit {code})")
    print("\n== goals")
    if failed:
        print(f"could not run: {', '.join(failed)}")
    for line in goals:
        print(line)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
