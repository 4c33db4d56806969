"""Random malformed SOAP bodies, zips and JWTs: always a clear Salesforce-style error, never a crash or hang."""

from __future__ import annotations

import base64
import io
import zipfile

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fixtures import emulator_builders as B

FUZZ = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SAFETY_NET = "An unexpected error occurred in the emulator"  # the catch-all's message: must never appear


@FUZZ
@given(
    body=st.one_of(
        st.binary(max_size=300),
        st.text(max_size=300).map(str.encode),
        st.sampled_from([b"<", b"<a/>", f'<e:Envelope xmlns:e="{B.SOAP}"><e:Body><x/></e:Body></e:Envelope>'.encode()]),
    )
)
def test_random_soap_bodies_get_soap_faults(salesforce_org, body):
    response = B.Soap(salesforce_org).post_raw(body)
    assert response.status_code == 500
    assert response.headers["Content-Type"].startswith("text/xml")
    assert b"<faultcode>" in response.content and SAFETY_NET.encode() not in response.content


@FUZZ
@given(
    assertion=st.one_of(
        st.text(max_size=200),
        st.lists(
            st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_", max_size=60),
            min_size=3,
            max_size=3,
        ).map(".".join),
    )
)
def test_random_assertions_are_invalid_assertion(salesforce_org, assertion):
    response = B.token_request(salesforce_org, assertion)
    assert response.status_code == 400
    assert response.json() == {"error": "invalid_grant", "error_description": "invalid assertion"}


zip_entries = st.dictionaries(
    st.sampled_from(
        [
            "package.xml",
            "connectedApps/A.connectedApp",
            "permissionsets/P.permissionset",
            "x/package.xml",
            "connectedApps/",
            "extlClntAppOauthSettings/O.ecaOauth",
        ]
    ),
    st.one_of(
        st.binary(max_size=120),
        st.sampled_from(
            [
                f'<Package xmlns="{B.MD}"><types><members>*</members><name>PermissionSet</name></types></Package>'.encode(),
                f'<Package xmlns="{B.MD}"><types><members>A</members><name>ConnectedApp</name></types></Package>'.encode(),
                B.permission_set().encode(),
                b"<ConnectedApp/>",
            ]
        ),
    ),
    max_size=5,
)


def _zip(entries: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@FUZZ
@given(payload=st.one_of(zip_entries.map(_zip), st.binary(max_size=200)))
def test_random_zips_finish_with_a_deploy_result(salesforce_org, payload):
    soap = B.Soap(salesforce_org)
    response = soap.call(
        f"<deploy><ZipFile>{base64.b64encode(payload).decode()}</ZipFile>"
        "<DeployOptions><singlePackage>true</singlePackage></DeployOptions></deploy>"
    )
    assert response.status_code == 200, response.text
    job = response.text.split("<id>")[1].split("</id>")[0]
    result = soap.status(job)
    assert B.field(result, "done") == "true"
    assert B.field(result, "status") in ("Succeeded", "Failed")
    if B.field(result, "status") == "Failed":
        assert all(B.problems(result)), "every failure names its problem"
