"""Bad inputs, generated (issue 12): each one ends in the input's own clear error, never an exception
of another kind (which would reach people as a traceback).

* preview JSON for ``preview-summary``: any JSON text, and previews whose steps carry any values;
* stored secret documents for ``check``: any JSON, and a valid document with any field replaced.
"""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from components.credentials import CredentialDocument, CredentialDocumentError
from components.health import SecretState, evaluate
from components.preview_summary import PreviewFormatError, load_preview, render_preview_markdown, summarize
from tests.fixtures.documents import NOW, make_document
from tests.fixtures.previews import APP_TYPE, app_inputs, urn

JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
OPS = st.sampled_from(["create", "update", "replace", "delete", "same", "create-replacement", "refresh", "x"])
FIELDS = st.sampled_from(sorted(app_inputs()))


def preview_text(step_values: list[dict[str, Any]]) -> str:
    return json.dumps({"steps": step_values, "changeSummary": {}})


@st.composite
def odd_steps(draw: st.DrawFn) -> dict[str, Any]:
    """A step of the app resource whose inputs have some fields replaced by any JSON value."""
    step: dict[str, Any] = {"op": draw(OPS), "urn": urn("prod", "orders-app", APP_TYPE)}
    for state in draw(st.sets(st.sampled_from(["oldState", "newState"]))):
        inputs = app_inputs()
        for field in draw(st.lists(FIELDS, max_size=4)):
            inputs[field] = draw(JSON)
        step[state] = draw(st.sampled_from([{"inputs": inputs, "type": APP_TYPE}, inputs, draw(JSON)]))
    return step


def summary_or_format_error(text: str) -> None:
    try:
        render_preview_markdown(summarize(load_preview(text)))
    except PreviewFormatError as error:
        assert str(error)


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=200) | JSON.map(json.dumps))
def test_any_text_is_a_summary_or_a_preview_format_error(text: str) -> None:
    summary_or_format_error(text)


@settings(max_examples=150, deadline=None)
@given(st.lists(odd_steps(), min_size=1, max_size=3))
def test_steps_with_any_values_are_a_summary_or_a_preview_format_error(steps: list[dict[str, Any]]) -> None:
    summary_or_format_error(preview_text(steps))


@cache
def valid_document() -> dict[str, Any]:
    return make_document()


DOCUMENT_FIELDS = st.sampled_from(sorted(valid_document()))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON.map(json.dumps) | st.text(max_size=100))
def test_any_secret_text_is_a_document_or_a_document_error(text: str) -> None:
    try:
        CredentialDocument.from_json(text)
    except CredentialDocumentError as error:
        assert "PRIVATE KEY" not in str(error)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(DOCUMENT_FIELDS, JSON, min_size=1, max_size=3))
def test_a_document_with_any_field_replaced_is_evaluated_into_findings(changes: dict[str, Any]) -> None:
    """What `check` does with whatever AWSCURRENT holds: findings (the document is invalid), no crash."""
    document = {**valid_document(), **changes}
    try:
        parsed = CredentialDocument.from_dict(document).to_dict()
    except CredentialDocumentError:
        return  # reported as `invalid-document` by the inspection
    health = evaluate(SecretState("prod/orders", parsed), NOW)
    assert all(f.code and f.message for f in health.findings)


OPTION_VALUES = {
    "--format": st.text(max_size=12) | st.sampled_from(["json", "table", "markdown", "prometheus"]),
    "--concurrency": st.text(max_size=6) | st.integers(-5, 100).map(str),
    "--renew-before-days": st.text(max_size=6) | st.floats(-10, 1e6, allow_nan=False).map(str),
    "--stuck-after-minutes": st.text(max_size=6) | st.integers(-5, 10**6).map(str),
    "--verify-budget": st.text(max_size=6) | st.floats(-10, 1e5, allow_nan=False).map(str),
    "--pretend-now": st.text(max_size=25) | st.just("2030-01-01T00:00:00Z"),
    "--login-url": st.text(max_size=25) | st.just("http://login.salesforce.com"),
    "--prefix": st.text(max_size=10),
}


@st.composite
def check_arguments(draw: st.DrawFn) -> list[str]:
    """`check` with any option values and a secret id AWS would refuse by name (so nothing is called)."""
    argv = ["check", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "-s", "bad name!"]
    for option in draw(st.lists(st.sampled_from(sorted(OPTION_VALUES)), max_size=4, unique=True)):
        argv += [option, draw(OPTION_VALUES[option])]
    argv += draw(st.lists(st.sampled_from(["--all", "--verify", "--drift", "-s", "x"]), max_size=2))
    return argv


@settings(max_examples=120, deadline=None)
@given(check_arguments())
def test_any_check_arguments_end_in_a_usage_error_and_no_traceback(argv: list[str]) -> None:
    import contextlib
    import io

    from components.cli import main

    err, out = io.StringIO(), io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(out):
        code = main(argv)
    assert code == 3, (argv, err.getvalue(), out.getvalue())
    assert "Traceback" not in err.getvalue() and err.getvalue().strip()
