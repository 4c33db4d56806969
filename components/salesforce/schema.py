"""XSD validation of Metadata API documents against the WSDL that simple-salesforce ships.

The WSDL (located by ``components.salesforce.wsdl``) embeds a schema that declares complex types
(``ConnectedApp``, ``PermissionSet``, ...) but no global elements for them, so we add one element per
metadata type before compiling it with lxml.
"""

from __future__ import annotations

import io
import zipfile
from functools import lru_cache

from lxml import etree

from components.salesforce.namespaces import METADATA_NS, XSD_NS
from components.salesforce.wsdl import wsdl_path

#: Root elements a deploy zip of this project may contain (package.xml's root is ``Package``).
DOCUMENT_TYPES = (
    "Package",
    "ConnectedApp",
    "ExternalClientApplication",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppOauthConfigurablePolicies",
    "ExtlClntAppConfigurablePolicies",
    "PermissionSet",
)


class SchemaViolation(ValueError):
    """A metadata document does not conform to the Metadata API schema."""


@lru_cache(maxsize=1)
def _wsdl_schema_element() -> etree._Element:
    tree = etree.parse(str(wsdl_path()))
    schemas = tree.getroot().findall(f".//{{{XSD_NS}}}schema")
    for schema in schemas:
        if schema.get("targetNamespace") == METADATA_NS:
            return schema
    raise RuntimeError(f"no metadata schema in {wsdl_path()}")


@lru_cache(maxsize=1)
def metadata_schema() -> etree.XMLSchema:
    """The compiled metadata schema with one global element per type in ``DOCUMENT_TYPES``."""
    schema = etree.fromstring(etree.tostring(_wsdl_schema_element()))
    for type_name in DOCUMENT_TYPES:
        element = etree.SubElement(schema, f"{{{XSD_NS}}}element")
        element.set("name", type_name)
        element.set("type", f"tns:{type_name}")
    return etree.XMLSchema(schema)


def validate_document(xml: bytes, *, name: str = "document") -> None:
    """Raise ``SchemaViolation`` listing every schema error of one metadata XML document."""
    schema = metadata_schema()
    document = etree.fromstring(xml)
    if not schema.validate(document):
        problems = "; ".join(f"line {e.line}: {e.message}" for e in schema.error_log)
        raise SchemaViolation(f"{name} does not match the Metadata API schema: {problems}")


def validate_zip(zip_bytes: bytes) -> list[str]:
    """Validate every XML file of a deploy zip; returns the validated file names."""
    names: list[str] = []
    with zipfile.ZipFile(io.BytesIO(zip_bytes)) as archive:
        for info in archive.infolist():
            if info.is_dir():
                continue
            validate_document(archive.read(info), name=info.filename)
            names.append(info.filename)
    return names
