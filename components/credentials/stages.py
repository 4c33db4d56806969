"""Secrets Manager's staging labels, which ones the integration's runtime client reads, and the tag
that marks the secrets this product manages (no I/O).

The client reads AWSCURRENT; while a rotation is in progress it may need AWSPENDING (single app: the
app already holds the new certificate before the new key is promoted) and, with blue-green, AWSPREVIOUS
(the other slot's app still holds the previous certificate).
"""

from __future__ import annotations

AWSCURRENT, AWSPENDING, AWSPREVIOUS = "AWSCURRENT", "AWSPENDING", "AWSPREVIOUS"
SINGLE_APP_STAGES = (AWSCURRENT, AWSPENDING)
BLUE_GREEN_STAGES = (AWSCURRENT, AWSPENDING, AWSPREVIOUS)
RUNTIME_STAGES = BLUE_GREEN_STAGES  # covers either strategy
MANAGED_BY_KEY, MANAGED_BY_VALUE = "managed-by", "salesforce-jwt-pulumi"


def runtime_stages(blue_green: bool) -> tuple[str, ...]:
    """The staging labels the runtime client reads for a rotation strategy (single app or blue-green)."""
    return BLUE_GREEN_STAGES if blue_green else SINGLE_APP_STAGES
