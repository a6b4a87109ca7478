"""The checklist: the pure computation from signals, and the signals gathered from a real workspace."""

from __future__ import annotations

import shutil
import subprocess
import textwrap
from pathlib import Path

import pytest
from backcheck.store import Note, Store, Task, TestResult, TestRun
from backcheck_tui.checklist import (
    Finding,
    RuffResult,
    Signals,
    build_checklist,
    changed_files,
    gather_signals,
    summary,
)
from backcheck_tui.widgets.checklist import ChecklistPanel
from textual.widgets import Tree

TASK = Task(1, "Orders API", "orders-api", "open", "service", 0.0, 0.0)


def _note(i: int, sources: list[str]) -> Note:
    return Note(i, 1, "topic", f"note {i}", "", sources, 0.0)


def _run(status: str, passed: int = 3, failed: int = 0) -> TestRun:
    return TestRun(7, 1, ["pytest"], 0.0, 1.0, status, 0 if status == "passed" else 1, passed + failed,
                   passed, failed, 0, 0, None)


def _signals(findings: list[Finding] | None = (), ruff: RuffResult | None = None,
             docs: list[str] | None = None, scope: list[str] | None = None) -> Signals:
    return Signals(scope=scope, findings=list(findings) if findings is not None else None,
                   ruff=ruff or RuffResult(True), docs=docs or [], computed_at=0.0)


def _by_key(items):
    return {i.key: i for i in items}


def test_everything_green() -> None:
    items = build_checklist(TASK, [_note(1, ["https://a.test"])], _run("passed"), [],
                            _signals(docs=["docs/tasks/2026-03-02-orders-api.md"]))
    assert summary(items) == (len(items), len(items))
    assert _by_key(items)["research"].detail == "1 note recorded"


def test_research_and_sources() -> None:
    items = _by_key(build_checklist(TASK, [], None, [], _signals()))
    assert items["research"].state == "fail" and "press o" in items["research"].detail
    assert items["sources"].state == "fail"
    items = _by_key(build_checklist(TASK, [_note(1, ["https://a"]), _note(2, [])], None, [],
                                    _signals()))
    assert items["research"].state == "ok"
    assert items["sources"].state == "fail" and items["sources"].where[0].message == "#2 note 2"


def test_findings_map_to_their_items_with_locations() -> None:
    findings = [
        Finding("app/routes.py", 12, "BC101", "route reachable anonymously"),
        Finding("app/routes.py", 30, "BC301", "two writes outside a transaction"),
        Finding("app/routes.py", 40, "BC804", "handler without types"),
        Finding("app/routes.py", 50, "BC901", "route without test"),
    ]
    items = _by_key(build_checklist(TASK, [], _run("passed"), [],
                                    _signals(findings, scope=["app/routes.py"])))
    assert items["auth"].state == "fail"
    assert items["auth"].detail == "1 finding (BC101) in 1 changed file"
    assert items["auth"].where == (findings[0],)
    assert items["transactions"].state == "fail" and items["types"].state == "fail"
    assert items["validation"].state == "ok"
    assert items["validation"].detail == "no BC2xx findings in 1 changed file"
    assert items["tests"].state == "fail" and "no test" in items["tests"].detail


def test_tests_item_follows_the_run() -> None:
    failed = [TestResult(1, 7, "tests/t.py::test_x", "failed", 0.1, "tests/t.py", 4, "boom", 0.0)]
    items = _by_key(build_checklist(TASK, [], _run("failed", 2, 1), failed, _signals()))
    assert items["tests"].state == "fail"
    assert items["tests"].where[0].file == "tests/t.py" and items["tests"].where[0].line == 4
    running = TestRun(8, 1, ["pytest"], 0.0, None, "running", None, 10, 3, 0, 0, 0, None)
    assert _by_key(build_checklist(TASK, [], running, [], _signals()))["tests"].state == "running"
    assert _by_key(build_checklist(TASK, [], None, [], _signals()))["tests"].state == "unknown"


def test_missing_signals_are_unknown_not_passing() -> None:
    items = _by_key(build_checklist(TASK, [], None, [], _signals(
        findings=None, ruff=RuffResult(False, error="ruff is not installed: pip install ruff"))))
    assert items["auth"].state == "unknown"
    assert items["lint"].state == "unknown" and "pip install ruff" in items["lint"].detail
    pending = _by_key(build_checklist(TASK, [], None, [], None))
    assert pending["auth"].state == "running" and pending["lint"].state == "running"
    no_task = _by_key(build_checklist(None, [], None, [], _signals()))
    assert no_task["research"].state == "unknown" and no_task["docs"].state == "unknown"


def test_lint_and_docs() -> None:
    ruff = RuffResult(True, [Finding("app/x.py", 3, "F401", "unused import")])
    items = _by_key(build_checklist(TASK, [], None, [], _signals(ruff=ruff)))
    assert items["lint"].state == "fail" and items["lint"].where[0].code == "F401"
    assert items["docs"].state == "fail" and "orders-api.md" in items["docs"].detail


def test_item_json_for_snapshots() -> None:
    item = _by_key(build_checklist(TASK, [], None, [], _signals()))["research"]
    data = item.to_json()
    assert data["ok"] is False and data["key"] == "research" and data["where"] == []


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_signals_from_a_real_git_workspace(tmp_path: Path) -> None:
    ws = tmp_path / "svc"
    (ws / "app").mkdir(parents=True)
    (ws / "pyproject.toml").write_text("[project]\nname = 'svc'\n")
    (ws / "app" / "__init__.py").write_text("")
    (ws / "app" / "main.py").write_text(textwrap.dedent('''
        from fastapi import FastAPI

        app = FastAPI(debug=True)


        @app.get("/items")
        def items() -> list[str]:
            return []
    '''))
    git = ["git", "-c", "user.email=t@example.invalid", "-c", "user.name=t"]
    subprocess.run([*git, "init", "-q"], cwd=ws, check=True)
    subprocess.run([*git, "add", "."], cwd=ws, check=True)
    subprocess.run([*git, "commit", "-qm", "init"], cwd=ws, check=True)
    assert changed_files(ws) == []
    (ws / "app" / "extra.py").write_text("import os\n")
    (ws / "docs" / "tasks").mkdir(parents=True)
    (ws / "docs" / "tasks" / "2026-03-02-orders-api.md").write_text("# Orders API\n")
    assert changed_files(ws) == ["app/extra.py"]
    signals = gather_signals(ws, TASK)
    assert signals.scope == ["app/extra.py"]
    assert signals.docs == ["docs/tasks/2026-03-02-orders-api.md"]
    if signals.ruff.available:
        assert [f.code for f in signals.ruff.findings] == ["F401"]
    # With nothing uncommitted the whole workspace is in scope and the engine sees main.py.
    subprocess.run([*git, "add", "."], cwd=ws, check=True)
    subprocess.run([*git, "commit", "-qm", "more"], cwd=ws, check=True)
    signals = gather_signals(ws, TASK)
    assert signals.scope is None
    if signals.findings is not None:
        assert any(f.code == "BC502" and f.file == "app/main.py" for f in signals.findings)


async def test_checklist_panel_in_the_app(tmp_path: Path, run_app) -> None:
    """With auto-check on, the app gathers real signals, shows them and stores a snapshot."""
    ws = tmp_path / "svc"
    ws.mkdir()
    (ws / "main.py").write_text("DEBUG = True\n")
    with Store.open(ws) as store:
        store.create_task("Orders API")
    async with run_app(ws, auto_check=True) as (app, pilot):
        await app.wait_for(lambda: app.signals is not None, timeout=60)
        await pilot.press("4")
        items = {i.key: i for i in app.query_one(ChecklistPanel).items}
        assert items["research"].state == "fail"
        assert items["auth"].state in ("ok", "fail", "unknown")
        labels = [str(n.label) for n in app.query_one("#checklist-tree", Tree).root.children]
        assert any("Research done for this task" in lbl for lbl in labels)
        await pilot.press("o")
        app.screen.query_one("#note-title").value = "Auth for orders"
        app.screen.query_one("#note-sources").value = "https://fastapi.tiangolo.com/tutorial/security/"
        await pilot.press("ctrl+s")
        await app.wait_for(lambda: {i.key: i for i in app.checklist}["sources"].state == "ok")
        await pilot.press("c")
        await app.wait_for(lambda: app.signals is not None)
    with Store.open(ws) as store:
        snap = store.latest_checklist(1)
        assert snap is not None
        assert {i["key"]: i["ok"] for i in snap.items}["research"] is True
