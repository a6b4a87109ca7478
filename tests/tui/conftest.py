"""Fixtures for the TUI tests: a seeded workspace and a helper to run the app under a pilot."""

from __future__ import annotations

from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from backcheck_tui.app import BackcheckApp
from tui_seed import NOW, fixed_clock, seed, use_utc


@pytest.fixture(autouse=True)
def _utc() -> None:
    use_utc()


@pytest.fixture
def seeded(tmp_path: Path) -> Path:
    """A workspace named ``shop`` whose store holds the seed data."""
    return seed(tmp_path / "shop")


@pytest.fixture
def clock():
    return fixed_clock(NOW)


@asynccontextmanager
async def running(workspace: Path, size: tuple[int, int] = (80, 24), **kwargs: Any):
    """Run the app under a pilot and wait until the first store read has been shown."""
    kwargs.setdefault("auto_check", False)
    app = BackcheckApp(workspace, **kwargs)
    async with app.run_test(size=size) as pilot:
        await app.wait_for(lambda: app.state.loaded)
        await pilot.pause()
        yield app, pilot


@pytest.fixture
def run_app():
    return running
