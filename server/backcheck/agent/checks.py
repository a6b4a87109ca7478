"""What ``run_tests``, ``run_checks`` and the verify phase run: the project's tests, ruff, backcheck.

Each tool sits behind one function here, so the agent does not care whether the engine or the
test runner of this version of backcheck is installed: a missing piece is reported as skipped.
"""

from __future__ import annotations

import asyncio
import inspect
import shutil
import subprocess
import sys
import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcheck.agent.sandbox import scrubbed_env

MAX_OUTPUT_CHARS = 12_000


@dataclass
class TestOutcome:
    """The result of one run of the project's tests."""

    __test__ = False  # not a pytest test class

    ok: bool
    summary: str
    run_id: int | None = None
    exit_code: int | None = None
    failures: list[str] = field(default_factory=list)
    output_tail: str = ""


@dataclass
class CheckFinding:
    """One backcheck finding, reduced to what the agent and the task document need."""

    code: str
    name: str
    severity: str
    path: str
    line: int
    message: str

    def render(self) -> str:
        """``path:line: CODE name (severity) message``."""
        return f"{self.path}:{self.line}: {self.code} {self.name} ({self.severity}) {self.message}"


@dataclass
class ChecksOutcome:
    """Findings for some files, or why they could not be computed."""

    findings: list[CheckFinding]
    available: bool = True
    errors: list[str] = field(default_factory=list)


@dataclass
class RuffOutcome:
    """ruff's verdict on some files."""

    ok: bool
    output: str
    available: bool = True


def _tail(text: str, limit: int = MAX_OUTPUT_CHARS) -> str:
    return text if len(text) <= limit else "...\n" + text[-limit:]


# --- tests -------------------------------------------------------------------------------------


async def run_project_tests(
    workspace: Path,
    paths: list[str],
    *,
    store: Any | None,
    task_id: int | None,
    timeout: float,
    command: tuple[str, ...] = (),
) -> TestOutcome:
    """Run the project's tests (recorded in the store when backcheck.testrun is available)."""
    if not command:
        try:
            from backcheck.testrun import runner as testrun
        except ImportError:
            testrun = None  # type: ignore[assignment]
        if testrun is not None and store is not None:
            return await _run_with_testrun(testrun, workspace, paths, store, task_id, timeout)
    argv = list(command) or [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]
    return await _run_plain(workspace, [*argv, *paths], timeout)


async def _run_with_testrun(
    testrun: Any, workspace: Path, paths: list[str], store: Any, task_id: int | None, timeout: float
) -> TestOutcome:
    cancel = threading.Event()
    kwargs: dict[str, Any] = {"task_id": task_id, "cancel": cancel, "extra_args": ["-q"]}
    # Pass a credential-free environment when the runner accepts one.
    if "env" in inspect.signature(testrun.run_tests).parameters:
        kwargs["env"] = scrubbed_env()
    call = asyncio.to_thread(testrun.run_tests, workspace, list(paths), store, None, **kwargs)
    task = asyncio.ensure_future(call)
    try:
        run = await asyncio.wait_for(asyncio.shield(task), timeout=timeout)
    except TimeoutError:
        cancel.set()
        run = await task
        return TestOutcome(
            False,
            f"the tests took longer than {timeout:g} s and were stopped",
            run.id,
            run.exit_code,
        )
    except asyncio.CancelledError:
        cancel.set()
        await asyncio.shield(task)
        raise
    failed = [str(n) for n in store.failed_nodeids(run.id)]
    tail = testrun.read_log_tail(workspace, run.id, lines=60)
    counts = f"{run.passed} passed, {run.failed} failed, {run.errors} errors, {run.skipped} skipped"
    if run.exit_code == 5:
        return TestOutcome(False, "no tests were collected", run.id, 5, [], _tail(tail))
    ok = run.exit_code == 0
    summary = (
        f"tests {'passed' if ok else 'FAILED'}: {counts} (run #{run.id}, exit {run.exit_code})"
    )
    return TestOutcome(ok, summary, run.id, run.exit_code, failed, _tail(tail))


async def _run_plain(workspace: Path, argv: list[str], timeout: float) -> TestOutcome:
    try:
        proc = await asyncio.create_subprocess_exec(
            *argv,
            cwd=workspace,
            env=scrubbed_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )
    except OSError as exc:
        return TestOutcome(False, f"could not start {argv[0]}: {exc}")
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return TestOutcome(False, f"the tests took longer than {timeout:g} s and were stopped")
    except asyncio.CancelledError:
        proc.kill()
        await proc.wait()
        raise
    text = out.decode("utf-8", errors="replace")
    last = text.strip().splitlines()[-1] if text.strip() else ""
    code = proc.returncode
    if code == 5:
        return TestOutcome(False, "no tests were collected", None, 5, [], _tail(text))
    ok = code == 0
    failures = [
        ln.split(" ", 1)[1] for ln in text.splitlines() if ln.startswith(("FAILED ", "ERROR "))
    ]
    summary = f"tests {'passed' if ok else 'FAILED'}: {last} (exit {code})"
    return TestOutcome(ok, summary, None, code, failures, _tail(text))


# --- ruff ---------------------------------------------------------------------------------------


def _ruff_argv() -> list[str] | None:
    beside = Path(sys.executable).parent / "ruff"
    if beside.is_file():
        return [str(beside)]
    found = shutil.which("ruff")
    return [found] if found else None


async def run_ruff(workspace: Path, files: list[str], timeout: float = 120.0) -> RuffOutcome:
    """``ruff check`` on the given Python files, with the project's own ruff configuration."""
    py_files = [f for f in files if f.endswith((".py", ".pyi"))]
    if not py_files:
        return RuffOutcome(True, "no Python files to lint")
    argv = _ruff_argv()
    if argv is None:
        return RuffOutcome(True, "ruff is not installed; lint skipped", available=False)
    proc = await asyncio.create_subprocess_exec(
        *argv,
        "check",
        "--no-cache",
        "--output-format",
        "concise",
        *py_files,
        cwd=workspace,
        env=scrubbed_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        out, _ = await asyncio.wait_for(proc.communicate(), timeout=timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        return RuffOutcome(False, f"ruff took longer than {timeout:g} s")
    text = out.decode("utf-8", errors="replace").strip()
    return RuffOutcome(proc.returncode == 0, _tail(text) or "All checks passed!")


# --- backcheck ----------------------------------------------------------------------------------


def _rule_info() -> dict[str, tuple[str, str]]:
    """code -> (name, severity) from the rule registry, when there is one."""
    try:
        from backcheck.rules import registry

        rules = registry()
    except Exception:  # noqa: BLE001 - a broken registry must not stop the agent
        return {}
    info = {}
    for code, rule in rules.items():
        info[code] = (str(getattr(rule, "name", "")), str(getattr(rule, "severity", "warning")))
    return info


def backcheck_findings(workspace: Path, files: list[str]) -> ChecksOutcome:
    """backcheck's findings in ``files`` (workspace-relative), computed with the whole project in view.

    The entire workspace is scanned (cached per file by content) so cross-file rules such as
    route-without-test see the tests, then findings are kept for the given files only.
    """
    try:
        from backcheck.engine import check_paths
    except ImportError:
        return ChecksOutcome([], available=False, errors=["the backcheck engine is not installed"])
    wanted = {f for f in files if f.endswith(".py")}
    if not wanted:
        return ChecksOutcome([])
    try:
        result = check_paths([workspace], root=workspace)
    except Exception as exc:  # noqa: BLE001 - reported to the agent, never fatal
        return ChecksOutcome([], errors=[f"backcheck failed: {type(exc).__name__}: {exc}"])
    info = _rule_info()
    findings = []
    for f in result.findings:
        if f.path not in wanted:
            continue
        name, severity = info.get(f.code, ("", "warning"))
        findings.append(CheckFinding(f.code, name, f.severity_or(severity), f.path, f.line, f.message))
    errors = [f"{e.path}: {e.message}" for e in result.errors if e.path in wanted]
    return ChecksOutcome(findings, errors=errors)


def new_findings(before: list[CheckFinding], after: list[CheckFinding]) -> list[CheckFinding]:
    """Findings in ``after`` beyond those already present in ``before`` (per file and code)."""
    baseline = Counter((f.path, f.code) for f in before)
    out = []
    for f in after:
        key = (f.path, f.code)
        if baseline[key] > 0:
            baseline[key] -= 1
        else:
            out.append(f)
    return out
