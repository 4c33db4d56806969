"""actionlint, the GitHub Actions workflow linter, built from its Go module like the Pulumi tools.

``python3 tools/actionlint_tool.py build`` builds ``github.com/rhysd/actionlint/cmd/actionlint`` at the
version ``tools/actionlint/go.mod`` pins (checksums in its go.sum) into the same cache folder as the
Pulumi tools (``$SALESFORCE_JWT_TOOLS_CACHE``, default ``~/.cache/salesforce-jwt/tools``), once per
machine and version; ``which`` prints the binary; ``run [ARGS...]`` builds if needed and runs it from
the repository root (no arguments: every file under ``.github/workflows``). Standard library only.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

try:
    from tools import pulumi_tools
except ImportError:  # run as a script (tools/ is on sys.path, the repository root is not)
    import pulumi_tools  # type: ignore[no-redef]

MODULE_DIR = pulumi_tools.TOOLS / "actionlint"
PACKAGE = "github.com/rhysd/actionlint"
COMMAND = f"{PACKAGE}/cmd/actionlint"


def pinned_version() -> str:
    """The actionlint version that tools/actionlint/go.mod requires."""
    match = re.search(
        rf"^\s*(?:require\s+)?{re.escape(PACKAGE)} (v\S+)", (MODULE_DIR / "go.mod").read_text(), re.MULTILINE
    )
    if not match:
        raise SystemExit(f"tools/actionlint/go.mod does not require {PACKAGE}")
    return match.group(1)


def binary() -> Path:
    """Where the build for this go.mod/go.sum lives (a change of either rebuilds)."""
    digest = hashlib.sha256()
    for name in ("go.mod", "go.sum"):
        digest.update(name.encode() + b"\0" + (MODULE_DIR / name).read_bytes())
    return pulumi_tools.cache_root() / f"actionlint-{pinned_version()}-{digest.hexdigest()[:12]}" / "actionlint"


def build() -> Path:
    """Build actionlint into the cache unless it is there already; returns the binary."""
    target = binary()
    if target.exists():
        return target
    if shutil.which("go") is None:
        raise SystemExit("building actionlint needs Go (1.25 or later) on PATH")
    version = pinned_version()
    print(f"== building actionlint {version} into {target.parent}", flush=True)
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="actionlint.", dir=target.parent)) / "actionlint"
    pulumi_tools.run_go(
        ["go", "build", "-trimpath", "-ldflags", f"-X {PACKAGE}.version={version}", "-o", str(staging), COMMAND],
        "compiling actionlint",
        cwd=MODULE_DIR,
    )
    staging.chmod(0o755)
    os.replace(staging, target)  # atomic: a concurrent build never sees half a binary
    shutil.rmtree(staging.parent, ignore_errors=True)
    return target


def main(argv: list[str]) -> int:
    command, args = (argv[0], argv[1:]) if argv else ("build", [])
    if command == "build":
        build()
    elif command == "which":
        print(binary())
    elif command == "run":
        return subprocess.run([str(build()), "-no-color", *args], cwd=pulumi_tools.ROOT).returncode
    else:
        print("usage: actionlint_tool.py build|which|run [ARGS...]", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
