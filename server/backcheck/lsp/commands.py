"""`workspace/executeCommand`: backcheck.checkWorkspace, backcheck.showRoutes, backcheck.runTests (the
agent's backcheck.runTask and backcheck.cancelTask live in `backcheck.lsp.agent`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from backcheck.lsp.workspace import Root, TestFailure

if TYPE_CHECKING:
    from backcheck.lsp.server import BackcheckServer

log = logging.getLogger("backcheck.lsp.commands")

CHECK_WORKSPACE = "backcheck.checkWorkspace"
SHOW_ROUTES = "backcheck.showRoutes"
RUN_TESTS = "backcheck.runTests"

# `path/to/test_x.py:12: AssertionError` lines in a pytest failure report.
_FAILURE_LOCATION = re.compile(r"^(?P<file>[^\s:][^:\n]*\.py):(?P<line>\d+):", re.MULTILINE)


def _first_arg(args: tuple[Any, ...]) -> dict[str, Any]:
    if args and isinstance(args[0], dict):
        return args[0]
    return {}


async def _roots(server: BackcheckServer, args: tuple[Any, ...]) -> list[Root]:
    """The roots a command applies to: the one named in its argument, else all of them."""
    await server.ready.wait()
    session = server.session
    wanted = _first_arg(args).get("root")
    roots = list(session.roots.values())
    if wanted:
        path = Path(wanted).resolve()
        roots = [r for r in roots if r.path == path] or [session.root_for(path)]
    return [r for r in roots if r is not None]


async def check_workspace(server: BackcheckServer, *args: Any) -> dict[str, Any]:
    """Re-read every file of every root from disk and publish; returns the counts."""
    totals = {"files": 0, "findings": 0, "files_with_findings": 0, "errors": 0, "cancelled": False}
    for root in await _roots(server, args):
        if root.scan_task is not None and not root.scan_task.done():
            root.scan_task.cancel()
        task = server.start_scan(root)
        counts = await asyncio.shield(task)
        for key in ("files", "findings", "files_with_findings", "errors"):
            totals[key] += counts.get(key, 0)
        totals["cancelled"] = totals["cancelled"] or counts.get("cancelled", False)
    return totals


def _routes_json(root: Root, first: bool) -> list[dict[str, Any]]:
    project = root.engine.project
    out = []
    for route in project.routes:
        item = route.as_json()
        if not first:
            item["file"] = str(root.path / route.file)
        out.append(item)
    return out


async def show_routes(server: BackcheckServer, *args: Any) -> dict[str, Any]:
    """Every route the index found, in the shape of `backcheck routes --format json`."""
    session = server.session
    routes: list[dict[str, Any]] = []
    for index, root in enumerate(await _roots(server, args)):
        if root.scannable and not root.scanned.is_set():
            await root.scanned.wait()
        routes.extend(await session.run(_routes_json, root, index == 0))
    return {"routes": routes}


def failure_location(result: Any, root: Path) -> tuple[str, int] | None:
    """Where a failed test failed: the deepest traceback line in its own file, else its `def` line."""
    own = (result.file or result.nodeid.split("::")[0]).replace("\\", "/")
    best: tuple[str, int] | None = None
    for match in _FAILURE_LOCATION.finditer(result.failure_text or ""):
        file = match.group("file").strip().replace("\\", "/")
        if Path(file).is_absolute():
            try:
                file = Path(file).resolve().relative_to(root).as_posix()
            except ValueError:
                continue
        if file == own:
            best = (file, int(match.group("line")))
    if best is None and own and result.line:
        best = (own, int(result.line))
    return best


def failure_message(result: Any) -> str:
    """pytest's `E ` lines of a failure (what was expected and what happened), else its last line."""
    lines = (result.failure_text or result.outcome).strip().splitlines()
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    if errors:
        return "\n".join(errors[:8])
    return lines[-1].strip() if lines else result.outcome


def _run_tests(root: Path, paths: list[str], cancel: threading.Event, on_start) -> tuple[Any, list[Any]]:
    from backcheck.testrun import run_tests

    results: list[Any] = []
    run = run_tests(root, paths, on_result=lambda result, _run: results.append(result), cancel=cancel,
                    on_start=on_start)
    return run, results


async def run_tests_command(server: BackcheckServer, *args: Any) -> dict[str, Any]:
    """Run the project's tests, store the results, and show each failing test at the line it failed."""
    session = server.session
    roots = await _roots(server, args)
    if not roots:
        return {"summary": "No workspace folder is open, so there are no tests to run.", "status": "error"}
    root = roots[0]
    argument = _first_arg(args)
    paths = [str(p) for p in argument.get("paths", [])] or [str(a) for a in args if isinstance(a, str)]
    cancel = threading.Event()
    session.stop_events.add(cancel)
    progress = await _progress(server, "backcheck: running tests", cancel)
    server.set_status("testing", "running the project's tests")
    summary = "the test run did not finish"
    try:
        work = asyncio.ensure_future(asyncio.to_thread(_run_tests, root.path, paths, cancel, None))
        try:
            run, results = await asyncio.shield(work)
        except asyncio.CancelledError:
            # The request was cancelled: stop pytest and answer only once it has stopped.
            cancel.set()
            with contextlib.suppress(Exception):
                await work
            summary = "cancelled"
            raise
        summary = _summary(run)
    except Exception as exc:  # e.g. the store cannot be opened: say so, keep serving
        log.exception("running the tests failed")
        summary = f"could not run the tests: {exc}"
        server.show_message(f"backcheck {summary}", warning=True)
        return {"summary": summary, "status": "error"}
    finally:
        session.stop_events.discard(cancel)
        _end(server, progress, summary)
        server.set_status("ready", server.summary())
    failures: dict[str, list[TestFailure]] = {}
    for result in results:
        if result.outcome not in ("failed", "error"):
            continue
        where = failure_location(result, root.path)
        if where is None:
            continue
        rel, line = where
        failures.setdefault(rel, []).append(TestFailure(line, failure_message(result), result.nodeid))
    cleared = set(root.test_failures) - set(failures)
    root.test_failures = failures
    for rel in cleared:
        root.pushed[rel] = ("cleared",)
    session.republish(root)
    return {"summary": summary, "passed": run.passed, "failed": run.failed, "errors": run.errors,
            "skipped": run.skipped, "exit_code": run.exit_code, "run_id": run.id, "status": run.status}


def _summary(run: Any) -> str:
    parts = [f"{run.passed} passed"]
    for count, label in ((run.failed, "failed"), (run.errors, "errors"), (run.skipped, "skipped")):
        if count:
            parts.append(f"{count} {label}")
    summary = ", ".join(parts)
    if run.status == "interrupted":
        summary += " (interrupted)"
    elif run.done == 0 and run.exit_code not in (0, 5, None):
        summary = (f"pytest exited with code {run.exit_code} before running any test; "
                   f"its output is in .backcheck/test-runs/{run.id}.log")
    return summary


async def _progress(server: BackcheckServer, title: str, cancel: threading.Event) -> str | None:
    """A cancellable `$/progress` whose cancel button sets `cancel`; None when the client has none."""
    token = await server.create_progress(title)
    future = server.work_done_progress.tokens.get(token) if token else None
    if future is not None:
        future.add_done_callback(lambda f: cancel.set() if f.cancelled() else None)
    return token


def _end(server: BackcheckServer, token: str | None, message: str) -> None:
    server.end_progress(token, message)
