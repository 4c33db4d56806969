"""One stack's life on the real Pulumi CLI, deployed once (the ``deployed_once`` fixture); the tests run
in this order.

First the read-only checks: what a first `up` leaves behind and costs, what the state on disk holds,
what `pulumi preview --json` shows a reviewer for every kind of change (configuration changes are
undone after each preview; previews change nothing), that a second `up` changes nothing. Then the
end of its life: a renewal inside the certificate's window, and `destroy`. Tests that change a stack
in other ways (rotation, failed verification, drift, blue-green, ...) have stacks of their own in
test_lifecycle.py.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from components.credentials import AWSPENDING
from components.preview_summary import preview_to_markdown, summarize
from tests.fixtures.previews import app_change
from tests.fixtures.pulumi import LOCAL_APP as APP
from tests.fixtures.pulumi import MAX_SALESFORCE_CALLS, DeployedOnce, LocalStack, calls_since, set_config_at_once

pytestmark = pytest.mark.slow


@contextlib.contextmanager
def configured(stack: LocalStack, **config: Any) -> Iterator[None]:
    """Stack config set for the duration of the block, removed afterwards (also on failure); one CLI
    run each way."""
    set_config_at_once(stack.cli, config)
    try:
        yield
    finally:
        stack.cli.run("config", "rm-all", *config).check()


def preview(stack: LocalStack, env: dict[str, str] | None = None) -> dict[str, Any]:
    outcome = stack.cli.preview(env=env)
    assert outcome.digest, f"no JSON digest on stdout: {outcome.stdout[:500]} {outcome.stderr[-500:]}"
    return outcome.digest


class TestOneDeployedStack:
    def test_first_up_deploys_verifies_and_promotes(self, deployed_once: DeployedOnce):
        deployed = deployed_once.stack
        outputs = deployed.outputs()
        doc = deployed.document()
        app = deployed.org.app(APP)
        assert app["certificate_fingerprint_sha256"] == doc.fingerprint_sha256 == outputs["certificateFingerprint"]
        assert app["consumer_key"] == doc.consumer_key == outputs["consumerKey"]
        assert outputs["verifiedAt"] and outputs["privateKeyPem"] == "[secret]"
        assert deployed.store.describe().version_for(AWSPENDING) is None
        assert deployed.login().username == "integration@example.com"

    def test_first_up_makes_one_deploy_and_at_most_17_salesforce_calls(self, deployed_once: DeployedOnce):
        calls = deployed_once.first_up_calls
        assert calls.get("deploy") == 1 and calls.get("token") == 1, calls
        assert sum(calls.values()) <= MAX_SALESFORCE_CALLS, calls

    def test_state_on_disk_holds_no_private_key_in_plain_text(self, deployed_once: DeployedOnce):
        deployed = deployed_once.stack
        private_key = deployed.outputs(show_secrets=True)["privateKeyPem"]
        assert "PRIVATE KEY" in private_key  # the output is there, as a secret
        state_files = [p for p in (deployed.cli.work / "state").rglob("*.json") if p.is_file()]
        assert state_files, "the file backend wrote no state"
        body = "".join(p.read_text() for p in state_files)
        assert "PRIVATE KEY" not in body and private_key.splitlines()[1] not in body
        assert '"secrets_providers"' in body or '"secretsProviders"' in body  # encrypted by the passphrase provider

    def test_no_op_preview_reports_no_certificate_or_app_change(self, deployed_once: DeployedOnce):
        digest = preview(deployed_once.stack)
        assert {step["op"] for step in digest["steps"]} <= {"same"}  # at most the stack itself, as `same`
        assert set(digest["changeSummary"]) == {"same"}
        markdown = preview_to_markdown(json.dumps(digest))
        assert "No certificate or app changes" in markdown and "Key rotation" not in markdown

    def test_rotation_and_renewal_previews_show_the_certificate_change(self, deployed_once: DeployedOnce):
        stack = deployed_once.stack
        before = stack.document()
        with configured(stack, rotation=1):
            rotation = app_change(preview(stack))
        assert rotation.op == "update" and rotation.rotation and rotation.strategy == "single"
        assert "brief" in rotation.downtime_risk
        fingerprint = next(c for c in rotation.certificate if c.label.startswith("Fingerprint"))
        assert fingerprint.old == before.fingerprint_sha256 and fingerprint.new == "(known after apply)"

        inside_window = (before.not_after - timedelta(days=2)).isoformat()
        renewal = app_change(preview(stack, env={"PULUMI_TLS_STANDIN_NOW": inside_window}))
        assert renewal.rotation and renewal.op == "update"

    def test_scope_kind_and_error_previews(self, deployed_once: DeployedOnce):
        stack = deployed_once.stack
        with configured(stack, scopes='["Api","RefreshToken","Web"]', extraPermissionSets='["Reporting_Access"]'):
            scopes = app_change(preview(stack))
        assert not scopes.rotation and scopes.downtime_risk == "none"
        described = {c.label: (c.added, c.removed) for c in scopes.app}
        assert described["Scopes"] == (("Web",), ())
        assert "Reporting_Access" in described["Pre-authorized permission sets"][0]

        with configured(stack, appKind="connected-app"):
            kind = app_change(preview(stack))
        assert kind.downtime_risk.startswith("high")

        with configured(stack, keySize=1024):
            outcome = stack.cli.preview()
        assert not outcome.ok and outcome.digest
        summary = summarize(outcome.digest)
        assert any("keySize" in error for error in summary.errors), summary.errors
        assert "The preview reported errors" in preview_to_markdown(json.dumps(outcome.digest))

    def test_no_op_up_changes_nothing(self, deployed_once: DeployedOnce):
        deployed = deployed_once.stack
        versions, before = deployed.store.versions(), deployed.org.calls()
        stages = deployed.store.describe().versions
        result = deployed.up().check()
        assert not result.changed, result.summary
        assert set(result.summary) == {"same"}
        assert calls_since(deployed.org, before) == {}  # no deploy, no read, no login
        assert deployed.store.versions() == versions and deployed.store.describe().versions == stages

    def test_renewal_window_replaces_certificate_with_same_key(self, deployed_once: DeployedOnce):
        deployed = deployed_once.stack
        old = deployed.document()
        inside_window = (old.not_after - timedelta(days=2)).isoformat()
        deployed.up(env={"PULUMI_TLS_STANDIN_NOW": inside_window}).check()
        new = deployed.document()
        assert new.fingerprint_sha256 != old.fingerprint_sha256
        assert new.private_key_pem == old.private_key_pem
        assert deployed.org.app(APP)["certificate_fingerprint_sha256"] == new.fingerprint_sha256

    def test_destroy_retains_app_and_schedules_secret_deletion(self, deployed_once: DeployedOnce):
        deployed = deployed_once.stack
        deployed.cli.destroy().check()
        assert deployed.org.app(APP)["name"] == APP
        assert deployed.store.describe().scheduled_for_deletion
