"""Deleting an app (deleteAppOnDestroy) against the org emulator."""

from __future__ import annotations

import pytest

from components.salesforce.bundle import CONNECTED_APP, ECA
from tests.fixtures.salesforce_apps import app_spec, client


@pytest.mark.parametrize("kind", [ECA, CONNECTED_APP])
def test_delete_app_removes_every_component(salesforce_org, kind):
    if kind == CONNECTED_APP:
        salesforce_org.settings(allow_connected_app_creation=True)
    metadata = client(salesforce_org)
    metadata.deploy_app(app_spec(kind))
    assert metadata.read_app("Acme_JWT", kind) is not None
    assert metadata.delete_app("Acme_JWT", kind) is True
    assert metadata.read_app("Acme_JWT", kind) is None
    assert "Acme_JWT" not in [app["name"] for app in salesforce_org.apps()]


def test_delete_missing_app_is_false(salesforce_org):
    assert client(salesforce_org).delete_app("Nope_JWT", ECA) is False
