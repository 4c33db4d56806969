"""Whole lifecycles of the sample stack through the offline engine (real program, real dynamic host)."""

from datetime import timedelta

import pytest

from emulator.engine.clock import parse_rfc3339, rfc3339
from emulator.engine.state import load

pytestmark = pytest.mark.slow  # drives the sample stack through real processes


def test_preview_plans_creates_without_side_effects(sample):
    result = sample.engine().preview()

    assert result.ok, result.errors
    assert result.ops() == {"engine-sample-dev": "create", "web": "create", "web-key": "create",
                            "web-cert": "create", "web-record": "create"}
    assert result.call_count("Create") == 0 and result.call_count("Check") == 3
    assert not sample.remote_file.exists(), "preview must not call the provider's create"
    assert not (sample.state_dir / "dev.json").exists(), "preview must not write state"


def test_up_creates_children_under_the_component(sample):
    result = sample.engine().up()

    assert result.ok, result.errors
    assert result.summary["create"] == 5
    assert sample.remote()["log"] == ["create alpha"]
    record = result.step("web-record").new
    assert record.urn == "urn:pulumi:dev::engine-sample::sample:index:Bundle$pulumi-python:dynamic/sample:Record::web-record"
    assert record.parent == "urn:pulumi:dev::engine-sample::sample:index:Bundle::web"
    assert result.step("web").new.parent.endswith("pulumi:pulumi:Stack::engine-sample-dev")
    cert = result.step("web-cert").new
    assert record.outputs["fingerprint"] == result.outputs["fingerprint"]
    assert record.outputs["cert_pem"] == cert.outputs["certPem"]
    assert cert.id.isdigit(), "a certificate's id is its serial number"


def test_noop_up_makes_no_provider_writes(deployed):
    result = deployed.engine().up()

    assert result.ok, result.errors
    assert set(result.ops().values()) == {"same"}
    assert result.call_count("Create") == result.call_count("Update") == result.call_count("Delete") == 0
    assert deployed.remote()["log"] == ["create alpha"]


def test_in_place_updates(deployed):
    before = load(deployed.state_dir, "dev").by_urn()
    result = deployed.engine(recordValue="v2", earlyRenewalHours=6).up()

    assert result.ok, result.errors
    assert result.ops()["web-record"] == "update" and result.ops()["web-cert"] == "update"
    assert result.step("web-record").diff_reasons == ["value"]
    assert result.step("web-cert").detailed_diff == {"earlyRenewalHours": {"kind": "update", "inputDiff": True}}
    cert = result.step("web-cert")
    assert cert.new.id == cert.old.id and cert.new.outputs["certPem"] == cert.old.outputs["certPem"]
    assert deployed.remote()["records"]["alpha"]["value"] == "v2"
    assert deployed.remote()["log"] == ["create alpha", "update alpha"]
    assert result.step("web-record").new.id == before[result.step("web-record").urn].id


def test_replace_is_create_before_delete(deployed):
    result = deployed.engine(recordName="beta").up()

    assert result.ok, result.errors
    assert result.ops()["web-record"] == "replace"
    assert result.step("web-record", "replace").replace_reasons == ["name"]
    assert deployed.remote()["log"] == ["create alpha", "create beta", "delete alpha"]
    assert list(deployed.remote()["records"]) == ["beta"]
    assert [r.name for r in load(deployed.state_dir, "dev").resources].count("web-record") == 1


def test_key_change_replaces_key_and_cert_then_updates_dependent(deployed):
    result = deployed.engine(rsaBits=3072).up()

    assert result.ok, result.errors
    ops = result.ops()
    assert (ops["web-key"], ops["web-cert"], ops["web-record"]) == ("replace", "replace", "update")
    assert result.step("web-key", "replace").replace_reasons == ["rsaBits"]
    assert "privateKeyPem" in result.step("web-cert", "replace").replace_reasons
    assert result.step("web-record").diff_reasons == ["cert_pem"]


def test_replacement_trigger_replaces_only_when_its_value_changes(sample):
    sample.engine(keyGeneration=0).up().check()
    same = sample.engine(keyGeneration=0).up().check()
    assert same.ops()["web-key"] == "same"
    bumped = sample.engine(keyGeneration=1).up().check()
    assert bumped.ops()["web-key"] == "replace"
    assert bumped.step("web-key", "replace").replace_reasons == ["replacementTrigger"]
    assert bumped.ops()["web-cert"] == "replace"


def test_delete_before_replace_order_for_removed_and_added(deployed):
    deployed.engine(extraRecord="true").up().check()
    result = deployed.engine().up()

    assert result.ok, result.errors
    assert result.ops()["extra-record"] == "delete"
    assert deployed.remote()["log"][-1] == "delete extra"


def test_renewal_window_forces_replacement(deployed):
    old_end = deployed.engine().outputs()["notAfter"]
    inside_window = rfc3339(parse_rfc3339(old_end) - timedelta(hours=12) + timedelta(minutes=5))
    moved = {"OFFLINE_ENGINE_NOW": inside_window}

    assert deployed.engine().preview().ops()["web-cert"] == "same"
    planned = deployed.engine(env=moved).preview()
    assert planned.ops()["web-cert"] == "replace"
    assert planned.step("web-cert", "replace").replace_reasons == ["readyForRenewal"]

    result = deployed.engine(env=moved).up()
    assert result.ok, result.errors
    cert = result.step("web-cert", "create-replacement").new
    assert parse_rfc3339(cert.outputs["validityEndTime"]) > parse_rfc3339(old_end)
    assert result.ops()["web-record"] == "update"
    assert deployed.engine(env=moved).up().ops()["web-cert"] == "same", "the renewed certificate is outside its window"


def test_refresh_detects_drift_and_up_converges(deployed):
    remote = deployed.remote()
    remote["records"]["alpha"]["value"] = "CHANGED-BY-HAND"
    deployed.remote_file.write_text(__import__("json").dumps(remote))

    check = deployed.engine().refresh(preview_only=True, expect_no_changes=True)
    assert check.exit_code == 2
    assert check.step("web-record").op == "update" and check.step("web-record").diff_reasons == ["value"]
    assert "CHANGED-BY-HAND" not in deployed.state_text(), "--preview-only must not write state"

    refreshed = deployed.engine().refresh()
    assert refreshed.ok and refreshed.exit_code == 0
    assert refreshed.step("web-record").new.outputs["value"] == "CHANGED-BY-HAND"

    repaired = deployed.engine().up()
    assert repaired.ops()["web-record"] == "update"
    assert deployed.remote()["records"]["alpha"]["value"] == "v1"
    assert deployed.engine().refresh(expect_no_changes=True).exit_code == 0


def test_refresh_drops_a_resource_deleted_out_of_band(deployed):
    deployed.remote_file.write_text('{"records": {}, "log": []}')
    result = deployed.engine().refresh()

    assert result.step("web-record").op == "delete"
    assert "web-record" not in [r.name for r in load(deployed.state_dir, "dev").resources]
    assert deployed.engine().up().ops()["web-record"] == "create"


def test_destroy_deletes_dependents_first_and_empties_state(deployed):
    result = deployed.engine().destroy()

    assert result.ok, result.errors
    names = [s.name for s in result.steps if s.op == "delete"]
    assert names.index("web-record") < names.index("web-cert") < names.index("web-key") < names.index("web")
    assert names[-1] == "engine-sample-dev"
    assert deployed.remote()["records"] == {}
    assert load(deployed.state_dir, "dev").resources == []


def test_failing_provider_reports_its_message(sample):
    result = sample.engine(failOn="create").up()

    assert result.exit_code == 1 and not result.ok
    assert any("remote rejected create of record 'alpha' (failOn=create)" in e for e in result.errors)
    assert "web-record" in result.errors[0]
    state = load(sample.state_dir, "dev").by_urn()
    assert any(r.name == "web-key" for r in state.values()), "what succeeded is kept in state"
    assert not any(r.name == "web-record" for r in state.values())


def test_protected_resource_refuses_destroy_and_replace(sample):
    sample.engine(protectRecord="true").up().check()

    destroyed = sample.engine(protectRecord="true").destroy()
    assert destroyed.exit_code == 1
    assert "protected" in destroyed.errors[0] and "web-record" in destroyed.errors[0]
    assert "alpha" in sample.remote()["records"], "nothing may be deleted when destroy is refused"
    assert len(load(sample.state_dir, "dev").resources) == 5

    replaced = sample.engine(protectRecord="true", recordName="beta").up()
    assert replaced.exit_code == 1 and "protected" in replaced.errors[0]
    assert "beta" not in sample.remote()["records"]

    sample.engine().up().check()  # protect removed from the program
    assert sample.engine().destroy().ok
