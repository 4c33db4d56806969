"""Keep secret payloads out of logs, even when a user turns botocore's DEBUG logging on.

botocore logs request and response bodies at DEBUG level; for Secrets Manager those hold the
credential document. A filter on those loggers drops any record that carries a secret payload.
"""

from __future__ import annotations

import logging

_MARKERS = ("SecretString", "SecretBinary", "PRIVATE KEY", "private_key_pem")
_LOGGERS = (
    "botocore.endpoint",
    "botocore.parsers",
    "botocore.awsrequest",
    "botocore.httpsession",
    "botocore.auth",
    "botocore.client",
    "botocore.hooks",
    "botocore.retryhandler",
    "urllib3.connectionpool",
)


class DropSecretPayloads(logging.Filter):
    """Drops log records whose message contains a secret payload."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            text = record.getMessage()
        except Exception:  # a broken record is not ours to judge
            return True
        return not any(marker in text for marker in _MARKERS)


_FILTER = DropSecretPayloads()


def install_log_redaction() -> None:
    """Attach the filter to the botocore/urllib3 loggers that can print bodies (idempotent)."""
    for name in _LOGGERS:
        logger = logging.getLogger(name)
        if _FILTER not in logger.filters:
            logger.addFilter(_FILTER)
