"""Run a project's pytest in a subprocess and follow its results live through the store.

The subprocess loads :mod:`backcheck.testrun.plugin`, which writes each result to the store as it
finishes; this side polls the store for new rows and hands them to ``on_result``, so the CLI and
the TUI see the same data any other process would.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from backcheck.store import Store, TestResult, TestRun

#: How often the runner looks for new results while pytest runs (seconds).
POLL_INTERVAL_S = 0.05
PLUGIN = "backcheck.testrun.plugin"
# Variables of an enclosing pytest (e.g. when backcheck's own tests run this) that would confuse
# the child session.
_SCRUB_ENV = ("PYTEST_CURRENT_TEST", "PYTEST_XDIST_WORKER", "PYTEST_XDIST_WORKER_COUNT",
              "PYTEST_XDIST_TESTRUNUID")


def log_path(workspace: Path, run_id: int) -> Path:
    """Where pytest's own output for run ``run_id`` is kept."""
    return Path(workspace).resolve() / ".backcheck" / "test-runs" / f"{run_id}.log"


def pytest_command(paths: Sequence[str] = (), extra_args: Sequence[str] = (),
                   python: str | None = None) -> list[str]:
    """The argv that runs pytest with the recording plugin."""
    return [python or sys.executable, "-m", "pytest", "-p", PLUGIN, *extra_args, *paths]


def run_tests(
    workspace: Path | str,
    paths: Sequence[str] = (),
    store: Store | None = None,
    on_result: Callable[[TestResult, TestRun], None] | None = None,
    *,
    extra_args: Sequence[str] = (),
    task_id: int | None = None,
    python: str | None = None,
    cancel: threading.Event | None = None,
    on_start: Callable[[int], None] | None = None,
) -> TestRun:
    """Run pytest on ``paths`` (default: the project's configured tests) with ``workspace`` as cwd.

    Each result is written to the store by the plugin as it finishes and passed to
    ``on_result(result, run)`` here. ``on_start(run_id)`` is called once the run is recorded.
    Setting ``cancel`` interrupts pytest (SIGINT, then SIGKILL). Returns the finished run, whose
    ``exit_code`` is pytest's. pytest's own output goes to :func:`log_path`.
    """
    workspace = Path(workspace).resolve()
    own_store = store is None
    store = store or Store.open(workspace)
    argv = pytest_command(paths, extra_args, python)
    run_id = store.start_test_run(argv, task_id=task_id)
    if on_start is not None:
        on_start(run_id)
    log = log_path(workspace, run_id)
    log.parent.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB_ENV}
    env.update({"BACKCHECK_WORKSPACE": str(workspace), "BACKCHECK_TEST_RUN_ID": str(run_id)})
    last_id = 0

    def drain() -> None:
        nonlocal last_id
        new = store.test_results(run_id, after_id=last_id)
        if not new:
            return
        last_id = new[-1].id
        if on_result is not None:
            run = store.get_test_run(run_id)
            for result in new:
                on_result(result, run)  # type: ignore[arg-type]

    try:
        with open(log, "wb") as out:
            try:
                proc = subprocess.Popen(
                    argv, cwd=workspace, env=env, stdout=out, stderr=subprocess.STDOUT,
                    stdin=subprocess.DEVNULL,
                )
            except OSError as exc:
                out.write(f"could not start {argv[0]}: {exc}\n".encode())
                return store.finish_test_run(run_id, 4, status="error")
            store.set_test_run_pid(run_id, proc.pid)
            interrupted_at: float | None = None
            while proc.poll() is None:
                drain()
                if cancel is not None and cancel.is_set():
                    if interrupted_at is None:
                        interrupted_at = time.monotonic()
                        proc.send_signal(signal.SIGINT)
                    elif time.monotonic() - interrupted_at > 5:
                        proc.kill()
                time.sleep(POLL_INTERVAL_S)
            drain()
            code = proc.returncode
            status = None
            if cancel is not None and cancel.is_set():
                status = "interrupted"
            elif code < 0:
                status = "interrupted"  # killed by a signal from outside
            return store.finish_test_run(run_id, code if code >= 0 else 2, status=status)
    finally:
        if own_store:
            store.close()


def read_log_tail(workspace: Path, run_id: int, lines: int = 30) -> str:
    """The last ``lines`` lines of pytest's output for a run ("" when there is none)."""
    try:
        text = log_path(workspace, run_id).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""
    return "\n".join(text.rstrip().splitlines()[-lines:])


def last_failed(store: Store) -> list[str]:
    """Node ids that failed in the most recent run that recorded any result (for "re-run failed")."""
    for run in store.list_test_runs(limit=20):
        if run.done:
            return store.failed_nodeids(run.id)
    return []
