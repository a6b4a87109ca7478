"""The store's API: tasks and phases, notes, test runs, agent rows, watching and migrations."""

from __future__ import annotations

import sqlite3
import time
from datetime import timedelta
from pathlib import Path

import pytest
from backcheck.store import SCHEMA_VERSION, Store, StoreError
from backcheck.store.db import SCHEMA_SECTIONS, _statements
from backcheck.workflow import PHASES, phase_states, slugify


@pytest.fixture
def store(tmp_path: Path):
    s = Store.open(tmp_path)
    yield s
    s.close()


def test_open_creates_store_dir_with_gitignore_and_wal(tmp_path: Path) -> None:
    s = Store.open(tmp_path)
    assert s.created and s.migrated_from == 0
    assert (tmp_path / ".backcheck" / ".gitignore").read_text() == "*\n"
    assert s.path == tmp_path.resolve() / ".backcheck" / "state.db"
    assert s.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert s.schema_version == SCHEMA_VERSION
    s.close()
    again = Store.open(tmp_path)
    assert not again.created and again.migrated_from == SCHEMA_VERSION
    again.close()


def test_open_refuses_missing_workspace(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="not a directory"):
        Store.open(tmp_path / "nope")


def test_task_moves_through_all_phases(store: Store) -> None:
    task = store.create_task("Add orders API")
    assert task.slug == "add-orders-api" and task.current_phase == "analyze"
    for expected in PHASES[1:]:
        task = store.advance(task.id, actor="agent")
        assert task.current_phase == expected
    task = store.advance(task.id)
    assert task.status == "done"
    assert all(s.state == "done" for s in store.phase_states(task.id))
    with pytest.raises(StoreError, match="reopen"):
        store.advance(task.id)


def test_reopen_makes_later_phases_pending(store: Store) -> None:
    task = store.create_task("Orders")
    for _ in range(4):
        task = store.advance(task.id)
    assert task.current_phase == "validation"
    task = store.reopen(task.id, "research", note="new source")
    assert task.current_phase == "research" and task.status == "open"
    states = {s.phase: s.state for s in store.phase_states(task.id)}
    assert states["analyze"] == "done" and states["review-context"] == "done"
    assert states["research"] == "current"
    assert states["design-schema"] == "pending" and states["validation"] == "pending"
    last = store.transitions(task.id)[-1]
    assert (last.phase, last.state, last.actor, last.note) == (
        "research", "reopened", "person", "new source"
    )


def test_reopen_default_is_previous_phase(store: Store) -> None:
    task = store.create_task("x")
    task = store.advance(task.id)
    assert store.reopen(task.id).current_phase == "analyze"
    assert store.reopen(task.id).current_phase == "analyze"  # first phase stays first


def test_set_phase_forward_and_fail(store: Store) -> None:
    task = store.create_task("x")
    task = store.set_phase(task.id, "verify", actor="agent")
    states = {s.phase: s.state for s in store.phase_states(task.id)}
    assert states["analyze"] == "done" and states["tests"] == "pending"
    assert states["verify"] == "current"
    task = store.fail_phase(task.id, note="2 tests fail")
    assert task.status == "failed"
    assert store.phase_states(task.id)[-1].state == "failed"
    with pytest.raises(ValueError, match="unknown phase"):
        store.set_phase(task.id, "deploy")
    with pytest.raises(ValueError, match="actor"):
        store.advance(task.id, actor="robot")


def test_current_task_prefers_open(store: Store) -> None:
    assert store.current_task() is None
    a = store.create_task("a")
    b = store.create_task("b")
    store.set_task_status(b.id, "cancelled")
    assert store.current_task().id == a.id


def test_phase_states_pure_function() -> None:
    ts = [
        {"phase": "analyze", "state": "started", "at": 1.0},
        {"phase": "analyze", "state": "done", "at": 2.0},
        {"phase": "review-context", "state": "started", "at": 2.0, "actor": "agent"},
    ]
    states = phase_states(ts)
    assert [s.state for s in states[:3]] == ["done", "current", "pending"]
    assert states[1].at == 2.0 and states[1].actor == "agent"


def test_slugify() -> None:
    assert slugify("Add  orders API!") == "add-orders-api"
    assert slugify("!!!") == "task"
    assert len(slugify("x" * 200)) <= 48


def test_notes_search_and_recent(store: Store) -> None:
    task = store.create_task("t")
    n1 = store.add_note("JWT refresh", "Refresh tokens", "Rotate *always*", ["https://x.test/a"], task.id)
    store.add_note("pagination", "Cursor pagination", "keyset", [])
    assert n1.topic == "jwt refresh" and n1.sources == ["https://x.test/a"]
    assert store.find_recent_note("  jwt   REFRESH ").id == n1.id
    assert store.find_recent_note("jwt refresh", max_age=timedelta(hours=1)).id == n1.id
    assert store.find_recent_note("jwt refresh", now=time.time() + 25 * 3600) is None
    assert [n.title for n in store.list_notes(search="keyset")] == ["Cursor pagination"]
    assert [n.title for n in store.list_notes(search="x.test")] == ["Refresh tokens"]
    assert store.list_notes(search="100%") == []  # LIKE wildcards are escaped
    assert n1.is_stale(now=n1.created + 24 * 3600 + 1) and not n1.is_stale()
    assert [n.id for n in store.notes_for_task(task.id)] == [n1.id]


def test_test_run_counts_and_failed(store: Store) -> None:
    run = store.start_test_run(["pytest", "tests"])
    store.set_test_run_total(run, 3)
    store.add_test_result(run, "tests/t.py::a", "passed", 0.01, "tests/t.py", 3)
    store.add_test_result(run, "tests/t.py::b", "failed", 0.2, "tests/t.py", 7, "assert 1 == 2")
    store.add_test_result(run, "tests/t.py::c", "skipped", 0.0, "tests/t.py", 9)
    mid = store.get_test_run(run)
    assert (mid.status, mid.total, mid.done, mid.passed, mid.failed, mid.skipped) == (
        "running", 3, 3, 1, 1, 1
    )
    done = store.finish_test_run(run, 1)
    assert done.status == "failed" and done.exit_code == 1 and done.finished
    assert store.failed_nodeids(run) == ["tests/t.py::b"]
    assert store.latest_test_run().id == run
    results = store.test_results(run)
    assert [r.outcome for r in results] == ["passed", "failed", "skipped"]
    assert results[1].failure_text == "assert 1 == 2" and results[1].line == 7
    with pytest.raises(ValueError):
        store.add_test_result(run, "x", "exploded")


def test_agent_rows_and_stop(store: Store) -> None:
    task = store.create_task("t")
    run = store.start_agent_run(task.id, "claude-sonnet")
    store.add_agent_message(task.id, "assistant", [{"type": "text", "text": "hi"}], run_id=run)
    store.add_agent_message(task.id, "tool_use", {"path": "app.py"}, tool_name="read_file", run_id=run)
    store.add_usage(task.id, "claude-sonnet", 100, 20, 5, 1, 0.0123, run_id=run)
    store.add_usage(task.id, "claude-sonnet", 10, 2, cost_usd=0.001, run_id=run)
    msgs = store.agent_messages(task.id)
    assert msgs[0].content == [{"type": "text", "text": "hi"}]
    assert msgs[1].tool_name == "read_file" and msgs[1].run_id == run
    assert store.agent_messages(task.id, after_id=msgs[0].id) == msgs[1:]
    totals = store.usage_totals(task.id)
    assert (totals.input_tokens, totals.output_tokens, totals.calls) == (110, 22, 2)
    assert totals.cost_usd == pytest.approx(0.0133)
    assert not store.agent_stop_requested(run)
    store.request_agent_stop(run)
    assert store.agent_stop_requested(run)
    store.finish_agent_run(run, "stopped", "stopped by a person")
    assert store.latest_agent_run(task.id).status == "stopped"


def test_checklist_snapshots(store: Store) -> None:
    assert store.latest_checklist(None) is None
    store.add_checklist_snapshot(None, [{"key": "tests", "ok": False}])
    store.add_checklist_snapshot(None, [{"key": "tests", "ok": True}])
    assert store.latest_checklist(None).items == [{"key": "tests", "ok": True}]


def test_changes_since_and_data_version(tmp_path: Path) -> None:
    reader = Store.open(tmp_path)
    writer = Store.open(tmp_path)
    v0 = reader.data_version()
    assert reader.changes_since("research_notes", 0) == []
    writer.add_note("a", "A", "", ["https://a.test"])
    assert reader.data_version() != v0
    rows = reader.changes_since("research_notes", 0)
    assert rows[0]["sources"] == ["https://a.test"] and rows[0]["rowid"] == 1
    writer.add_note("b", "B")
    assert [r["title"] for r in reader.changes_since("research_notes", rows[-1]["rowid"])] == ["B"]
    assert reader.max_rowid("research_notes") == 2
    with pytest.raises(ValueError):
        reader.changes_since("sqlite_master; DROP TABLE tasks", 0)
    reader.close()
    writer.close()


def test_old_schema_migrates_and_keeps_data(tmp_path: Path) -> None:
    db = tmp_path / ".backcheck" / "state.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    for stmt in _statements(SCHEMA_SECTIONS[1]):
        conn.execute(stmt)
    conn.execute(
        "INSERT INTO tasks (title, slug, created, updated) VALUES ('old', 'old', 1.0, 1.0)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    s = Store.open(tmp_path)
    assert s.migrated_from == 1 and s.schema_version == SCHEMA_VERSION
    assert s.get_task(1).title == "old"
    run = s.start_agent_run(1, "m")  # table added by version 2
    s.add_agent_message(1, "user", "hi", run_id=run)
    assert s.agent_messages(1)[0].run_id == run
    s.close()


def test_newer_schema_is_refused(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    conn = sqlite3.connect(tmp_path / ".backcheck" / "state.db")
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.commit()
    conn.close()
    with pytest.raises(StoreError, match="upgrade backcheck"):
        Store.open(tmp_path)


def test_garbage_file_gives_clear_error(tmp_path: Path) -> None:
    db = tmp_path / ".backcheck" / "state.db"
    db.parent.mkdir()
    db.write_bytes(b"this is not sqlite" * 100)
    with pytest.raises(StoreError, match="delete it"):
        Store.open(tmp_path)


def test_schema_sections_are_numbered_from_one() -> None:
    assert list(SCHEMA_SECTIONS) == list(range(1, SCHEMA_VERSION + 1))
