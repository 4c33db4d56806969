"""`preview-summary` on what the real `pulumi preview --json` prints for this stack: a first up and a
blue-green rotation here; no-op, single rotation, renewal window, scope and pre-authorization changes,
an app kind change and a preview that fails on the shared deployed stack of test_deployed_stack.py."""

from __future__ import annotations

import json
from typing import Any

import pytest

from components.preview_summary import preview_to_markdown, summarize
from tests.fixtures.previews import APP_RESOURCE, app_change
from tests.fixtures.pulumi import LocalStack

pytestmark = pytest.mark.slow


def preview(stack: LocalStack, env: dict[str, str] | None = None, **config: Any) -> dict[str, Any]:
    """Set config, run the real `pulumi preview --json`, return its digest (config set back after)."""
    if config:
        stack.cli.set_config(**config)
    outcome = stack.cli.preview(env=env)
    assert outcome.digest, f"no JSON digest on stdout: {outcome.stdout[:500]} {outcome.stderr[-500:]}"
    return outcome.digest


def test_real_preview_json_shape_is_what_the_summary_reads(local_stack: LocalStack):
    digest = preview(local_stack)
    assert "same" not in {step["op"] for step in digest["steps"]}  # the real CLI omits sames
    assert set(digest["changeSummary"]) == {"create"}  # and zero counts
    assert all("detailedDiff" in step for step in digest["steps"])
    first = app_change(digest)
    assert first.op == "create" and not first.rotation
    assert {c.label for c in first.certificate} >= {"Key size", "Key algorithm"}
    assert "Stack `local`" in preview_to_markdown(json.dumps(digest))


def test_blue_green_rotation_preview_names_the_idle_slot_and_no_downtime(local_stack: LocalStack):
    local_stack.up(rotationStrategy="blue-green").check()
    first = app_change(preview(local_stack, rotation=1), f"{APP_RESOURCE}-b")  # slot B is new
    assert first.op == "create" and first.rotation and first.strategy == "blue-green"
    local_stack.up().check()
    digest = preview(local_stack, rotation=2)  # back to slot A, which gets the new key
    change = app_change(digest, f"{APP_RESOURCE}-a")
    assert change.op == "update" and change.rotation
    assert change.downtime_risk.startswith("none expected")
    assert f"{APP_RESOURCE}-b" not in [app.name for app in summarize(digest).stacks[0].apps if app.rotation]
