"""Which files are tests or development-only helpers, for rules that should not judge them."""

from __future__ import annotations

import re
from functools import lru_cache

_TEST_DIRS = {"tests", "test", "testing", "__tests__"}
_DEV_NAMES = re.compile(
    r"^(dev|devel|develop|development|local|locals|test|tests|testing|ci|debug|example|sample)$"
    r"|(^|[_.\-])(dev|development|local|test|testing|ci)$"
    r"|^(dev|development|local|test|testing)[_.\-]",
    re.IGNORECASE,
)


@lru_cache(maxsize=4096)
def is_test_path(rel: str) -> bool:
    """Whether a project-relative path is a test module or lives in a test folder."""
    parts = rel.split("/")
    name = parts[-1]
    if name == "conftest.py" or name.startswith("test_") or name.endswith("_test.py") or name == "tests.py":
        return True
    return any(part in _TEST_DIRS for part in parts[:-1])


def is_dev_only_name(stem: str) -> bool:
    """Whether a module or class name reads as development/test-only (`settings/dev.py`, `local_settings`)."""
    return bool(_DEV_NAMES.search(stem))
