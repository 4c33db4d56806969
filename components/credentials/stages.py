"""Secrets Manager staging labels, and which ones the integration's runtime client reads.

The client reads AWSCURRENT; while a rotation is in progress it may need AWSPENDING (single app: the
app already holds the new certificate before the new key is promoted) and, with blue-green, AWSPREVIOUS
(the other slot's app still holds the previous certificate).
"""

from __future__ import annotations

AWSCURRENT, AWSPENDING, AWSPREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
SINGLE_APP_STAGES = (AWSCURRENT, AWSPENDING)
BLUE_GREEN_STAGES = (AWSCURRENT, AWSPENDING, AWSPREVIOUS)
RUNTIME_STAGES = BLUE_GREEN_STAGES  # covers either strategy


def runtime_stages(blue_green: bool) -> tuple[str, ...]:
    """The staging labels the runtime client reads for a rotation strategy (single app or blue-green)."""
    return BLUE_GREEN_STAGES if blue_green else SINGLE_APP_STAGES
