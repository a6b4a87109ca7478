"""The seed's quality checklist, each item computed from real signals.

:func:`build_checklist` is pure: it takes findings, notes, the last test run, ruff's result and
whether the task's docs exist, and says for each item whether it passes and what fails where.
:func:`gather_signals` collects those inputs from the workspace (git, the backcheck engine, ruff)
and runs in a worker thread.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

from backcheck.store import Note, Task, TestResult, TestRun

State = Literal["ok", "fail", "unknown", "running"]


@dataclass(frozen=True)
class Finding:
    """One problem behind a failing item: where it is and what it says."""

    file: str
    line: int
    code: str
    message: str


@dataclass(frozen=True)
class ChecklistItem:
    """One checklist line: ``ok``, ``fail``, ``unknown`` (no signal yet) or ``running``."""

    key: str
    title: str
    state: State
    detail: str
    where: tuple[Finding, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """A JSON-able dict for the store's checklist snapshots."""
        d = asdict(self)
        d["ok"] = self.state == "ok"
        d["where"] = [asdict(w) for w in self.where]
        return d


@dataclass
class RuffResult:
    """ruff's verdict on the files in scope (``available`` False when ruff is not installed)."""

    available: bool
    findings: list[Finding] = field(default_factory=list)
    error: str | None = None


@dataclass
class Signals:
    """Everything the checklist is computed from."""

    scope: list[str] | None  # changed files (None: the whole workspace)
    findings: list[Finding] | None  # backcheck findings in scope (None: engine unavailable)
    engine_error: str | None = None
    ruff: RuffResult | None = None
    docs: list[str] = field(default_factory=list)  # docs/tasks files for the task
    computed_at: float = 0.0


#: Checklist items that come from backcheck rule families: (key, title, code prefixes).
RULE_ITEMS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("auth", "Every route checks who is calling", ("BC1",)),
    ("validation", "Request input passes through a schema", ("BC2",)),
    ("transactions", "Multi-step writes run in one transaction", ("BC3",)),
    ("audit", "Each state change leaves an audit record", ("BC4",)),
    ("errors", "Errors reveal no internals", ("BC5",)),
    ("exposure", "Responses carry no secrets", ("BC6",)),
    ("schema", "Indexes and reversible, safe migrations", ("BC7",)),
    ("types", "Handlers declare typed contracts", ("BC804",)),
)


def build_checklist(
    task: Task | None,
    notes: Sequence[Note],
    run: TestRun | None,
    failed_results: Sequence[TestResult],
    signals: Signals | None,
) -> list[ChecklistItem]:
    """Compute every checklist item for ``task`` from the given signals (pure; no I/O)."""
    items: list[ChecklistItem] = []
    # Research: a note recorded for this task, and every note cites at least one source.
    if task is None:
        items.append(ChecklistItem("research", "Research done for this task", "unknown",
                                   "no task: press n to create one"))
        items.append(ChecklistItem("sources", "Research cites its sources", "unknown", "no task"))
    elif not notes:
        items.append(ChecklistItem("research", "Research done for this task", "fail",
                                   "no research note for this task: press o to add one"))
        items.append(ChecklistItem("sources", "Research cites its sources", "fail", "no notes, no sources"))
    else:
        items.append(ChecklistItem("research", "Research done for this task", "ok",
                                   f"{len(notes)} note{'s' if len(notes) != 1 else ''} recorded"))
        unsourced = [n for n in notes if not n.sources]
        n_sources = len({s for n in notes for s in n.sources})
        if unsourced:
            items.append(ChecklistItem(
                "sources", "Research cites its sources", "fail",
                f"{len(unsourced)} note(s) cite no URL",
                tuple(Finding("(note)", 0, "", f"#{n.id} {n.title}") for n in unsourced),
            ))
        else:
            items.append(ChecklistItem("sources", "Research cites its sources", "ok",
                                       f"{n_sources} source URL{'s' if n_sources != 1 else ''} cited"))

    scope_text = _scope_text(signals)
    for key, title, prefixes in RULE_ITEMS:
        items.append(_rule_item(key, title, prefixes, signals, scope_text))

    items.append(_tests_item(run, failed_results, signals, scope_text))
    items.append(_lint_item(signals, scope_text))
    items.append(_docs_item(task, signals))
    return items


def _scope_text(signals: Signals | None) -> str:
    if signals is None or signals.scope is None:
        return "in the workspace"
    n = len(signals.scope)
    return f"in {n} changed file{'s' if n != 1 else ''}"


def _rule_item(key: str, title: str, prefixes: tuple[str, ...], signals: Signals | None,
               scope_text: str) -> ChecklistItem:
    if signals is None:
        return ChecklistItem(key, title, "running", "checking…")
    if signals.findings is None:
        return ChecklistItem(key, title, "unknown",
                             signals.engine_error or "the backcheck engine is not available")
    hits = tuple(f for f in signals.findings if f.code.startswith(prefixes))
    if hits:
        codes = sorted({f.code for f in hits})
        return ChecklistItem(key, title, "fail",
                             f"{len(hits)} finding{'s' if len(hits) != 1 else ''} "
                             f"({', '.join(codes)}) {scope_text}", hits)
    return ChecklistItem(key, title, "ok", f"no {'/'.join(p + 'xx' if len(p) == 3 else p for p in prefixes)} findings {scope_text}")


def _tests_item(run: TestRun | None, failed: Sequence[TestResult], signals: Signals | None,
                scope_text: str) -> ChecklistItem:
    title = "Tests reach the routes and pass"
    untested = tuple(f for f in (signals.findings or []) if f.code == "BC901") if signals else ()
    if run is None:
        return ChecklistItem("tests", title, "unknown", "no test run yet: press t to run the tests",
                             untested)
    if run.status == "running":
        return ChecklistItem("tests", title, "running",
                             f"run #{run.id} in progress ({run.done}/{run.total or '?'})")
    where = tuple(
        Finding(r.file or r.nodeid, r.line or 0, r.outcome, r.nodeid) for r in failed
    ) + untested
    if run.status != "passed":
        counts = [f"{n} {label}" for n, label in ((run.failed, "failed"), (run.errors, "errors")) if n]
        what = ", ".join(counts) if counts else f"run {run.status}"
        return ChecklistItem("tests", title, "fail", f"run #{run.id}: {what}", where)
    if untested:
        return ChecklistItem("tests", title, "fail",
                             f"tests pass, but {len(untested)} route(s) {scope_text} have no test",
                             untested)
    return ChecklistItem("tests", title, "ok", f"run #{run.id}: {run.passed} passed")


def _lint_item(signals: Signals | None, scope_text: str) -> ChecklistItem:
    title = "ruff is clean on the changed files"
    if signals is None or signals.ruff is None:
        return ChecklistItem("lint", title, "running", "running ruff…")
    ruff = signals.ruff
    if not ruff.available:
        return ChecklistItem("lint", title, "unknown",
                             ruff.error or "ruff is not installed: pip install ruff")
    if ruff.error:
        return ChecklistItem("lint", title, "unknown", ruff.error)
    if ruff.findings:
        return ChecklistItem("lint", title, "fail",
                             f"ruff: {len(ruff.findings)} problem(s) {scope_text}",
                             tuple(ruff.findings))
    return ChecklistItem("lint", title, "ok", f"ruff clean {scope_text}")


def _docs_item(task: Task | None, signals: Signals | None) -> ChecklistItem:
    title = "Task write-up in docs/tasks"
    if task is None:
        return ChecklistItem("docs", title, "unknown", "no task")
    if signals is None:
        return ChecklistItem("docs", title, "running", "looking…")
    if signals.docs:
        return ChecklistItem("docs", title, "ok", ", ".join(signals.docs))
    return ChecklistItem("docs", title, "fail",
                         f"no docs/tasks/<date>-{task.slug}.md yet")


# ---------------------------------------------------------------------------- signals (I/O)


def changed_files(workspace: Path) -> list[str] | None:
    """Python files under ``workspace`` changed or added since the last commit (relative to it),
    or None when the workspace is not inside a git repository."""
    git = shutil.which("git")
    if git is None:
        return None
    try:
        top = subprocess.run([git, "rev-parse", "--show-toplevel"], cwd=workspace,
                             capture_output=True, text=True, timeout=20, check=False)
        if top.returncode != 0:
            return None
        proc = subprocess.run(
            [git, "status", "--porcelain", "--untracked-files=all", "--no-renames", "-z", "--",
             "."],
            cwd=workspace, capture_output=True, timeout=20, check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    if proc.returncode != 0:
        return None
    root = Path(top.stdout.strip()).resolve()
    ws = workspace.resolve()
    out: list[str] = []
    for entry in proc.stdout.decode("utf-8", "replace").split("\0"):
        if len(entry) < 4:
            continue
        status, path = entry[:2], entry[3:]  # porcelain paths are relative to the repo root
        if "D" in status or not path.endswith(".py"):
            continue
        try:
            rel = (root / path).resolve().relative_to(ws).as_posix()
        except ValueError:
            continue
        if not rel.startswith(".backcheck/"):
            out.append(rel)
    return sorted(set(out))


def engine_findings(workspace: Path, scope: list[str] | None) -> tuple[list[Finding] | None,
                                                                       str | None]:
    """backcheck's findings for the workspace, kept to ``scope`` when given."""
    try:
        from backcheck.engine import check_paths
    except ImportError as exc:  # the engine is optional while it is being built
        return None, f"the backcheck engine is not available ({exc})"
    try:
        result = check_paths([workspace], root=workspace)
    except Exception as exc:  # noqa: BLE001 - show, do not crash the TUI
        return None, f"backcheck failed: {type(exc).__name__}: {exc}"
    wanted = set(scope) if scope is not None else None
    out = []
    for f in getattr(result, "findings", []):
        path = str(getattr(f, "path", "")).replace("\\", "/")
        if wanted is not None and path not in wanted:
            continue
        out.append(Finding(path, int(getattr(f, "line", 0)), str(f.code), str(f.message)))
    return out, None


def ruff_check(workspace: Path, scope: list[str] | None) -> RuffResult:
    """Run ``ruff check`` on the files in scope (the whole workspace when None)."""
    exe = shutil.which("ruff")
    cmd = [exe] if exe else [sys.executable, "-m", "ruff"]
    if scope is not None and not scope:
        return RuffResult(True)
    targets = scope if scope is not None else ["."]
    try:
        proc = subprocess.run(
            [*cmd, "check", "--output-format", "json", "--quiet", "--force-exclude", *targets],
            cwd=workspace, capture_output=True, text=True, timeout=120, check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return RuffResult(exe is not None, error=f"ruff did not run: {exc}")
    if proc.returncode not in (0, 1):
        if "No module named ruff" in proc.stderr:
            return RuffResult(False, error="ruff is not installed: pip install ruff")
        return RuffResult(True, error=f"ruff failed: {proc.stderr.strip()[:200]}")
    try:
        data = json.loads(proc.stdout or "[]")
    except ValueError:
        return RuffResult(True, error="ruff printed something that is not JSON")
    findings = []
    for d in data:
        name = str(d.get("filename", ""))
        try:
            name = str(Path(name).resolve().relative_to(workspace.resolve()))
        except ValueError:
            pass
        loc = d.get("location") or {}
        findings.append(Finding(name, int(loc.get("row") or 0), str(d.get("code") or "ruff"),
                                str(d.get("message", ""))))
    return RuffResult(True, findings)


def task_docs(workspace: Path, task: Task | None) -> list[str]:
    """docs/tasks/*-<slug>.md files written for the task."""
    if task is None:
        return []
    folder = workspace / "docs" / "tasks"
    if not folder.is_dir():
        return []
    return sorted(
        str(p.relative_to(workspace)) for p in folder.glob(f"*{task.slug}.md") if p.is_file()
    )


def gather_signals(workspace: Path, task: Task | None) -> Signals:
    """Collect the checklist's inputs from git, the engine, ruff and docs/ (slow: run in a worker)."""
    workspace = workspace.resolve()
    scope = changed_files(workspace)
    if scope is not None and not scope:
        scope = None  # nothing uncommitted: look at the whole workspace
    findings, error = engine_findings(workspace, scope)
    return Signals(
        scope=scope,
        findings=findings,
        engine_error=error,
        ruff=ruff_check(workspace, scope),
        docs=task_docs(workspace, task),
        computed_at=time.time(),
    )


def summary(items: Iterable[ChecklistItem]) -> tuple[int, int]:
    """(passing, total) over the items."""
    items = list(items)
    return sum(1 for i in items if i.state == "ok"), len(items)
