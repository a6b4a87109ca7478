"""Runs the extension's TypeScript unit tests (interpreter discovery, formatting, settings) under node."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "extension"


def test_node_unit_tests_pass():
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    if not (EXTENSION / "node_modules" / "typescript").is_dir():
        pytest.skip(
            "extension/node_modules is missing; run `cd extension && npm ci` (make test does)"
        )
    done = subprocess.run(
        ["npm", "test", "--silent"],
        cwd=EXTENSION,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-2000:]
    assert "# fail 0" in done.stdout
