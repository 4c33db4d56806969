"""The Metadata API WSDL that simple-salesforce ships, read with lxml.

One source of truth for enumerations (scopes, policy types) and element order, shared by the
settings validation and the Salesforce client.
"""

from __future__ import annotations

import importlib.util
from functools import cache, lru_cache
from pathlib import Path

from lxml import etree

from components.salesforce.namespaces import XSD_NS

_NS = {"xsd": XSD_NS}


class WsdlError(LookupError):
    """The WSDL is missing or does not define the requested type."""


def wsdl_path() -> Path:
    """Path of ``metadata.wsdl`` inside the installed simple_salesforce package (not imported)."""
    spec = importlib.util.find_spec("simple_salesforce")
    if spec is None or not spec.submodule_search_locations:
        raise WsdlError("simple_salesforce is not installed; install the pinned requirements.txt")
    path = Path(next(iter(spec.submodule_search_locations))) / "metadata.wsdl"
    if not path.is_file():
        raise WsdlError(f"{path} not found: the simple_salesforce installation is incomplete")
    return path


@lru_cache(maxsize=1)
def _tree() -> etree._ElementTree:
    return etree.parse(str(wsdl_path()))


def _find_type(kind: str, name: str) -> etree._Element:
    found = _tree().xpath(f"//xsd:{kind}[@name=$name]", namespaces=_NS, name=name)
    if not found:
        raise WsdlError(f"the Metadata API WSDL defines no {kind} named {name!r}")
    return found[0]


@cache
def enum_values(simple_type_name: str) -> tuple[str, ...]:
    """Enumeration values of an ``xsd:simpleType`` in WSDL order, e.g. ``ConnectedAppOauthAccessScope``."""
    node = _find_type("simpleType", simple_type_name)
    values = tuple(node.xpath("xsd:restriction/xsd:enumeration/@value", namespaces=_NS))
    if not values:
        raise WsdlError(f"simpleType {simple_type_name!r} in the Metadata API WSDL is not an enumeration")
    return values


@cache
def element_names(complex_type_name: str) -> tuple[str, ...]:
    """Child element names of an ``xsd:complexType`` in sequence order, base type elements first.

    Salesforce expects elements in this order (e.g. ``fullName`` from ``Metadata`` first).
    """
    node = _find_type("complexType", complex_type_name)
    names: list[str] = []
    for base in node.xpath("xsd:complexContent/xsd:extension/@base", namespaces=_NS):
        names.extend(element_names(base.split(":")[-1]))
    names.extend(node.xpath(".//xsd:sequence/xsd:element/@name", namespaces=_NS))
    return tuple(names)
