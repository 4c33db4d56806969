"""OAuth 2.0 JWT bearer exchange with Salesforce, propagation-aware, then proof of the token.

- ``assertion_claims``/``build_assertion``: RS256 assertion with PyJWT (iss = consumer key,
  sub = username, aud per app kind and login URL, exp at most 3 minutes ahead).
- ``request_token``: one POST to the token URL over verified https; errors are classified;
  ``exchange_once``: one signed assertion, one token request (the runtime client and verification share it).
- ``verify_jwt_login``: retry while the app is still propagating (bounded budget, waits that grow
  with the time already waited through tenacity, injectable clock), fail fast on permanent errors, then use
  the token with the one API call the ``api`` scope authorizes for any API-enabled user (a SOQL query
  of the user's own record, named by the token response's ``id`` URL) and check the user and org.
  ``/limits`` (needs "View Setup and Configuration") and userinfo/the identity URL (need the
  ``id``/``openid`` scopes a JWT app usually lacks) are deliberately not used.
Tokens and private keys never appear in messages, reprs or logs.
"""

from __future__ import annotations

import enum
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol
from urllib.parse import urlsplit

import jwt
import requests
from cryptography.hazmat.primitives.asymmetric import rsa
from tenacity import RetryCallState, Retrying, retry_if_exception

from components import keys
from components.progress import Report, Wait
from components.salesforce import rest
from components.salesforce.bundle import CONNECTED_APP, ECA, AppKind
from components.salesforce.retries import transient_retrying
from components.settings import DEFAULT_API_VERSION, rules
from components.timestamps import iso_from_timestamp

JWT_BEARER_GRANT = "urn:ietf:params:oauth:grant-type:jwt-bearer"
MAX_ASSERTION_LIFETIME = 180.0
DEFAULT_BUDGET_SECONDS: dict[str, float] = {CONNECTED_APP: 600.0, ECA: 1800.0}
HTTP_TIMEOUT = (10.0, 30.0)


class Clock(Protocol):
    """Time source used for ``exp``, budgets and waiting; tests inject one driven by the emulator."""

    def now(self) -> float: ...

    def sleep(self, seconds: float) -> None: ...


class SystemClock:
    """Wall-clock time and real sleeping."""

    def now(self) -> float:
        return time.time()

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


# -- URLs and claims --------------------------------------------------------------------------------
def require_https(url: str, setting: str) -> str:
    """Return ``url`` without a trailing slash, or ``ValueError`` naming ``setting`` if it is not https."""
    parts = urlsplit(url or "")
    if parts.scheme != "https" or not parts.hostname:
        raise ValueError(f"{setting}: {url!r} must be an https:// URL (TLS verification stays on)")
    return url.rstrip("/")


def require_salesforce_url(url: str, setting: str) -> str:
    """``url`` without a trailing slash, or ``ValueError`` unless it is https on a Salesforce host or
    loopback: no key, JWT or token is ever sent anywhere else."""
    problem = rules.salesforce_url_problem(url)
    if problem:
        raise ValueError(f"{setting}: {url!r} {problem}; nothing is sent to a host that is not a Salesforce host")
    return url.rstrip("/")


def assertion_claims(
    *, consumer_key: str, username: str, audience: str, issued_at: float, lifetime: float = MAX_ASSERTION_LIFETIME
) -> dict[str, Any]:
    """Claims of a JWT bearer assertion; ``exp`` is ``issued_at + lifetime`` with lifetime <= 180 s."""
    if not consumer_key:
        raise ValueError("consumer_key: the app's consumer key (client id) is required as 'iss'")
    if not username or "@" not in username:
        raise ValueError(f"username: {username!r} is not a Salesforce username (looks like an email)")
    if not 0 < lifetime <= MAX_ASSERTION_LIFETIME:
        raise ValueError(f"lifetime: {lifetime} s; Salesforce wants exp at most 180 s ahead")
    return {"iss": consumer_key, "sub": username, "aud": audience, "exp": int(issued_at + lifetime)}


def load_rsa_private_key(
    private_key_pem: str, *, setting: str = "private_key_pem", proven: bool = False
) -> rsa.RSAPrivateKey:
    """Parse an unencrypted PEM private key under the RS256 policy of :mod:`components.keys`; the
    message names ``setting`` and never contains the key. ``proven``: a stored key that was proven
    before (see :func:`components.keys.load_stored_private_key`)."""
    try:
        key = keys.load_stored_private_key(private_key_pem) if proven else keys.load_private_key(private_key_pem)
    except keys.KeyPolicyError as problem:
        raise ValueError(f"{setting}: {problem}") from None
    if not isinstance(key, rsa.RSAPrivateKey):  # the policy admits RSA only; this keeps the type exact
        raise ValueError(f"{setting}: {keys.RS256_ONLY}")
    return key


def build_assertion(private_key: str | rsa.RSAPrivateKey, claims: dict[str, Any]) -> str:
    """Sign ``claims`` with RS256 (a PEM string, or a key already loaded: loading validates, which is slow)."""
    key = load_rsa_private_key(private_key) if isinstance(private_key, str) else private_key
    return jwt.encode(claims, key, algorithm="RS256")


# -- the token call ---------------------------------------------------------------------------------
class ErrorClass(enum.Enum):
    PROPAGATING = "propagating"  # the app or certificate is not live yet: retry within the budget
    TRANSIENT = "transient"  # 5xx, timeouts, connection errors: retry within the budget
    PERMANENT = "permanent"  # configuration problem: fail at once


_HINTS = {
    "invalid_client_id": "the consumer key is not (yet) known to the org; Salesforce needs up to 10 minutes "
    "(connected apps) or 30 minutes (External Client Apps) after a deploy - otherwise check the consumer key",
    "invalid_assertion": "the signature does not match the app's certificate; right after a certificate change "
    "this lasts until the change propagates - otherwise the private key does not belong to the deployed certificate",
    "app_not_found": "the app is not visible from this login host yet; External Client Apps need the My Domain "
    "URL as token host and audience",
    "not_approved": "the user is not pre-authorized: the app must be admin-approved "
    "(permittedUsersPolicyType AdminApprovedPreAuthorized / isAdminApproved) and the user must hold one of its "
    "permission sets or profiles - assign the permission set to the user",
    "not_approved_after_deploy": "this run changed the app or its policies, and Salesforce can take up to 30 "
    "minutes (External Client Apps) to apply new pre-authorization - if it lasts beyond that, the user is not "
    "pre-authorized: the app must be admin-approved and the user must hold one of its permission sets or profiles",
    "invalid_app_access": "the user is not admin-approved for this app; assign one of the app's permission sets "
    "or profiles to the user",
    "audience": "the 'aud' claim is not accepted by this org; use the login URL (login/test.salesforce.com) for "
    "connected apps or the org's My Domain URL for External Client Apps",
    "inactive_user": "the integration user is inactive or unknown; activate the user or fix the username",
    "unsupported_grant_type": "the token endpoint does not accept the JWT bearer grant; check the token URL",
    "refresh_scope": "add the RefreshToken scope to the app; pre-authorized JWT logins need it",
    "expired": "the assertion's exp is in the past; check the system clock (NTP)",
    "transport": "Salesforce did not answer properly; retrying",
}


def is_signature_refusal(error: str, description: str) -> bool:
    """The app's certificate does not verify the assertion's signature: ``invalid_grant``/``invalid assertion``
    (connected apps), ``invalid_client``/``invalid client credentials`` (seen for External Client Apps).

    What a key whose certificate is not (or no longer, or not yet) on the app gets, e.g. mid-rotation."""
    err, desc = (error or "").lower(), (description or "").lower()
    return "invalid assertion" in desc or (err == "invalid_client" and "invalid client credentials" in desc)


def classify_token_error(
    error: str, description: str, *, certificate_changed: bool = True, app_changed: bool = False
) -> tuple[ErrorClass, str]:
    """Map a token endpoint error to its class and an actionable hint.

    ``certificate_changed``: a signature error may be the new certificate propagating;
    ``app_changed``: "user hasn't approved this consumer" may be new policies propagating.
    """
    err, desc = (error or "").lower(), (description or "").lower()
    if err == "invalid_client_id" or "client identifier invalid" in desc:
        return ErrorClass.PROPAGATING, _HINTS["invalid_client_id"]
    if err == "app_not_found":
        return ErrorClass.PROPAGATING, _HINTS["app_not_found"]
    if is_signature_refusal(error, description):
        kind = ErrorClass.PROPAGATING if certificate_changed else ErrorClass.PERMANENT
        return kind, _HINTS["invalid_assertion"]
    if "hasn't approved" in desc or "has not approved" in desc:
        if app_changed:
            return ErrorClass.PROPAGATING, _HINTS["not_approved_after_deploy"]
        return ErrorClass.PERMANENT, _HINTS["not_approved"]
    if err == "invalid_app_access" or "not admin approved" in desc:
        return ErrorClass.PERMANENT, _HINTS["invalid_app_access"]
    if "audience" in desc:
        return ErrorClass.PERMANENT, _HINTS["audience"]
    if err == "inactive_user" or "inactive" in desc or "user not found" in desc or "unknown user" in desc:
        return ErrorClass.PERMANENT, _HINTS["inactive_user"]
    if err == "unsupported_grant_type":
        return ErrorClass.PERMANENT, _HINTS["unsupported_grant_type"]
    if "refresh_token scope" in desc:
        return ErrorClass.PERMANENT, _HINTS["refresh_scope"]
    if "expired" in desc:
        return ErrorClass.PERMANENT, _HINTS["expired"]
    return ErrorClass.PERMANENT, "fix the app or user configuration named in the error"


class TokenExchangeError(Exception):
    """The token endpoint refused (or did not answer); carries the class and a hint, never the token."""

    def __init__(self, error: str, description: str, *, status: int | None, error_class: ErrorClass, hint: str):
        self.error, self.description, self.status = error, description, status
        self.error_class, self.hint = error_class, hint
        status_text = f"HTTP {status}, " if status else ""
        super().__init__(f"token request failed ({status_text}{error}: {description}); {hint}")

    @property
    def retryable(self) -> bool:
        return self.error_class is not ErrorClass.PERMANENT

    @property
    def signature_refused(self) -> bool:
        """The app's certificate does not verify this key's signature (see :func:`is_signature_refusal`)."""
        return is_signature_refusal(self.error, self.description)


@dataclass(frozen=True)
class AccessToken:
    """A token endpoint success; ``repr`` hides the token."""

    access_token: str = field(repr=False)
    instance_url: str
    identity_url: str | None = None
    scope: str | None = None

    @property
    def org_id(self) -> str | None:
        """Org id from the identity URL (``.../id/<orgId>/<userId>``)."""
        parts = (self.identity_url or "").rstrip("/").split("/")
        return parts[-2] if len(parts) >= 3 and parts[-3] == "id" else None

    @property
    def user_id(self) -> str | None:
        parts = (self.identity_url or "").rstrip("/").split("/")
        return parts[-1] if len(parts) >= 3 and parts[-3] == "id" else None


class VerifiedSession(requests.Session):
    """A session whose own ``verify`` always applies and whose requests time out.

    requests lets ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` override ``Session.verify`` unless the
    request passes ``verify`` itself, and simple-salesforce sets no timeout; both are fixed here.
    """

    timeout: tuple[float, float] = HTTP_TIMEOUT

    def __init__(self) -> None:
        super().__init__()
        self._environment: dict[tuple[Any, ...], Any] = {}

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        kwargs.setdefault("timeout", self.timeout)
        kwargs.setdefault("verify", self.verify)
        return super().request(method, url, *args, **kwargs)

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        """What requests derives from the environment (proxy variables, CA bundle variables) for a URL,
        read once per host and settings instead of on every request: that scan of the whole environment
        costs more than a request on a fast network, and the environment does not change under a session."""
        parts = urlsplit(url)
        key = (parts.scheme, parts.netloc, tuple(sorted((proxies or {}).items())), stream, verify, cert)
        merged: Any = self._environment.get(key)
        if merged is None:
            merged = self._environment[key] = super().merge_environment_settings(url, proxies, stream, verify, cert)
        return dict(merged)


def verified_session(ca_bundle: str | None = None, *, timeout: tuple[float, float] = HTTP_TIMEOUT) -> requests.Session:
    """A requests session that verifies TLS (against ``ca_bundle`` when given, else the system store).

    ``timeout`` is (connect, read) seconds for every request made through it.
    """
    http = VerifiedSession()
    http.timeout = timeout
    http.verify = ca_bundle if ca_bundle else True
    return http


def tls_hint(http: requests.Session) -> str:
    """What to do about a certificate that did not verify, given the trust this session used."""
    where = "the stack's salesforceCaBundle, or --ca-bundle / SF_CA_BUNDLE for the CLI"
    if isinstance(http.verify, str):
        return (
            f"the CA bundle {http.verify} does not hold the CA that signed this host's certificate (or the host "
            f"name is not in it); give a bundle that holds that CA ({where})"
        )
    return f"the system CAs do not trust this host's certificate; give the CA bundle that signed it ({where})"


def post_token_request(
    http: requests.Session,
    token_url: str,
    form: dict[str, str],
    *,
    certificate_changed: bool = True,
    app_changed: bool = False,
) -> AccessToken:
    """POST a form to the token endpoint; ``TokenExchangeError`` on any failure."""
    url = require_salesforce_url(token_url, "token_url")
    try:
        response = http.post(url, data=form, headers={"Accept": "application/json"}, timeout=HTTP_TIMEOUT)
    except requests.exceptions.SSLError as exc:
        raise TokenExchangeError(
            "tls",
            f"certificate verification failed for {urlsplit(url).hostname}",
            status=None,
            error_class=ErrorClass.PERMANENT,
            hint=tls_hint(http),
        ) from exc
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise TokenExchangeError(
            "transport", type(exc).__name__, status=None, error_class=ErrorClass.TRANSIENT, hint=_HINTS["transport"]
        ) from None
    if response.status_code >= 500:
        raise TokenExchangeError(
            "server_error",
            f"HTTP {response.status_code} from the token endpoint",
            status=response.status_code,
            error_class=ErrorClass.TRANSIENT,
            hint=_HINTS["transport"],
        )
    try:
        body = response.json()
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise TokenExchangeError(
            "unexpected_response",
            f"non-JSON answer ({response.headers.get('Content-Type')})",
            status=response.status_code,
            error_class=ErrorClass.PERMANENT,
            hint="check that token_url points at Salesforce's /services/oauth2/token",
        )
    if response.status_code != 200 or "access_token" not in body:
        error, description = str(body.get("error", "unknown")), str(body.get("error_description", ""))
        error_class, hint = classify_token_error(
            error, description, certificate_changed=certificate_changed, app_changed=app_changed
        )
        raise TokenExchangeError(error, description, status=response.status_code, error_class=error_class, hint=hint)
    return AccessToken(
        access_token=body["access_token"],
        instance_url=str(body.get("instance_url") or ""),
        identity_url=body.get("id"),
        scope=body.get("scope"),
    )


def request_token(
    http: requests.Session,
    token_url: str,
    assertion: str,
    *,
    certificate_changed: bool = True,
    app_changed: bool = False,
) -> AccessToken:
    """Exchange one signed assertion for an access token."""
    form = {"grant_type": JWT_BEARER_GRANT, "assertion": assertion}
    return post_token_request(http, token_url, form, certificate_changed=certificate_changed, app_changed=app_changed)


# -- verification ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class RetryPolicy:
    """How long to wait while a change propagates: a ``share`` of the time waited so far, at least
    ``initial`` and at most ``max_interval`` seconds, plus up to ``jitter`` of itself (so that many
    integrations do not retry in step).

    A change that goes live at P seconds is therefore seen less than ``share * (1 + jitter)`` * P
    later (16.5 % with the defaults) once the waits have grown past ``initial`` (from about
    ``initial / share`` seconds on), and at most ``max_interval * (1 + jitter)`` later for long
    windows: little waste whether propagation takes 10 seconds or 30 minutes, with few calls.
    """

    initial: float = 1.0
    share: float = 0.15
    max_interval: float = 30.0
    jitter: float = 0.1

    def __post_init__(self) -> None:
        if (
            self.initial <= 0
            or not 0 < self.share <= 1
            or self.max_interval < self.initial
            or not 0 <= self.jitter <= 1
        ):
            raise ValueError("retry: need initial > 0, 0 < share <= 1, max_interval >= initial, 0 <= jitter <= 1")

    def wait(self, elapsed: float) -> float:
        """Seconds to wait after an attempt made ``elapsed`` seconds into the wait."""
        base = min(self.max_interval, max(self.initial, self.share * elapsed))
        return base * (1 + random.uniform(0, self.jitter))


@dataclass(frozen=True)
class JwtLogin:
    """What is needed to prove a JWT bearer login; ``repr`` hides the private key."""

    consumer_key: str
    username: str
    private_key_pem: str = field(repr=False)
    token_url: str
    audience: str
    app_kind: AppKind = ECA
    expected_org_id: str | None = None
    ca_bundle: str | None = None
    api_version: str = DEFAULT_API_VERSION
    budget_seconds: float | None = None
    certificate_changed: bool = True
    app_changed: bool = False  # this run deployed the app or its policies (they may still be propagating)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    key_proven: bool = False  # read from the credential store: proven before it was promoted

    def __post_init__(self) -> None:
        require_salesforce_url(self.token_url, "token_url")
        object.__setattr__(self, "_key", load_rsa_private_key(self.private_key_pem, proven=self.key_proven))
        assertion_claims(consumer_key=self.consumer_key, username=self.username, audience=self.audience, issued_at=0)
        if self.budget_seconds is not None and self.budget_seconds < 0:
            raise ValueError("budget_seconds: must be zero or more")

    @property
    def signing_key(self) -> rsa.RSAPrivateKey:
        """The private key, parsed and validated once."""
        return self._key  # type: ignore[attr-defined]

    @property
    def budget(self) -> float:
        return self.budget_seconds if self.budget_seconds is not None else DEFAULT_BUDGET_SECONDS[self.app_kind]


def login_for(document: Any, **options: Any) -> JwtLogin:
    """The JwtLogin of a credential document (anything with its fields: consumer key, username,
    private key, token URL, audience, app kind); ``options`` are the other JwtLogin fields."""
    return JwtLogin(
        consumer_key=document.consumer_key,
        username=document.username,
        private_key_pem=document.private_key_pem,
        token_url=document.token_url,
        audience=document.audience,
        app_kind=document.app_kind,
        **options,
    )


@dataclass(frozen=True)
class Identity:
    """Who the token belongs to, as the API reports it."""

    username: str
    org_id: str
    user_id: str | None


@dataclass(frozen=True)
class VerificationResult:
    username: str
    org_id: str
    user_id: str | None
    instance_url: str
    attempts: int
    elapsed_seconds: float
    api_calls: int
    verified_at: str
    errors_seen: tuple[str, ...] = ()


class VerificationFailed(Exception):
    """The JWT login could not be proven; the message says what to fix."""

    def __init__(self, message: str, *, attempts: int, elapsed_seconds: float, cause: TokenExchangeError | None = None):
        super().__init__(message)
        self.attempts, self.elapsed_seconds, self.cause = attempts, elapsed_seconds, cause


def same_id(left: str | None, right: str | None) -> bool:
    """Salesforce ids (org, user) match on their case-sensitive 15-character form."""
    return bool(left) and bool(right) and left[:15] == right[:15]  # type: ignore[index]


_API_REFUSALS = {
    "API_CURRENTLY_DISABLED": "the user lacks the 'API Enabled' permission; grant it through the user's profile "
    "or a permission set",
    "API_DISABLED_FOR_ORG": "this org's edition offers no API access",
    "INSUFFICIENT_ACCESS": "the user lacks the permission this call needs",
    "REQUEST_LIMIT_EXCEEDED": "the org's API request limit is used up; retry later",
}
NOT_FOR_REST = "the token is not valid for the REST API: the app's scopes must include Api (OAuth scope 'api')"


def api_refusal(exc: rest.ApiError) -> str:
    """What a refused REST call means, naming the missing scope or permission."""
    code, message = exc.code, exc.message
    if exc.status == 401:
        if "not valid for use with the REST API" in message:
            return NOT_FOR_REST
        return "the token is expired, revoked or for another org"
    return _API_REFUSALS.get(code, f"{code or 'HTTP ' + str(exc.status)}: {message or 'refused'}")


def own_user(
    http: requests.Session, instance_url: str, access_token: str, user_id: str, api_version: str = DEFAULT_API_VERSION
) -> dict[str, Any] | None:
    """The user's own record (Id, Username) through SOQL: the ``api`` scope and "API Enabled" suffice."""
    soql = f"SELECT Id, Username FROM User WHERE Id = {rest.soql_quote(user_id)}"
    for attempt in _api_retrying():
        with attempt:
            records = rest.query(http, instance_url, access_token, soql, api_version)
    return records[0] if records else None


def prove_token(token: AccessToken, *, http: requests.Session, api_version: str = DEFAULT_API_VERSION) -> Identity:
    """Use the token: org and user from its ``id`` URL, then one SOQL query of that user's own record."""
    instance_url = require_https(token.instance_url, "instance_url (from the token response)")
    org_id, user_id = token.org_id, token.user_id
    if not (org_id or "").startswith("00D") or not (user_id or "").startswith("005"):
        raise VerificationFailed(
            "the token response has no identity URL ('id': <host>/id/<orgId>/<userId>); "
            "check that token_url points at Salesforce's /services/oauth2/token",
            attempts=1,
            elapsed_seconds=0,
        )
    try:
        record = own_user(http, instance_url, token.access_token, str(user_id), api_version)
    except rest.ApiError as exc:
        raise VerificationFailed(
            f"the new token was refused by the API (HTTP {exc.status} on a query of the user's own record): "
            f"{api_refusal(exc)}",
            attempts=1,
            elapsed_seconds=0,
        ) from None
    except (requests.ConnectionError, requests.Timeout) as exc:
        raise VerificationFailed(
            f"{urlsplit(instance_url).netloc} did not answer the API check ({type(exc).__name__})",
            attempts=1,
            elapsed_seconds=0,
        ) from None
    if record is None or not same_id(str(record.get("Id") or ""), str(user_id)):
        raise VerificationFailed(
            f"the API does not know user {user_id} of the token's identity URL", attempts=1, elapsed_seconds=0
        )
    return Identity(username=str(record.get("Username") or ""), org_id=str(org_id), user_id=str(record["Id"]))


def _is_transient_api_error(exc: BaseException) -> bool:
    if isinstance(exc, (requests.ConnectionError, requests.Timeout)):
        return True
    return isinstance(exc, rest.ApiError) and exc.status >= 500


def _api_retrying() -> Retrying:
    return transient_retrying(_is_transient_api_error)


def _propagation_retrying(login: JwtLogin, clock: Clock, start: float) -> Retrying:
    deadline = start + login.budget

    def wait(state: RetryCallState) -> float:
        now = clock.now()
        return max(0.0, min(login.retry.wait(now - start), deadline - now))

    def stop(state: RetryCallState) -> bool:
        return clock.now() >= deadline

    return Retrying(
        retry=retry_if_exception(lambda exc: isinstance(exc, TokenExchangeError) and exc.retryable),
        stop=stop,
        wait=wait,
        sleep=clock.sleep,
        reraise=True,
    )


def exchange_once(
    login: JwtLogin, *, clock: Clock, http: requests.Session, app_changed: bool | None = None
) -> AccessToken:
    """One login: a fresh RS256 assertion (``exp`` at most 3 minutes after ``clock.now()``), one token request.

    ``app_changed`` overrides ``login.app_changed`` (a retry that redeployed the app knows better)."""
    claims = assertion_claims(
        consumer_key=login.consumer_key, username=login.username, audience=login.audience, issued_at=clock.now()
    )
    return request_token(
        http,
        login.token_url,
        build_assertion(login.signing_key, claims),
        certificate_changed=login.certificate_changed,
        app_changed=login.app_changed if app_changed is None else app_changed,
    )


def exchange_with_retry(
    login: JwtLogin,
    *,
    clock: Clock,
    http: requests.Session,
    first_failure: Callable[[], bool] | None = None,
    progress: Report | None = None,
) -> tuple[AccessToken, int, list[str]]:
    """Token exchange, retried on propagation/transient errors within the budget; returns (token, attempts, errors).

    ``first_failure`` runs once, after a first attempt that failed but may be retried (e.g. to check
    that the app holds the certificate); True means it changed the app, which may now be propagating.
    ``progress`` hears about the wait while failed attempts are retried.
    """
    start = clock.now()
    attempts, errors, app_changed = 0, [], login.app_changed
    waiting = Wait(f"Salesforce to accept the JWT login of {login.username}", login.budget, progress, start)
    try:
        for attempt in _propagation_retrying(login, clock, start):
            with attempt:
                attempts += 1
                try:
                    token = exchange_once(login, clock=clock, http=http, app_changed=app_changed)
                except TokenExchangeError as exc:
                    errors.append(exc.error)
                    if attempts == 1 and exc.retryable and first_failure is not None:
                        app_changed = first_failure() or app_changed
                    if exc.retryable and clock.now() < start + login.budget:
                        waiting.tick(clock.now(), f"attempt {attempts}: {exc.error}")
                    raise
    except TokenExchangeError as exc:
        elapsed = clock.now() - start
        if exc.retryable:
            message = (
                f"JWT login for {login.username} still failing after {attempts} attempts over {elapsed:.0f} s "
                f"(budget {login.budget:.0f} s): {exc.error}: {exc.description}; {exc.hint}"
            )
        else:
            message = f"JWT login for {login.username} refused: {exc.error}: {exc.description}; {exc.hint}"
        raise VerificationFailed(message, attempts=attempts, elapsed_seconds=elapsed, cause=exc) from None
    return token, attempts, errors


def check_identity(
    identity: Identity,
    token: AccessToken,
    *,
    username: str,
    expected_org_id: str | None = None,
    attempts: int = 1,
    elapsed_seconds: float = 0.0,
) -> None:
    """``VerificationFailed`` unless the API names the expected user, in the expected org (else the token's)."""
    if identity.username.lower() != username.lower():
        raise VerificationFailed(
            f"the token belongs to {identity.username}, expected {username}; check the 'sub' username",
            attempts=attempts,
            elapsed_seconds=elapsed_seconds,
        )
    expected_org = expected_org_id or token.org_id
    if expected_org and not same_id(identity.org_id, expected_org):
        raise VerificationFailed(
            f"the token is for org {identity.org_id}, expected {expected_org}; the token URL or login URL "
            "points at another org",
            attempts=attempts,
            elapsed_seconds=elapsed_seconds,
        )


def verify_jwt_login(
    login: JwtLogin,
    *,
    clock: Clock | None = None,
    http: requests.Session | None = None,
    first_failure: Callable[[], bool] | None = None,
    progress: Report | None = None,
) -> VerificationResult:
    """Prove a JWT bearer login end to end: token (with propagation retries), then the API identity check."""
    clock = clock or SystemClock()
    http = http or verified_session(login.ca_bundle)
    start = clock.now()
    token, attempts, errors = exchange_with_retry(
        login, clock=clock, http=http, first_failure=first_failure, progress=progress
    )
    identity = prove_token(token, http=http, api_version=login.api_version)
    elapsed = clock.now() - start
    check_identity(
        identity,
        token,
        username=login.username,
        expected_org_id=login.expected_org_id,
        attempts=attempts,
        elapsed_seconds=elapsed,
    )
    return VerificationResult(
        username=identity.username,
        org_id=identity.org_id,
        user_id=identity.user_id,
        instance_url=token.instance_url,
        attempts=attempts,
        elapsed_seconds=elapsed,
        api_calls=1,
        verified_at=iso_from_timestamp(clock.now()),
        errors_seen=tuple(errors),
    )
