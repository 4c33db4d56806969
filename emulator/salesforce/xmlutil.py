"""Small lxml helpers shared by the metadata model and the SOAP handlers (local-name matching)."""

from __future__ import annotations

from collections.abc import Iterable

from lxml import etree

from .schema import MD_NS, MetadataSchema

_PARSER = etree.XMLParser(
    resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False, remove_comments=True
)


def parse(data: bytes) -> etree._Element:
    """Parse untrusted XML without entity expansion or network access."""
    return etree.fromstring(data, parser=_PARSER)


def local(element: etree._Element) -> str:
    """Local name of an element (namespace ignored); '' for comments and PIs."""
    return etree.QName(element).localname if isinstance(element.tag, str) else ""


def children(element: etree._Element | None, name: str | None = None) -> list[etree._Element]:
    """Child elements, optionally only those with local name ``name`` (none for a missing parent)."""
    if element is None:
        return []
    return [c for c in element if isinstance(c.tag, str) and (name is None or local(c) == name)]


def child(element: etree._Element | None, name: str) -> etree._Element | None:
    """First child element with local name ``name``."""
    if element is None:
        return None
    return next(iter(children(element, name)), None)


def text(element: etree._Element | None, name: str, default: str | None = None) -> str | None:
    """Stripped text of the first child named ``name``."""
    found = child(element, name)
    if found is None or found.text is None:
        return default
    return found.text.strip()


def texts(element: etree._Element | None, name: str) -> list[str]:
    """Stripped, non-empty texts of every child named ``name``."""
    if element is None:
        return []
    return [c.text.strip() for c in children(element, name) if c.text and c.text.strip()]


def boolean(value: str | None, default: bool = False) -> bool:
    """xsd:boolean, read leniently (``True``/``FALSE``/``1``/``0``), as Salesforce's SOAP stack does."""
    if value is None:
        return default
    cleaned = value.strip().lower()
    if cleaned in ("true", "1"):
        return True
    if cleaned in ("false", "0"):
        return False
    return default


def split_commas(value: str | None) -> list[str]:
    """``"Api, RefreshToken"`` -> ``["Api", "RefreshToken"]``."""
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def set_values(
    schema: MetadataSchema, type_name: str, parent: etree._Element, name: str, values: Iterable[str] | None
) -> None:
    """Replace the children named ``name`` with ``values``, keeping the schema's element order."""
    for old in children(parent, name):
        parent.remove(old)
    values = list(values or [])
    if not values:
        return
    order = schema.order(type_name)
    rank = order.index(name) if name in order else len(order)
    position = len(parent)
    for index, existing in enumerate(parent):
        existing_name = local(existing)
        if existing_name in order and order.index(existing_name) > rank:
            position = index
            break
    for offset, value in enumerate(values):
        element = etree.Element(f"{{{MD_NS}}}{name}")
        element.text = value
        parent.insert(position + offset, element)


def ensure_child(schema: MetadataSchema, type_name: str, parent: etree._Element, name: str) -> etree._Element:
    """Return the child ``name``, creating it at its schema position when absent."""
    found = child(parent, name)
    if found is None:
        set_values(schema, type_name, parent, name, [""])
        found = child(parent, name)
        found.text = None
    return found


def to_bytes(root: etree._Element) -> bytes:
    """Serialise a component document with an XML declaration."""
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")
