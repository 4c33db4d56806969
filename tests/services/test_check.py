"""`python -m components check` against a real moto server: every exit code and format."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import timedelta

import pytest
from prometheus_client.parser import text_string_to_metric_families

from components.cli import main
from components.credentials import NOT_PROVISIONED_JSON, CredentialStore
from tests.fixtures.documents import ROOT, document, now, provision, store_for


def run(aws, capsys, *args: str) -> tuple[int, str, str]:
    code = main(["check", "--region", aws.region, "--endpoint-url", aws.endpoint_url, *args])
    out, err = capsys.readouterr()
    return code, out, err


def check_json(aws, capsys, *args: str) -> tuple[int, dict]:
    code, out, _ = run(aws, capsys, "--format", "json", *args)
    return code, json.loads(out)


def test_healthy_integration_exits_0_with_certificate_facts(aws, capsys):
    doc = document()
    provision(aws, "prod/orders", doc)
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 0 and data["exit_code"] == 0
    (result,) = data["integrations"]
    assert result["certificate"]["fingerprint_sha256"] == doc.fingerprint_sha256
    assert result["certificate"]["days_left"] in (79, 80)
    assert result["certificate"]["renewal_due"] is False and result["pending_rotation"] is False
    assert result["app_name"] == "Orders_Sync" and result["findings"] == []


def test_inside_renewal_window_exits_1(aws, capsys):
    provision(aws, "prod/orders", document(age_days=70))
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 1
    assert [f["code"] for f in data["integrations"][0]["findings"]] == ["renewal-due"]


def test_renew_before_days_option_moves_the_window(aws, capsys):
    provision(aws, "prod/orders", document(age_days=10))  # 80 days left
    code, _ = check_json(aws, capsys, "--secret-id", "prod/orders", "--renew-before-days", "85")
    assert code == 1


def test_expired_certificate_exits_2(aws, capsys):
    provision(aws, "prod/orders", document(age_days=95))
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 2 and data["integrations"][0]["ready"] is False
    assert "expired" in [f["code"] for f in data["integrations"][0]["findings"]]


def test_secret_scheduled_for_deletion_exits_2(aws, capsys):
    store = provision(aws, "prod/orders", document())
    store.delete(recovery_window_days=7)
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 2
    (result,) = data["integrations"]
    assert [f["code"] for f in result["findings"]] == ["scheduled-for-deletion"]
    assert result["deletion_date"] is not None


def test_stuck_awspending_exits_2_and_fresh_pending_exits_1(aws, capsys):
    store = provision(aws, "prod/orders", document())
    # the age is when AWS stored the pending version, not the (older) certificate inside it
    store.put_pending(document(key_index=1, created_at=now() - timedelta(hours=3)))
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 1 and data["integrations"][0]["pending_rotation"] is True
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders", "--stuck-after-minutes", "0")
    assert code == 2
    assert [f["code"] for f in data["integrations"][0]["findings"]] == ["rotation-stuck"]


def test_missing_secret_is_exit_3(aws, capsys):
    code, data = check_json(aws, capsys, "--secret-id", "prod/missing")
    assert code == 3
    assert data["integrations"][0]["findings"][0]["code"] == "unreadable"


def test_non_document_secret_is_critical(aws, capsys):
    client = aws.client("secretsmanager")
    client.create_secret(Name="prod/garbage", SecretString='{"hello": "world"}')
    code, data = check_json(aws, capsys, "--secret-id", "prod/garbage")
    assert code == 2 and data["integrations"][0]["findings"][0]["code"] == "invalid-document"


def test_all_finds_managed_secrets_by_prefix_and_reports_the_worst(aws, capsys):
    provision(aws, "prod/a", document())
    provision(aws, "prod/b", document(age_days=70))
    provision(aws, "dev/c", document(age_days=95))
    aws.client("secretsmanager").create_secret(Name="prod/unmanaged", SecretString="{}")
    code, data = check_json(aws, capsys, "--all", "--prefix", "prod/")
    assert code == 1
    assert [r["secret_id"] for r in data["integrations"]] == ["prod/a", "prod/b"]
    code, data = check_json(aws, capsys, "--all", "--concurrency", "2")
    assert code == 2 and [r["secret_id"] for r in data["integrations"]] == ["dev/c", "prod/a", "prod/b"]


def test_all_with_nothing_managed_is_a_configuration_error(aws, capsys):
    code, out, err = run(aws, capsys, "--all", "--prefix", "nothing/")
    assert code == 3 and out == ""
    assert "no secrets tagged managed-by=salesforce-jwt-pulumi" in err


def test_markdown_and_table_and_prometheus_formats(aws, capsys, tmp_path):
    doc = document(age_days=70)
    provision(aws, "prod/orders", doc)
    code, out, _ = run(aws, capsys, "--secret-id", "prod/orders", "--format", "markdown")
    assert code == 1 and out.startswith("## Salesforce JWT integrations — warning (exit 1)")
    assert "(renewal-due)" in out
    code, out, _ = run(aws, capsys, "--secret-id", "prod/orders")
    assert code == 1 and "prod/orders" in out and "warning" in out and "renewal window" in out
    target = tmp_path / "salesforce_jwt.prom"
    code, out, _ = run(aws, capsys, "--secret-id", "prod/orders", "--format", "prometheus", "--output", str(target))
    assert code == 1 and out == ""
    families = {f.name: f for f in text_string_to_metric_families(target.read_text())}
    (sample,) = families["salesforce_jwt_certificate_expiration_timestamp_seconds"].samples
    assert sample.value == doc.not_after.timestamp()
    assert sample.labels == {"secret": "prod/orders", "app": "Orders_Sync", "org": "acme.my.salesforce.com"}
    assert list(tmp_path.iterdir()) == [target]  # the temporary file was renamed into place


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        ([], "either --secret-id"),
        (["--secret-id", "a", "--all"], "either --secret-id"),
        (["--secret-id", "a", "--prefix", "p"], "--prefix only applies with --all"),
        (["--secret-id", "bad name!"], "secret_name"),
        (["--secret-id", "a", "--renew-before-days", "0"], "--renew-before-days"),
        (["--secret-id", "a", "--format", "xml"], "--format"),
        (["--secret-id", "a", "--concurrency", "0"], "--concurrency"),
        (["--secret-id", "a", "--ca-bundle", "/nonexistent.pem"], "--ca-bundle"),
    ],
)
def test_usage_errors_exit_3_before_any_call(aws, capsys, args, fragment):
    code, out, err = run(aws, capsys, *args)
    assert code == 3 and out == "" and fragment in err


def test_drift_without_deployer_credentials_is_a_usage_error(aws, capsys, monkeypatch):
    for name in list(os.environ):
        if name.startswith(("SF_", "SFDX_")):
            monkeypatch.delenv(name)
    code, out, err = run(aws, capsys, "--secret-id", "a", "--drift")
    assert code == 3 and "--drift needs deployer credentials" in err


def test_drift_with_an_http_login_url_names_the_option(aws, capsys, monkeypatch):
    """Issue 12: the refusal named `login_url`, which is no option of `check`."""
    monkeypatch.setenv("SF_ACCESS_TOKEN", "00Dx!token")
    monkeypatch.setenv("SF_INSTANCE_URL", "https://acme.my.salesforce.com")
    code, out, err = run(aws, capsys, "--secret-id", "a", "--drift", "--login-url", "http://login.salesforce.com")
    assert code == 3 and out == ""
    assert "--login-url (or SF_LOGIN_URL) 'http://login.salesforce.com' must be an https:// URL" in err
    assert "00Dx!token" not in err


def test_missing_region_is_a_usage_error(capsys, monkeypatch):
    monkeypatch.delenv("AWS_REGION", raising=False)
    monkeypatch.delenv("AWS_DEFAULT_REGION", raising=False)
    assert main(["check", "--secret-id", "a"]) == 3
    assert "--region" in capsys.readouterr().err


def test_python_dash_m_components_runs_check_and_never_prints_the_key(aws):
    doc = document(age_days=95)
    provision(aws, "prod/orders", doc)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "components",
            "check",
            "--secret-id",
            "prod/orders",
            "--region",
            aws.region,
            "--endpoint-url",
            aws.endpoint_url,
            "--format",
            "json",
        ],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode == 2, proc.stderr
    assert json.loads(proc.stdout)["integrations"][0]["secret_id"] == "prod/orders"
    assert "PRIVATE KEY" not in proc.stdout + proc.stderr


def test_all_reads_the_promoted_version_after_a_rotation(aws, capsys):
    """Batch reads are checked against the listed AWSCURRENT version (moto may answer a stale one)."""
    old, new = document(), document(key_index=1)
    for name in ("prod/a", "prod/b", "prod/c"):
        store = provision(aws, name, old)
        store.promote(store.put_pending(new))
    code, data = check_json(aws, capsys, "--all")
    assert code == 0
    assert {r["certificate"]["fingerprint_sha256"] for r in data["integrations"]} == {new.fingerprint_sha256}


def test_secret_id_may_be_the_arn_pulumi_exports(aws, capsys):
    store = provision(aws, "prod/orders", document())
    arn = store.describe().arn
    code, data = check_json(aws, capsys, "--secret-id", arn)
    assert code == 0 and data["integrations"][0]["secret_id"] == arn


def test_an_arn_of_another_region_is_refused_not_read_by_name_in_this_one(aws, capsys):
    store = provision(aws, "prod/orders", document())  # same name, in the region the check is given
    other_region = store.describe().arn.replace(f":{aws.region}:", ":eu-west-3:")
    code, out, err = run(aws, capsys, "--format", "json", "--secret-id", other_region)
    assert (code, out) == (3, "")
    assert "in region eu-west-3" in err and "use region eu-west-3" in err and "Traceback" not in err


def test_an_arn_of_another_account_is_read_there_not_by_name_in_this_one(aws, capsys):
    """Issue 12, safety 3: the ARN goes to AWS whole, so its account is honoured (here: not found,
    in AWS a cross-account read or AccessDenied), never the caller's same-named secret."""
    store = provision(aws, "prod/orders", document())
    arn = store.describe().arn
    account = arn.split(":")[4]
    code, data = check_json(aws, capsys, "--secret-id", arn.replace(f":{account}:", ":111111111111:"))
    assert code == 3 and [f["code"] for f in data["integrations"][0]["findings"]] == ["unreadable"]
    assert "can't find" in data["integrations"][0]["findings"][0]["message"]


def test_verify_of_a_secret_scheduled_for_deletion_is_critical(aws, capsys):
    provision(aws, "prod/orders", document()).delete(recovery_window_days=7)
    code = main(["verify", "--secret-id", "prod/orders", "--region", aws.region, "--endpoint-url", aws.endpoint_url])
    captured = capsys.readouterr()
    assert code == 2 and captured.err.startswith("critical:") and "deletion" in captured.err


def placeholder_current(aws, name: str) -> CredentialStore:
    """A secret whose AWSCURRENT is the not-provisioned placeholder (a first `pulumi up` cut short)."""
    store = store_for(aws, name)
    store.ensure_secret()  # a new secret's first version (AWSCURRENT) is the placeholder
    return store


def _codes(result: dict) -> list[str]:
    return [f["code"] for f in result["findings"]]


def test_a_not_provisioned_current_version_says_so_and_exits_1(aws, capsys):
    placeholder_current(aws, "prod/new")
    code, data = check_json(aws, capsys, "--secret-id", "prod/new")
    assert code == 1
    (result,) = data["integrations"]
    assert _codes(result) == ["not-provisioned"]
    assert (
        "not provisioned yet: the first `pulumi up` has not promoted a verified key"
        in (result["findings"][0]["message"])
    )


def test_all_reports_a_not_provisioned_secret_next_to_healthy_ones(aws, capsys):
    provision(aws, "prod/a", document())
    placeholder_current(aws, "prod/b")
    provision(aws, "prod/c", document())
    code, data = check_json(aws, capsys, "--all")
    assert code == 1
    assert [_codes(r) for r in data["integrations"]] == [[], ["not-provisioned"], []]


def test_the_first_promotion_leaves_the_placeholder_without_a_stage(aws, capsys):
    store = placeholder_current(aws, "prod/orders")
    placeholder = store.describe().version_for("AWSCURRENT")
    verified = store.put_pending(document())
    store.promote(verified)  # nothing may ever roll back to the placeholder
    assert store.versions()[placeholder] == ()
    assert store.describe().version_for("AWSPREVIOUS") is None
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 0 and data["integrations"][0]["findings"] == []


def test_a_placeholder_left_as_awsprevious_is_not_a_problem(aws, capsys):
    placeholder_current(aws, "prod/orders")
    sm = aws.client("secretsmanager")
    sm.put_secret_value(SecretId="prod/orders", SecretString=document().to_json())
    assert sm.get_secret_value(SecretId="prod/orders", VersionStage="AWSPREVIOUS")["SecretString"] == (
        NOT_PROVISIONED_JSON
    )
    code, data = check_json(aws, capsys, "--secret-id", "prod/orders")
    assert code == 0 and data["integrations"][0]["findings"] == []
