"""Deploy processing: zip -> package.xml -> XSD validation -> org rules -> commit or roll back."""

from __future__ import annotations

import io
import re
import secrets
import string
import zipfile
from dataclasses import dataclass

from cryptography import x509
from lxml import etree

from . import apps as A
from . import xmlutil as X
from .metadata_types import ECA_CHILD_TYPES, TYPES, TypeInfo, type_for_path
from .models import Component, DeployJob, DeployMessage
from .schema import MetadataSchema
from .state import Org

MAX_FILES = 10_000
MAX_UNCOMPRESSED = 600 * 1024 * 1024
EXTRA_ECA_SCOPES = ("SFApiPlatform", "MCP", "SCRT", "DataCloudUserClaims")
NO_OAUTH_SETTINGS = (
    "The external client app configured in your global OAuth Settings doesn't have a valid OAuth "
    "settings configuration."
)
_NAME = re.compile(r"^[A-Za-z](?!.*__)[A-Za-z0-9_]*(?<!_)$")
_KEY = re.compile(r"^[A-Za-z0-9]{8,256}$")
_KEY_ALPHABET = string.ascii_letters + string.digits


class DeployFailure(Exception):
    """The whole deploy failed before any component was looked at (bad zip, bad manifest)."""

    def __init__(self, problem: str, file_name: str = "package.xml") -> None:
        super().__init__(problem)
        self.problem = problem
        self.file_name = file_name


@dataclass
class Candidate:
    """A parsed component file waiting for the org rules."""

    info: TypeInfo
    full_name: str
    path: str
    root: etree._Element


def _open_zip(data: bytes) -> zipfile.ZipFile:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        raise DeployFailure("Error reading zip file: the ZipFile is not a valid zip archive") from None
    infos = archive.infolist()
    if len(infos) > MAX_FILES:
        raise DeployFailure(f"The zip file holds {len(infos)} files; the limit is {MAX_FILES}")
    if sum(i.file_size for i in infos) > MAX_UNCOMPRESSED:
        raise DeployFailure("The zip file exceeds the 600 MB uncompressed limit")
    return archive


def _package_root(names: list[str], single_package: bool) -> str:
    if "package.xml" in names:
        return ""
    nested = [n for n in names if n.count("/") == 1 and n.endswith("/package.xml")]
    if single_package or len(nested) != 1:
        raise DeployFailure("No package.xml found")
    return nested[0][: -len("package.xml")]


def _read(archive: zipfile.ZipFile, name: str) -> bytes:
    try:
        return archive.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise DeployFailure(f"Error reading zip file: {exc}", name) from None


def _manifest(data: bytes, schema: MetadataSchema) -> dict[str, list[str]]:
    try:
        root = X.parse(data)
    except etree.XMLSyntaxError as exc:
        raise DeployFailure(f"Error parsing file: {exc.msg}") from None
    if X.local(root) != "Package":
        raise DeployFailure(f"Error parsing file: root element {X.local(root)} is not Package")
    members: dict[str, list[str]] = {}
    for types in X.children(root, "types"):
        name = X.text(types, "name")
        if not name:
            raise DeployFailure("Error parsing file: a <types> entry has no <name>")
        if not schema.is_metadata_type(name) and name not in TYPES:
            raise DeployFailure(f"Unknown type name '{name}' specified in package.xml")
        if name not in TYPES:
            raise DeployFailure(f"The emulator does not model metadata type '{name}' (package.xml)")
        members.setdefault(name, []).extend(X.texts(types, "members"))
    return members


def _candidates(
    archive: zipfile.ZipFile, prefix: str, members: dict[str, list[str]], schema: MetadataSchema
) -> tuple[list[Candidate], list[DeployMessage]]:
    files = {n[len(prefix) :]: n for n in archive.namelist() if n.startswith(prefix) and not n.endswith("/")}
    by_type: dict[str, dict[str, str]] = {}
    for relative in files:
        found = type_for_path(relative)
        if found:
            by_type.setdefault(found[0].name, {})[found[1]] = relative
    candidates, failures = [], []
    for type_name, names in members.items():
        info = TYPES[type_name]
        wanted = sorted(by_type.get(type_name, {})) if "*" in names else list(dict.fromkeys(names))
        for full_name in wanted:
            relative = info.file_name(full_name)
            if relative not in files:
                failures.append(
                    DeployMessage(
                        type_name,
                        full_name,
                        "package.xml",
                        False,
                        problem_type="Error",
                        problem=f"An object '{full_name}' of type {type_name} was named in package.xml, "
                        "but was not found in zipped directory",
                    )
                )
                continue
            try:
                root = X.parse(_read(archive, files[relative]))
            except etree.XMLSyntaxError as exc:
                failures.append(
                    DeployMessage(
                        type_name,
                        full_name,
                        relative,
                        False,
                        problem_type="Error",
                        problem=f"Error parsing file: {exc.msg}",
                        line=exc.lineno,
                    )
                )
                continue
            problems = schema.validate(type_name, root)
            if problems:
                failures.append(
                    DeployMessage(
                        type_name,
                        full_name,
                        relative,
                        False,
                        problem_type="Error",
                        problem=problems[0].message,
                        line=problems[0].line,
                    )
                )
                continue
            candidates.append(Candidate(info, full_name, relative, root))
    order = list(TYPES)
    candidates.sort(key=lambda c: (order.index(c.info.name), c.full_name))
    return candidates, failures


class Rules:
    """The org's documented (and some inferred) deploy rules, applied against a working copy."""

    def __init__(self, org: Org, schema: MetadataSchema, work: dict[tuple[str, str], Component]) -> None:
        self.org, self.schema, self.work = org, schema, work

    def check(self, c: Candidate) -> str | None:
        """Problem text for ``c``, or None; may rewrite ``c.root`` to what the org stores."""
        if c.info.name != "PermissionSet" and not _NAME.match(c.full_name):
            return (
                f"The API name '{c.full_name}' is not valid: begin with a letter and use only letters, "
                "digits and single underscores, without a trailing underscore"
            )
        X.set_values(self.schema, c.info.name, c.root, "fullName", [])
        handler = getattr(self, f"_{c.info.name}", None)
        return handler(c) if handler else None

    # ---- helpers ----
    def _exists(self, kind: str, name: str) -> bool:
        return (kind, name) in self.work

    def _missing(self, field: str, kind: str, names: list[str]) -> str | None:
        if kind == "Profile":
            absent = [n for n in names if n not in self.org.profiles]
        else:
            absent = [n for n in names if not self._exists(kind, n)]
        return f"In field: {field} - no {kind} named {absent[0]} found" if absent else None

    def _keys_in_use(self, exclude: str) -> set[str]:
        keys = set(self.org.settings.taken_consumer_keys)
        for app in A.derive_apps(self.work).values():
            if app.name != exclude and app.consumer_key:
                keys.add(app.consumer_key)
        return keys

    def _new_key(self, parent: etree._Element, type_name: str, app_name: str) -> str | None:
        key = X.text(parent, "consumerKey")
        if key is None:
            generated = "3MVG9" + "".join(secrets.choice(_KEY_ALPHABET) for _ in range(80))
            X.set_values(self.schema, type_name, parent, "consumerKey", [generated])
            return None
        if not _KEY.match(key):
            return "The Consumer Key must be 8 to 256 alphanumeric characters without spaces or special characters."
        if key in self._keys_in_use(app_name):
            return "The consumer key is already taken."
        return None

    @staticmethod
    def _certificate(pem: str | None) -> str | None:
        if not pem:
            return None
        try:
            x509.load_pem_x509_certificate(pem.encode())
        except ValueError:
            return "The certificate is not a valid PEM-encoded X.509 certificate."
        return None

    def _old_root(self, kind: str, name: str) -> etree._Element | None:
        old = self.work.get((kind, name))
        return X.parse(old.xml) if old else None

    def _header_of(self, c: Candidate) -> tuple[str, str | None]:
        header = X.text(c.root, "externalClientApplication") or ""
        if not self._exists("ExternalClientApplication", header):
            return header, f"In field: externalClientApplication - no ExternalClientApplication named {header} found"
        for (kind, name), existing in self.work.items():
            if (
                kind == c.info.name
                and name != c.full_name
                and X.text(X.parse(existing.xml), "externalClientApplication") == header
            ):
                return header, f"duplicate value found: ExternalClientApplicationId duplicates value on {name}"
        return header, None

    # ---- per type ----
    def _ConnectedApp(self, c: Candidate) -> str | None:
        oauth = X.child(c.root, "oauthConfig")
        old = self._old_root("ConnectedApp", c.full_name)
        if old is None:
            if not self.org.settings.allow_connected_app_creation:
                return self.org.settings.connected_app_creation_error
            if oauth is not None:
                problem = self._new_key(oauth, "ConnectedAppOauthConfig", c.full_name)
                if problem:
                    return problem
        elif oauth is not None:
            if X.child(oauth, "consumerKey") is not None:
                return "You cannot provide a Consumer Key"
            X.set_values(
                self.schema,
                "ConnectedAppOauthConfig",
                oauth,
                "consumerKey",
                [X.text(X.child(old, "oauthConfig"), "consumerKey") or ""],
            )
        if oauth is not None:
            X.set_values(self.schema, "ConnectedAppOauthConfig", oauth, "consumerSecret", [])
            problem = self._certificate(X.text(oauth, "certificate"))
            if problem:
                return problem
        return self._missing(
            "permissionSetName", "PermissionSet", X.texts(c.root, "permissionSetName")
        ) or self._missing("profileName", "Profile", X.texts(c.root, "profileName"))

    def _ExtlClntAppOauthSettings(self, c: Candidate) -> str | None:
        _, problem = self._header_of(c)
        if problem:
            return problem
        allowed = list(self.schema.enums.get("ConnectedAppOauthAccessScope", [])) + list(EXTRA_ECA_SCOPES)
        for scope in X.split_commas(X.text(c.root, "commaSeparatedOauthScopes")):
            if scope not in allowed:
                return f"'{scope}' is not a valid OAuth scope. Valid values are: {', '.join(allowed)}"
        link = X.text(c.root, "oauthLink")
        if link and not link.startswith(self.org.org_id15):
            return f"oauthLink '{link}' belongs to another org. Remove oauthLink from the OAuth settings file."
        return None

    def _ExtlClntAppGlobalOauthSettings(self, c: Candidate) -> str | None:
        header, problem = self._header_of(c)
        if problem:
            return problem
        if not any(
            k == "ExtlClntAppOauthSettings" and X.text(X.parse(v.xml), "externalClientApplication") == header
            for (k, _), v in self.work.items()
        ):
            return NO_OAUTH_SETTINGS
        old = self._old_root(c.info.name, c.full_name)
        if old is None:
            problem = self._new_key(c.root, c.info.name, header)
            if problem:
                return problem
        else:  # observed: a different key on update "succeeds" but the old key is kept
            X.set_values(self.schema, c.info.name, c.root, "consumerKey", [X.text(old, "consumerKey") or ""])
        X.set_values(self.schema, c.info.name, c.root, "consumerSecret", [])
        return self._certificate(X.text(c.root, "certificate"))

    def _ExtlClntAppOauthConfigurablePolicies(self, c: Candidate) -> str | None:
        _, problem = self._header_of(c)
        return problem or (
            self._missing(
                "commaSeparatedPermissionSet",
                "PermissionSet",
                X.split_commas(X.text(c.root, "commaSeparatedPermissionSet")),
            )
            or self._missing(
                "commaSeparatedProfile", "Profile", X.split_commas(X.text(c.root, "commaSeparatedProfile"))
            )
        )

    def _ExtlClntAppConfigurablePolicies(self, c: Candidate) -> str | None:
        return self._header_of(c)[1]


def _default_policies(org: Org, schema: MetadataSchema, work: dict[tuple[str, str], Component], user_id: str) -> None:
    """Auto-create the two policy records for ECAs that have OAuth settings but no policies."""
    headers = {k[1] for k in work if k[0] == "ExternalClientApplication"}
    now = org.now()
    for header in sorted(headers):
        owned = {
            kind: name
            for (kind, name), comp in work.items()
            if kind in ECA_CHILD_TYPES and X.text(X.parse(comp.xml), "externalClientApplication") == header
        }
        if "ExtlClntAppOauthSettings" not in owned:
            continue
        defaults = {
            "ExtlClntAppOauthConfigurablePolicies": (
                f"{owned['ExtlClntAppOauthSettings']}_defaultPolicy",
                [
                    ("externalClientApplication", header),
                    ("ipRelaxationPolicyType", "Enforce"),
                    ("label", f"{header} OAuth policy"),
                    ("permittedUsersPolicyType", A.SELF_AUTHORIZED),
                    ("refreshTokenPolicyType", "SpecificLifetime"),
                    ("refreshTokenValidityPeriod", "365"),
                    ("refreshTokenValidityUnit", "Days"),
                    ("requiredSessionLevel", "STANDARD"),
                ],
            ),
            "ExtlClntAppConfigurablePolicies": (
                f"{header}_defaultPolicy",
                [
                    ("externalClientApplication", header),
                    ("isEnabled", "true"),
                    ("isOauthPluginEnabled", "true"),
                    ("label", f"{header} app policy"),
                    ("startPage", "None"),
                ],
            ),
        }
        for kind, (name, values) in defaults.items():
            if kind in owned or (kind, name) in work:
                continue
            root = A.new_document(kind)
            for element, value in values:
                X.set_values(schema, kind, root, element, [value])
            work[(kind, name)] = Component(
                kind, name, X.to_bytes(root), org.ids.new(TYPES[kind].id_prefix), now, now, user_id
            )


def _fail_whole(job: DeployJob, failure: DeployFailure) -> None:
    job.messages = [
        DeployMessage("", failure.file_name, failure.file_name, False, problem=failure.problem, problem_type="Error")
    ]
    job.error_message = failure.problem
    job.error_status_code = None
    job.errors, job.total, job.deployed, job.status = 1, 0, 0, "Failed"


def run_deploy(org: Org, schema: MetadataSchema, job: DeployJob) -> None:
    """Process a queued deploy against the org (caller holds ``org.lock``) and fill in ``job``."""
    job.completed_at = org.now()
    data, job.zip_bytes = job.zip_bytes or b"", None
    try:
        archive = _open_zip(data)
        prefix = _package_root(archive.namelist(), job.options.get("singlePackage", False))
        members = _manifest(_read(archive, prefix + "package.xml"), schema)
        candidates, failures = _candidates(archive, prefix, members, schema)
    except DeployFailure as failure:
        _fail_whole(job, failure)
        return
    work = dict(org.components)
    rules = Rules(org, schema, work)
    successes: list[DeployMessage] = []
    for c in candidates:
        problem = rules.check(c)
        if problem:
            failures.append(
                DeployMessage(c.info.name, c.full_name, c.path, False, problem=problem, problem_type="Error")
            )
            continue
        old = work.get((c.info.name, c.full_name))
        xml = X.to_bytes(c.root)
        now = org.now()
        component = Component(
            c.info.name,
            c.full_name,
            xml,
            old.id if old else org.ids.new(c.info.id_prefix),
            old.created_at if old else now,
            now,
            old.created_by if old else job.created_by,
        )
        work[(c.info.name, c.full_name)] = component
        successes.append(
            DeployMessage(
                c.info.name,
                c.full_name,
                c.path,
                True,
                created=old is None,
                changed=old is None or old.xml != xml,
                id=component.id,
            )
        )
    if successes:
        successes.append(DeployMessage("", "package.xml", "package.xml", True, changed=True))
    _default_policies(org, schema, work, job.created_by)
    job.messages = successes + failures
    job.total = len(candidates) + sum(1 for f in failures if f.component_type)
    job.errors = len(failures)
    commit = not job.options.get("checkOnly", False) and not (failures and job.options.get("rollbackOnError", False))
    ok = [m for m in successes if m.component_type]
    if commit and ok:
        org.replace_components(work)
    job.deployed = len(ok) if (commit or not failures) else 0
    if not failures:
        job.status = "Succeeded"
    elif commit and ok:
        job.status = "SucceededPartial"
    else:
        job.status = "Failed"


def settle_deploys(org: Org, schema_getter) -> None:
    """Run every queued deploy whose time has come, oldest first (caller holds ``org.lock``)."""
    now = org.now()
    due = sorted((j for j in org.deploys.values() if not j.done and j.due_at <= now), key=lambda j: j.created_at)
    if due:
        schema = schema_getter()
        for job in due:
            run_deploy(org, schema, job)
