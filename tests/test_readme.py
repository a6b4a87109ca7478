"""The README's generated tables match the rule registry and the settings."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_readme_tables_are_current() -> None:
    done = subprocess.run([sys.executable, "scripts/gen_readme.py", "--check"], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_quick_start_has_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text()
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    commands = [line for line in quick.splitlines() if line.startswith("make ")]
    assert commands == ["make demo", "make test"]


def test_generated_tables_are_not_empty() -> None:
    text = (ROOT / "README.md").read_text()
    assert "| BC101 | route-without-auth |" in text
    assert "| `public` | array |" in text
