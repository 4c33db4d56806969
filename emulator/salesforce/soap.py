"""SOAP 1.1 envelopes for the Metadata API: parse requests by local name, build responses and faults."""

from __future__ import annotations

from typing import Any

from lxml import etree
from werkzeug.wrappers import Response

from . import xmlutil as X
from .schema import MD_NS

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
XML_CONTENT_TYPE = "text/xml;charset=UTF-8"


class SoapFault(Exception):
    """Raised by handlers; becomes an HTTP 500 SOAP fault ``faultcode``/``faultstring``."""

    def __init__(self, code: str, message: str, client: bool = False) -> None:
        super().__init__(message)
        self.faultcode = f"soapenv:{code}" if client else f"sf:{code}"
        self.faultstring = message if client else f"{code}: {message}"


def parse_request(body: bytes) -> tuple[etree._Element | None, etree._Element]:
    """Return (Header, first Body child) of a SOAP request, or raise a client fault."""
    if not body.strip():
        raise SoapFault("Client", "Premature end of file: the SOAP request body is empty", client=True)
    try:
        envelope = X.parse(body)
    except etree.XMLSyntaxError as exc:
        raise SoapFault("Client", f"Could not parse the SOAP request: {exc.msg}", client=True) from None
    if X.local(envelope) != "Envelope" or etree.QName(envelope).namespace != SOAP_NS:
        raise SoapFault("VersionMismatch", "Expected a SOAP 1.1 Envelope element", client=True)
    header = X.child(envelope, "Header")
    body_el = X.child(envelope, "Body")
    operation = next(iter(X.children(body_el))) if body_el is not None and X.children(body_el) else None
    if operation is None:
        raise SoapFault("Client", "The SOAP Body holds no operation element", client=True)
    return header, operation


def session_id(header: etree._Element | None) -> str | None:
    """``SessionHeader/sessionId`` text."""
    return X.text(X.child(header, "SessionHeader"), "sessionId")


def _append(parent: etree._Element, name: str, value: Any) -> None:
    if value is None:
        return
    if isinstance(value, list):
        for item in value:
            _append(parent, name, item)
        return
    if isinstance(value, etree._Element):
        parent.append(value)
        return
    element = etree.SubElement(parent, f"{{{MD_NS}}}{name}")
    if isinstance(value, dict):
        for key, item in value.items():
            _append(element, key, item)
    elif isinstance(value, bool):
        element.text = "true" if value else "false"
    else:
        element.text = str(value)


def _envelope() -> tuple[etree._Element, etree._Element]:
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, None: MD_NS, "xsi": XSI_NS})
    return envelope, etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")


def _response(envelope: etree._Element, status: int = 200) -> Response:
    data = etree.tostring(envelope, xml_declaration=True, encoding="UTF-8")
    return Response(data, status=status, content_type=XML_CONTENT_TYPE)


def result_response(operation: str, results: list[Any]) -> Response:
    """``<{operation}Response>`` holding one ``<result>`` per item (dicts, elements, scalars)."""
    envelope, body = _envelope()
    wrapper = etree.SubElement(body, f"{{{MD_NS}}}{operation}Response")
    for result in results:
        _append(wrapper, "result", result)
    return _response(envelope)


def fault_response(fault: SoapFault) -> Response:
    """HTTP 500 with a SOAP 1.1 Fault (``sf`` bound to the metadata namespace)."""
    envelope = etree.Element(f"{{{SOAP_NS}}}Envelope", nsmap={"soapenv": SOAP_NS, "sf": MD_NS})
    body = etree.SubElement(envelope, f"{{{SOAP_NS}}}Body")
    node = etree.SubElement(body, f"{{{SOAP_NS}}}Fault")
    etree.SubElement(node, "faultcode").text = fault.faultcode
    etree.SubElement(node, "faultstring").text = fault.faultstring
    return _response(envelope, 500)


def typed_record(type_name: str, full_name: str, stored: etree._Element) -> etree._Element:
    """A ``<records xsi:type="T">`` element: fullName first, then the stored document's children."""
    record = etree.Element(f"{{{MD_NS}}}records", nsmap={None: MD_NS, "xsi": XSI_NS})
    record.set(f"{{{XSI_NS}}}type", type_name)
    etree.SubElement(record, f"{{{MD_NS}}}fullName").text = full_name
    for item in X.children(stored):
        if X.local(item) != "fullName":
            record.append(item)
    return record
