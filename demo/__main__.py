"""`make demo`: stack `local` end to end against the emulators, in four titled sections.

Starts moto server and the Salesforce org emulator on loopback and runs the real pulumi CLI (the one
`make tools` provides: file backend, passphrase-encrypted secrets, on a scratch copy of the project
under .demo/). After the first `pulumi up`: (1) the PR preview of a rotation and its `up`;
(2) `check` today, inside the renewal window and past not-after (the org's and the check's clocks
moved), and its Prometheus text; (3) drift made out of band, found by `pulumi refresh` and
`check --drift`, repaired by `pulumi up --refresh`; (4) the integration's own login with the key
read back from AWSCURRENT. Every command's real exit code is shown. Everything it started is
stopped at the end, on failure, on Ctrl-C or SIGTERM, and when its parent (`make`) is killed.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from demo import sections
from demo.services import Services, start_services
from demo.terminal import ROOT, console
from emulator.parent_death import die_with_parent_now
from tools.pulumi_cli import Stack

PASSPHRASE = "local-demo-passphrase"


def work_dir() -> Path:
    """Where the demo's files go (``SALESFORCE_JWT_DEMO_DIR``, default .demo/); emptied first."""
    return Path(os.environ.get("SALESFORCE_JWT_DEMO_DIR") or ROOT / ".demo").resolve()


def _stack_config(services: Services) -> dict[str, str]:
    ready = services.salesforce.ready
    return {
        "salesforceLoginUrl": ready["login_url"],
        "salesforceCaBundle": ready["ca_bundle"],
        "awsEndpointUrl": services.aws.endpoint_url,
        "awsRegion": services.aws.region,
    }


def _environment(services: Services) -> dict[str, str]:
    ready = services.salesforce.ready
    return {
        "SF_ACCESS_TOKEN": ready["admin_access_token"],
        "SF_INSTANCE_URL": ready["instance_url"],
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": services.aws.region,
        "PULUMI_CONFIG_PASSPHRASE": PASSPHRASE,
    }


def _stack(work: Path, services: Services) -> Stack:
    stack = Stack(ROOT, "local", work / "pulumi", env=_environment(services), passphrase=PASSPHRASE)
    console.print(
        f"[bold]pulumi[/] {stack.run('version').check().stdout.strip()} ({stack.binary}), "
        f"file backend under {work / 'pulumi' / 'state'}"
    )
    stack.set_config(**_stack_config(services))
    return stack


def _interrupt(signum: int, _frame: object) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    die_with_parent_now(signal.SIGTERM)  # `make demo` killed: SIGTERM, so the finally below still runs
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGHUP, _interrupt)
    work = work_dir()
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    console.print("Starting moto server (AWS) and the Salesforce org emulator on 127.0.0.1 ...")
    services = start_services(work)
    try:
        os.environ.update(_environment(services))
        demo = sections.Demo(_stack(work, services), services, work)
        first = sections.first_deployment(demo)
        rotated = sections.pr_preview(demo, first)
        sections.operations(demo, rotated)
        sections.drift(demo, rotated)
        sections.integration_login(demo, rotated)
        console.print()
        console.print("[bold green]demo passed[/]")
        return 0
    except KeyboardInterrupt as stop:
        console.print(f"[red]interrupted ({stop or 'Ctrl-C'})[/]")
        return 130
    except Exception as error:
        console.print(f"[red]demo failed:[/] {error}")
        return 1
    finally:
        services.stop()
        console.print("Stopped the emulators.")


if __name__ == "__main__":
    sys.exit(main())
