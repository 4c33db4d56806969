"""The demo's sections: first deployment, PR preview, operations, drift, and the integration's own login.

Each one runs the real commands a user runs (the pulumi CLI, ``python -m components ...``), prints
their output and their real exit codes, and fails the demo when a code is not the one it shows.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from components.credentials import AWSCURRENT, AWSPREVIOUS, CredentialStore
from components.credentials.names import secret_name as name_of_secret
from components.health import Severity
from components.salesforce.token_exchange import JwtLogin, verify_jwt_login
from demo.org import OrgClock, OrgControl
from demo.services import Services
from demo.terminal import (
    ROOT,
    DemoFailed,
    changed_lines_only,
    console,
    exit_code,
    expect,
    note,
    output,
    run,
    section,
    typed,
    without_plugin_warnings,
)
from tools.pulumi_cli import Outcome, Stack

EXPECT_NO_CHANGES_EXIT = 7  # `pulumi refresh --expect-no-changes` found changes (pulumi >= 3.226)


@dataclass
class Demo:
    """What every section needs: the stack, the emulators, and where work files go."""

    stack: Stack
    services: Services
    work: Path
    secret: str = ""  # the secret's name, from the stack output secretArn

    @property
    def org(self) -> OrgControl:
        ready = self.services.salesforce.ready
        return OrgControl(ready["control_url"], ready["ca_bundle"])

    @property
    def store(self) -> CredentialStore:
        return CredentialStore(self.secret, self.services.aws.region, self.services.aws.endpoint_url)

    def check_env(self) -> dict[str, str]:
        """What `check` reads from the environment here: the emulators' addresses and the deployer."""
        ready = self.services.salesforce.ready
        return {
            "AWS_REGION": self.services.aws.region,
            "AWS_ENDPOINT_URL_SECRETS_MANAGER": self.services.aws.endpoint_url,
            "SF_CA_BUNDLE": ready["ca_bundle"],
            "SF_LOGIN_URL": ready["login_url"],
        }

    def pulumi(self, *args: str, expected: int = 0, meaning: str = "", keep: Any = None) -> Outcome:
        """``pulumi <args> --stack local`` with its human output and exit code."""
        argv = [*args, "--stack", self.stack.name]
        typed(["pulumi", *argv])
        outcome = self.stack.run(*argv)
        output(without_plugin_warnings(outcome.stdout), keep)
        if outcome.exit_code != 0:
            output(without_plugin_warnings(outcome.stderr))
        exit_code(outcome.exit_code, meaning or ("done" if outcome.exit_code == 0 else "failed"), expected)
        expect(outcome.exit_code, expected, f"pulumi {args[0]}")
        return outcome

    def check(self, *args: str, expected: int, pretend_now: datetime | None = None) -> None:
        """``python -m components check --secret-id <secret> <args>``, its output and exit code."""
        argv = [sys.executable, "-m", "components", "check", "--secret-id", self.secret, *args]
        if pretend_now is not None:
            argv += ["--pretend-now", iso(pretend_now)]
        ran = run(argv, env=self.check_env())
        exit_code(ran.exit_code, check_meaning(ran.exit_code), expected)
        expect(ran.exit_code, expected, "check")


def check_meaning(code: int) -> str:
    try:
        return Severity(code).label
    except ValueError:
        return "not an exit code of check"


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def shown_path(path: Path) -> str:
    """A path as typed from the project folder (the commands run there)."""
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def secret_name(outputs: dict[str, Any]) -> str:
    return name_of_secret(outputs["secretArn"])


def first_deployment(demo: Demo) -> dict[str, Any]:
    section(
        "0. First deployment", "pulumi up: key and certificate, app deployed, secret staged, login verified, promoted"
    )
    note("the CLI's warning that it loads the stand-in TLS plugin from PATH is left out of what is shown")
    demo.pulumi("up", "--yes", "--skip-preview", "--suppress-outputs")
    outputs = demo.stack.outputs()
    show_outputs(outputs)
    demo.secret = secret_name(outputs)
    return outputs


def show_outputs(outputs: dict[str, Any]) -> None:
    for key in (
        "appName",
        "appKind",
        "consumerKey",
        "certificateFingerprint",
        "certificateNotAfter",
        "renewAfter",
        "secretArn",
        "secretVersionId",
        "verifiedAt",
        "privateKeyPem",
    ):
        if key in outputs:
            console.print(f"  {key:<24} {outputs[key]}", markup=False)


def pr_preview(demo: Demo, before: dict[str, Any]) -> dict[str, Any]:
    section("1. PR preview", "a pull request bumps `rotation`: what its reviewers see, then `pulumi up`")
    demo.pulumi("config", "set", "rotation", "1")
    path = demo.work / "preview-local.json"
    typed(["pulumi", "preview", "--json", "--stack", demo.stack.name, ">", shown_path(path)])
    preview = demo.stack.preview()
    exit_code(preview.exit_code, "the plan, as JSON", 0)
    expect(preview.exit_code, 0, "pulumi preview --json")
    path.write_text(json.dumps(preview.digest, indent=2))
    note("what the pulumi-preview workflow posts on the pull request:")
    ran = run([sys.executable, "-m", "components", "preview-summary", shown_path(path)])
    exit_code(ran.exit_code, "summary written", 0)
    expect(ran.exit_code, 0, "preview-summary")
    if "rotation: yes" not in ran.stdout.lower() or before["certificateFingerprint"] not in ran.stdout:
        raise DemoFailed("the preview summary does not show the rotation of the current certificate")
    note("the new key is generated by `up`, so its fingerprint is known after apply:")
    demo.pulumi(
        "up",
        "--yes",
        "--skip-preview",
        "--suppress-outputs",
        meaning="the new key was deployed and verified before it became AWSCURRENT",
    )
    after = demo.stack.outputs()
    console.print(
        f"  certificate {before['certificateFingerprint'][:23]}... -> {after['certificateFingerprint'][:23]}...",
        markup=False,
    )
    if after["certificateFingerprint"] == before["certificateFingerprint"]:
        raise DemoFailed("the rotation did not change the certificate")
    return after


def operations(demo: Demo, outputs: dict[str, Any]) -> None:
    section("2. Operations", "`check` today, inside the renewal window and past not-after; its Prometheus text")
    env = demo.check_env()
    note("check reads " + ", ".join(f"{k}={v}" for k, v in env.items()) + " and the deployer's SF_ACCESS_TOKEN")
    demo.check("--verify", expected=0)
    not_after, renew_after = parse_time(outputs["certificateNotAfter"]), parse_time(outputs["renewAfter"])
    for moment, expected, what in (
        (renew_after + timedelta(hours=12), 1, "half a day into the renewal window"),
        (not_after + timedelta(hours=12), 2, "half a day past not-after"),
    ):
        clock = demo.org.advance_clock_to(moment.timestamp())
        note(
            f"{what}: the org emulator's clock moves to {clock['iso']} (POST /__emulator__/clock), "
            f"and check's with --pretend-now"
        )
        demo.check("--verify", expected=expected, pretend_now=moment)
    note(
        "Salesforce reportedly accepts an expired app certificate in the JWT flow (the emulator does too), "
        "so logins keep working: only check tells"
    )
    note("the same, as Prometheus text (node_exporter's textfile collector; alerts in monitoring/prometheus/)")
    demo.check("--verify", "--format", "prometheus", expected=2, pretend_now=not_after + timedelta(hours=12))


def drift(demo: Demo, outputs: dict[str, Any]) -> None:
    section(
        "3. Drift", "the app's certificate is changed out of band: refresh and check find it, `up --refresh` repairs it"
    )
    previous = demo.store.get(AWSPREVIOUS).document
    app = outputs["appName"]
    note(f"an admin uploads the previous certificate to {app} in Setup (PATCH /__emulator__/apps/{app})")
    live = demo.org.patch_app(app, certificate_pem=previous.certificate_pem)
    console.print(
        f"  {app} now holds {live['certificate_fingerprint_sha256'][:23]}...; AWSCURRENT's key belongs to "
        f"{outputs['certificateFingerprint'][:23]}...",
        markup=False,
    )
    note("unchanged properties are left out of the --diff listing below")
    demo.pulumi(
        "refresh",
        "--preview-only",
        "--expect-no-changes",
        "--diff",
        expected=EXPECT_NO_CHANGES_EXIT,
        meaning="drift (the drift workflow fails on 7 and tells it from errors of the refresh itself)",
        keep=changed_lines_only,
    )
    demo.check("--drift", expected=2)
    demo.pulumi(
        "up",
        "--yes",
        "--skip-preview",
        "--suppress-outputs",
        "--refresh",
        meaning="repaired: the stack's certificate is back on the app",
    )
    demo.check("--drift", expected=0)
    if demo.org.app(app)["certificate_fingerprint_sha256"] != outputs["certificateFingerprint"]:
        raise DemoFailed("pulumi up --refresh did not put the stack's certificate back on the app")


def integration_login(demo: Demo, outputs: dict[str, Any]) -> None:
    """What an integration does at run time: read AWSCURRENT, sign a JWT, log in, call the API."""
    section(
        "4. The integration's login", "the key read back from Secrets Manager (AWSCURRENT), a JWT, a token, an API call"
    )
    stored = demo.store.get(AWSCURRENT)
    doc = stored.document
    offset = float(demo.org.clock()["offset_seconds"])
    note(f"the org's clock runs {offset / 86400:.1f} days ahead since section 2: the JWT is dated by the org's time")
    result = verify_jwt_login(
        JwtLogin(
            consumer_key=doc.consumer_key,
            username=doc.username,
            private_key_pem=doc.private_key_pem,
            token_url=doc.token_url,
            audience=doc.audience,
            app_kind=doc.app_kind,
            ca_bundle=demo.services.salesforce.ready["ca_bundle"],
            budget_seconds=60,
        ),
        clock=OrgClock(offset),
    )
    console.print(
        f"  version {stored.version_id} {list(stored.stages)}, certificate {doc.fingerprint_sha256[:23]}...",
        markup=False,
    )
    console.print(
        f"  logged in as {result.username} to org {result.org_id} after {result.attempts} attempt(s), "
        f"{result.elapsed_seconds:.2f} s; API call OK",
        markup=False,
    )
