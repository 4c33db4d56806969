"""Metadata API SOAP transport: envelopes built with lxml, posted through the session's requests session.

Why not zeep (simple-salesforce's ``mdapi``): zeep builds its own requests session, so the
session's ``ca_bundle`` would not reach it (reference clients.md §4), and loading the WSDL costs
~0.7 s per client. Faults become ``MetadataFault``; transport trouble becomes ``TransientError``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import requests
from lxml import etree
from urllib3.exceptions import NewConnectionError

from components.salesforce.namespaces import METADATA_NS, SOAP_ENV_NS


class MetadataFault(Exception):
    """A SOAP fault from the Metadata API (``code`` like ``INVALID_SESSION_ID``)."""

    def __init__(self, code: str, message: str, operation: str):
        self.code, self.message, self.operation = code, message, operation
        hint = fault_hint(code, message)
        super().__init__(f"Metadata API {operation} failed: {message}{'; ' + hint if hint else ''}")


def fault_hint(code: str, message: str) -> str:
    """What to do about a fault: by its message where one code covers several causes, else by code."""
    for marker, hint in _MESSAGE_HINTS:
        if marker in message:
            return hint
    return _FAULT_HINTS.get(code, "")


_MESSAGE_HINTS = (
    (
        "testLevel of NoTestRun",
        "production orgs refuse testLevel NoTestRun: remove the `testLevel` setting (then "
        "no test level is sent, and Salesforce runs no tests for a deploy without Apex) or set it to RunLocalTests",
    ),
)
_FAULT_HINTS = {
    "INVALID_SESSION_ID": "the deployer's access token is expired or revoked; log in again",
    "INVALID_TYPE": "this org or API version does not offer the metadata type; External Client Apps need "
    "API 60.0+ and the org's External Client Apps opt-in",
    "INSUFFICIENT_ACCESS": "the deployer needs 'Modify Metadata Through Metadata API Functions' (or Modify All Data)",
    "API_CURRENTLY_DISABLED": "the deployer needs the 'API Enabled' user permission",
}


class TransientError(Exception):
    """The call did not get a usable answer (5xx without a fault, timeout, connection error)."""

    def __init__(self, message: str, *, never_sent: bool):
        super().__init__(message)
        self.never_sent = never_sent


def m(tag: str) -> str:
    """Clark name in the metadata namespace."""
    return f"{{{METADATA_NS}}}{tag}"


def element(tag: str, *children: etree._Element, text: Any = None) -> etree._Element:
    """A metadata-namespace element with optional text (booleans as ``true``/``false``) and children."""
    node = etree.Element(m(tag))
    if text is not None:
        node.text = ("true" if text else "false") if isinstance(text, bool) else str(text)
    node.extend(children)
    return node


def envelope(session_id: str, operation: etree._Element) -> bytes:
    """A SOAP 1.1 request with the SessionHeader."""
    root = etree.Element(f"{{{SOAP_ENV_NS}}}Envelope", nsmap={"soapenv": SOAP_ENV_NS, "met": METADATA_NS})
    header = etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Header")
    header.append(element("SessionHeader", element("sessionId", text=session_id)))
    etree.SubElement(root, f"{{{SOAP_ENV_NS}}}Body").append(operation)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _never_sent(exc: requests.RequestException) -> bool:
    """True when the request certainly did not reach the server (connect refused or connect timeout)."""
    if isinstance(exc, requests.exceptions.ConnectTimeout):
        return True
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError)


def _parse_fault(root: etree._Element, operation: str) -> MetadataFault | None:
    fault = root.find(f"{{{SOAP_ENV_NS}}}Body/{{{SOAP_ENV_NS}}}Fault")
    if fault is None:
        return None
    code = (fault.findtext("faultcode") or "").split(":")[-1] or "UNKNOWN"
    return MetadataFault(code, fault.findtext("faultstring") or code, operation)


def call(http: requests.Session, url: str, session_id: str, operation: etree._Element) -> etree._Element:
    """Post one operation; return the first child of the response Body (e.g. ``deployResponse``)."""
    name = etree.QName(operation).localname
    try:
        response = http.post(
            url,
            data=envelope(session_id, operation),
            headers={"Content-Type": "text/xml; charset=UTF-8", "SOAPAction": '""'},
        )
    except requests.exceptions.SSLError:
        raise  # a TLS trust problem is configuration, not transient
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TransientError(f"Metadata API {name}: {type(exc).__name__}", never_sent=_never_sent(exc)) from None
    root: etree._Element | None
    try:
        root = etree.fromstring(response.content)
    except etree.XMLSyntaxError:
        root = None
    if root is not None:
        fault = _parse_fault(root, name)
        if fault is not None:
            raise fault
    if response.status_code >= 500 or root is None:
        raise TransientError(
            f"Metadata API {name}: HTTP {response.status_code} without a SOAP answer",
            never_sent=response.status_code in (502, 503, 504),
        )
    if response.status_code >= 300:
        raise MetadataFault(f"HTTP_{response.status_code}", f"HTTP {response.status_code}", name)
    body = root.find(f"{{{SOAP_ENV_NS}}}Body")
    if body is None or len(body) == 0:
        raise TransientError(f"Metadata API {name}: empty SOAP body", never_sent=False)
    return body[0]


def children(node: etree._Element, name: str) -> list[etree._Element]:
    """Child elements by local name (namespace-agnostic)."""
    return [child for child in node if isinstance(child.tag, str) and etree.QName(child).localname == name]


def text(node: etree._Element, name: str, default: str | None = None) -> str | None:
    found = children(node, name)
    return (found[0].text or "") if found else default


def texts(node: etree._Element, name: str) -> list[str]:
    return [child.text or "" for child in children(node, name)]


def flag(node: etree._Element, name: str) -> bool:
    return (text(node, name) or "").strip().lower() in ("true", "1")


def split_csv(value: str | None) -> tuple[str, ...]:
    return tuple(part.strip() for part in (value or "").split(",") if part.strip())


def chunks(items: Iterable[str], size: int) -> list[list[str]]:
    items = list(items)
    return [items[i : i + size] for i in range(0, len(items), size)]
