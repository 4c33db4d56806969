"""Contract: what the offline engine prints for `preview --json` is what preview-summary reads."""

import json


from components.preview_summary import preview_to_markdown

from emulator.engine import state, steps, values

APP_TYPE = "pulumi-python:dynamic/salesforce-jwt:AppDeployment"
URN = f"urn:pulumi:prod::salesforce-jwt::salesforce-jwt:index:Integration${APP_TYPE}::orders-app"
OLD_FP, NEW_FP = "AA:" * 31 + "AA", "BB:" * 31 + "BB"


def app_state(**inputs):
    base = {"app_name": "Orders_Sync", "app_kind": "external-client-app", "certificate_fingerprint": OLD_FP,
            "certificate_not_after": "2027-01-01T00:00:00Z", "key_size": 2048, "scopes": ["Api", "RefreshToken"],
            "permission_sets": ["Orders_Access"], "profiles": [], "rotation_strategy": "single",
            "certificate_subject": values.secret("CN=do-not-show")}
    base.update(inputs)
    return state.ResourceState(urn=URN, type=APP_TYPE, custom=True, inputs=base, outputs=dict(base))


def engine_preview(*engine_steps):
    return json.dumps({"steps": [s.to_json() for s in engine_steps],
                       "changeSummary": steps.summarize(list(engine_steps)), "duration": 0})


def test_engine_rotation_preview_is_summarized_and_secrets_stay_masked():
    step = steps.Step("update", URN, APP_TYPE, old=app_state(),
                      new=app_state(certificate_fingerprint=values.UNKNOWN, key_size=3072))
    md = preview_to_markdown(engine_preview(step))
    assert "### Stack `prod`" in md and "#### `orders-app` — update" in md
    assert f"| Fingerprint (SHA-256) | `{OLD_FP}` | (known after apply) |" in md
    assert "| Key size | `2048` | `3072` |" in md
    assert "Rotation: yes" in md and "Downtime risk: brief" in md
    assert "do-not-show" not in md


def test_engine_replacement_and_same_steps():
    new = app_state(certificate_fingerprint=NEW_FP)
    md = preview_to_markdown(engine_preview(
        steps.Step("create-replacement", URN, APP_TYPE, old=app_state(), new=new),
        steps.Step("replace", URN, APP_TYPE, old=app_state(), new=new),
        steps.Step("delete-replaced", URN, APP_TYPE, old=app_state(), new=new),
    ))
    assert md.count("#### `orders-app`") == 1 and "#### `orders-app` — replace" in md
    same = preview_to_markdown(engine_preview(steps.Step("same", URN, APP_TYPE, old=app_state(), new=app_state())))
    assert "No certificate or app changes" in same
