"""The Metadata API XSD embedded in simple-salesforce's ``metadata.wsdl``: validation and type facts.

Deployed component files are validated with libxml2 (lxml) against the WSDL's schema, and its errors
are rewritten in Salesforce's wording ("Error parsing file: Element {ns}x invalid at this location
in type T", "'v' is not a valid value for the enum 'E'", "Required field is missing: f").
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from lxml import etree

MD_NS = "http://soap.sforce.com/2006/04/metadata"
XSD_NS = "http://www.w3.org/2001/XMLSchema"
_XSD = f"{{{XSD_NS}}}"

#: Metadata types the emulator models; each gets a global element so a file can be validated.
MODELED_TYPES = (
    "ConnectedApp",
    "PermissionSet",
    "ExternalClientApplication",
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppOauthConfigurablePolicies",
    "ExtlClntAppConfigurablePolicies",
)


@dataclass(frozen=True)
class Field:
    """One element of a complex type's sequence."""

    name: str
    type: str
    required: bool
    repeated: bool


@dataclass(frozen=True)
class Problem:
    """A validation failure in Salesforce's wording, with its position in the file."""

    message: str
    line: int | None = None
    column: int | None = None


def wsdl_path() -> Path:
    """Location of the Metadata API WSDL shipped inside the installed simple-salesforce package."""
    return Path(str(resources.files("simple_salesforce").joinpath("metadata.wsdl")))


def _local(qname: str | None) -> str:
    return (qname or "").split(":")[-1]


class MetadataSchema:
    """Validator plus type facts (field order, field types, enums) of the Metadata API schema."""

    def __init__(self, path: Path | None = None) -> None:
        source = etree.parse(str(path or wsdl_path())).getroot().find(f".//{_XSD}schema")
        if source is None:
            raise RuntimeError("metadata.wsdl holds no xsd:schema")
        self.fields: dict[str, list[Field]] = {}
        self.enums: dict[str, list[str]] = {}
        self._read_types(source)
        schema = etree.Element(f"{_XSD}schema", nsmap={"xsd": XSD_NS, "tns": MD_NS}, attrib=dict(source.attrib))
        for child in source:
            schema.append(child)
        for name in MODELED_TYPES:
            etree.SubElement(schema, f"{_XSD}element", name=name, type=f"tns:{name}")
        self._schema = etree.XMLSchema(schema)
        self._lock = threading.Lock()

    def _read_types(self, source: etree._Element) -> None:
        own: dict[str, list[Field]] = {}
        bases: dict[str, str] = {}
        for node in source.findall(f"{_XSD}complexType"):
            name = node.get("name")
            extension = node.find(f"{_XSD}complexContent/{_XSD}extension")
            if extension is not None:
                bases[name] = _local(extension.get("base"))
            own[name] = [
                Field(
                    el.get("name"),
                    _local(el.get("type")),
                    el.get("minOccurs", "1") != "0",
                    el.get("maxOccurs", "1") != "1",
                )
                for el in node.iter(f"{_XSD}element")
            ]
        for name in own:
            chain, current = [], name
            while current in own:
                chain.insert(0, current)
                current = bases.get(current, "")
            self.fields[name] = [field for part in chain for field in own[part]]
        for node in source.findall(f"{_XSD}simpleType"):
            values = [e.get("value") for e in node.iter(f"{_XSD}enumeration")]
            if values:
                self.enums[node.get("name")] = values

    def is_metadata_type(self, name: str) -> bool:
        """True when the WSDL defines ``name`` as a Metadata subtype."""
        return bool(self.fields.get(name)) and self.fields[name][0].name == "fullName"

    def field(self, type_name: str, element: str) -> Field | None:
        """The declaration of ``element`` inside complex type ``type_name``."""
        return next((f for f in self.fields.get(type_name, []) if f.name == element), None)

    def order(self, type_name: str) -> list[str]:
        """Element names of ``type_name`` in schema order."""
        return [f.name for f in self.fields.get(type_name, [])]

    def validate(self, type_name: str, root: etree._Element) -> list[Problem]:
        """Validate a component document; return Salesforce-worded problems (empty when valid)."""
        if root.tag != f"{{{MD_NS}}}{type_name}":
            return [Problem(f"Error parsing file: Element {root.tag} invalid at this location in type Package")]
        with self._lock:
            valid = self._schema.validate(root)
            errors = list(self._schema.error_log)
        if valid:
            return []
        return [self._translate(type_name, root, error) for error in errors[:1]]

    def raw_errors(self, element: etree._Element) -> list[str]:
        """libxml2 messages for any element the schema declares globally (e.g. ``deployResponse``)."""
        with self._lock:
            valid = self._schema.validate(etree.fromstring(etree.tostring(element)))
            return [] if valid else [e.message for e in self._schema.error_log]

    def _type_of(self, root_type: str, element: etree._Element, root: etree._Element) -> str:
        path = []
        while element is not None and element is not root:
            path.insert(0, etree.QName(element).localname)
            element = element.getparent()
        current = root_type
        for name in path:
            declared = self.field(current, name)
            current = declared.type if declared else name
        return current

    def _translate(self, type_name: str, root: etree._Element, error) -> Problem:
        found = root.getroottree().xpath(error.path) if error.path else []
        element = found[0] if found else root
        line = error.line or None
        message = error.message
        if "This element is not expected" in message:
            parent = self._type_of(type_name, element.getparent(), root)
            text = f"Error parsing file: Element {element.tag} invalid at this location in type {parent}"
        elif "[facet 'enumeration']" in message:
            enum = self._type_of(type_name, element, root)
            text = f"Error parsing file: '{element.text}' is not a valid value for the enum '{enum}'"
        elif "Missing child element" in message:
            owner = self._type_of(type_name, element, root)
            present = {etree.QName(c).localname for c in element if isinstance(c.tag, str)}
            missing = [f.name for f in self.fields.get(owner, []) if f.required and f.name not in present]
            text = f"Required field is missing: {', '.join(missing) or '?'}"
        else:
            match = re.search(r"atomic type 'xs:(\w+)'", message)
            kind = match.group(1) if match else "value"
            where = etree.QName(element).localname
            text = f"Error parsing file: '{element.text}' is not valid for the type xsd:{kind} in element {where}"
        return Problem(text, line, None)


_shared: MetadataSchema | None = None
_shared_lock = threading.Lock()


def shared_schema() -> MetadataSchema:
    """The process-wide schema, loaded once (about half a second)."""
    global _shared
    with _shared_lock:
        if _shared is None:
            _shared = MetadataSchema()
        return _shared


def preload_in_background() -> threading.Thread:
    """Start loading the schema so the first deploy does not pay for it."""
    thread = threading.Thread(target=shared_schema, name="metadata-schema", daemon=True)
    thread.start()
    return thread
