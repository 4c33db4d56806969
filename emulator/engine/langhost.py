"""Runs a Pulumi Python program the way ``pulumi-language-python-exec`` does (executed as a script).

Usage: ``python -u langhost.py --monitor ADDR --engine ADDR --project P --stack S --dry-run true|false DIR``.
Config comes from ``PULUMI_CONFIG`` / ``PULUMI_CONFIG_SECRET_KEYS``. Imports only the stdlib and pulumi.
"""

import os
import sys

# Run as a script, this file's directory is sys.path[0]; drop it so the program cannot import engine modules.
if sys.path and os.path.abspath(sys.path[0]) == os.path.dirname(os.path.abspath(__file__)):
    del sys.path[0]

import argparse  # noqa: E402
import asyncio  # noqa: E402
import logging  # noqa: E402
import runpy  # noqa: E402
import traceback  # noqa: E402

import pulumi  # noqa: E402
import pulumi.runtime  # noqa: E402


def _arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Execute a Pulumi Python program (offline engine)")
    for option in ("--monitor", "--engine", "--project", "--stack", "--organization"):
        parser.add_argument(option, required=option != "--organization")
    parser.add_argument("--dry-run", default="false")
    parser.add_argument("--parallel", type=int, default=4)
    parser.add_argument("program")
    return parser.parse_args()


def main() -> int:
    """Configure the SDK against the engine's monitor, run ``__main__.py`` in the stack, return the exit code."""
    args = _arguments()
    pulumi.runtime.set_all_config(pulumi.runtime.get_config_env(), pulumi.runtime.get_config_secret_keys_env())
    pulumi.runtime.configure(pulumi.runtime.Settings(
        monitor=args.monitor, engine=args.engine, project=args.project, stack=args.stack,
        parallel=args.parallel, dry_run=args.dry_run == "true", organization=args.organization or "organization",
        root_directory=os.path.abspath(args.program),
    ))
    os.chdir(args.program)
    sys.argv = [args.program]
    logging.getLogger("asyncio").setLevel(logging.CRITICAL)
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(pulumi.runtime.run_in_stack(lambda: runpy.run_path(".", run_name="__main__")))
        return 0
    except pulumi.RunError as error:
        pulumi.log.error(str(error))
    except Exception:  # noqa: BLE001 - the language host reports any program failure the same way
        pulumi.log.error("Program failed with an unhandled exception:\n" + traceback.format_exc())
    finally:
        loop.close()
        sys.stdout.flush()
        sys.stderr.flush()
    return 1


if __name__ == "__main__":
    sys.exit(main())
