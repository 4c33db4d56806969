"""AWS identifiers and limits that the settings, the store, the policies and the CLI all check (no I/O).

Patterns are for ``fullmatch``. Recovery window bounds are AWS's own (7–30 days); the default keeps
the longest window.
"""

from __future__ import annotations

import re

SECRET_NAME = re.compile(r"[A-Za-z0-9/_+=.@-]{1,512}")
REGION = re.compile(r"[a-z]{2}(?:-[a-z]+)+-\d{1,2}")
MIN_RECOVERY_DAYS, MAX_RECOVERY_DAYS, DEFAULT_RECOVERY_DAYS = 7, 30, 30

# A secret ARN as AWS accepts it: full (the name ends in '-' and 6 characters AWS added) or partial.
SECRET_ARN = re.compile(
    r"arn:(?P<partition>aws[a-z-]*):secretsmanager:(?P<region>[a-z0-9-]*):(?P<account>\d{12}):"
    r"secret:(?P<name>[A-Za-z0-9/_+=.@-]{1,512})"
)
ARN_SUFFIX = re.compile(r"-[A-Za-z0-9]{6}$")  # what AWS appends to a secret's name in its ARN
IAM_PRINCIPAL_ARN = re.compile(r"arn:aws[a-z-]*:iam::\d{12}:(?:root|(?:role|user)/[A-Za-z0-9+=,.@_/-]{1,512})")
_KMS_ARN = r"arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:"
KMS_KEY_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|mrk-[0-9a-f]{32}")
KMS_ALIAS = re.compile(r"alias/[A-Za-z0-9/_-]{1,250}")
KMS_KEY_ARN = re.compile(_KMS_ARN + r"key/[A-Za-z0-9-]+")
KMS_ALIAS_ARN = re.compile(_KMS_ARN + r"(?P<alias>alias/[A-Za-z0-9/_-]{1,250})")
KMS_KEY = re.compile("|".join(f"(?:{p.pattern})" for p in (KMS_KEY_ID, KMS_ALIAS, KMS_KEY_ARN, KMS_ALIAS_ARN)))
