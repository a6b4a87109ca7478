"""A pytest plugin that writes each test's result to the backcheck store as soon as it finishes.

Loaded with ``pytest -p backcheck.testrun.plugin``. When started by :func:`backcheck.testrun.run_tests`
it appends to the run named by ``BACKCHECK_TEST_RUN_ID`` in the store of ``BACKCHECK_WORKSPACE``;
loaded by hand it records a run of its own in the store of pytest's rootdir. A store problem never
fails the test session: it is reported once on stderr and recording stops.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

import pytest

from backcheck.store import Store

ENV_WORKSPACE = "BACKCHECK_WORKSPACE"
ENV_RUN_ID = "BACKCHECK_TEST_RUN_ID"
#: Failure texts longer than this are cut (the full text stays in pytest's own output).
MAX_FAILURE_CHARS = 20_000


class _Recorder:
    """Keeps the store connection and the run id for one pytest session."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.store: Store | None = None
        self.run_id: int | None = None
        self.owns_run = False
        self.broken = False
        # setup durations wait here until the call phase reports
        self.pending: dict[str, float] = {}
        self.xdist_total = 0

    def open(self) -> None:
        try:
            workspace = os.environ.get(ENV_WORKSPACE) or str(self.config.rootpath)
            self.store = Store.open(Path(workspace))
            run_env = os.environ.get(ENV_RUN_ID)
            if run_env:
                self.run_id = int(run_env)
            else:
                argv = [sys.executable, "-m", "pytest", *self.config.invocation_params.args]
                self.run_id = self.store.start_test_run(argv, pid=os.getpid())
                self.owns_run = True
        except Exception as exc:  # noqa: BLE001 - the test session must go on
            self._fail(exc)

    def _fail(self, exc: BaseException) -> None:
        if not self.broken:
            print(f"backcheck: not recording test results ({exc})", file=sys.stderr)
        self.broken = True

    def write(self, fn: Any, *args: Any, **kwargs: Any) -> None:
        if self.broken or self.store is None or self.run_id is None:
            return
        try:
            fn(self.run_id, *args, **kwargs)
        except Exception as exc:  # noqa: BLE001 - the test session must go on
            self._fail(exc)

    def result(self, report: pytest.TestReport | pytest.CollectReport, outcome: str,
               duration: float) -> None:
        if self.store is None:
            return
        path, line = _location(report)
        text = None
        if outcome in ("failed", "error", "xpassed"):
            text = report.longreprtext or None
        elif outcome == "skipped":
            text = _skip_reason(report)
        elif outcome == "xfailed":
            text = getattr(report, "wasxfail", None) or None
        if text and len(text) > MAX_FAILURE_CHARS:
            text = text[:MAX_FAILURE_CHARS] + "\n... (cut; see pytest's output)"
        self.write(
            self.store.add_test_result, report.nodeid, outcome, duration, path, line, text
        )

    # -- hooks (this object is registered as a plugin) --------------------------------------

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        if self.store and not self.xdist_total:
            self.write(self.store.set_test_run_total, len(session.items))

    @pytest.hookimpl(optionalhook=True)
    def pytest_xdist_node_collection_finished(self, node: Any, ids: list[str]) -> None:
        # Under pytest-xdist the controller collects nothing; each worker reports the same ids.
        if self.store and not self.xdist_total:
            self.xdist_total = len(ids)
            self.write(self.store.set_test_run_total, len(ids))

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            self.result(report, "error", 0.0)

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        xfail = hasattr(report, "wasxfail")
        if report.when == "setup":
            if report.failed:
                self.result(report, "error", report.duration)
            elif report.skipped:
                self.result(report, "xfailed" if xfail else "skipped", report.duration)
            else:
                self.pending[report.nodeid] = report.duration
        elif report.when == "call":
            duration = report.duration + self.pending.pop(report.nodeid, 0.0)
            if xfail:
                outcome = "xfailed" if report.skipped else "xpassed"
            else:
                outcome = report.outcome
            self.result(report, outcome, duration)
        elif report.when == "teardown" and report.failed:
            self.result(report, "error", report.duration)

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        if self.store and self.owns_run and self.run_id is not None:
            try:
                self.store.finish_test_run(self.run_id, int(exitstatus))
            except Exception as exc:  # noqa: BLE001 - the test session must go on
                self._fail(exc)

    def pytest_unconfigure(self, config: pytest.Config) -> None:
        if self.store:
            self.store.close()
            self.store = None


def _location(report: Any) -> tuple[str | None, int | None]:
    loc = getattr(report, "location", None)
    if loc:
        path, lineno, _ = loc
        return str(path).replace(os.sep, "/"), (lineno + 1 if lineno is not None else None)
    fspath = getattr(report, "fspath", None) or report.nodeid.split("::")[0]
    return str(fspath).replace(os.sep, "/") or None, None


def _skip_reason(report: Any) -> str | None:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        reason = str(longrepr[2])
        return reason.removeprefix("Skipped: ")
    return str(longrepr) if longrepr else None


def pytest_configure(config: pytest.Config) -> None:
    """Register the recorder (not in xdist workers: the controller records their reports once)."""
    if hasattr(config, "workerinput"):
        return
    recorder = _Recorder(config)
    recorder.open()
    config.pluginmanager.register(recorder, "backcheck-recorder")
