"""The store watcher (rowid > last seen) and the state it feeds, without a screen."""

from __future__ import annotations

from pathlib import Path

from backcheck.store import Store
from backcheck_tui import watch
from backcheck_tui.state import AppState
from backcheck_tui.watch import StoreWatcher
from backcheck_tui.widgets.agent import message_text


def test_first_poll_reads_all_then_only_changes(seeded: Path) -> None:
    with Store.open(seeded) as reader, Store.open(seeded) as writer:
        w = StoreWatcher(reader)
        first = w.poll()
        assert first is not None and first.first
        assert len(first.notes) == 3 and len(first.results) == 5 and len(first.messages) == 5
        assert w.poll() is None  # nothing committed since
        writer.add_note("x", "New")
        ch = w.poll()
        assert [n.title for n in ch.notes] == ["New"] and not ch.first and ch.results == []


def test_first_poll_starts_results_at_the_newest_run(seeded: Path) -> None:
    with Store.open(seeded) as store:
        run = store.start_test_run(["pytest"])
        store.add_test_result(run, "t.py::a", "passed")
        w = StoreWatcher(store)
        ch = w.poll()
        assert [r.nodeid for r in ch.results] == ["t.py::a"]  # old runs' results are skipped


def test_big_batches_are_split(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(watch, "BATCH", 2)
    with Store.open(tmp_path) as store:
        for i in range(5):
            store.add_note("t", f"n{i}")
        w = StoreWatcher(store)
        first = w.poll()
        assert len(first.notes) == 2 and first.more
        rest = w.poll(force=True)
        assert len(rest.notes) == 2 and rest.more


def test_state_follows_the_newest_open_task_until_pinned(tmp_path: Path) -> None:
    with Store.open(tmp_path) as store:
        a = store.create_task("a")
        w = StoreWatcher(store)
        state = AppState()
        state.apply(w.poll())
        assert state.task_id == a.id
        b = store.create_task("b")
        assert "task" in state.apply(w.poll(force=True))
        assert state.task_id == b.id
        state.select_task(a.id)
        store.create_task("c")
        state.apply(w.poll(force=True))
        assert state.task_id == a.id


def test_message_text_reads_the_runner_shapes() -> None:
    assert message_text("plain") == "plain"
    assert message_text({"id": "t1", "input": {"path": "a.py"}}) == "path=a.py"
    assert message_text({"tool_use_id": "t1", "content": "boom", "is_error": True}) == "error: boom"
    assert message_text({"event": "budget", "limit": 5}) == "budget: limit=5"
    assert message_text([{"type": "text", "text": "hi"},
                         {"type": "tool_use", "name": "read_file", "input": {"path": "x"}}]) == (
        "hi\nread_file(path=x)"
    )
