"""The CLI shell without AWS: exit-code mapping, preview-summary I/O, bounded concurrency, progress."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest

from components import cli
from components.cli import main
from components.health import IntegrationHealth, LoginCheck
from components.inspection import Target, chunk_size, run_checks
from tests.fixtures.previews import NEW_FP, OLD_FP, app_inputs, preview, step


def test_no_arguments_prints_help_and_exits_3(capsys):
    assert main([]) == 3
    captured = capsys.readouterr()
    shown = captured.out + captured.err
    assert "Usage: python -m components" in shown and "preview-summary" in shown


def test_help_exits_0(capsys):
    assert main(["--help"]) == 0
    out = capsys.readouterr().out
    assert "preview-summary" in out and "verify" in out


def test_unknown_command_and_missing_option_exit_3(capsys):
    assert main(["frobnicate"]) == 3
    assert main(["verify"]) == 3
    assert "--secret-id" in capsys.readouterr().err


def rotation_preview(stack: str) -> str:
    new = app_inputs(certificate_fingerprint=NEW_FP, rotation=1)
    return preview(step("update", stack=stack, old=app_inputs(), new=new), update=1)


def test_preview_summary_from_files_merges_stacks(tmp_path, capsys):
    (tmp_path / "prod.json").write_text(rotation_preview("prod"))
    (tmp_path / "dev.json").write_text(rotation_preview("dev"))
    assert main(["preview-summary", str(tmp_path / "prod.json"), str(tmp_path / "dev.json")]) == 0
    out = capsys.readouterr().out
    assert out.index("### Stack `dev`") < out.index("### Stack `prod`")
    assert out.count(f"`{OLD_FP}` | `{NEW_FP}`") == 2
    assert "Resources: update 2." in out


def test_preview_summary_reads_stdin_and_writes_output(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", io.StringIO(rotation_preview("prod")))
    target = tmp_path / "summary.md"
    assert main(["preview-summary", "-", "--output", str(target)]) == 0
    assert capsys.readouterr().out == ""
    assert "**Key rotation:** `orders-app`" in target.read_text()


@pytest.mark.parametrize("content", ["", "Previewing update (prod):\n", '{"steps": [{"op": "update"}]}'])
def test_malformed_preview_exits_3_naming_the_file(tmp_path, capsys, content):
    path = tmp_path / "broken.json"
    path.write_text(content)
    assert main(["preview-summary", str(path)]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and f"{path}:" in captured.err


def test_non_utf8_and_missing_preview_files_exit_3(tmp_path, capsys):
    binary = tmp_path / "preview.bin"
    binary.write_bytes(b"\xff\xfe\x00garbage")
    assert main(["preview-summary", str(binary)]) == 3
    assert "not UTF-8" in capsys.readouterr().err
    assert main(["preview-summary", str(tmp_path / "missing.json")]) == 3


@pytest.mark.parametrize("depth", [100_000, 200])
def test_pathologically_nested_preview_json_is_a_clear_error(tmp_path, capsys, depth):
    """Issue 12: 100,000 nested arrays used to end in a RecursionError traceback."""
    nested = "[" * depth + "]" * depth
    path = tmp_path / "nested.json"
    path.write_text('{"steps": [], "changeSummary": {}, "extra": ' + nested + "}")
    assert main(["preview-summary", str(path)]) == 3
    captured = capsys.readouterr()
    assert captured.out == "" and "nests deeper than 64 levels" in captured.err and "Traceback" not in captured.err


@pytest.mark.parametrize("where", ["missing-dir/out.md", "a-directory"])
def test_an_unwritable_output_is_refused_before_any_work(tmp_path, capsys, where):
    (tmp_path / "a-directory").mkdir()
    target = tmp_path / where
    preview_file = tmp_path / "preview.json"
    preview_file.write_text(rotation_preview("prod"))
    assert main(["preview-summary", str(preview_file), "--output", str(target)]) == 3
    err = capsys.readouterr().err
    assert "--output" in err and str(target) in err and "Traceback" not in err
    # check refuses it before reaching AWS (nothing listens on port 9)
    args = ["check", "--region", "us-east-1", "--endpoint-url", "http://127.0.0.1:9", "-s", "x", "-o", str(target)]
    started = time.monotonic()
    assert main(args) == 3 and time.monotonic() - started < 5
    assert "--output" in capsys.readouterr().err


class FakeInspector:
    """Stands in for the AWS-backed Inspector: counts how many chunks run at once."""

    verify = True  # live checks: secrets are spread over the workers

    def __init__(self, fail_on: str | None = None, meet: int = 1) -> None:
        self.active = self.peak = 0
        self.lock = threading.Lock()
        self.fail_on = fail_on
        self.first = threading.Barrier(meet, timeout=10)  # the first `meet` chunks must run together

    def inspect_many(self, targets):
        with self.lock:
            self.active += 1
            self.peak = max(self.peak, self.active)
        try:
            if not self.first.broken:
                try:
                    self.first.wait()
                except threading.BrokenBarrierError:
                    pass
            time.sleep(0.005)
            if any(t.secret_id == self.fail_on for t in targets):
                raise RuntimeError("boom")
            return [IntegrationHealth(t.secret_id, ()) for t in targets]
        finally:
            with self.lock:
                self.active -= 1


def test_run_checks_is_bounded_and_keeps_order():
    inspector = FakeInspector(meet=3)  # would time out (and break) unless three chunks really overlap
    targets = [Target(f"s/{i:03d}") for i in range(60)]
    results = run_checks(inspector, targets, concurrency=3)
    assert [r.secret_id for r in results] == [t.secret_id for t in targets]
    assert inspector.peak == 3 and not inspector.first.broken


def test_one_failing_chunk_does_not_hide_the_others():
    targets = [Target(f"s/{i}") for i in range(8)]
    results = run_checks(FakeInspector(fail_on="s/5"), targets, concurrency=8)
    assert len(results) == 8
    failed = [r for r in results if r.exit_code == 3]
    assert [r.secret_id for r in failed] == ["s/5"] and "boom" in failed[0].findings[0].message


@pytest.mark.parametrize(
    ("count", "concurrency", "live", "size"),
    [
        (1, 8, False, 1),
        (10, 8, False, 10),
        (100, 8, False, 20),
        (1, 8, True, 1),
        (10, 8, True, 2),
        (100, 8, True, 13),
        (500, 8, True, 20),
        (100, 1, True, 20),
    ],
)
def test_chunks_respect_the_batch_limit_and_spread_live_checks(count, concurrency, live, size):
    assert chunk_size(count, concurrency, live) == size


def test_progress_only_on_a_terminal(monkeypatch):
    monkeypatch.delenv("FORCE_COLOR", raising=False)
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    assert cli._progress(True).disable is True  # pytest's stderr is not a TTY
    monkeypatch.setenv("FORCE_COLOR", "1")
    assert cli._progress(True).disable is False
    assert cli._progress(False).disable is True


def test_verify_text_never_contains_the_document_key():
    document = {
        "app_name": "Orders_Sync",
        "username": "integration@example.com",
        # a deliberate fake marker (no key inside): the test looks for it in the output
        "private_key_pem": "-----BEGIN PRIVATE KEY-----\nSECRETSTUFF\n-----END PRIVATE KEY-----\n",
    }
    failed = LoginCheck(False, "AWSCURRENT", attempts=2, error="invalid_grant: audience is invalid")
    for fmt in cli.VerifyFormat:
        text = cli._verify_text("prod/orders", document, failed, fmt)
        assert "SECRETSTUFF" not in text and "audience is invalid" in text
    data = json.loads(cli._verify_text("prod/orders", document, failed, cli.VerifyFormat.json))
    assert data["ok"] is False and data["attempts"] == 2


@pytest.mark.parametrize(
    ("given", "name"),
    [
        ("prod/orders", "prod/orders"),
        ("arn:aws:secretsmanager:us-east-1:123456789012:secret:prod/orders-AbC123", "prod/orders"),
        ("arn:aws-us-gov:secretsmanager:us-gov-west-1:123456789012:secret:a-b-c-xYz789", "a-b-c"),
    ],
)
def test_secret_ids_may_be_arns(given, name):
    assert cli.secret_name(given) == name
    region = given.split(":")[3] if given.startswith("arn:") else "eu-west-3"
    assert cli.secret_name(given, region) == name  # read in its own region


def test_the_runtime_client_refuses_an_arn_of_another_region_before_any_call():
    from components.client import SalesforceJwtClient
    from components.credentials import StoreConfigError

    arn = "arn:aws:secretsmanager:eu-west-3:123456789012:secret:prod/orders-AbC123"
    with pytest.raises(StoreConfigError, match="is in region eu-west-3, but the region given is us-east-1"):
        SalesforceJwtClient(arn, region="us-east-1", endpoint_url="http://127.0.0.1:9")


@pytest.mark.parametrize("args", [["--region", "us-east-1", "--endpoint-url", "notaurl"], ["--region", "bad region!"]])
def test_bad_aws_location_is_a_usage_error_not_a_warning(args, capsys):
    assert main(["check", "--secret-id", "x", *args]) == 3
    assert "--endpoint-url" in capsys.readouterr().err


def test_the_collector_paused_for_start_up_is_turned_back_on():
    """`python -m components` pauses the cyclic GC while it loads; a long `check --all` must collect again."""
    import gc

    gc.disable()
    try:
        cli.started()
        assert gc.isenabled()
        cli.started()  # already on (as in this test process): nothing changes
        assert gc.isenabled()
    finally:
        gc.unfreeze()
        gc.enable()
