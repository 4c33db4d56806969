"""jsforce 3 (Node) against the emulator: JWT token, authorize, metadata read/deploy/retrieve, errors, and
the refusals of a production org with a least-privilege integration user."""

from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.fixtures import emulator_builders as B

REPO_ROOT = Path(__file__).resolve().parents[2]
SCRIPT = Path(__file__).with_name("jsforce_client.js")

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
    pytest.mark.skipif(
        not (REPO_ROOT / "node_modules" / "jsforce").is_dir(),
        reason="node_modules/jsforce is absent: run `npm ci` (done by .ci/run)",
    ),
]


def run_jsforce(payload: dict, ca_bundle: str) -> dict:
    env = {**os.environ, "NODE_EXTRA_CA_CERTS": ca_bundle}
    result = subprocess.run(
        ["node", str(SCRIPT)],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        cwd=REPO_ROOT,
        env=env,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_jsforce_token_metadata_read_deploy_and_retrieve(salesforce_org):
    org = salesforce_org
    soap = B.Soap(org)
    key, ck = B.jwt_app(org, soap)
    _, cert = B.key_pair(0)
    B.deploy_ok(soap, B.eca_files("NodeEca", cert, "NodeEcaKey000001"))
    jwt_text = B.assertion(key, ck, org.integration_username, org.login_url + "/")
    bundle = B.bundle({"PermissionSet": {"FromNode": B.permission_set("From Node")}})
    out = run_jsforce(
        {
            "login_url": org.login_url,
            "instance_url": org.instance_url,
            "consumer_key": ck,
            "assertion": jwt_text,
            "admin_token": org.admin_access_token,
            "version": "63.0",
            "app_name": "JwtApp",
            "eca_global_name": "NodeEca_glbloauth",
            "zip_base64": base64.b64encode(bundle).decode(),
        },
        org.ca_bundle,
    )
    assert out["requestToken"] == {"hasAccessToken": True, "instanceUrl": org.instance_url}
    assert out["authorize"]["organizationId"] == org.org_id
    assert out["authorize"]["instanceUrl"] == org.instance_url
    assert "query" in out["resources"] and out["ownUser"] == [org.integration_username]
    # the least-privilege integration user: no View Setup (limits), no id/openid scope (identity URL)
    assert out["limits"]["errorCode"] == "INSUFFICIENT_ACCESS" and "Insufficient Privileges" in out["limits"]["message"]
    assert out["identity"] is not None and "Bad_OAuth_Token" in out["identity"]["message"]
    assert out["read"] == {
        "fullName": "JwtApp",
        "consumerKey": ck,
        "isAdminApproved": True,
        "scopes": ["Api", "RefreshToken"],
    }
    # read-back forms: bare base64 DER certificates, no ECA consumer key without both switches
    assert "BEGIN CERTIFICATE" not in out["certificate"] and base64.b64decode(out["certificate"]) == B.der(cert)
    assert out["ecaGlobal"] == {
        "fullName": "NodeEca_glbloauth",
        "hasConsumerKey": False,
        "certificate": out["certificate"],
    }
    assert out["noTestRun"]["name"] == "sf:INVALID_OPERATION"
    assert out["noTestRun"]["message"] == (
        "INVALID_OPERATION: testLevel of NoTestRun cannot be used in production organizations"
    )
    assert out["deploy"] == {
        "status": "Succeeded",
        "success": True,
        "done": True,
        "numberComponentsDeployed": 1,
        "files": ["package.xml", "permissionsets/FromNode.permissionset"],
    }
    assert out["retrieve"] == {"status": "Succeeded", "hasZip": True}
    assert out["tokenError"]["name"] == "invalid_grant"
    assert out["tokenError"]["message"] == "invalid assertion"
    assert out["soapFault"] == {"name": "sf:INVALID_SESSION_ID"}
    calls = org.calls()
    assert calls["token"] >= 3 and calls["deploy"] >= 2 and calls["retrieve"] == 1
