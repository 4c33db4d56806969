"""Why a login of the runtime client failed. Messages name the secret, the stage and the fix; never a
key, an assertion or a token. ``reason`` is the label of the failure metric."""

from __future__ import annotations


class LoginFailed(Exception):
    """No login. ``attempts``: token requests made; ``errors``: ``"<stage>: <error>"`` seen on the way."""

    reason = "failed"

    def __init__(
        self, message: str, *, attempts: int = 0, elapsed_seconds: float = 0.0, errors: tuple[str, ...] = ()
    ) -> None:
        super().__init__(message)
        self.attempts, self.elapsed_seconds, self.errors = attempts, elapsed_seconds, errors


class NotProvisioned(LoginFailed):
    """AWSCURRENT (or the stage asked for) is the placeholder that holds no key: no login was attempted."""

    reason = "not-provisioned"


class LoginRefused(LoginFailed):
    """Salesforce refused in a way no other stage and no retry fixes (user, app or configuration)."""

    reason = "refused"


class LoginUnavailable(LoginFailed):
    """Every stage stayed refused, or errors stayed transient, for ``wait_seconds``."""

    reason = "gave-up"


class SecretUnreadable(LoginFailed):
    """The credential could not be read from Secrets Manager, or is not a usable document."""

    reason = "secret-unreadable"


class TokenNotProven(LoginFailed):
    """A token was issued, but the API check of ``login(prove=True)`` failed."""

    reason = "api-refused"
