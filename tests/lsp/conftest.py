"""Fixtures for the language-server tests (helpers live in lsp_harness.py)."""

from __future__ import annotations

from pathlib import Path

import pytest
from lsp_harness import PROFILES, write_project


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "inventory")


@pytest.fixture(params=PROFILES)
def profile(request) -> str:
    return request.param
