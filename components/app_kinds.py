"""The two kinds of Salesforce app this product deploys (one definition for settings, bundles and documents)."""

from __future__ import annotations

from typing import Literal

AppKind = Literal["external-client-app", "connected-app"]
ECA: AppKind = "external-client-app"
CONNECTED_APP: AppKind = "connected-app"
APP_KINDS: tuple[AppKind, ...] = (ECA, CONNECTED_APP)
