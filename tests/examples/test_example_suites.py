"""Each bundled example backend's own pytest suite passes (the agent relies on these real runs)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
APPS = ["shop_api", "flask_notes", "django_library"]


def clean_env() -> dict[str, str]:
    """The environment minus what the outer pytest (and xdist) set for itself."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("PYTEST_", "DJANGO_", "SHOP_", "NOTES_")) and key != "PYTHONPATH"
    }


@pytest.mark.parametrize("app", APPS)
def test_example_suite_passes(app: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q"],
        cwd=EXAMPLES / app,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, f"{app}'s own tests failed:\n{output[-4000:]}"
    assert " passed" in output and " failed" not in output
