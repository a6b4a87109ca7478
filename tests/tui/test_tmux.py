"""`python -m backcheck_tui` in a real terminal (tmux), while another process writes to the store.

Drives the app with send-keys and reads the screen with capture-pane, polling with a deadline.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

pytestmark = [
    pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux"),
    pytest.mark.xdist_group("tmux"),
]

WRITER = """
import sys
from backcheck.store import Store
with Store.open(sys.argv[1]) as store:
    store.add_note("live updates", "Note from another process", "written while the TUI runs",
                   ["https://www.sqlite.org/wal.html"])
    run = store.start_test_run(["pytest"])
    store.set_test_run_total(run, 1)
    store.add_test_result(run, "tests/test_live.py::test_from_elsewhere", "failed", 0.25,
                          "tests/test_live.py", 3, "AssertionError: shown in tmux")
    store.finish_test_run(run, 1)
"""


class Tmux:
    """One tmux server on its own socket, with one session running a command."""

    def __init__(self, command: list[str], cwd: Path, size: tuple[int, int] = (100, 30)) -> None:
        self.socket = f"bc-{uuid.uuid4().hex[:8]}"
        self.env = {**os.environ, "TERM": "xterm-256color", "TZ": "UTC"}
        self.env.pop("TMUX", None)
        self._tmux("new-session", "-d", "-s", "bc", "-x", str(size[0]), "-y", str(size[1]),
                   "-c", str(cwd), " ".join(_quote(c) for c in command))

    def _tmux(self, *args: str) -> str:
        proc = subprocess.run(["tmux", "-L", self.socket, *args], env=self.env,
                              capture_output=True, text=True, timeout=30, check=False)
        return proc.stdout

    def send(self, *keys: str) -> None:
        self._tmux("send-keys", "-t", "bc", *keys)

    def screen(self) -> str:
        return self._tmux("capture-pane", "-p", "-t", "bc")

    def wait_for(self, text: str, timeout: float = 30.0) -> float:
        """Poll the screen until ``text`` shows; return how long it took."""
        start = time.monotonic()
        while time.monotonic() - start < timeout:
            if text in self.screen():
                return time.monotonic() - start
            time.sleep(0.05)
        raise AssertionError(f"{text!r} did not appear within {timeout}s; screen:\n{self.screen()}")

    def alive(self) -> bool:
        return "bc" in self._tmux("list-sessions", "-F", "#{session_name}")

    def close(self) -> None:
        self._tmux("kill-server")


def _quote(arg: str) -> str:
    return "'" + arg.replace("'", "'\\''") + "'"


def test_tui_in_tmux_shows_what_another_process_writes(tmp_path: Path) -> None:
    ws = tmp_path / "live"
    ws.mkdir()
    tmux = Tmux([sys.executable, "-m", "backcheck_tui", str(ws), "--no-check"], cwd=ws)
    try:
        tmux.wait_for("watching")
        assert (ws / ".backcheck" / "state.db").exists()
        # Create a task from the keyboard.
        tmux.send("n")
        tmux.wait_for("What should be built?")  # the dialog (the footer also says "New task")
        tmux.send("Live task", "Enter")
        tmux.wait_for("Task #1 Live task")
        # Another process writes a note and a test result; both show up without a restart.
        subprocess.run([sys.executable, "-c", WRITER, str(ws)], check=True, timeout=60)
        tmux.send("2")
        tmux.wait_for("Note from another process")
        tmux.send("3")
        tmux.wait_for("test_from_elsewhere")
        tmux.wait_for("AssertionError: shown in tmux")
        tmux.send("q")
        deadline = time.monotonic() + 15
        while tmux.alive() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert not tmux.alive(), "q should quit the app (and end the session)"
    finally:
        tmux.close()
