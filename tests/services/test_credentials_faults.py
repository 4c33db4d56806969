"""Error paths over the wire: a loopback proxy in front of moto injects AWS error answers.

moto does not model throttling, 5xx or KMS failures, so the proxy answers with AWS's JSON error shape
for the first N matching requests and forwards everything else to the real moto server.
"""

from __future__ import annotations

import http.client
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from components.credentials import (
    AWSCURRENT,
    AccessDeniedError,
    AwsRetryPolicy,
    CredentialStore,
    KmsKeyError,
    ServiceUnavailableError,
    ThrottledError,
)
from tests.fixtures.aws import credential_document

FAST = AwsRetryPolicy(attempts=3)


@dataclass
class Fault:
    operation: str
    status: int
    code: str
    message: str = ""
    count: int = 1


@dataclass
class FaultProxy:
    upstream: str
    faults: list[Fault] = field(default_factory=list)
    seen: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def take(self, operation: str) -> Fault | None:
        with self.lock:
            self.seen.append(operation)
            for fault in self.faults:
                if fault.operation == operation and fault.count > 0:
                    fault.count -= 1
                    return fault
        return None

    def count(self, operation: str) -> int:
        return self.seen.count(operation)


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    upstream = urlsplit(proxy.upstream)

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *_args) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            operation = self.headers.get("X-Amz-Target", "").rpartition(".")[2]
            fault = proxy.take(operation)
            if fault:
                payload = json.dumps({"__type": fault.code, "message": fault.message}).encode()
                self._answer(fault.status, {"Content-Type": "application/x-amz-json-1.1"}, payload)
                return
            conn = http.client.HTTPConnection(upstream.hostname, upstream.port, timeout=30)
            conn.request("POST", self.path, body, {k: v for k, v in self.headers.items() if k.lower() != "host"})
            response = conn.getresponse()
            self._answer(response.status, dict(response.getheaders()), response.read())
            conn.close()

        def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
            self.send_response(status)
            for key, value in headers.items():
                if key.lower() not in ("content-length", "connection", "transfer-encoding", "server", "date"):
                    self.send_header(key, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    return Handler


@pytest.fixture
def proxy(aws) -> Iterator[tuple[FaultProxy, str]]:
    state = FaultProxy(aws.endpoint_url)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)  # quick stop
    thread.start()
    try:
        yield state, f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.fixture
def store(aws, proxy) -> CredentialStore:
    return CredentialStore("salesforce/faults/jwt", aws.region, endpoint_url=proxy[1], retry=FAST)


def test_throttling_is_retried_until_it_passes(store, proxy):
    state, _ = proxy
    store.ensure_secret()
    state.faults.append(Fault("PutSecretValue", 400, "ThrottlingException", "Rate exceeded", count=2))
    version = store.put_pending(credential_document())
    assert state.count("PutSecretValue") == 3
    assert store.get_version(version).document == credential_document()


def test_persistent_throttling_gives_up_after_the_budget(store, proxy):
    state, _ = proxy
    state.faults.append(Fault("DescribeSecret", 400, "ThrottlingException", "Rate exceeded", count=99))
    with pytest.raises(ThrottledError, match="throttling.*salesforce/faults/jwt"):
        store.describe()
    assert state.count("DescribeSecret") == FAST.attempts


def test_server_errors_are_retried(store, proxy):
    state, _ = proxy
    store.ensure_secret()
    store.promote(store.put_pending(credential_document()))
    state.faults.append(Fault("GetSecretValue", 500, "InternalServiceError", "oops", count=2))
    assert store.get(AWSCURRENT).document == credential_document()
    assert state.count("GetSecretValue") == 3
    state.faults.append(Fault("GetSecretValue", 503, "ServiceUnavailable", "down", count=99))
    with pytest.raises(ServiceUnavailableError, match="Re-run later"):
        store.get(AWSCURRENT)


@pytest.mark.parametrize(
    "code, message",
    [("DecryptionFailure", "The key is disabled."), ("KMSInvalidStateException", "key is pending deletion")],
)
def test_kms_failures_are_not_retried_and_name_the_setting(store, proxy, code, message):
    state, _ = proxy
    store.ensure_secret()
    store.put_pending(credential_document())
    state.faults.append(Fault("GetSecretValue", 400, code, message, count=99))
    with pytest.raises(KmsKeyError, match="kmsKeyId") as info:
        store.get(AWSCURRENT)
    assert info.value.code == code
    assert state.count("GetSecretValue") == 1


def test_kms_failure_on_write_keeps_the_document_out_of_the_message(store, proxy):
    state, _ = proxy
    store.ensure_secret()
    state.faults.append(Fault("PutSecretValue", 400, "EncryptionFailure", "Access to KMS is not allowed", count=1))
    with pytest.raises(KmsKeyError) as info:
        store.put_pending(credential_document())
    text = str(info.value) + repr(info.value.__cause__)
    assert "PRIVATE KEY" not in text and credential_document().consumer_key not in text


def test_unreachable_endpoint(aws):
    from emulator.aws import free_port

    store = CredentialStore("x", aws.region, endpoint_url=f"http://127.0.0.1:{free_port()}", retry=FAST)
    with pytest.raises(ServiceUnavailableError, match="Could not reach AWS Secrets Manager.*3 attempt"):
        store.describe()


@pytest.fixture
def enforced_auth(aws):
    """moto checks IAM for every call from here on; switched off again afterwards."""
    yield aws
    aws.server.set_auth(False)


def test_access_denied_through_real_iam_checks(enforced_auth):
    aws = enforced_auth
    admin_store = CredentialStore("salesforce/iam/jwt", aws.region, endpoint_url=aws.endpoint_url, retry=FAST)
    admin_store.ensure_secret()
    admin_store.promote(admin_store.put_pending(credential_document()))
    iam = aws.client("iam")
    iam.create_user(UserName="reader")
    key = iam.create_access_key(UserName="reader")["AccessKey"]
    aws.server.set_auth(True)
    client = aws.client(
        "secretsmanager",
        aws_access_key_id=key["AccessKeyId"],
        aws_secret_access_key=key["SecretAccessKey"],
        aws_session_token=None,
    )
    denied = CredentialStore("salesforce/iam/jwt", aws.region, client=client, retry=FAST)
    with pytest.raises(AccessDeniedError, match="Allow secretsmanager:GetSecretValue") as info:
        denied.get(AWSCURRENT)
    # moto answers 403 with an XML body botocore cannot parse for this JSON API, so the code is the status
    assert info.value.code in ("AccessDeniedException", "403") and info.value.operation == "GetSecretValue"
    aws.server.set_auth(False)
    assert admin_store.get(AWSCURRENT).document == credential_document()


def test_ensure_secret_survives_a_concurrent_create(aws, store, proxy):
    """Another deployment creates the secret between our describe and our create."""
    state, _ = proxy
    CredentialStore(store.name, aws.region, endpoint_url=aws.endpoint_url, retry=FAST).ensure_secret()
    state.faults.append(Fault("DescribeSecret", 400, "ResourceNotFoundException", "not found", count=1))
    described = store.ensure_secret(tags={"env": "dev"})
    assert state.count("CreateSecret") == 1  # it tried, moto said ResourceExists, and it reconciled
    assert described.tags["env"] == "dev" and described.managed


def test_an_unchanged_secret_is_not_rewritten(store, proxy):
    state, _ = proxy
    readers = ["arn:aws:iam::123456789012:role/billing-sync"]
    store.ensure_secret(tags={"env": "dev"}, reader_principals=readers)
    store.ensure_secret(tags={"env": "dev"}, reader_principals=readers)
    for write in ("CreateSecret", "PutResourcePolicy"):
        assert state.count(write) == 1
    assert state.count("UpdateSecret") == state.count("TagResource") == 0


def test_parameter_errors_never_quote_the_document(aws):
    """botocore quotes the offending value in ParamValidationError; the store must not pass it on."""
    from components.credentials import AwsRetryPolicy, InvalidRequestError, make_client
    from components.credentials.aws_calls import AwsCaller
    from tests.fixtures.aws import credential_document

    document = credential_document(0)
    call = AwsCaller(make_client(aws.region, aws.endpoint_url), AwsRetryPolicy(), "prod/params", aws.endpoint_url)
    with pytest.raises(InvalidRequestError) as err:
        call("PutSecretValue", SecretId="prod/params", SecretString=document.to_dict())  # a dict, not a string
    text = str(err.value)
    assert err.value.code == "ParamValidation" and err.value.__cause__ is None
    assert "PRIVATE KEY" not in text and document.private_key_pem.splitlines()[1] not in text
    assert document.consumer_key not in text
