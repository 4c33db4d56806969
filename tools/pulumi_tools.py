"""The real Pulumi CLI for this project: found on PATH, or built from Go modules into a cache folder.

``python3 tools/pulumi_tools.py build`` builds, once per machine and version, into
``$SALESFORCE_JWT_TOOLS_CACHE`` (default ``~/.cache/salesforce-jwt/tools``):

- ``pulumi`` — ``github.com/pulumi/pulumi/pkg/v3/cmd/pulumi`` at the version this folder's go.mod pins
  (checksums in go.sum);
- ``pulumi-language-python`` — this project's language host (``cmd/pulumi-language-python``), with
  ``pulumi-language-python-exec`` beside it;
- ``pulumi-resource-pulumi-python`` — the dynamic-provider host script;

the two scripts are the files of the same ``sdk/v3`` module release. ``which`` prints the path of the
``pulumi`` binary the project uses; ``path`` the folders to put first on PATH (the CLI's folder and
the TLS stand-in plugin's). Standard library only: it runs before the virtualenv exists.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

TOOLS = Path(__file__).resolve().parent
ROOT = TOOLS.parent
TLS_PLUGIN_BIN = ROOT / "emulator" / "tls_plugin" / "bin"
PKG = "github.com/pulumi/pulumi/pkg/v3"
SDK = "github.com/pulumi/pulumi/sdk/v3"
MINIMUM = (3, 226, 0)  # `--expect-no-changes` exits 7 and `replacement_trigger` is honoured from here on
SCRIPTS = {
    "python/cmd/pulumi-language-python-exec": "pulumi-language-python-exec",
    "python/dist/pulumi-resource-pulumi-python": "pulumi-resource-pulumi-python",
}
HEARTBEAT_SECONDS = 30


def pinned_version() -> str:
    """The pkg/v3 version that go.mod requires."""
    match = re.search(rf"^\s*{re.escape(PKG)} (v\S+)", (TOOLS / "go.mod").read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"tools/go.mod does not require {PKG}")
    return match.group(1)


def cache_root() -> Path:
    default = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "salesforce-jwt" / "tools"
    return Path(os.environ.get("SALESFORCE_JWT_TOOLS_CACHE", default))


def build_key() -> str:
    """Version plus a digest of everything the build reads, so a change rebuilds."""
    digest = hashlib.sha256()
    for path in sorted([TOOLS / "go.mod", TOOLS / "go.sum", *TOOLS.glob("cmd/**/*.go")]):
        digest.update(path.relative_to(TOOLS).as_posix().encode() + b"\0" + path.read_bytes())
    return f"{pinned_version()}-{digest.hexdigest()[:12]}"


def built_bin() -> Path:
    return cache_root() / build_key() / "bin"


def version_of(binary: str) -> tuple[int, ...] | None:
    """The version a pulumi binary reports, or None when it cannot say."""
    try:
        out = subprocess.run(
            [binary, "version"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "PULUMI_SKIP_UPDATE_CHECK": "true"},
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"v?(\d+)\.(\d+)\.(\d+)", out)
    return tuple(int(part) for part in match.groups()) if match else None


def ambient_pulumi() -> Path | None:
    """A pulumi on PATH (outside our cache) recent enough for this project, if any."""
    found = shutil.which("pulumi")
    if not found or Path(found).resolve().is_relative_to(cache_root().resolve()):
        return None
    version = version_of(found)
    return Path(found) if version and version >= MINIMUM else None


def pulumi_bin_dir() -> Path:
    """The folder of the pulumi binary the project uses (``PULUMI_TOOLS_BIN`` overrides)."""
    if os.environ.get("PULUMI_TOOLS_BIN"):
        return Path(os.environ["PULUMI_TOOLS_BIN"])
    ambient = ambient_pulumi()
    return ambient.parent if ambient else built_bin()


def _run(args: list[str], what: str, cwd: Path = TOOLS) -> str:
    """Run a go command, printing a line every HEARTBEAT_SECONDS so long builds show progress."""
    started = time.monotonic()
    done = threading.Event()

    def heartbeat() -> None:
        while not done.wait(HEARTBEAT_SECONDS):
            print(f"   … {what}: {time.monotonic() - started:.0f} s", flush=True)

    threading.Thread(target=heartbeat, daemon=True).start()
    env = {**os.environ, "CGO_ENABLED": "0", "GOTOOLCHAIN": "local", "GOFLAGS": "-mod=readonly -buildvcs=false"}
    try:
        result = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True)
    finally:
        done.set()
    if result.returncode != 0:
        raise SystemExit(f"{what} failed:\n{result.stderr[-4000:]}")
    print(f"   {what}: done in {time.monotonic() - started:.0f} s", flush=True)
    return result.stdout


run_go = _run  # the same Go build environment for tools/actionlint_tool.py


def build() -> Path:
    """Build the tools into the cache unless they are there already; returns their folder."""
    target = built_bin()
    if (target / ".complete").exists():
        return target
    if shutil.which("go") is None:
        raise SystemExit("building the Pulumi CLI needs Go (1.26 or later) on PATH")
    version = pinned_version()
    print(
        f"== building the Pulumi CLI {version} and the Python language host into {target} "
        "(once per machine; a cold build downloads ~1.5 GB of Go modules)",
        flush=True,
    )
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix="bin.", dir=target.parent))
    ldflags = f"-X {SDK}/go/common/version.Version={version}"
    _run(["go", "mod", "download", PKG, SDK], "downloading modules")
    _run(
        ["go", "build", "-trimpath", "-ldflags", ldflags, "-o", str(staging / "pulumi"), f"{PKG}/cmd/pulumi"],
        "compiling pulumi",
    )
    _run(
        [
            "go",
            "build",
            "-trimpath",
            "-ldflags",
            ldflags,
            "-o",
            str(staging / "pulumi-language-python"),
            "./cmd/pulumi-language-python",
        ],
        "compiling pulumi-language-python",
    )
    sdk_dir = Path(_run(["go", "list", "-m", "-f", "{{.Dir}}", SDK], "locating the sdk module").strip())
    for source, name in SCRIPTS.items():
        shutil.copyfile(sdk_dir / source, staging / name)
    for binary in staging.iterdir():
        binary.chmod(0o755)
    (staging / ".complete").write_text(version + "\n")
    if target.exists():
        shutil.rmtree(target)
    staging.rename(target)
    return target


def search_path() -> str:
    """PATH entries to put first: the CLI's folder and the TLS stand-in plugin's."""
    return os.pathsep.join([str(pulumi_bin_dir()), str(TLS_PLUGIN_BIN)])


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "build"
    if command == "build":
        if ambient_pulumi() and not os.environ.get("PULUMI_TOOLS_BIN"):
            print(f"== using the pulumi CLI on PATH: {ambient_pulumi()}")
        else:
            build()
    elif command == "which":
        print(pulumi_bin_dir() / "pulumi")
    elif command == "path":
        print(search_path())
    else:
        print("usage: pulumi_tools.py build|which|path", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
