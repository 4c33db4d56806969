"""Pure health evaluation of one integration: what the store, the login and the live app say -> findings.

No I/O. The CLI gathers a :class:`SecretState` (and optionally a :class:`LoginCheck` and a
:class:`LiveApp`) and :func:`evaluate` turns them into an :class:`IntegrationHealth` whose
severity is the exit code: 0 healthy, 1 inside the renewal window (or a rotation in progress),
2 critical, 3 could not be checked (usage or configuration error).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlparse

from components import keys
from components.settings import rules
from components.severity import Severity

DEFAULT_STUCK_AFTER = timedelta(hours=1)
PRE_AUTHORIZATION_SCOPES = frozenset({"RefreshToken"})  # a pre-authorized JWT app needs it


@dataclass(frozen=True)
class Finding:
    """One thing worth telling, with a stable code for machines."""

    code: str
    severity: Severity
    message: str


NOT_PROVISIONED = Finding(
    "not-provisioned",
    Severity.WARNING,
    "not provisioned yet: the first `pulumi up` has not promoted a verified key to AWSCURRENT (it holds the "
    "placeholder); run `pulumi up` and let it finish",
)


@dataclass(frozen=True)
class SecretState:
    """What Secrets Manager holds for one secret: documents by stage and the secret's status."""

    secret_id: str
    current: Mapping[str, Any] | None
    pending: Mapping[str, Any] | None = None  # AWSPENDING on a version other than AWSCURRENT
    pending_created: datetime | None = None
    deletion_date: datetime | None = None
    current_version: str | None = None
    document_error: str | None = None  # AWSCURRENT holds something that is not a credential document
    not_provisioned: bool = False  # AWSCURRENT is the placeholder: no key promoted yet


@dataclass(frozen=True)
class LoginCheck:
    """Outcome of a live JWT bearer exchange (never holds the token)."""

    ok: bool
    stage: str = "AWSCURRENT"
    username: str | None = None
    org_id: str | None = None
    instance_url: str | None = None
    attempts: int = 0
    elapsed_seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class LiveApp:
    """The app as Salesforce has it now (for drift)."""

    found: bool
    fingerprint: str | None = None
    consumer_key: str | None = None
    scopes: tuple[str, ...] = ()
    pre_authorized: bool | None = None
    error: str | None = None  # the live app could not be read


@dataclass(frozen=True)
class Policy:
    """Thresholds; the defaults follow cert-manager (renew at 2/3 of the lifetime)."""

    renew_before: timedelta | None = None
    stuck_after: timedelta = DEFAULT_STUCK_AFTER
    required_scopes: frozenset[str] = PRE_AUTHORIZATION_SCOPES


@dataclass(frozen=True)
class IntegrationHealth:
    """Everything the reports show about one integration."""

    secret_id: str
    findings: tuple[Finding, ...]
    app_name: str | None = None
    app_kind: str | None = None
    slot: str | None = None
    username: str | None = None
    org: str | None = None
    fingerprint: str | None = None
    not_before: datetime | None = None
    not_after: datetime | None = None
    renew_after: datetime | None = None
    days_left: int | None = None
    pending: bool = False
    deletion_date: datetime | None = None
    verification: LoginCheck | None = None
    live_app: LiveApp | None = None
    certificate_only: bool = False  # of the live app only the certificate was compared (no --drift)

    @property
    def severity(self) -> Severity:
        return max((f.severity for f in self.findings), default=Severity.OK)

    @property
    def exit_code(self) -> int:
        return int(self.severity)

    @property
    def renewal_due(self) -> bool:
        return any(f.code in {"renewal-due", "expired"} for f in self.findings)

    @property
    def ready(self) -> bool | None:
        """cert-manager's Ready: a usable, unexpired credential; None when it could not be read."""
        if self.severity is Severity.ERROR:
            return None
        return self.severity < Severity.CRITICAL


@dataclass(frozen=True)
class CheckReport:
    """The results of one `check` run."""

    results: tuple[IntegrationHealth, ...]
    generated_at: datetime
    notes: tuple[str, ...] = field(default=())

    @property
    def severity(self) -> Severity:
        return max((r.severity for r in self.results), default=Severity.OK)

    @property
    def exit_code(self) -> int:
        return int(self.severity)


def unreadable(secret_id: str, message: str) -> IntegrationHealth:
    """A secret that could not be checked at all (not found, access denied, bad settings)."""
    return IntegrationHealth(secret_id, (Finding("unreadable", Severity.ERROR, message),))


def _get(document: Mapping[str, Any] | None, name: str) -> Any:
    return None if document is None else document.get(name)


def _org(login_url: Any) -> str | None:
    return urlparse(login_url).hostname if isinstance(login_url, str) and login_url else None


def _day(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _status_findings(state: SecretState, now: datetime, policy: Policy) -> list[Finding]:
    findings = []
    if state.deletion_date is not None:
        findings.append(
            Finding(
                "scheduled-for-deletion",
                Severity.CRITICAL,
                f"secret is scheduled for deletion on {_day(state.deletion_date)}; "
                f"restore it (aws secretsmanager restore-secret --secret-id "
                f"{state.secret_id}) or the integration loses its key",
            )
        )
    if state.pending is not None:
        age = now - state.pending_created if state.pending_created else None
        if age is not None and age < policy.stuck_after:
            findings.append(
                Finding(
                    "rotation-in-progress",
                    Severity.WARNING,
                    f"AWSPENDING was written {int(age.total_seconds() // 60)} min ago; a rotation is in progress",
                )
            )
        else:
            since = f" since {_day(state.pending_created)}" if state.pending_created else ""
            findings.append(
                Finding(
                    "rotation-stuck",
                    Severity.CRITICAL,
                    f"AWSPENDING has been waiting{since} without promotion; re-run "
                    "`pulumi up` to finish the rotation or remove the pending version",
                )
            )
    return findings


def _certificate_findings(
    document: Mapping[str, Any], info: keys.CertificateInfo, renew_after: datetime, now: datetime
) -> list[Finding]:
    findings = []
    recorded = _get(document, "fingerprint_sha256")
    if recorded and str(recorded).upper() != info.fingerprint_sha256:
        findings.append(
            Finding(
                "fingerprint-mismatch",
                Severity.CRITICAL,
                "the document's fingerprint_sha256 does not match its certificate; "
                "the document was edited by hand — run `pulumi up --refresh`",
            )
        )
    if now >= info.not_after:
        findings.append(
            Finding(
                "expired",
                Severity.CRITICAL,
                f"certificate expired on {_day(info.not_after)}; run `pulumi up` to renew it",
            )
        )
    elif now >= renew_after:
        findings.append(
            Finding(
                "renewal-due",
                Severity.WARNING,
                f"inside the renewal window since {_day(renew_after)} "
                f"({info.days_left(now)} days left); the next `pulumi up` renews it",
            )
        )
    return findings


def _public_half(pem: str) -> Any:
    """The public key of a stored private key (parsed once, without RSA's costly consistency check:
    see :func:`components.keys.load_stored_private_key`), for comparison with the certificate."""
    return keys.load_stored_private_key(pem).public_key()


def _refused(what: str, exc: keys.KeyRefusedError) -> Finding:
    return Finding(
        "key-refused",
        Severity.CRITICAL,
        f"{what} is refused by the key policy: {exc}; rotate to an RSA key (`keySize` 2048/3072/4096, "
        "bump `rotation`) and run `pulumi up`",
    )


def _key_findings(document: Mapping[str, Any], certificate: Any) -> list[Finding]:
    pem = _get(document, "private_key_pem")
    if not pem:
        return [Finding("invalid-document", Severity.CRITICAL, "the document has no private_key_pem")]
    try:
        keys.check_key_policy(certificate.public_key())
    except keys.KeyRefusedError as exc:
        return [_refused("the certificate's key", exc)]
    try:
        key = _public_half(pem)
        matches = keys.certificate_matches_key(certificate, key)
    except keys.KeyRefusedError as exc:
        return [_refused("the stored private key", exc)]
    except keys.KeyPolicyError as exc:
        return [Finding("invalid-document", Severity.CRITICAL, f"private_key_pem is unusable: {exc}")]
    if not matches:
        return [
            Finding(
                "key-mismatch",
                Severity.CRITICAL,
                "the stored private key does not match the stored certificate; "
                "logins will fail — run `pulumi up --refresh`",
            )
        ]
    return []


def _url_findings(document: Mapping[str, Any]) -> list[Finding]:
    """The JWT goes to the token URL (and its audience names the login host): Salesforce hosts only."""
    findings = []
    for name in ("login_url", "token_url"):
        url = _get(document, name)
        problem = rules.salesforce_url_problem(url)
        if problem:
            findings.append(
                Finding(
                    "url-not-salesforce",
                    Severity.CRITICAL,
                    f"the document's {name} {url!r} {problem}; the runtime client refuses to send a JWT there — "
                    "set salesforceLoginUrl to the org's login or My Domain URL and run `pulumi up`",
                )
            )
    return findings


def verification_findings(verification: LoginCheck | None) -> list[Finding]:
    """A failed live login is critical."""
    if verification is None or verification.ok:
        return []
    return [
        Finding(
            "verification-failed",
            Severity.CRITICAL,
            f"JWT login with the {verification.stage} key failed after "
            f"{verification.attempts} attempt(s): {verification.error or 'unknown error'}",
        )
    ]


def drift_findings(
    document: Mapping[str, Any],
    live: LiveApp | None,
    required_scopes: Iterable[str] = PRE_AUTHORIZATION_SCOPES,
    certificate_only: bool = False,
) -> list[Finding]:
    """Compare the live app with the credential document: everything (``--drift``), or only the
    certificate (a plain `check` that found deployer credentials; not finding the app there is a
    warning, since the deployer's org may not be the integration's)."""
    if live is None:
        return []
    app = _get(document, "app_name") or "the app"
    if live.error:
        severity = Severity.WARNING if certificate_only else Severity.ERROR
        return [Finding("drift-unreadable", severity, f"could not read {app} for drift: {live.error}")]
    if not live.found:
        if certificate_only:
            return [
                Finding(
                    "live-app-not-found",
                    Severity.WARNING,
                    f"{app} is not in the deployer's org, so its live certificate was not compared; use the "
                    "deployer credentials of the integration's org, or `check --drift` there",
                )
            ]
        return [
            Finding(
                "drift-app-missing",
                Severity.CRITICAL,
                f"{app} no longer exists in the org; run `pulumi up --refresh` to redeploy it",
            )
        ]
    findings = []
    expected = str(_get(document, "fingerprint_sha256") or "").upper()
    if (live.fingerprint or "").upper() != expected:
        findings.append(
            Finding(
                "drift-certificate",
                Severity.CRITICAL,
                f"{app} holds certificate {live.fingerprint or '(none)'} but the stored key "
                f"belongs to {expected or '(unknown)'}; run `pulumi up --refresh` to redeploy",
            )
        )
    if certificate_only:
        return findings
    consumer_key = _get(document, "consumer_key")
    if consumer_key and live.consumer_key and live.consumer_key != consumer_key:
        findings.append(
            Finding(
                "drift-consumer-key", Severity.CRITICAL, f"{app}'s consumer key differs from the one in the document"
            )
        )
    missing = sorted(set(required_scopes) - set(live.scopes))
    if missing:
        findings.append(
            Finding(
                "drift-scopes",
                Severity.CRITICAL,
                f"{app} lacks the OAuth scope(s) {', '.join(missing)}; run `pulumi up --refresh` to restore them",
            )
        )
    if live.pre_authorized is False:
        findings.append(
            Finding(
                "drift-pre-authorization",
                Severity.CRITICAL,
                f"{app} is no longer admin-approved/pre-authorized; JWT logins fail with "
                '"user hasn\'t approved this consumer" — run `pulumi up --refresh`',
            )
        )
    return findings


def evaluate(
    state: SecretState,
    now: datetime,
    *,
    verification: LoginCheck | None = None,
    live_app: LiveApp | None = None,
    policy: Policy | None = None,
    certificate_only: bool = False,
) -> IntegrationHealth:
    """Turn what was observed about one integration into findings and display facts
    (``certificate_only``: of the live app, only its certificate is compared)."""
    policy = policy or Policy()
    if now.tzinfo is None:
        raise ValueError("now must be timezone-aware (UTC)")
    document = state.current
    findings = _status_findings(state, now, policy)
    base: dict[str, Any] = {
        "secret_id": state.secret_id,
        "app_name": _get(document, "app_name"),
        "app_kind": _get(document, "app_kind"),
        "slot": _get(document, "slot"),
        "username": _get(document, "username"),
        "org": _org(_get(document, "login_url")),
        "pending": state.pending is not None,
        "deletion_date": state.deletion_date,
        "verification": verification,
        "live_app": live_app,
        "certificate_only": certificate_only,
    }
    if state.not_provisioned:
        findings.append(NOT_PROVISIONED)
        return IntegrationHealth(findings=tuple(findings), **base)
    if state.document_error:
        findings.append(Finding("invalid-document", Severity.CRITICAL, state.document_error))
        return IntegrationHealth(findings=tuple(findings), **base)
    if document is None:
        if state.deletion_date is None:  # a secret scheduled for deletion cannot be read at all
            findings.append(
                Finding(
                    "no-current-version",
                    Severity.CRITICAL,
                    "the secret has no AWSCURRENT credential document; run `pulumi up`",
                )
            )
        return IntegrationHealth(findings=tuple(findings), **base)
    try:
        certificate = keys.load_certificate(_get(document, "certificate_pem") or "")
        info = keys.certificate_info(certificate)
    except keys.KeyPolicyError as exc:
        findings.append(Finding("invalid-document", Severity.CRITICAL, f"certificate_pem is unusable: {exc}"))
        return IntegrationHealth(findings=tuple(findings + verification_findings(verification)), **base)
    try:
        renew_after = info.renew_after(policy.renew_before)
    except keys.KeyPolicyError as exc:
        findings.append(
            Finding("bad-renewal-window", Severity.ERROR, f"--renew-before-days does not fit this certificate: {exc}")
        )
        renew_after = info.renew_after()
    findings += _certificate_findings(document, info, renew_after, now)
    findings += _key_findings(document, certificate)
    findings += _url_findings(document)
    findings += verification_findings(verification)
    findings += drift_findings(document, live_app, policy.required_scopes, certificate_only)
    return IntegrationHealth(
        findings=tuple(findings),
        fingerprint=info.fingerprint_sha256,
        not_before=info.not_before,
        not_after=info.not_after,
        renew_after=renew_after,
        days_left=info.days_left(now),
        **base,
    )
