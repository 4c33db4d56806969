"""Secrets Manager identifiers and limits that the settings and the store both check (no I/O).

Patterns are for ``fullmatch``. Recovery window bounds are AWS's own (7–30 days); the default keeps
the longest window.
"""

from __future__ import annotations

import re

SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS, DEFAULT_RECOVERY_DAYS = 7, 30, 30
