"""Dynamic providers of the sample project. Pickled by reference, so the host imports this module.

``Record`` keeps records in a JSON file (the "remote"), named by the stack config ``remoteFile``, and
appends every mutating call to its ``log`` so tests can count real side effects.
"""

import hashlib
import json
import secrets
from pathlib import Path

import pulumi
from pulumi.dynamic import CheckFailure, CheckResult, ConfigureRequest, CreateResult, DiffResult, ReadResult
from pulumi.dynamic import Resource, ResourceProvider, UpdateResult

INPUTS = ("name", "value", "cert_pem", "token")


def _load(path: str) -> dict:
    file = Path(path)
    return json.loads(file.read_text()) if file.is_file() else {"records": {}, "log": []}


def _save(path: str, remote: dict) -> None:
    Path(path).write_text(json.dumps(remote, indent=2))


class RecordProvider(ResourceProvider):
    """Stores one record per resource; ``name`` change replaces, anything else updates in place."""

    remote_file = ""
    fail_on = ""

    def configure(self, req: ConfigureRequest) -> None:
        self.remote_file = req.config.require("remoteFile")
        self.fail_on = req.config.get("failOn") or ""

    def check(self, olds, news):
        failures = [CheckFailure("name", "name must be a non-empty string")] if not news.get("name") else []
        return CheckResult(news, failures)

    def _write(self, op: str, props: dict) -> dict:
        if self.fail_on == op:
            raise ValueError(f"remote rejected {op} of record {props['name']!r} (failOn={op})")
        remote = _load(self.remote_file)
        outs = {k: props.get(k) for k in INPUTS}
        outs["fingerprint"] = hashlib.sha256((props.get("cert_pem") or "").encode()).hexdigest()
        outs["receipt"] = secrets.token_hex(8)
        remote["records"][props["name"]] = {"value": props["value"], "fingerprint": outs["fingerprint"]}
        remote["log"].append(f"{op} {props['name']}")
        _save(self.remote_file, remote)
        print(f"record {props['name']} written ({op})")  # relayed by the engine as a provider message
        return outs

    def create(self, props):
        return CreateResult(id_=props["name"], outs=self._write("create", props))

    def diff(self, id_, olds, news):
        changed = [k for k in INPUTS if olds.get(k) != news.get(k)]
        return DiffResult(changes=bool(changed), replaces=[k for k in changed if k == "name"],
                          delete_before_replace=False)

    def update(self, id_, olds, news):
        return UpdateResult(outs=self._write("update", news))

    def read(self, id_, props):
        record = _load(self.remote_file)["records"].get(id_)
        if record is None:
            return ReadResult(None, props)
        return ReadResult(id_, {**props, "value": record["value"], "fingerprint": record["fingerprint"]})

    def delete(self, id_, props):
        if self.fail_on == "delete":
            raise ValueError(f"remote rejected delete of record {id_!r} (failOn=delete)")
        remote = _load(self.remote_file)
        remote["records"].pop(id_, None)
        remote["log"].append(f"delete {id_}")
        _save(self.remote_file, remote)


class Record(Resource, module="sample", name="Record"):
    """A record in the remote file."""

    fingerprint: pulumi.Output[str]
    receipt: pulumi.Output[str]
    token: pulumi.Output[str]
    value: pulumi.Output[str]

    def __init__(self, name, *, record_name, value, cert_pem, token, opts=None):
        props = {"name": record_name, "value": value, "cert_pem": cert_pem, "token": token,
                 "fingerprint": None, "receipt": None}
        super().__init__(RecordProvider(), name, props, opts)
