"""Helpers for the index tests: write a small project into a temporary folder and list its routes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from backcheck.config import Settings
from backcheck.engine import Engine
from backcheck.index.project import Route


def write_project(root: Path, files: dict[str, str]) -> Path:
    """Write `files` (relative path -> source, dedented) under `root`."""
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), "utf-8")
    return root


def scan_routes(root: Path, settings: Settings | None = None) -> list[Route]:
    result = Engine(root, settings or Settings(), use_cache=False).scan()
    assert not [e for e in result.errors if "failed" in e.message], result.errors
    return result.project.routes


@pytest.fixture
def routes_of(tmp_path: Path):
    """`routes_of({"app.py": "..."})` -> the project's routes, keyed by (METHODS, path)."""

    def run(files: dict[str, str], settings: Settings | None = None) -> dict[tuple[str, str], Route]:
        root = write_project(tmp_path / "project", files)
        found: dict[tuple[str, str], Route] = {}
        for route in scan_routes(root, settings):
            found[(",".join(route.methods), route.path)] = route
        return found

    return run
