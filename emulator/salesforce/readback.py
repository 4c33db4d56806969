"""What readMetadata and retrieve give back for a stored component: the real org's read-back forms.

* certificates come back as bare base64 DER without PEM armour (setting ``certificate_readback``:
  ``base64``, the default, or ``pem``) — for ConnectedApp ``oauthConfig/certificate`` and, since the
  ECA form is undocumented, for ``ExtlClntAppGlobalOauthSettings/certificate`` too;
* ``ExtlClntAppGlobalOauthSettings/consumerKey`` is left out unless the org allows access to OAuth
  consumer secrets via the Metadata API (``consumer_secret_api_access``) and the reading user holds
  ``ViewClientSecret`` ("View External Client App Consumer Secrets in Metadata").
"""

from __future__ import annotations

import base64
import copy

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from . import xmlutil as X
from .models import User
from .state import VIEW_CLIENT_SECRET, Org

GLOBAL_OAUTH = "ExtlClntAppGlobalOauthSettings"


def bare_base64(certificate_pem: str) -> str:
    """The DER of a PEM certificate as one line of base64 (the text unchanged if it is not PEM)."""
    try:
        der = x509.load_pem_x509_certificate(certificate_pem.encode()).public_bytes(serialization.Encoding.DER)
    except ValueError:
        return certificate_pem
    return base64.b64encode(der).decode("ascii")


def consumer_key_readable(org: Org, user: User | None) -> bool:
    """Both switches: the org setting and the user permission."""
    return org.settings.consumer_secret_api_access and org.has_permission(user, VIEW_CLIENT_SECRET)


def _holder(type_name: str, root: etree._Element) -> etree._Element | None:
    if type_name == "ConnectedApp":
        return X.child(root, "oauthConfig")
    return root if type_name == GLOBAL_OAUTH else None


def as_read(org: Org, user: User | None, type_name: str, stored: etree._Element) -> etree._Element:
    """A copy of ``stored`` as the org shows it to ``user``."""
    root = copy.deepcopy(stored)
    holder = _holder(type_name, root)
    if holder is None:
        return root
    certificate = X.child(holder, "certificate")
    if org.settings.certificate_readback == "base64" and certificate is not None and certificate.text:
        certificate.text = bare_base64(certificate.text)
    if type_name == GLOBAL_OAUTH and not consumer_key_readable(org, user):
        for key in X.children(holder, "consumerKey"):
            holder.remove(key)
    return root
