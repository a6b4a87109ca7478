"""Fixtures for the language-server tests (helpers live in lsp_harness.py).

Every async test here runs on one event loop for the whole session, so a spare server process can be
started while the previous test runs (see `lsp_harness._server_client`).
"""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest
import pytest_asyncio
from lsp_harness import PROFILES, stop_standby, write_project

HERE = Path(__file__).parent


def pytest_collection_modifyitems(items):
    for item in items:
        function = getattr(item, "function", None)
        if Path(item.path).parent == HERE and inspect.iscoroutinefunction(function):
            item.add_marker(pytest.mark.asyncio(loop_scope="session"))


@pytest_asyncio.fixture(scope="session", loop_scope="session", autouse=True)
async def _spare_server():
    yield
    await stop_standby()


@pytest.fixture
def project(tmp_path: Path) -> Path:
    return write_project(tmp_path / "inventory")


@pytest.fixture(params=PROFILES)
def profile(request) -> str:
    return request.param
