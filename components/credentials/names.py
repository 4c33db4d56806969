"""Secret names and ARNs (no I/O, no AWS client): what the CLI, the inspection and the runtime client share."""

from __future__ import annotations

import re

SECRET_ARN = re.compile(r"^arn:[^:]+:secretsmanager:[^:]*:[^:]*:secret:(?P<name>.+)-[A-Za-z0-9]{6}$")


def secret_name(secret_id: str) -> str:
    """The secret's name, also when given its ARN (AWS appends '-' and 6 characters to the name)."""
    match = SECRET_ARN.match(secret_id) if isinstance(secret_id, str) else None
    return match.group("name") if match else secret_id
