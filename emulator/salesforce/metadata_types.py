"""Where each modeled metadata type lives in a Metadata API zip, and its record id prefix."""

from __future__ import annotations

from dataclasses import dataclass

ECA_CHILD_TYPES = (
    "ExtlClntAppGlobalOauthSettings",
    "ExtlClntAppOauthSettings",
    "ExtlClntAppOauthConfigurablePolicies",
    "ExtlClntAppConfigurablePolicies",
)


@dataclass(frozen=True)
class TypeInfo:
    """Folder, file suffix and id key prefix of one metadata type."""

    name: str
    folder: str
    suffix: str
    id_prefix: str

    def file_name(self, full_name: str) -> str:
        """The zip path of a component, e.g. ``connectedApps/Acme.connectedApp``."""
        return f"{self.folder}/{full_name}.{self.suffix}"


# Order = the order components are processed inside one deploy (dependencies first).
TYPES: dict[str, TypeInfo] = {
    info.name: info
    for info in (
        TypeInfo("PermissionSet", "permissionsets", "permissionset", "0PS"),
        TypeInfo("ExternalClientApplication", "externalClientApps", "eca", "0xI"),
        TypeInfo("ExtlClntAppOauthSettings", "extlClntAppOauthSettings", "ecaOauth", "0xO"),
        TypeInfo("ExtlClntAppGlobalOauthSettings", "extlClntAppGlobalOauthSets", "ecaGlblOauth", "0xG"),
        TypeInfo("ExtlClntAppOauthConfigurablePolicies", "extlClntAppOauthPolicies", "ecaOauthPlcy", "0xP"),
        TypeInfo("ExtlClntAppConfigurablePolicies", "extlClntAppPolicies", "ecaPlcy", "0xC"),
        TypeInfo("ConnectedApp", "connectedApps", "connectedApp", "0H4"),
    )
}


def type_for_path(path: str) -> tuple[TypeInfo, str] | None:
    """Map a zip path (relative to the package root) to its type and fullName."""
    folder, _, file_name = path.partition("/")
    for info in TYPES.values():
        if info.folder == folder and file_name.endswith("." + info.suffix) and "/" not in file_name:
            return info, file_name[: -len(info.suffix) - 1]
    return None
