"""The stand-in ``pulumi-resource-tls`` plugin, run as a real process and driven over gRPC like the engine."""

from __future__ import annotations

import ipaddress
import json
import os
import select
import signal
import subprocess
import sys
from datetime import UTC, datetime, timedelta

import grpc
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from google.protobuf import empty_pb2
from pulumi.runtime.proto import provider_pb2

from tests.emulator.tls_plugin_client import (
    CERT_REQUEST,
    ENGINE,
    LAUNCHER,
    PRIVATE_KEY,
    SELF_SIGNED_CERT,
    UNKNOWN,
    Plugin,
    is_secret,
    plain,
    props,
    read_port,
    secret,
    start_plugin,
    struct,
)

NOW = datetime(2030, 1, 1, tzinfo=UTC)
NOW_TEXT = "2030-01-01T00:00:00Z"
Kind = provider_pb2.PropertyDiff


@pytest.fixture(scope="module")
def plugin(tmp_path_factory) -> Plugin:
    running = start_plugin(tmp_path_factory.mktemp("tls-plugin"), now=NOW_TEXT)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def rsa_key(plugin) -> tuple[dict, str, dict]:
    return plugin.checked_create(PRIVATE_KEY, {"algorithm": "RSA"}, name="key")


def _cert_news(key_outputs: dict, **extra) -> dict:
    return {
        "privateKeyPem": key_outputs["privateKeyPem"],
        "allowedUses": ["digital_signature", "client_auth"],
        "validityPeriodHours": 48,
        "earlyRenewalHours": 12,
        "subject": {"commonName": "svc", "organization": "Org"},
        **extra,
    }


@pytest.fixture(scope="module")
def cert(plugin, rsa_key) -> tuple[dict, str, dict]:
    return plugin.checked_create(SELF_SIGNED_CERT, _cert_news(rsa_key[2]), name="cert")


def _load_key(outputs: dict, field: str = "privateKeyPem"):
    return serialization.load_pem_private_key(plain(outputs[field]).encode(), None)


def _spki(public_key) -> bytes:
    return public_key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


# -- protocol --------------------------------------------------------------------------------------
def test_handshake_configure_and_plugin_info(plugin):
    shake, config = plugin.handshake_and_configure()
    assert (shake.accept_secrets, shake.accept_resources, shake.accept_outputs) == (True, True, False)
    assert (config.acceptSecrets, config.supportsPreview, config.acceptResources) == (True, True, True)
    assert plugin.stub.GetPluginInfo(empty_pb2.Empty(), timeout=30).version == "5.6.2"


def test_schema_names_the_package_and_its_secrets(plugin):
    schema = json.loads(plugin.stub.GetSchema(provider_pb2.GetSchemaRequest(version=0), timeout=30).schema)
    assert (schema["name"], schema["version"]) == ("tls", "5.6.2")
    assert set(schema["resources"]) == {PRIVATE_KEY, SELF_SIGNED_CERT, CERT_REQUEST}
    key = schema["resources"][PRIVATE_KEY]
    assert key["requiredInputs"] == ["algorithm"]
    assert all(key["properties"][p]["secret"] for p in ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"))
    assert "secret" not in key["properties"]["publicKeyPem"]
    subject_ref = schema["resources"][SELF_SIGNED_CERT]["inputProperties"]["subject"]["$ref"]
    assert subject_ref.removeprefix("#/types/") in schema["types"]


def test_provider_config_is_echoed_and_never_differs(plugin):
    config = provider_pb2.CheckRequest(
        urn="urn:pulumi:dev::proj::pulumi:providers:tls::default", olds=struct({}), news=struct({"version": "5.6.2"})
    )
    assert props(plugin.stub.CheckConfig(config, timeout=30).inputs) == {"version": "5.6.2"}
    diff = plugin.stub.DiffConfig(
        provider_pb2.DiffRequest(urn=config.urn, olds=config.news, news=config.news), timeout=30
    )
    assert diff.changes == provider_pb2.DiffResponse.DIFF_NONE and not diff.replaces


def test_functions_are_not_modelled(plugin):
    with pytest.raises(grpc.RpcError) as error:
        plugin.stub.Invoke(provider_pb2.InvokeRequest(tok="tls:index/getPublicKey:getPublicKey"), timeout=30)
    assert error.value.code() == grpc.StatusCode.UNIMPLEMENTED


def test_listens_on_loopback_only(plugin):
    listening = _listening_sockets(plugin.process.pid)
    assert listening, "the plugin listens on nothing"
    assert listening == {("127.0.0.1", plugin.port)}


# -- private keys -------------------------------------------------------------------------------------
@pytest.mark.parametrize("bits", [None, 3072])
def test_rsa_key_sizes_and_pem_forms(plugin, bits):
    news = {"algorithm": "RSA"} if bits is None else {"algorithm": "RSA", "rsaBits": bits}
    inputs, id_, outputs = plugin.checked_create(PRIVATE_KEY, news)
    assert inputs["rsaBits"] == (bits or 2048)
    key = _load_key(outputs)
    assert isinstance(key, rsa.RSAPrivateKey) and key.key_size == (bits or 2048)
    assert plain(outputs["privateKeyPem"]).startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert plain(outputs["privateKeyPemPkcs8"]).startswith("-----BEGIN PRIVATE KEY-----")
    assert plain(outputs["privateKeyOpenssh"]).startswith("-----BEGIN OPENSSH PRIVATE KEY-----")
    assert _spki(_load_key(outputs, "privateKeyPemPkcs8").public_key()) == _spki(key.public_key())
    assert _spki(serialization.load_pem_public_key(outputs["publicKeyPem"].encode())) == _spki(key.public_key())
    assert outputs["publicKeyOpenssh"].startswith("ssh-rsa ") and outputs["publicKeyFingerprintSha256"].startswith(
        "SHA256:"
    )
    assert id_ and outputs["algorithm"] == "RSA"


def test_private_key_outputs_are_secrets(rsa_key):
    _inputs, _id, outputs = rsa_key
    assert all(is_secret(outputs[k]) for k in ("privateKeyPem", "privateKeyPemPkcs8", "privateKeyOpenssh"))
    assert not is_secret(outputs["publicKeyPem"])


@pytest.mark.parametrize(
    "news, kind",
    [
        ({"algorithm": "ECDSA", "ecdsaCurve": "P256"}, ec.EllipticCurvePrivateKey),
        ({"algorithm": "ED25519"}, ed25519.Ed25519PrivateKey),
    ],
)
def test_ecdsa_and_ed25519_are_accepted_like_pulumi_tls(plugin, news, kind):
    _inputs, _id, outputs = plugin.checked_create(PRIVATE_KEY, news)
    assert isinstance(_load_key(outputs), kind)


@pytest.mark.parametrize(
    "type_, news, prop",
    [
        (PRIVATE_KEY, {"algorithm": "DSA"}, "algorithm"),
        (PRIVATE_KEY, {"algorithm": "ECDSA", "ecdsaCurve": "P192"}, "ecdsaCurve"),
        (SELF_SIGNED_CERT, {"allowedUses": ["client_auth"], "validityPeriodHours": 1}, "privateKeyPem"),
        (
            SELF_SIGNED_CERT,
            {"privateKeyPem": "k", "allowedUses": ["teleport"], "validityPeriodHours": 1},
            "allowedUses",
        ),
        (
            SELF_SIGNED_CERT,
            {"privateKeyPem": "k", "allowedUses": ["client_auth"], "validityPeriodHours": -1},
            "validityPeriodHours",
        ),
        (CERT_REQUEST, {"subject": {"commonName": "x"}}, "privateKeyPem"),
    ],
)
def test_invalid_inputs_are_check_failures(plugin, type_, news, prop):
    _inputs, failures = plugin.check(type_, news)
    assert [p for p, _reason in failures] == [prop]


def test_unknown_inputs_are_not_check_failures(plugin):
    assert plugin.check(PRIVATE_KEY, {"algorithm": UNKNOWN})[1] == []
    inputs, failures = plugin.check(
        SELF_SIGNED_CERT, {"privateKeyPem": secret(UNKNOWN), "allowedUses": UNKNOWN, "validityPeriodHours": 1}
    )
    assert failures == [] and inputs["privateKeyPem"] == secret(UNKNOWN)


def test_check_keeps_secret_inputs_secret_and_adds_defaults(plugin, rsa_key):
    news = _cert_news(rsa_key[2])
    del news["earlyRenewalHours"]
    inputs, failures = plugin.check(SELF_SIGNED_CERT, news)
    assert failures == []
    assert is_secret(inputs["privateKeyPem"]) and inputs["privateKeyPem"] == rsa_key[2]["privateKeyPem"]
    assert (inputs["earlyRenewalHours"], inputs["isCaCertificate"]) == (0, False)


# -- certificates and requests --------------------------------------------------------------------------
def test_self_signed_certificate_content(cert, rsa_key):
    _inputs, id_, outputs = cert
    certificate = x509.load_pem_x509_certificate(outputs["certPem"].encode())
    assert str(certificate.serial_number) == id_
    assert certificate.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value == "svc"
    assert certificate.subject.get_attributes_for_oid(NameOID.ORGANIZATION_NAME)[0].value == "Org"
    assert certificate.not_valid_before_utc == NOW and certificate.not_valid_after_utc == NOW + timedelta(hours=48)
    assert (outputs["validityStartTime"], outputs["validityEndTime"]) == (NOW_TEXT, "2030-01-03T00:00:00Z")
    assert outputs["readyForRenewal"] is False and outputs["keyAlgorithm"] == "RSA"
    usage = certificate.extensions.get_extension_for_class(x509.KeyUsage).value
    assert usage.digital_signature and not usage.key_cert_sign
    assert list(certificate.extensions.get_extension_for_class(x509.ExtendedKeyUsage).value) == [
        ExtendedKeyUsageOID.CLIENT_AUTH
    ]
    assert certificate.extensions.get_extension_for_class(x509.BasicConstraints).value.ca is False
    assert _spki(certificate.public_key()) == _spki(_load_key(rsa_key[2]).public_key())
    certificate.verify_directly_issued_by(certificate)


def test_certificate_echoes_the_secret_key_input_as_a_secret(cert):
    _inputs, _id, outputs = cert
    assert is_secret(outputs["privateKeyPem"]) and not is_secret(outputs["certPem"])


def test_cert_request_contents(plugin, rsa_key):
    news = {
        "privateKeyPem": rsa_key[2]["privateKeyPem"],
        "dnsNames": ["svc.example.com"],
        "subject": {"commonName": "svc", "organization": "Org"},
    }
    _inputs, _id, outputs = plugin.checked_create(CERT_REQUEST, news)
    request = x509.load_pem_x509_csr(outputs["certRequestPem"].encode())
    assert request.is_signature_valid
    assert request.subject.rfc4514_string() == "O=Org,CN=svc"
    assert request.extensions.get_extension_for_class(x509.SubjectAlternativeName).value.get_values_for_type(
        x509.DNSName
    ) == ["svc.example.com"]
    assert _spki(request.public_key()) == _spki(_load_key(rsa_key[2]).public_key())
    assert is_secret(outputs["privateKeyPem"]) and outputs["keyAlgorithm"] == "RSA"


def test_create_error_is_a_status_without_key_material(plugin):
    junk = "-----BEGIN RSA PRIVATE KEY-----\nbm90IGEga2V5\n-----END RSA PRIVATE KEY-----\n"
    news = {"privateKeyPem": secret(junk), "allowedUses": ["client_auth"], "validityPeriodHours": 1}
    with pytest.raises(grpc.RpcError) as error:
        plugin.create(SELF_SIGNED_CERT, plugin.check(SELF_SIGNED_CERT, news)[0])
    assert "privateKeyPem" in error.value.details() and "BEGIN" not in error.value.details()


# -- preview ----------------------------------------------------------------------------------------------
def test_preview_create_returns_unknown_computed_outputs(plugin):
    id_, outputs = plugin.create(PRIVATE_KEY, {"algorithm": "RSA", "rsaBits": 2048}, preview=True)
    assert id_ == "" and outputs["algorithm"] == "RSA"
    assert plain(outputs["privateKeyPem"]) == UNKNOWN and is_secret(outputs["privateKeyPem"])
    assert outputs["publicKeyPem"] == UNKNOWN


def test_preview_create_accepts_unknown_inputs(plugin):
    news = {"privateKeyPem": secret(UNKNOWN), "allowedUses": ["client_auth"], "validityPeriodHours": 48}
    id_, outputs = plugin.create(SELF_SIGNED_CERT, plugin.check(SELF_SIGNED_CERT, news)[0], preview=True)
    assert id_ == "" and outputs["certPem"] == UNKNOWN and outputs["readyForRenewal"] == UNKNOWN
    assert outputs["privateKeyPem"] == secret(UNKNOWN)


# -- diff, update, read, delete ----------------------------------------------------------------------------
def _detailed(response: provider_pb2.DiffResponse) -> dict[str, int]:
    assert response.hasDetailedDiff
    return {k: v.kind for k, v in response.detailedDiff.items()}


def test_no_change_is_no_diff(plugin, rsa_key, cert):
    inputs, id_, outputs = rsa_key
    assert plugin.diff(PRIVATE_KEY, id_, outputs, inputs, inputs).changes == provider_pb2.DiffResponse.DIFF_NONE
    inputs, id_, outputs = cert
    response = plugin.diff(SELF_SIGNED_CERT, id_, outputs, inputs, inputs)
    assert response.changes == provider_pb2.DiffResponse.DIFF_NONE and not response.replaces


def test_private_key_inputs_replace(plugin, rsa_key):
    inputs, id_, outputs = rsa_key
    response = plugin.diff(PRIVATE_KEY, id_, outputs, inputs, {**inputs, "rsaBits": 4096})
    assert response.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(response.replaces) == ["rsaBits"] and _detailed(response) == {"rsaBits": Kind.UPDATE_REPLACE}
    assert response.deleteBeforeReplace is False


def test_cert_request_inputs_replace(plugin, rsa_key):
    news = {"privateKeyPem": rsa_key[2]["privateKeyPem"], "subject": {"commonName": "a"}}
    inputs, id_, outputs = plugin.checked_create(CERT_REQUEST, news)
    response = plugin.diff(CERT_REQUEST, id_, outputs, inputs, {**inputs, "dnsNames": ["b.example.com"]})
    assert list(response.replaces) == ["dnsNames"] and _detailed(response) == {"dnsNames": Kind.ADD_REPLACE}


def test_self_signed_cert_inputs_replace_except_early_renewal_hours(plugin, cert):
    inputs, id_, outputs = cert
    early = plugin.diff(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "earlyRenewalHours": 6})
    assert early.changes == provider_pb2.DiffResponse.DIFF_SOME and not early.replaces
    assert _detailed(early) == {"earlyRenewalHours": Kind.UPDATE}
    longer = plugin.diff(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "validityPeriodHours": 72})
    assert list(longer.replaces) == ["validityPeriodHours"]
    unknown_key = plugin.diff(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "privateKeyPem": secret(UNKNOWN)})
    assert list(unknown_key.replaces) == ["privateKeyPem"]


def test_update_changes_early_renewal_hours_in_place(plugin, cert):
    inputs, id_, outputs = cert
    updated = plugin.update(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "earlyRenewalHours": 6})
    assert updated["earlyRenewalHours"] == 6 and updated["certPem"] == outputs["certPem"]
    assert updated["readyForRenewal"] is False and is_secret(updated["privateKeyPem"])
    with pytest.raises(grpc.RpcError) as error:
        plugin.update(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "validityPeriodHours": 72})
    assert error.value.code() == grpc.StatusCode.FAILED_PRECONDITION


def test_update_preview_with_unknown_hours_leaves_renewal_unknown(plugin, cert):
    inputs, id_, outputs = cert
    updated = plugin.update(
        SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "earlyRenewalHours": UNKNOWN}, preview=True
    )
    assert updated["readyForRenewal"] == UNKNOWN and updated["certPem"] == outputs["certPem"]


def test_delete_has_nothing_to_do(plugin, rsa_key):
    inputs, id_, outputs = rsa_key
    plugin.delete(PRIVATE_KEY, id_, outputs, inputs)


def test_read_outside_the_window_changes_nothing(plugin, cert):
    inputs, id_, outputs = cert
    response = plugin.read(SELF_SIGNED_CERT, id_, outputs, inputs)
    assert response.id == id_
    assert props(response.properties) == outputs and props(response.inputs) == inputs


@pytest.fixture(scope="module")
def in_window(tmp_path_factory) -> Plugin:
    """A later run of the CLI: the clock is at the opening of the renewal window (end 48 h - 12 h early)."""
    running = start_plugin(tmp_path_factory.mktemp("tls-window"), now="2030-01-02T12:00:00Z")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def before_window(tmp_path_factory) -> Plugin:
    running = start_plugin(tmp_path_factory.mktemp("tls-before"), now="2030-01-02T11:59:59Z")
    yield running
    running.stop()


def test_renewal_window_replaces_on_diff_without_refresh(in_window, before_window, cert):
    inputs, id_, outputs = cert
    before = before_window.diff(SELF_SIGNED_CERT, id_, outputs, inputs, inputs)
    assert before.changes == provider_pb2.DiffResponse.DIFF_NONE
    inside = in_window.diff(SELF_SIGNED_CERT, id_, outputs, inputs, inputs)
    assert inside.changes == provider_pb2.DiffResponse.DIFF_SOME
    assert list(inside.replaces) == ["readyForRenewal"]
    assert _detailed(inside) == {"readyForRenewal": Kind.UPDATE_REPLACE}


def test_raising_early_renewal_hours_opens_the_window_in_the_same_diff(before_window, cert):
    inputs, id_, outputs = cert
    response = before_window.diff(SELF_SIGNED_CERT, id_, outputs, inputs, {**inputs, "earlyRenewalHours": 13})
    assert list(response.replaces) == ["readyForRenewal"]
    assert _detailed(response) == {"earlyRenewalHours": Kind.UPDATE, "readyForRenewal": Kind.UPDATE_REPLACE}


def test_refresh_in_the_window_sets_ready_for_renewal(in_window, before_window, cert):
    inputs, id_, outputs = cert
    assert props(before_window.read(SELF_SIGNED_CERT, id_, outputs, inputs).properties)["readyForRenewal"] is False
    response = in_window.read(SELF_SIGNED_CERT, id_, outputs, inputs)
    refreshed = props(response.properties)
    assert refreshed == {**outputs, "readyForRenewal": True}
    assert is_secret(refreshed["privateKeyPem"]) and props(response.inputs) == inputs
    after = in_window.diff(SELF_SIGNED_CERT, id_, refreshed, inputs, inputs)
    assert list(after.replaces) == ["readyForRenewal"]


def test_replacement_certificate_starts_at_the_moved_clock(in_window, cert):
    inputs, _id, _outputs = cert
    _id2, outputs = in_window.create(SELF_SIGNED_CERT, inputs)
    assert outputs["validityStartTime"] == "2030-01-02T12:00:00Z" and outputs["readyForRenewal"] is False


def test_never_logs_private_keys(plugin, rsa_key, cert):
    log = plugin.stderr()
    assert "created" in log  # -v=9 logs each create, so the check below looks at a real log
    assert "PRIVATE KEY" not in log and plain(rsa_key[2]["privateKeyPem"]).splitlines()[1] not in log


# -- process lifetime --------------------------------------------------------------------------------------
def test_cancel_refuses_further_creates(tmp_path):
    running = start_plugin(tmp_path)
    try:
        running.cancel()
        with pytest.raises(grpc.RpcError) as error:
            running.create(PRIVATE_KEY, {"algorithm": "ED25519"})
        assert error.value.code() == grpc.StatusCode.CANCELLED
    finally:
        running.stop()


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_stop_signal_exits_cleanly(tmp_path, signum):
    running = start_plugin(tmp_path)
    try:
        running.process.send_signal(signum)
        assert running.process.wait(timeout=30) == 0
        assert running.process.stdout.read() == b""  # nothing after the port line
    finally:
        running.stop()


def test_exits_when_the_engine_closes_stdin(tmp_path):
    running = start_plugin(tmp_path)
    try:
        running.process.stdin.close()
        assert running.process.wait(timeout=30) == 0
        assert "engine closed stdin" in running.stderr()
    finally:
        running.stop()


PARENT = """
import subprocess, sys
child = subprocess.Popen([sys.argv[1], sys.argv[2]], stdin=getattr(subprocess, sys.argv[3]),
                         stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
port = child.stdout.readline().decode().strip()
print(child.pid, port, flush=True)
sys.stdin.read()
"""


@pytest.mark.parametrize("child_stdin", ["PIPE", "DEVNULL"])  # DEVNULL: only the parent-pid watch can notice
def test_exits_when_its_parent_dies(child_stdin):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT, str(LAUNCHER), ENGINE, child_stdin],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
    )
    watch = None
    try:
        child_pid, port = (int(x) for x in read_port(parent.stdout).split())
        assert port > 0
        watch = os.pidfd_open(child_pid)
        parent.kill()
        parent.wait(timeout=30)
        ready, _, _ = select.select([watch], [], [], 30)
        assert ready, "the plugin outlived its parent"
    finally:
        parent.kill()
        parent.wait(timeout=30)
        parent.stdin.close()
        parent.stdout.close()
        if watch is not None:
            _kill_if_alive(watch)
            os.close(watch)


def test_bad_clock_variable_fails_fast(tmp_path):
    env = {**os.environ, "PULUMI_TLS_STANDIN_NOW": "next tuesday"}
    done = subprocess.run([str(LAUNCHER), ENGINE], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2 and done.stdout == ""
    assert "PULUMI_TLS_STANDIN_NOW" in done.stderr


def test_engine_flags_are_ignored_and_the_address_is_taken():
    from emulator.tls_plugin.__main__ import parse_args

    assert (
        parse_args(["--logtostderr", "-v=9", "--tracing", "127.0.0.1:9", "127.0.0.1:4242"]).engine == "127.0.0.1:4242"
    )
    assert parse_args(["--new-flag", "value", "127.0.0.1:4242"]).engine == "127.0.0.1:4242"


# -- helpers ---------------------------------------------------------------------------------------------
def _kill_if_alive(pidfd: int) -> None:
    """Leave no orphan behind when a lifetime test fails."""
    try:
        signal.pidfd_send_signal(pidfd, signal.SIGKILL)
    except ProcessLookupError:
        pass


def _listening_sockets(pid: int) -> set[tuple[str, int]]:
    """(address, port) of every listening TCP socket the process holds, from /proc."""
    inodes = set()
    for fd in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{fd}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    found = set()
    for table in ("tcp", "tcp6"):
        with open(f"/proc/{pid}/net/{table}") as lines:
            for line in list(lines)[1:]:
                fields = line.split()
                if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                    found.add(_address(fields[1]))
    return found


def _address(hex_address: str) -> tuple[str, int]:
    host, port = hex_address.split(":")
    raw = bytes.fromhex(host)
    if len(raw) == 4:
        return ".".join(str(b) for b in reversed(raw)), int(port, 16)
    words = [raw[i : i + 4][::-1] for i in range(0, 16, 4)]
    address = ipaddress.IPv6Address(b"".join(words))
    return str(address.ipv4_mapped or address), int(port, 16)  # gRPC binds 127.0.0.1 as ::ffff:127.0.0.1
