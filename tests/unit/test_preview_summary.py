"""preview-summary: `pulumi preview --json` -> Markdown for PR comments."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from components.preview_summary import (
    SECRET,
    PreviewFormatError,
    load_preview,
    preview_to_markdown,
    summarize,
)
from tests.fixtures.previews import NEW_FP, OLD_FP, app_inputs, preview, step


def test_rotation_shows_old_and_new_certificate_and_single_strategy_downtime():
    new = app_inputs(
        certificate_fingerprint=NEW_FP, certificate_not_after="2028-01-01T00:00:00Z", key_size=3072, rotation=1
    )
    md = preview_to_markdown(preview(step("update", old=app_inputs(), new=new), update=1))
    assert "### Stack `prod`" in md
    assert f"| Fingerprint (SHA-256) | `{OLD_FP}` | `{NEW_FP}` |" in md
    assert "| Not after | `2027-01-01T00:00:00Z` | `2028-01-01T00:00:00Z` |" in md
    assert "| Key size | `2048` | `3072` |" in md
    assert "Rotation: yes" in md and "**Key rotation:** `orders-app`" in md
    assert "Downtime risk: brief" in md
    assert "BEGIN CERTIFICATE" not in md


def test_blue_green_rotation_has_no_downtime():
    old = app_inputs(rotation_strategy="blue-green")
    new = app_inputs(rotation_strategy="blue-green", certificate_fingerprint=NEW_FP)
    summary = summarize(load_preview(preview(step("update", old=old, new=new))))
    (change,) = summary.stacks[0].apps
    assert change.rotation and change.strategy == "blue-green"
    assert change.downtime_risk.startswith("none expected")


def test_app_changes_list_added_and_removed_items_without_rotation():
    new = app_inputs(scopes=["Api", "RefreshToken", "Full"], permission_sets=[], profiles=["Integration User"])
    md = preview_to_markdown(preview(step("update", old=app_inputs(), new=new)))
    assert "- Scopes: added `Full`" in md
    assert "- Pre-authorized permission sets: removed `Orders_Integration`" in md
    assert "- Pre-authorized profiles: added `Integration User`" in md
    assert "Rotation: no" in md and "Downtime risk: none" in md
    assert "Fingerprint" not in md  # the certificate does not change


def test_app_kind_change_is_high_risk():
    new = app_inputs(app_kind="connected-app")
    (change,) = summarize(json.loads(preview(step("replace", old=app_inputs(), new=new)))).stacks[0].apps
    assert change.app[0].name == "app_kind" and change.downtime_risk.startswith("high")


def test_unknown_fingerprint_during_preview_counts_as_rotation():
    new = app_inputs(certificate_fingerprint="04da6b54-80e4-46f7-96ec-b56ff0331ba9")
    md = preview_to_markdown(preview(step("update", old=app_inputs(), new=new)))
    assert "(known after apply)" in md and "Rotation: yes" in md


def test_replacement_steps_are_merged_into_one_entry():
    new = app_inputs(certificate_fingerprint=NEW_FP)
    steps = [step(op, old=app_inputs(), new=new) for op in ("create-replacement", "replace", "delete-replaced")]
    (stack,) = summarize(json.loads(preview(*steps))).stacks
    assert [(a.op, a.rotation) for a in stack.apps] == [("replace", True)]


def test_create_is_not_a_rotation_and_lists_new_values():
    md = preview_to_markdown(preview(step("create", stack="dev", new=app_inputs()), create=1))
    assert "#### `orders-app` — create" in md
    assert f"| Fingerprint (SHA-256) | — | `{OLD_FP}` |" in md
    assert "Rotation: no" in md and "Resources: create 1." in md


def test_groups_by_stack_and_reports_stacks_without_app_changes():
    key = "tls:index/privateKey:PrivateKey"
    text = preview(
        step("update", stack="staging", old=app_inputs(), new=app_inputs(certificate_fingerprint=NEW_FP)),
        step("same", stack="dev", old=app_inputs(), new=app_inputs()),
        step("update", stack="dev", name="key", old={}, new={}, rtype=key),
    )
    summary = summarize(json.loads(text))
    assert [s.name for s in summary.stacks] == ["dev", "staging"]
    md = preview_to_markdown(text)
    assert "No certificate or app changes (1 other resource changes)." in md
    assert md.index("Stack `dev`") < md.index("Stack `staging`")


def test_secret_values_stay_masked():
    new = app_inputs(certificate_subject=SECRET, scopes=SECRET)
    old = app_inputs(
        certificate_subject={
            "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
            "value": "CN=hidden",
        }
    )
    md = preview_to_markdown(preview(step("update", old=old, new=new)))
    assert "| Subject | `[secret]` | `[secret]` |" in md
    assert "hidden" not in md


def test_markdown_escapes_table_pipes():
    new = app_inputs(certificate_subject="CN=a|b")
    md = preview_to_markdown(preview(step("update", old=app_inputs(), new=new)))
    assert "`CN=a\\|b`" in md


def test_preview_errors_are_reported():
    text = json.dumps(
        {
            "steps": [],
            "diagnostics": [{"severity": "error", "message": "boom"}, {"severity": "info", "message": "fine"}],
        }
    )
    md = preview_to_markdown(text)
    assert "`boom`" in md and "fine" not in md


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("", "empty"),
        ("Previewing update (dev):", "not valid JSON"),
        ("[]", "'steps' list"),
        ('{"steps": {}}', "'steps' list"),
        ('{"steps": [1]}', "steps[0] must be an object"),
        ('{"steps": [{"op": "frobnicate", "urn": "urn:pulumi:a::b::c::d"}]}', "steps[0].op"),
        ('{"steps": [{"op": "update", "urn": "nope"}]}', "steps[0].urn"),
        ('{"steps": [{"op": "update", "urn": "urn:pulumi:a::b::c::d", "newState": []}]}', "newState"),
        ('{"steps": [{"op": "update", "urn": "urn:pulumi:a::b::c::d", "oldState": {"inputs": 3}}]}', "oldState.inputs"),
        ('{"steps": [], "changeSummary": {"update": "x"}}', "changeSummary"),
    ],
)
def test_malformed_input_is_a_clear_error(text, fragment):
    with pytest.raises(PreviewFormatError, match=None) as excinfo:
        load_preview(text)
    assert fragment in str(excinfo.value)


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=4), inner, max_size=3),
    max_leaves=8,
)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_any_json_either_renders_or_fails_with_preview_format_error(value):
    try:
        result = preview_to_markdown(json.dumps(value))
    except PreviewFormatError:
        return
    assert result.startswith("## Salesforce JWT integration")


SIG = "4dabf18193072939515e22adb298388d"


@settings(max_examples=60, deadline=None)
@given(
    st.sets(
        st.sampled_from(
            ["certificate_subject", "scopes", "app_kind", "key_size", "certificate_not_after", "permission_sets"]
        ),
        min_size=1,
    )
)
def test_secret_values_are_never_expanded(fields):
    old = app_inputs(**{f: {SIG: "1b47061264138c4ac30d75fd1eb44270", "value": f"plain-{f}"} for f in fields})
    new = app_inputs(**{f: SECRET for f in fields})
    md = preview_to_markdown(preview(step("update", old=old, new=new)))
    assert "plain-" not in md
    assert "[secret]" in md
