"""The WSDL reader: the file simple-salesforce ships, enums and element order."""

import pytest

from components.salesforce import wsdl


def test_wsdl_path_is_the_file_inside_simple_salesforce():
    path = wsdl.wsdl_path()
    assert path.name == "metadata.wsdl"
    assert path.parent.name == "simple_salesforce"
    assert path.is_file()


def test_scope_enum_in_wsdl_order():
    scopes = wsdl.enum_values("ConnectedAppOauthAccessScope")
    assert scopes[:3] == ("Basic", "Api", "Web")
    assert "RefreshToken" in scopes and "OfflineAccess" in scopes
    assert "api" not in scopes  # case-sensitive metadata tokens, not OAuth wire names
    assert len(scopes) == len(set(scopes))


def test_policy_enum():
    assert wsdl.enum_values("PermittedUsersPolicyType") == ("AllSelfAuthorized", "AdminApprovedPreAuthorized")


def test_enum_values_are_cached():
    assert wsdl.enum_values("ConnectedAppOauthAccessScope") is wsdl.enum_values("ConnectedAppOauthAccessScope")


def test_unknown_type_is_a_clear_error():
    with pytest.raises(wsdl.WsdlError, match="NoSuchType"):
        wsdl.enum_values("NoSuchType")


def test_complex_type_is_not_an_enum():
    with pytest.raises(wsdl.WsdlError):
        wsdl.enum_values("ConnectedApp")


def test_element_names_include_base_type_first():
    names = wsdl.element_names("ExternalClientApplication")
    assert names[0] == "fullName"  # from the Metadata base type
    assert names.index("contactEmail") < names.index("distributionState") < names.index("label")


def test_element_names_of_connected_app_oauth_config_are_alphabetical():
    names = wsdl.element_names("ConnectedAppOauthConfig")
    assert "certificate" in names and "consumerKey" in names
    assert list(names) == sorted(names, key=str.lower)
