"""The dependency runs one way: the TUI imports the core, never the reverse."""

from __future__ import annotations

import subprocess
import sys


def test_core_never_loads_textual_or_the_tui() -> None:
    code = (
        "import sys, backcheck, backcheck.cli, backcheck.engine, backcheck.config, backcheck.rules;"
        "backcheck.rules.registry();"
        "import backcheck.index.project as p; p.framework_modules();"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'backcheck_tui')];"
        "print(','.join(bad)); sys.exit(1 if bad else 0)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, f"the core loaded: {done.stdout} {done.stderr}"


def test_import_linter_contract_holds() -> None:
    from pathlib import Path

    lint = Path(sys.executable).with_name("lint-imports")
    done = subprocess.run([str(lint)], capture_output=True, text=True, timeout=120,
                          cwd=Path(__file__).resolve().parents[1])
    assert done.returncode == 0, done.stdout + done.stderr
