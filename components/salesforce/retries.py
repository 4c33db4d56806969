"""The one retry setup for Salesforce calls that did not get a usable answer (5xx, timeouts,
dropped connections): a few attempts, short exponential waits with jitter. Waits for Salesforce to
*finish* something (deploy polling, propagation) have budgets of their own, not this."""

from __future__ import annotations

import time
from collections.abc import Callable

from tenacity import Retrying, retry_if_exception, stop_after_attempt, wait_exponential_jitter

TRANSIENT_ATTEMPTS = 4
MAX_WAIT_SECONDS = 3.0


def transient_retrying(
    retry_if: Callable[[BaseException], bool],
    *,
    attempts: int = TRANSIENT_ATTEMPTS,
    sleep: Callable[[float], None] = time.sleep,
) -> Retrying:
    """Retry what ``retry_if`` calls transient, at most ``attempts`` tries; the last error is re-raised."""
    return Retrying(
        retry=retry_if_exception(retry_if),
        stop=stop_after_attempt(attempts),
        wait=wait_exponential_jitter(multiplier=0.2, max=MAX_WAIT_SECONDS, jitter=0.1),
        sleep=sleep,
        reraise=True,
    )
