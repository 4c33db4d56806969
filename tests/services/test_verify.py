"""`verify` and `check --verify/--drift` against moto server and the Salesforce org emulator."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from components.cli import main
from components.progress import PROGRESS_ENV
from components.salesforce.bundle import ECA
from components.salesforce.metadata_api import MetadataClient
from components.salesforce.session import AccessTokenAuth, open_session
from components.settings import DEPLOYER_ENV
from tests.fixtures.documents import ROOT, make_document, provision
from tests.fixtures.integrations import APP, Integration, deploy, deployer_env, org_document


@pytest.fixture
def integration(aws, salesforce_org, monkeypatch) -> Integration:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce_org.ca_bundle)  # zeep builds its own session
    doc = org_document(salesforce_org)
    deploy(salesforce_org, doc)
    store = provision(aws, "prod/orders", doc)
    return Integration(salesforce_org, aws, "prod/orders", doc, store)


def test_verify_reports_who_logged_in_where_and_how_fast(integration, capsys):
    code = main(["verify", *integration.args("--format", "json")])
    out, err = capsys.readouterr()
    assert code == 0, out + err
    data = json.loads(out)
    assert data["ok"] is True and data["stage"] == "AWSCURRENT"
    assert data["username"] == integration.org.integration_username
    assert data["org_id"][:15] == integration.org.org_id[:15]
    assert data["instance_url"] == integration.org.instance_url
    assert data["attempts"] == 1 and isinstance(data["elapsed_seconds"], float)
    assert integration.org.calls().get("token", 0) >= 1
    code = main(["verify", *integration.args()])
    out, _ = capsys.readouterr()
    assert code == 0 and out.startswith(f"OK: {integration.org.integration_username} logged in to org")


def test_a_login_that_keeps_waiting_prints_plain_progress_lines_in_a_pipe(integration, capsys, monkeypatch):
    """Issue 12: `verify` printed nothing while it retried; off a terminal it prints plain lines."""
    monkeypatch.setenv(PROGRESS_ENV, "1")
    integration.org.fault("token", 503, count=3)
    code = main(["verify", *integration.args("--format", "json")])
    out, err = capsys.readouterr()
    assert code == 0 and json.loads(out)["attempts"] == 4
    lines = [line for line in err.splitlines() if line.startswith("waiting for a working key for prod/orders")]
    assert lines and all(" s of 20 s (" in line and "server_error" in line for line in lines), err
    assert "\x1b[" not in err  # no terminal control codes in a pipe


def test_verify_never_prints_the_token_or_the_key(integration, capsys):
    key_line = integration.doc.private_key_pem.splitlines()[1]
    for args in (("--format", "json"), ()):
        assert main(["verify", *integration.args(*args)]) == 0
        out, err = capsys.readouterr()
        assert "PRIVATE KEY" not in out + err and key_line not in out + err
        assert "!AQ" not in out + err  # emulator tokens look like 00D...!AQ...
    integration.org.patch_app(integration.doc.app_name, permitted_users_policy="AllSelfAuthorized")
    for args in (("--format", "json"), ()):  # the failure path quotes the token endpoint's answer
        assert main(["verify", *integration.args(*args)]) == 2
        out, err = capsys.readouterr()
        assert "approved" in out + err
        assert "PRIVATE KEY" not in out + err and key_line not in out + err and "!AQ" not in out + err


def test_verify_pending_stage(integration, capsys):
    code = main(["verify", *integration.args("--stage", "AWSPENDING")])
    assert code == 3 and "has no AWSPENDING version" in capsys.readouterr().err
    # A pending key whose certificate is not on the app: the login fails (critical).
    integration.store.put_pending(org_document(integration.org, key_index=1))
    code = main(["verify", *integration.args("--stage", "AWSPENDING", "--budget", "0")])
    out, _ = capsys.readouterr()
    assert code == 2 and out.startswith("FAILED: JWT login with the AWSPENDING key")


def test_verify_fails_when_pre_authorization_is_removed(integration, capsys):
    integration.org.patch_app(APP, permitted_users_policy="AllSelfAuthorized")
    code = main(["verify", *integration.args("--format", "json")])
    data = json.loads(capsys.readouterr().out)
    assert code == 2 and data["ok"] is False and data["attempts"] == 1
    assert "approved" in data["error"]


def test_check_verify_healthy_then_critical_after_pre_authorization_removed(integration, capsys):
    code = main(["check", *integration.args("--verify", "--format", "json")])
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and data["integrations"][0]["verification"]["ok"] is True
    integration.org.patch_app(APP, permitted_users_policy="AllSelfAuthorized")
    code = main(["check", *integration.args("--verify", "--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 2 and result["verification"]["ok"] is False
    assert [f["code"] for f in result["findings"]] == ["verification-failed"]


def test_check_drift_in_sync_then_certificate_changed_out_of_band(integration, capsys, monkeypatch):
    deployer_env(monkeypatch, integration.org)
    code = main(["check", *integration.args("--drift", "--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 0, result
    assert result["drift"]["drifted"] is False
    assert result["drift"]["live_fingerprint"] == integration.doc.fingerprint_sha256
    other = make_document(key_index=1)
    integration.org.patch_app(APP, certificate_pem=other["certificate_pem"])
    code = main(["check", *integration.args("--drift", "--verify", "--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 2
    codes = [f["code"] for f in result["findings"]]
    assert "drift-certificate" in codes and "verification-failed" in codes
    assert result["drift"]["live_fingerprint"] == other["fingerprint_sha256"]


def test_plain_check_compares_the_live_certificate_when_deployer_credentials_are_there(
    integration, capsys, monkeypatch
):
    """Issue 12, safety 3: without --drift or --verify, `check` still notices an app whose certificate
    is not the one AWSCURRENT holds the key for, and only that (scopes are --drift's business)."""
    deployer_env(monkeypatch, integration.org)
    code = main(["check", *integration.args("--format", "json")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["notes"] == [] and report["integrations"][0]["drift"]["drifted"] is False
    assert report["integrations"][0]["drift"]["compared"] == "certificate"
    main(["check", *integration.args()])
    assert "cert in sync" in capsys.readouterr().out  # the table says what was compared
    other = make_document(key_index=1)
    integration.org.patch_app(APP, certificate_pem=other["certificate_pem"], scopes=["Api"])
    code = main(["check", *integration.args("--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 2 and [f["code"] for f in result["findings"]] == ["drift-certificate"]


def test_plain_check_without_deployer_credentials_says_it_could_not_look(integration, capsys, monkeypatch):
    for name in DEPLOYER_ENV.values():
        monkeypatch.delenv(name, raising=False)
    integration.org.patch_app(APP, certificate_pem=make_document(key_index=1)["certificate_pem"])
    code = main(["check", *integration.args("--format", "json")])
    report = json.loads(capsys.readouterr().out)
    assert code == 0 and report["integrations"][0]["findings"] == []
    assert "live certificates were not compared" in report["notes"][0] and "--drift" in report["notes"][0]
    main(["check", *integration.args()])
    assert "live certificates were not compared" in capsys.readouterr().out


def test_plain_check_with_an_app_outside_the_deployers_org_is_a_warning(integration, capsys, monkeypatch):
    deployer_env(monkeypatch, integration.org)
    admin = open_session(
        AccessTokenAuth(integration.org.instance_url, integration.org.admin_access_token),
        ca_bundle=integration.org.ca_bundle,
    )
    assert MetadataClient(admin).delete_app(APP, ECA)  # e.g. the integration lives in another org
    code = main(["check", *integration.args("--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 1 and [f["code"] for f in result["findings"]] == ["live-app-not-found"]


def test_check_drift_detects_removed_pre_authorization_and_scope(integration, capsys, monkeypatch):
    deployer_env(monkeypatch, integration.org)
    integration.org.patch_app(APP, permitted_users_policy="AllSelfAuthorized", scopes=["Api"])
    code = main(["check", *integration.args("--drift", "--format", "markdown")])
    out = capsys.readouterr().out
    assert code == 2
    assert "(drift-pre-authorization)" in out and "(drift-scopes)" in out


def test_check_drift_with_refused_deployer_token_is_exit_3(integration, capsys, monkeypatch):
    deployer_env(monkeypatch, integration.org)
    monkeypatch.setenv("SF_ACCESS_TOKEN", "00Dbogus!AQnotavalidtoken")
    code = main(["check", *integration.args("--drift", "--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 3 and result["findings"][0]["code"] == "drift-unreadable"
    assert "notavalidtoken" not in json.dumps(result)


def test_check_all_verify_over_several_integrations(aws, salesforce_org, capsys, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", salesforce_org.ca_bundle)
    doc = org_document(salesforce_org)
    deploy(salesforce_org, doc)
    for index in range(4):
        provision(aws, f"prod/orders-{index}", doc)
    code = main(
        [
            "check",
            "--all",
            "--verify",
            "--region",
            aws.region,
            "--endpoint-url",
            aws.endpoint_url,
            "--ca-bundle",
            salesforce_org.ca_bundle,
            "--format",
            "json",
            "--concurrency",
            "3",
        ]
    )
    data = json.loads(capsys.readouterr().out)
    assert code == 0 and len(data["integrations"]) == 4
    assert all(r["verification"]["ok"] for r in data["integrations"])
    assert salesforce_org.calls().get("token", 0) >= 4


def test_verify_and_drift_use_the_one_default_api_version(integration, capsys, monkeypatch):
    """Issue 9, point 7: `verify`/`check` used 63.0 while stacks default to 66.0."""
    from components.settings import DEFAULT_API_VERSION

    deployer_env(monkeypatch, integration.org)
    assert main(["check", *integration.args("--verify", "--drift", "--format", "json")]) == 0, capsys.readouterr()
    paths = [r["path"] for r in integration.org.requests_log()]
    versioned = [p for p in paths if p.startswith(("/services/data/v", "/services/Soap/m/"))]
    assert versioned and all(f"v{DEFAULT_API_VERSION}" in p or f"/m/{DEFAULT_API_VERSION}" in p for p in versioned)
    assert DEFAULT_API_VERSION == "66.0"


def test_drift_check_with_a_hidden_eca_key_is_not_drift(integration, capsys, monkeypatch):
    """Issue 9, point 4: readMetadata omits the ECA consumer key by default; that is not drift."""
    deployer_env(monkeypatch, integration.org)
    code = main(["check", *integration.args("--drift", "--format", "json")])
    result = json.loads(capsys.readouterr().out)["integrations"][0]
    assert code == 0 and result["drift"]["drifted"] is False, result


HEAVY = (
    "simple_salesforce",
    "zeep",
    "pydantic",
    "typer",
    "rich",
    "prometheus_client",
    "components.salesforce.metadata_api",
    "components.reports",
    "components.preview_summary",
)
LOADED = (
    "import json, sys; from components.cli import main; code = main(sys.argv[1:]); "
    "print(json.dumps(sorted(sys.modules)), file=sys.stderr); raise SystemExit(code)"
)


def loaded_modules(*args: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run the CLI in a fresh interpreter; its result and every module it had loaded by the end."""
    proc = subprocess.run(
        [sys.executable, "-c", LOADED, *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    return proc, set(json.loads(proc.stderr.strip().splitlines()[-1]))


def test_verify_logs_in_without_loading_report_metadata_or_settings_model_libraries(integration):
    proc, modules = loaded_modules("verify", *integration.args())
    assert proc.returncode == 0 and proc.stdout.startswith("OK: integration@example.com"), proc.stdout + proc.stderr
    heavy = {m for m in modules if m.split(".")[0] in HEAVY or m in HEAVY}
    assert not heavy, f"verify loaded {sorted(heavy)}"
    assert "PRIVATE KEY" not in proc.stdout + proc.stderr


def test_preview_summary_loads_no_aws_or_salesforce_client(tmp_path):
    preview = tmp_path / "preview.json"
    preview.write_text(json.dumps({"steps": [], "changeSummary": {"same": 6}}))
    proc, modules = loaded_modules("preview-summary", str(preview))
    assert proc.returncode == 0, proc.stderr
    assert not {m for m in modules if m.split(".")[0] in ("botocore", "boto3", "requests", "cryptography", "jwt")}
