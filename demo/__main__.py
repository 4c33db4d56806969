"""`make demo`: stack `local` end to end against the emulators, then a rotation, then a real login.

Starts moto server and the Salesforce org emulator on loopback; runs `pulumi up` with the real CLI
(the one `make tools` provides: file backend, passphrase-encrypted secrets, on a scratch copy of the
project under .demo/); bumps the rotation counter and runs `up` again; reads the credential back
from Secrets Manager and logs in with it; stops everything it started, also on failure or Ctrl-C.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
from pathlib import Path

from rich.console import Console

from demo.services import Services, start_services
from tools.pulumi_cli import Stack

ROOT = Path(__file__).resolve().parent.parent
console = Console(highlight=False, emoji=False, soft_wrap=True)


def _stack_config(services: Services) -> dict[str, str]:
    ready = services.salesforce.ready
    return {"salesforceLoginUrl": ready["login_url"], "salesforceCaBundle": ready["ca_bundle"],
            "awsEndpointUrl": services.aws.endpoint_url, "awsRegion": services.aws.region}


def _environment(services: Services) -> dict[str, str]:
    ready = services.salesforce.ready
    return {"SF_ACCESS_TOKEN": ready["admin_access_token"], "SF_INSTANCE_URL": ready["instance_url"],
            "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": services.aws.region, "PULUMI_CONFIG_PASSPHRASE": "local-demo-passphrase"}


def _stack(work: Path, config: dict[str, str], env: dict[str, str]) -> Stack:
    stack = Stack(ROOT, "local", work / "pulumi", env=env, passphrase=env["PULUMI_CONFIG_PASSPHRASE"])
    console.print(f"[bold]pulumi[/] {stack.run('version').check().stdout.strip()} ({stack.binary}), "
                  f"file backend under {work / 'pulumi' / 'state'}")
    stack.set_config(**config)
    return stack


def _up(stack: Stack, title: str) -> dict:
    console.rule(title)
    outcome = stack.run("up", "--yes", "--skip-preview", "--stack", stack.name)
    console.print(outcome.stdout.rstrip(), markup=False)
    outcome.check()
    return stack.outputs()


def _show(title: str, outputs: dict) -> None:
    console.rule(title)
    for key in ("appName", "appKind", "consumerKey", "certificateFingerprint", "certificateNotAfter",
                "renewAfter", "secretArn", "secretVersionId", "verifiedAt", "privateKeyPem"):
        if key in outputs:
            console.print(f"  {key:<24} {outputs[key]}", markup=False)


def _login_with_stored_key(services: Services, secret_arn: str) -> None:
    """What an integration does at run time: read AWSCURRENT, sign a JWT, log in, call the API."""
    from components.cli import secret_name
    from components.credentials import AWSCURRENT, CredentialStore
    from components.salesforce.token_exchange import JwtLogin, verify_jwt_login

    store = CredentialStore(secret_name(secret_arn), services.aws.region, services.aws.endpoint_url)
    stored = store.get(AWSCURRENT)
    doc = stored.document
    result = verify_jwt_login(JwtLogin(
        consumer_key=doc.consumer_key, username=doc.username, private_key_pem=doc.private_key_pem,
        token_url=doc.token_url, audience=doc.audience, app_kind=doc.app_kind,
        ca_bundle=services.salesforce.ready["ca_bundle"], budget_seconds=60))
    console.rule("JWT login with the key read back from Secrets Manager (AWSCURRENT)")
    console.print(f"  version {stored.version_id} {list(stored.stages)}, certificate {doc.fingerprint_sha256[:23]}...")
    console.print(f"  logged in as {result.username} to org {result.org_id} after {result.attempts} attempt(s), "
                  f"{result.elapsed_seconds:.2f} s; API call OK")


def main() -> int:
    work = ROOT / ".demo"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))
    console.print("Starting moto server (AWS) and the Salesforce org emulator on 127.0.0.1 ...")
    services = start_services(work)
    try:
        os.environ.update(_environment(services))
        stack = _stack(work, _stack_config(services), _environment(services))
        first = _up(stack, "pulumi up (first deployment)")
        _show("outputs", first)
        stack.set_config(rotation=1)
        rotated = _up(stack, "pulumi up with rotation = 1 (new key deployed and verified before promotion)")
        _show("outputs after the rotation", rotated)
        console.print(f"  certificate {first['certificateFingerprint'][:23]}... -> "
                      f"{rotated['certificateFingerprint'][:23]}...")
        if rotated["certificateFingerprint"] == first["certificateFingerprint"]:
            raise RuntimeError("the rotation did not change the certificate")
        _login_with_stored_key(services, rotated["secretArn"])
        console.print("[bold green]demo passed[/]")
        return 0
    except KeyboardInterrupt:
        console.print("[red]interrupted[/]")
        return 130
    except Exception as error:  # noqa: BLE001 - the demo reports and still cleans up
        console.print(f"[red]demo failed:[/] {error}")
        return 1
    finally:
        services.stop()
        console.print("Stopped the emulators.")


if __name__ == "__main__":
    sys.exit(main())
