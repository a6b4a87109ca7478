"""Starting ``backcheck agent run`` as a background process from the TUI, and reading how it ended.

The agent process writes everything to the store, so the Agent panel follows it through the
store watcher; the TUI only keeps the process handle to report an early failure and to stop it.
"""

from __future__ import annotations

import os
import subprocess  # nosec B404 - runs our own CLI with an argument list, never a shell
import sys
import time
from dataclasses import dataclass
from pathlib import Path

#: Where the agent processes' output goes, under the workspace's private directory.
LOG_DIR = Path(".backcheck") / "agent-runs"
#: How much of the end of a log is read to find its last line (bytes).
TAIL_BYTES = 8192


@dataclass
class AgentProcess:
    """An agent run started by the TUI: its process handle, task text and log file."""

    popen: subprocess.Popen[bytes]
    task: str
    log_path: Path

    @property
    def pid(self) -> int:
        """The process id."""
        return self.popen.pid

    def running(self) -> bool:
        """True while the process has not exited."""
        return self.popen.poll() is None


def agent_command(workspace: Path, task: str, python: str | None = None) -> list[str]:
    """The argument list that runs ``task`` with the CLI of the interpreter running the TUI."""
    return [python or sys.executable, "-m", "backcheck", "agent", "run",
            "--workspace", str(workspace), task]


def start_agent(workspace: Path, task: str, *, env: dict[str, str] | None = None,
                clock: float | None = None) -> AgentProcess:
    """Start the agent on ``task`` in its own session, its output going to a log file.

    Raises ``OSError`` when the log cannot be created or the interpreter cannot be started.
    """
    log_dir = workspace / LOG_DIR
    log_dir.mkdir(parents=True, exist_ok=True)
    ignore = workspace / ".backcheck" / ".gitignore"
    if not ignore.exists():
        ignore.write_text("*\n")
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(clock if clock is not None else time.time()))
    log_path = log_dir / f"{stamp}.log"
    n = 1
    while log_path.exists():  # two starts in the same second keep separate logs
        n += 1
        log_path = log_dir / f"{stamp}-{n}.log"
    with open(log_path, "wb") as log:
        popen = subprocess.Popen(  # nosec B603 - fixed argument list, no shell
            agent_command(workspace, task),
            cwd=workspace,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env if env is not None else dict(os.environ),
            start_new_session=True,
        )
    return AgentProcess(popen, task, log_path)


def last_line(log_path: Path) -> str:
    """The last non-empty line of a log, or an empty string when there is none."""
    try:
        with open(log_path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            fh.seek(max(0, size - TAIL_BYTES))
            tail = fh.read().decode("utf-8", errors="replace")
    except OSError:
        return ""
    lines = [line.strip() for line in tail.splitlines() if line.strip()]
    return lines[-1] if lines else ""
