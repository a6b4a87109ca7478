"""Every interaction of the TUI, driven with Textual's pilot; waits on store messages, never sleeps."""

from __future__ import annotations

import sqlite3
import textwrap
from pathlib import Path

from backcheck.store import SCHEMA_VERSION, Store
from backcheck.store.db import SCHEMA_SECTIONS, _statements
from backcheck_tui.app import BackcheckApp
from backcheck_tui.screens.dialogs import (
    AddNoteScreen,
    NewTaskScreen,
    PhasePickerScreen,
    TaskPickerScreen,
)
from backcheck_tui.widgets.agent import AgentPanel
from backcheck_tui.widgets.notes import NotesPanel
from backcheck_tui.widgets.status import StatusLine
from backcheck_tui.widgets.tests import TestsPanel
from textual.command import CommandList, CommandPalette
from textual.widgets import Button, Input, Markdown, OptionList, TabbedContent, TextArea, Tree


def _status(app: BackcheckApp) -> str:
    return str(app.query_one(StatusLine).render())


def _options(app: BackcheckApp, selector: str) -> list[str]:
    ol = app.query_one(selector, OptionList)
    return [str(ol.get_option_at_index(i).prompt) for i in range(ol.option_count)]


def _tree_labels(app: BackcheckApp, selector: str) -> list[str]:
    tree = app.query_one(selector, Tree)
    out: list[str] = []

    def walk(node) -> None:
        for child in node.children:
            out.append(str(child.label))
            walk(child)

    walk(tree.root)
    return out


# -- the store's condition -------------------------------------------------------------------


async def test_missing_store_is_created_and_said(tmp_path: Path, run_app) -> None:
    assert not (tmp_path / ".backcheck").exists()
    async with run_app(tmp_path) as (app, _pilot):
        await app.wait_for(lambda: app.store_info is not None)
        assert (tmp_path / ".backcheck" / "state.db").is_file()
        assert (tmp_path / ".backcheck" / ".gitignore").read_text() == "*\n"
        assert app.store_info.created
        assert any("new one was created" in str(n.message) for n in app._notifications)
        assert "No task yet" in str(app.query_one("#task-line").render())


async def test_old_schema_is_migrated(tmp_path: Path, run_app) -> None:
    db = tmp_path / ".backcheck" / "state.db"
    db.parent.mkdir()
    conn = sqlite3.connect(db)
    for stmt in _statements(SCHEMA_SECTIONS[1]):
        conn.execute(stmt)
    conn.execute("INSERT INTO tasks (title, slug, created, updated) VALUES ('Legacy', 'legacy', 1, 1)")
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    async with run_app(tmp_path) as (app, _pilot):
        await app.wait_for(lambda: app.store_info is not None and app.state.task is not None)
        assert app.store_info.migrated_from == 1 and app.store_info.version == SCHEMA_VERSION
        assert any("upgraded from schema 1" in str(n.message) for n in app._notifications)
        assert app.state.task.title == "Legacy"


async def test_locked_store_says_so_and_recovers(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    # Another process holding the database in exclusive locking mode locks out every reader.
    holder = sqlite3.connect(tmp_path / ".backcheck" / "state.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    holder.execute("INSERT INTO tasks (title, slug, created, updated) VALUES ('held', 'held', 1, 1)")
    holder.execute("COMMIT")
    app = BackcheckApp(tmp_path, auto_check=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await app.wait_for(lambda: "locked" in _status(app))
        assert app.query_one(StatusLine).has_class("-warning")
        holder.close()
        await app.wait_for(lambda: app.state.loaded and "watching" in _status(app))
        assert app.state.task.title == "held"
        await pilot.pause()


async def test_store_deleted_while_running_is_recreated(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, _pilot):
        assert app.state.task is not None
        for f in (seeded / ".backcheck").iterdir():
            f.unlink()
        (seeded / ".backcheck").rmdir()
        await app.wait_for(lambda: (seeded / ".backcheck" / "state.db").exists()
                           and app.state.loaded and app.state.task is None)
        assert (seeded / ".backcheck" / ".gitignore").exists()


# -- tasks and phases ------------------------------------------------------------------------


async def test_create_task_from_the_keyboard(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path) as (app, pilot):
        await pilot.press("n")
        assert isinstance(app.screen, NewTaskScreen)
        await pilot.press(*"Orders", "space", *"API")
        await pilot.press("enter")
        await app.wait_for(lambda: app.state.task is not None)
        assert app.state.task.title == "Orders API"
        assert "Task #1 Orders API" in str(app.query_one("#task-line").render())
        assert app.sub_title == "#1 Orders API · analyze"
        with Store.open(tmp_path) as store:
            assert store.transitions(1)[0].actor == "person"


async def test_empty_task_title_is_refused_and_escape_cancels(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path) as (app, pilot):
        await pilot.press("n", "enter")
        assert isinstance(app.screen, NewTaskScreen)
        assert "needs a title" in str(app.screen.query_one("#task-error").render())
        await pilot.press("escape")
        assert not isinstance(app.screen, NewTaskScreen)
        await pilot.press("a")  # no task yet: a warning, nothing breaks
        assert any("No task yet" in str(n.message) for n in app._notifications)


async def test_advance_and_reopen_phases(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, pilot):
        assert app.state.task.current_phase == "design-schema"
        await pilot.press("a")
        await app.wait_for(lambda: app.state.task.current_phase == "validation")
        states = {s.phase: s.state for s in app.state.phase_states()}
        assert states["design-schema"] == "done" and states["validation"] == "current"
        assert "▶  5 validation" in _options(app, "#phases")[4]
        # r opens the phase picker on the previous phase; pick "research".
        await pilot.press("r")
        assert isinstance(app.screen, PhasePickerScreen)
        picker = app.screen.query_one(OptionList)
        assert picker.highlighted == 3  # design-schema, the phase before validation
        await pilot.press("up", "enter")
        await app.wait_for(lambda: app.state.task.current_phase == "research")
        states = {s.phase: s.state for s in app.state.phase_states()}
        assert states["research"] == "current" and states["validation"] == "pending"
        with Store.open(seeded) as store:
            last = store.transitions(app.state.task_id)[-1]
            assert (last.phase, last.state, last.actor) == ("research", "reopened", "person")


async def test_enter_on_a_phase_moves_the_task(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, pilot):
        phases = app.query_one("#phases", OptionList)
        phases.focus()
        phases.highlighted = 6  # route
        await pilot.press("enter")
        await app.wait_for(lambda: app.state.task.current_phase == "route")
        phases.highlighted = 6
        await pilot.press("enter")  # the phase it is already in: said, nothing written
        await pilot.pause()
        assert any("already in route" in str(n.message) for n in app._notifications)


async def test_switch_task(seeded: Path, run_app) -> None:
    with Store.open(seeded) as store:
        other = store.create_task("Second task")
    async with run_app(seeded) as (app, pilot):
        await app.wait_for(lambda: app.state.task_id == other.id)  # follows the newest open task
        await pilot.press("p")
        assert isinstance(app.screen, TaskPickerScreen)
        await pilot.press("down", "enter")
        assert app.state.task_id == 1 and app.state.pinned
        assert "Add an orders API" in str(app.query_one("#task-line").render())


async def test_agent_task_created_elsewhere_is_followed(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path) as (app, _pilot):
        with Store.open(tmp_path) as store:
            task = store.create_task("Agent's task", actor="agent")
            store.advance(task.id, actor="agent")
        await app.wait_for(lambda: app.state.task is not None
                           and app.state.task.current_phase == "review-context")
        assert "by agent" in _options(app, "#phases")[0]


# -- notes -----------------------------------------------------------------------------------


async def test_add_note_with_sources(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, pilot):
        await pilot.press("o")
        assert isinstance(app.screen, AddNoteScreen)
        screen = app.screen
        screen.query_one("#note-title", Input).value = "Decimal money"
        screen.query_one("#note-topic", Input).value = "money types"
        screen.query_one("#note-sources", Input).value = "not-a-url"
        screen.query_one("#note-text", TextArea).text = "Use `Numeric(12, 2)`, never float."
        await pilot.press("ctrl+s")
        assert "Not a http(s) URL: not-a-url" in str(screen.query_one("#note-error").render())
        screen.query_one("#note-sources", Input).value = (
            "https://docs.sqlalchemy.org/en/20/core/type_basics.html, https://peps.python.org/pep-0327/"
        )
        await pilot.press("ctrl+s")
        await app.wait_for(lambda: any(n.title == "Decimal money" for n in app.state.notes.values()))
        note = next(n for n in app.state.notes.values() if n.title == "Decimal money")
        assert note.task_id == app.state.task_id and note.topic == "money types"
        assert len(note.sources) == 2
        app.action_show_tab("notes")
        await pilot.pause()
        assert "Decimal money" in _options(app, "#note-list")[0]
        body = app.query_one("#note-body", Markdown).source
        assert "[https://peps.python.org/pep-0327/](https://peps.python.org/pep-0327/)" in body


async def test_note_search_and_stale_mark(seeded: Path, run_app, clock) -> None:
    async with run_app(seeded, clock=clock) as (app, pilot):
        await pilot.press("slash")
        assert app.query_one("#tabs", TabbedContent).active == "notes"
        assert app.focused is app.query_one("#note-search", Input)
        assert len(_options(app, "#note-list")) == 3
        await pilot.press(*"keyset")
        options = _options(app, "#note-list")
        assert len(options) == 1 and "Keyset pagination" in options[0] and "STALE" in options[0]
        assert "**Stale:**" in app.query_one("#note-body", Markdown).source
        search = app.query_one("#note-search", Input)
        search.value = "stripe.com"  # sources are searched too
        await pilot.pause()
        options = _options(app, "#note-list")
        assert len(options) == 1 and "Idempotent refunds" in options[0]
        assert "Stale" not in app.query_one("#note-body", Markdown).source
        search.value = "nothing like this"
        await pilot.pause()
        assert "No notes match" in _options(app, "#note-list")[0]


async def test_moving_through_notes_shows_each(seeded: Path, run_app, clock) -> None:
    async with run_app(seeded, clock=clock) as (app, pilot):
        app.action_show_tab("notes")
        app.query_one("#note-list", OptionList).focus()
        await pilot.press("down")
        assert "Refresh token rotation" in app.query_one("#note-body", Markdown).source
        assert app.query_one(NotesPanel).current_note.title == "Refresh token rotation"


async def test_note_written_by_another_process_appears(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, _pilot):
        with Store.open(seeded) as other:
            other.add_note("caching", "HTTP caching", "ETags", ["https://httpwg.org/specs/rfc9111.html"])
        await app.wait_for(lambda: any(n.title == "HTTP caching" for n in app.state.notes.values()))
        assert "HTTP caching" in _options(app, "#note-list")[0]


# -- tests -----------------------------------------------------------------------------------


def _test_project(root: Path) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'demo'\n")
    (root / "tests").mkdir()
    (root / "tests" / "test_demo.py").write_text(textwrap.dedent('''
        def test_one():
            assert 1 + 1 == 2

        def test_two():
            assert "refund" == "refunded", "wrong word"

        def test_three():
            pass
    '''))
    return root


async def test_run_tests_then_rerun_failed(tmp_path: Path, run_app) -> None:
    ws = _test_project(tmp_path)
    async with run_app(ws) as (app, pilot):
        await pilot.press("t")
        assert app.query_one("#tabs", TabbedContent).active == "tests"
        await app.wait_for(lambda: not app.test_running and app.state.latest_run is not None
                           and app.state.latest_run.status == "failed", timeout=60)
        run = app.state.latest_run
        assert (run.passed, run.failed, run.total) == (2, 1, 3)
        await app.wait_for(lambda: len(app.state.run_results(run.id)) == 3)
        labels = _tree_labels(app, "#test-tree")
        assert any("tests/test_demo.py" in lbl and "1 failed" in lbl for lbl in labels)
        assert any(lbl.startswith("✗ test_two") for lbl in labels)
        detail = str(app.query_one("#test-detail").render())
        assert "wrong word" in detail  # the first failure's report is shown
        assert _status(app).endswith("tests ✗1")
        await pilot.press("f")
        await app.wait_for(lambda: not app.test_running and app.state.latest_run.id != run.id,
                           timeout=60)
        rerun = app.state.latest_run
        assert rerun.total == 1 and rerun.failed == 1
        assert rerun.command[-1] == "tests/test_demo.py::test_two"


async def test_cancel_a_test_run(tmp_path: Path, run_app) -> None:
    (tmp_path / "tests").mkdir()
    (tmp_path / "tests" / "test_slow.py").write_text(
        "import time\n\ndef test_fast():\n    pass\n\ndef test_slow():\n    time.sleep(60)\n"
    )
    async with run_app(tmp_path) as (app, pilot):
        await pilot.press("t")
        await app.wait_for(lambda: app.state.latest_run is not None
                           and app.state.latest_run.passed == 1, timeout=60)
        await pilot.press("t")  # a second run is refused while one goes
        assert any("already going" in str(n.message) for n in app._notifications)
        await pilot.press("x")
        await app.wait_for(lambda: not app.test_running, timeout=30)
        assert app.state.latest_run is not None
        await app.wait_for(lambda: app.state.latest_run.status == "interrupted")


async def test_results_from_another_process_show_with_progress(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, _pilot):
        with Store.open(seeded) as other:
            run = other.start_test_run(["pytest"])
            other.set_test_run_total(run, 4)
            other.add_test_result(run, "tests/test_x.py::test_a", "passed", 0.5, "tests/test_x.py", 1)
        await app.wait_for(lambda: app.state.latest_run.id == run
                           and len(app.state.run_results(run)) == 1)
        bar = app.query_one("#run-progress")
        assert (bar.total, bar.progress) == (4, 1)
        assert _status(app).endswith("tests running 1/4")
        assert "✓ test_a" in " ".join(_tree_labels(app, "#test-tree"))
        app.query_one(TestsPanel)  # the panel exists and rendered the new run


async def test_rerun_failed_with_nothing_failed_says_so(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path) as (app, pilot):
        await pilot.press("f")
        assert any("No failed tests" in str(n.message) for n in app._notifications)
        await pilot.press("x")
        assert any("No test run to cancel" in str(n.message) for n in app._notifications)


# -- agent -----------------------------------------------------------------------------------


async def test_agent_panel_and_stop_button(seeded: Path, run_app) -> None:
    async with run_app(seeded, size=(100, 30)) as (app, pilot):
        app.action_show_tab("agent")
        await pilot.pause()
        panel = app.query_one(AgentPanel)
        status = str(panel.query_one("#agent-status").render())
        assert "Agent run #1 running" in status and "$0.0823" in status and "18.2k" in status
        assert "edit_file" in str(panel.query_one("#agent-tool").render())
        assert len(panel.query(".entry")) == 5
        await pilot.click("#stop-agent")
        await app.wait_for(lambda: app.state.agent_run.stop_requested is not None)
        assert panel.query_one("#stop-agent", Button).disabled
        with Store.open(seeded) as store:
            assert store.agent_stop_requested(1)
        # The agent writes more; the transcript grows without a restart.
        with Store.open(seeded) as store:
            store.add_agent_message(1, "assistant", "Stopping as asked.", run_id=1)
            store.finish_agent_run(1, "stopped")
        await app.wait_for(lambda: app.state.agent_run.status == "stopped")
        await pilot.pause()
        assert len(panel.query(".entry")) == 6
        await pilot.press("s")
        assert any("No agent is running" in str(n.message) for n in app._notifications)


# -- navigation, palette, themes -------------------------------------------------------------


async def test_number_keys_switch_panels(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, pilot):
        tabs = app.query_one("#tabs", TabbedContent)
        for key, tab in zip("23451", ("notes", "tests", "checklist", "agent", "workflow"), strict=True):
            await pilot.press(key)
            assert tabs.active == tab


async def test_command_palette_runs_our_commands(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, pilot):
        await pilot.press("ctrl+p")
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"new task")
        results = app.screen.query_one(CommandList)
        for _ in range(200):  # the palette searches asynchronously; wait for its first hit
            if results.option_count and "New task" in str(results.get_option_at_index(0).prompt):
                break
            await pilot.pause(0.01)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, NewTaskScreen)
        commands = [c.title for c in app.get_system_commands(app.screen)]
        for title in ("Advance phase", "Add research note", "Run tests", "Re-run failed tests",
                      "Stop agent", "Switch task", "Toggle light/dark"):
            assert title in commands


async def test_footer_shows_the_main_bindings(seeded: Path, run_app) -> None:
    async with run_app(seeded) as (app, _pilot):
        shown = {b.key for (_, b, enabled, _) in app.active_bindings.values() if b.show}
        assert {"n", "a", "r", "o", "t", "f", "q"} <= shown


async def test_toggle_light_and_dark(seeded: Path, run_app) -> None:
    async with run_app(seeded, dark=False) as (app, pilot):
        assert app.theme == "textual-light"
        app.action_toggle_dark()
        await pilot.pause()
        assert app.theme == "textual-dark"
        # Tree labels are rebuilt with the new theme's colours.
        assert _tree_labels(app, "#test-tree")


async def test_works_at_80x24_and_larger(seeded: Path, run_app) -> None:
    for size in ((80, 24), (120, 40), (200, 60)):
        async with run_app(seeded, size=size) as (app, pilot):
            for tab in ("workflow", "notes", "tests", "checklist", "agent"):
                app.action_show_tab(tab)
                await pilot.pause()
                panel = app.query_one(f"#{tab}-panel")
                assert panel.region.height >= 10 and panel.region.width >= 70
