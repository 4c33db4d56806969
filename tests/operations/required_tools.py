"""Skip a test whose external tool (promtool, actionlint) is missing — except where the tools must be there.

`.ci/run` installs the tools and sets ``REQUIRE_OPERATIONS_TOOLS=1``: there a missing tool fails the
test instead, so CI never passes by skipping.
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

REQUIRE_ENV = "REQUIRE_OPERATIONS_TOOLS"


def missing(reason: str) -> NoReturn:
    if os.environ.get(REQUIRE_ENV) == "1":
        pytest.fail(f"{reason}; {REQUIRE_ENV}=1 says it must be there", pytrace=False)
    pytest.skip(reason)
