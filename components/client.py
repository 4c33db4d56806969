"""The integration's runtime client: logs in with the managed credential, caches, survives rotations.

Reads the credential document at AWSCURRENT (cached for ``document_ttl``, re-read when its key is
refused), signs the JWT and exchanges it with :mod:`components.salesforce.token_exchange` (the one login
implementation: RS256, ``exp`` at most 3 minutes ahead), caches the access token until shortly before
``token_lifetime`` (a 401 drops it sooner), and hands out an authenticated ``requests`` session and a
simple-salesforce ``Salesforce``.

Rotations: when the token endpoint refuses the key's signature - what a rotation in progress causes,
because the app already holds the new certificate - the client tries AWSPENDING and, for blue-green
documents, AWSPREVIOUS (the other app), then waits and re-reads the secret, up to ``wait_seconds``.
Other refusals fail at once. A version that is the not-provisioned placeholder is never used.
Thread-safe (one login at a time per client); no key or token is ever logged, shown or raised.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import requests
from tenacity import RetryCallState, Retrying, retry_if_exception_type, wait_exponential_jitter

from components.client_errors import (
    LoginFailed,
    LoginRefused,
    LoginUnavailable,
    NotProvisioned,
    SecretUnreadable,
    TokenNotProven,
)
from components.client_metrics import LoginObserver, NoMetrics
from components.client_session import AuthenticatedSession, Token
from components.credentials import (
    AWSCURRENT,
    AWSPENDING,
    AWSPREVIOUS,
    CredentialError,
    CredentialStore,
    NotProvisionedError,
    StoredCredential,
    secret_id_for,
)
from components.progress import Report, Wait
from components.salesforce.token_exchange import (
    HTTP_TIMEOUT,
    Clock,
    JwtLogin,
    SystemClock,
    TokenExchangeError,
    VerificationFailed,
    check_identity,
    exchange_once,
    login_for,
    prove_token,
    verified_session,
)
from components.settings import DEFAULT_API_VERSION
from components.timestamps import iso_from_timestamp

if TYPE_CHECKING:
    from simple_salesforce import Salesforce

__all__ = [
    "ClientOptions",
    "LoginFailed",
    "LoginRefused",
    "LoginResult",
    "LoginUnavailable",
    "NotProvisioned",
    "SalesforceJwtClient",
    "SecretUnreadable",
    "Token",
    "TokenNotProven",
]

log = logging.getLogger(__name__)
_PARSED_KEYS = 4  # JwtLogins kept by version id: loading and validating a key is slow


@dataclass(frozen=True)
class ClientOptions:
    """Timings of the runtime client, in seconds."""

    document_ttl: float = 300.0  # re-read AWSCURRENT after this long (and whenever its key is refused)
    token_lifetime: float = 900.0  # the token response has no expiry; Salesforce's shortest session timeout
    refresh_margin: float = 60.0  # log in again this long before token_lifetime
    wait_seconds: float = 60.0  # how long one login may wait through a rotation window or transient errors
    retry_initial: float = 0.5  # first wait between rounds (exponential, with jitter)
    retry_max: float = 5.0
    api_version: str = DEFAULT_API_VERSION
    timeout: tuple[float, float] = HTTP_TIMEOUT  # (connect, read) of every request

    def __post_init__(self) -> None:
        if min(self.document_ttl, self.token_lifetime, self.retry_initial) <= 0:
            raise ValueError("document_ttl, token_lifetime and retry_initial must be positive")
        if not 0 <= self.refresh_margin < self.token_lifetime or self.wait_seconds < 0:
            raise ValueError("need 0 <= refresh_margin < token_lifetime and wait_seconds >= 0")
        if self.retry_max < self.retry_initial:
            raise ValueError("retry_max must be at least retry_initial")


@dataclass(frozen=True)
class LoginResult:
    """One login, with the fields ``verify`` reports (never the token)."""

    secret_id: str
    stage: str  # the staging label whose key logged in
    version_id: str
    app_name: str
    username: str
    org_id: str | None
    user_id: str | None
    instance_url: str
    attempts: int  # token requests
    elapsed_seconds: float
    proved: bool  # an API call named this user in this org
    verified_at: str
    errors_seen: tuple[str, ...] = ()


@dataclass(frozen=True)
class _Candidate:
    stage: str
    stored: StoredCredential
    login: JwtLogin = field(repr=False)


class _TryAgain(Exception):
    """This round found no working version; wait and re-read (``cause``: the last refusal)."""

    def __init__(self, cause: TokenExchangeError | None) -> None:
        super().__init__("retry")
        self.cause = cause


@dataclass
class _Progress:
    attempts: int = 0
    errors: list[str] = field(default_factory=list)


class SalesforceJwtClient:
    """Logs in to Salesforce with the credential document of one secret (name or ARN)."""

    def __init__(
        self,
        secret_id: str,
        *,
        region: str,
        endpoint_url: str | None = None,
        ca_bundle: str | None = None,
        options: ClientOptions | None = None,
        metrics: LoginObserver | None = None,
        clock: Clock | None = None,
        store: CredentialStore | None = None,
        http: requests.Session | None = None,
        progress: Report | None = None,
    ) -> None:
        """``store`` and ``http`` (a verified session for the token and proof calls) may be shared by
        many clients, e.g. by ``check --all --verify``, so TLS connections are reused per host.
        ``progress`` hears about a login that keeps waiting (what, how long, the budget)."""
        self.secret_id = secret_id
        self._progress = progress
        self.options = options or ClientOptions()
        self._store = store or CredentialStore(secret_id_for(secret_id, region), region, endpoint_url)
        self._ca_bundle = ca_bundle
        self._metrics: LoginObserver = metrics or NoMetrics()
        self._clock: Clock = clock or SystemClock()
        self._lock = threading.Lock()
        self._http = http or verified_session(ca_bundle, timeout=self.options.timeout)  # token and proof calls
        self._current: tuple[float, _Candidate] | None = None  # (read at, AWSCURRENT)
        self._parsed: dict[str, JwtLogin] = {}
        self._token: Token | None = None
        self._session = AuthenticatedSession(self, ca_bundle=ca_bundle, timeout=self.options.timeout)
        self._metrics.watch(self)

    def __repr__(self) -> str:
        return f"SalesforceJwtClient(secret_id={self.secret_id!r})"

    # -- what integrations use -----------------------------------------------------------------------
    def session(self) -> requests.Session:
        """A ``requests.Session`` whose requests to the instance carry a valid token (shared, thread-safe)."""
        return self._session

    def salesforce(self) -> Salesforce:
        """simple-salesforce on the authenticated session: its REST calls always carry the current token.
        (Its Bulk and Metadata helpers keep the token it was made with: take a new instance for those.)"""
        token = self.token()
        from simple_salesforce import Salesforce  # only for callers who ask for one

        return Salesforce(
            instance_url=token.instance_url,
            session_id=token.access_token,
            session=self._session,
            version=self.options.api_version,
        )

    def token(self) -> Token:
        """The cached token, or a new login when there is none or it is due for renewal."""
        cached = self._token
        if cached is not None and not self._due(cached):
            return cached
        with self._lock:
            if self._token is None or self._due(self._token):
                self._token = self._login(None)[0]
            return self._token

    def invalidate(self, token: Token | None = None) -> None:
        """Forget the cached token (only while it is still ``token``, when given): the next request logs in."""
        with self._lock:
            if token is None or self._token is token:
                self._token = None

    def token_age(self) -> float | None:
        """Seconds since the cached token was obtained, or None."""
        cached = self._token
        return None if cached is None else cached.age(self._clock.now())

    def login(self, stage: str | None = None, *, prove: bool = True) -> LoginResult:
        """A fresh login, reported as ``verify`` reports it. ``stage`` pins one staging label (no fallback;
        a refused signature fails at once). ``prove``: one API call must name the user, in the token's org."""
        started = self._clock.now()
        with self._lock:
            token, attempts, errors = self._login(stage)
            if stage is None:
                self._token = token
        username, org_id, user_id = token.username, token.access.org_id, token.access.user_id
        if prove:
            username, org_id, user_id = self._prove(token, attempts, started)
        now = self._clock.now()
        return LoginResult(
            secret_id=self.secret_id,
            stage=token.stage,
            version_id=token.version_id,
            app_name=token.app_name,
            username=username,
            org_id=org_id,
            user_id=user_id,
            instance_url=token.instance_url,
            attempts=attempts,
            elapsed_seconds=now - started,
            proved=prove,
            verified_at=iso_from_timestamp(now),
            errors_seen=tuple(errors),
        )

    # -- logging in (the caller holds the lock) ------------------------------------------------------
    def _due(self, token: Token) -> bool:
        return token.age(self._clock.now()) >= self.options.token_lifetime - self.options.refresh_margin

    def _login(self, pinned: str | None) -> tuple[Token, int, list[str]]:
        """Rounds over the candidate versions until one logs in, within ``wait_seconds``."""
        started, progress = self._clock.now(), _Progress()
        try:
            for attempt in self._retrying(started, progress):
                with attempt:
                    token = self._round(pinned, attempt.retry_state.attempt_number > 1, progress)
        except LoginFailed as exc:
            exc.attempts, exc.errors = progress.attempts, tuple(progress.errors)
            exc.elapsed_seconds = self._clock.now() - started
            self._metrics.login_failed(self.secret_id, exc.reason)
            raise
        except _TryAgain as exc:
            failure = self._gave_up(exc.cause, progress, self._clock.now() - started)
            self._metrics.login_failed(self.secret_id, failure.reason)
            raise failure from None
        self._metrics.login_succeeded(self.secret_id, token.stage, self._clock.now() - started)
        log.info(
            "JWT login for secret %s with %s (version %s) after %d token request(s)",
            self.secret_id,
            token.stage,
            token.version_id,
            progress.attempts,
        )
        return token, progress.attempts, progress.errors

    def _retrying(self, started: float, progress: _Progress) -> Retrying:
        deadline = started + self.options.wait_seconds
        backoff = wait_exponential_jitter(
            multiplier=self.options.retry_initial, max=self.options.retry_max, jitter=self.options.retry_initial / 2
        )
        waiting = Wait(f"a working key for {self.secret_id}", self.options.wait_seconds, self._progress, started)

        def wait(state: RetryCallState) -> float:
            now = self._clock.now()
            waiting.tick(now, f"{progress.attempts} token request(s), last: {(progress.errors or ['-'])[-1]}")
            return max(0.0, min(backoff(state), deadline - now))

        return Retrying(
            retry=retry_if_exception_type(_TryAgain),
            wait=wait,
            sleep=self._clock.sleep,
            stop=lambda state: self._clock.now() >= deadline,
            reraise=True,
        )

    def _round(self, pinned: str | None, fresh: bool, progress: _Progress) -> Token:
        """Each candidate once; a refused signature moves on to the next, other refusals end the login."""
        refused: TokenExchangeError | None = None
        for candidate in self._candidates(pinned, fresh, progress):
            progress.attempts += 1
            try:
                access = exchange_once(candidate.login, clock=self._clock, http=self._http)
            except TokenExchangeError as exc:
                progress.errors.append(f"{candidate.stage}: {exc.error}")
                self._metrics.login_refused(self.secret_id, candidate.stage, exc.error)
                if exc.signature_refused and pinned is None:
                    refused = exc
                    continue
                if exc.retryable:
                    raise _TryAgain(exc) from None
                raise LoginRefused(
                    f"JWT login for secret {self.secret_id} with its {candidate.stage} key "
                    f"refused: {exc.error}: {exc.description}; {exc.hint}"
                ) from None
            doc = candidate.stored.document
            return Token(
                access, candidate.stage, candidate.stored.version_id, doc.app_name, doc.username, self._clock.now()
            )
        raise _TryAgain(refused)

    def _candidates(self, pinned: str | None, fresh: bool, progress: _Progress) -> Iterator[_Candidate]:
        """AWSCURRENT (cached, then re-read), AWSPENDING, then - blue-green only - AWSPREVIOUS; each
        version once, each read only when the one before was refused."""
        if pinned is not None:
            yield self._require(pinned)
            return
        current, from_cache = self._current_candidate(fresh)
        tried = {current.stored.version_id}
        yield current
        if from_cache:
            current, _ = self._current_candidate(True)
            if current.stored.version_id not in tried:
                tried.add(current.stored.version_id)
                yield current
        for stage in (AWSPENDING, AWSPREVIOUS):
            candidate = self._optional(stage, progress)
            if candidate is None or candidate.stored.version_id in tried:
                continue
            if stage == AWSPREVIOUS and not _other_app(current, candidate):
                continue  # single app: the previous key's certificate has left the app
            tried.add(candidate.stored.version_id)
            yield candidate

    def _current_candidate(self, fresh: bool) -> tuple[_Candidate, bool]:
        cached = self._current
        if cached is not None and not fresh and self._clock.now() - cached[0] < self.options.document_ttl:
            return cached[1], True
        candidate = self._require(AWSCURRENT)
        self._current = (self._clock.now(), candidate)
        return candidate, False

    def _require(self, stage: str) -> _Candidate:
        """The version at ``stage``, or the LoginFailed that says why there is none to use."""
        found = self._find(stage)
        if found is None:
            raise SecretUnreadable(f"secret {self.secret_id} has no {stage} version; run the deployment that writes it")
        return found

    def _optional(self, stage: str, progress: _Progress) -> _Candidate | None:
        """A fallback stage: None when no version carries it, or (noted) when it is not usable; the
        placeholder left at AWSPREVIOUS by the first promotion is normal and passed over silently."""
        try:
            return self._find(stage)
        except NotProvisioned:
            if stage != AWSPREVIOUS:
                progress.errors.append(f"{stage}: {NotProvisioned.reason}")
            return None
        except LoginFailed as exc:
            progress.errors.append(f"{stage}: {exc.reason}")
            return None

    def _find(self, stage: str) -> _Candidate | None:
        try:
            stored = self._store.find(stage)
            return None if stored is None else _Candidate(stage, stored, self._jwt_login(stored))
        except NotProvisionedError as exc:
            raise NotProvisioned(f"{exc} (secret {self.secret_id}, {stage}; no login was attempted)") from None
        except (CredentialError, ValueError) as exc:
            raise SecretUnreadable(f"cannot use the {stage} credential of secret {self.secret_id}: {exc}") from None

    def _jwt_login(self, stored: StoredCredential) -> JwtLogin:
        found = self._parsed.get(stored.version_id)
        if found is None:
            doc = stored.document
            found = login_for(
                doc,
                ca_bundle=self._ca_bundle,
                api_version=self.options.api_version,
                certificate_changed=False,
                budget_seconds=0,
                key_proven=True,  # from the store: checked by the RS256 policy, not re-proven per login
            )
            while len(self._parsed) >= _PARSED_KEYS:
                self._parsed.pop(next(iter(self._parsed)))
            self._parsed[stored.version_id] = found
        return found

    def _gave_up(self, cause: TokenExchangeError | None, progress: _Progress, elapsed: float) -> LoginFailed:
        if cause is not None and cause.signature_refused:
            what = (
                f"the app's certificate does not verify the AWSCURRENT key, and no AWSPENDING (or blue-green "
                f"AWSPREVIOUS) key worked either, for {elapsed:.0f} s (wait_seconds "
                f"{self.options.wait_seconds:.0f}): no rotation is in progress, or it is stuck; run "
                f"`python -m components check --secret-id {self.secret_id} --verify`"
            )
        elif cause is not None:
            what = f"still failing after {elapsed:.0f} s: {cause.error}: {cause.description}; {cause.hint}"
        else:
            what = "no credential version could be used"
        return LoginUnavailable(
            f"JWT login for secret {self.secret_id} failed: {what} (seen: {', '.join(progress.errors) or 'nothing'})",
            attempts=progress.attempts,
            elapsed_seconds=elapsed,
            errors=tuple(progress.errors),
        )

    def _prove(self, token: Token, attempts: int, started: float) -> tuple[str, str | None, str | None]:
        try:
            identity = prove_token(token.access, http=self._http, api_version=self.options.api_version)
            check_identity(identity, token.access, username=token.username, attempts=attempts)
        except VerificationFailed as exc:
            self._metrics.login_failed(self.secret_id, TokenNotProven.reason)
            raise TokenNotProven(
                f"JWT login for secret {self.secret_id} with {token.stage}: {exc}",
                attempts=attempts,
                elapsed_seconds=self._clock.now() - started,
            ) from None
        return identity.username, identity.org_id, identity.user_id


def _other_app(current: _Candidate, previous: _Candidate) -> bool:
    """AWSPREVIOUS is worth a try only with blue-green: it names the other slot's app."""
    now, before = current.stored.document, previous.stored.document
    return now.slot is not None and before.app_name != now.app_name
