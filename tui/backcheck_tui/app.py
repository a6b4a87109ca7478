"""The backcheck companion app: five panels over the workspace's store, driven from the keyboard.

Workers (store watcher, writes, test runs, checklist signals) run in threads and only post
messages; the handlers here merge them into :class:`AppState` and ask panels to re-render.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess  # nosec B404 - only for TimeoutExpired while waiting on the agent process
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, ClassVar

from backcheck.store import SCHEMA_VERSION, Store, StoreError, TestRun
from backcheck.testrun import run_tests
from backcheck.workflow import PHASES
from textual import on, work
from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import Footer, Header, TabbedContent, TabPane
from textual.worker import get_current_worker

from backcheck_tui.agent_process import AgentProcess, last_line, start_agent
from backcheck_tui.checklist import ChecklistItem, Signals, build_checklist, gather_signals
from backcheck_tui.messages import (
    ActionDone,
    ActionFailed,
    AgentProcessExited,
    ChecklistComputed,
    PhaseChosen,
    SignalsReady,
    StopAgentPressed,
    StoreBusy,
    StoreChanged,
    StoreFailed,
    StoreInfo,
    StoreReady,
    TestRunFinished,
    TestRunStarted,
)
from backcheck_tui.screens.dialogs import (
    AddNoteScreen,
    AgentTaskScreen,
    NewTaskScreen,
    NoteDraft,
    PhasePickerScreen,
    TaskPickerScreen,
)
from backcheck_tui.state import AppState
from backcheck_tui.watch import StoreWatcher
from backcheck_tui.widgets.agent import AgentPanel
from backcheck_tui.widgets.checklist import ChecklistPanel
from backcheck_tui.widgets.notes import NotesPanel
from backcheck_tui.widgets.status import StatusLine
from backcheck_tui.widgets.tests import TestsPanel
from backcheck_tui.widgets.workflow import WorkflowPanel

#: How often the watcher asks the store whether another process committed (seconds).
POLL_INTERVAL_S = 0.1
#: How long the watcher waits before retrying a store it could not open (seconds).
REOPEN_DELAY_S = 2.0
#: How often the checklist re-reads git, the engine and ruff while the app is open (seconds).
CHECK_INTERVAL_S = 30.0

#: How often note ages and stale marks are redrawn (seconds).
AGE_REFRESH_S = 60.0

TABS = ("workflow", "notes", "tests", "checklist", "agent")


class BackcheckApp(App[None]):
    """``backcheck tui``: the task's workflow, notes, tests, checklist and agent beside the editor."""

    CSS_PATH = "app.tcss"
    TITLE = "backcheck"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("n", "new_task", "New task"),
        Binding("a", "advance", "Advance"),
        Binding("r", "reopen", "Reopen"),
        Binding("o", "add_note", "Add note"),
        Binding("t", "run_tests", "Run tests"),
        Binding("f", "rerun_failed", "Re-run failed"),
        Binding("g", "agent_task", "Agent task",
                tooltip="Start an agent task in the background; it keeps running after q "
                        "(s stops it)"),
        Binding("x", "cancel_tests", "Cancel run", show=False),
        Binding("s", "stop_agent", "Stop agent", show=False),
        Binding("c", "check", "Re-check", show=False),
        Binding("p", "pick_task", "Switch task", show=False),
        Binding("slash", "search_notes", "Search notes", show=False),
        Binding("1", "show_tab('workflow')", "Workflow", show=False),
        Binding("2", "show_tab('notes')", "Notes", show=False),
        Binding("3", "show_tab('tests')", "Tests", show=False),
        Binding("4", "show_tab('checklist')", "Checklist", show=False),
        Binding("5", "show_tab('agent')", "Agent", show=False),
        Binding("q", "quit", "Quit"),
    ]

    def __init__(
        self,
        workspace: Path | str,
        *,
        clock: Callable[[], float] = time.time,
        poll_interval: float = POLL_INTERVAL_S,
        auto_check: bool = True,
        dark: bool = True,
    ) -> None:
        super().__init__()
        self.workspace = Path(workspace).resolve()
        self.clock = clock
        self.poll_interval = poll_interval
        self.auto_check = auto_check
        self.state = AppState()
        self.writer: Store | None = None
        self.store_info: StoreInfo | None = None
        self.signals: Signals | None = None
        self.checklist: list[ChecklistItem] = []
        self.test_cancel: threading.Event | None = None
        self.test_running = False
        self.agent_process: AgentProcess | None = None
        self._stored_checklist: str | None = None
        self._locked = False
        self._update = asyncio.Event()
        self.theme = "textual-dark" if dark else "textual-light"

    # -- layout ----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False, icon="✓")
        with TabbedContent(initial="workflow", id="tabs"):
            with TabPane("Workflow", id="workflow"):
                yield WorkflowPanel(self.clock, id="workflow-panel")
            with TabPane("Notes", id="notes"):
                yield NotesPanel(self.clock, id="notes-panel")
            with TabPane("Tests", id="tests"):
                yield TestsPanel(self.clock, id="tests-panel")
            with TabPane("Checklist", id="checklist"):
                yield ChecklistPanel(self.clock, id="checklist-panel")
            with TabPane("Agent", id="agent"):
                yield AgentPanel(self.clock, id="agent-panel")
        yield StatusLine(id="status")
        yield Footer()

    def on_mount(self) -> None:
        self.sub_title = self.workspace.name
        self.status("opening the store…")
        self._refresh({"task", "workflow", "notes", "tests", "agent"})
        self.query_one(ChecklistPanel).show_items(self._build_checklist(), None)
        self.watch_store()
        if self.auto_check:
            self.set_interval(CHECK_INTERVAL_S, self.action_check)
        # Ages and the 24 h stale mark move with the clock even when nothing is written.
        self.set_interval(AGE_REFRESH_S, lambda: self._refresh({"notes", "workflow"}))

    def on_unmount(self) -> None:
        if self.test_cancel is not None:
            self.test_cancel.set()
        if self.writer is not None:
            self.writer.close()

    # -- waiting (for tests and scripts driving the app) ----------------------------------

    async def wait_for(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Wait until ``predicate()`` holds, re-checking after every handled store message."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError("the app did not reach the expected state in time")
            event = self._update
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                pass

    def _updated(self) -> None:
        self._update.set()
        self._update = asyncio.Event()

    # -- the store watcher (a thread; it only posts messages) ------------------------------

    @work(thread=True, exclusive=True, group="watch", name="store watcher")
    def watch_store(self) -> None:
        """Open the store (creating or migrating it) and post what changes, until the app exits."""
        worker = get_current_worker()
        reader: Store | None = None
        watcher: StoreWatcher | None = None
        busy = {"seen": False}

        def on_busy(attempt: int) -> None:
            busy["seen"] = True
            self.post_message(StoreBusy(attempt))

        def pause(seconds: float) -> None:
            end = time.monotonic() + seconds
            while not worker.is_cancelled and time.monotonic() < end:
                time.sleep(min(0.05, seconds))

        while not worker.is_cancelled:
            if reader is None:
                try:
                    existed = Store.exists(self.workspace)
                    reader = Store.open(self.workspace, on_busy=on_busy)
                    writer = Store.open(self.workspace, on_busy=on_busy)
                except StoreError as exc:
                    self.post_message(StoreFailed(str(exc)))
                    pause(REOPEN_DELAY_S)
                    continue
                info = StoreInfo(str(reader.path), not existed, reader.migrated_from,
                                 reader.schema_version)
                watcher = StoreWatcher(reader)
                self.post_message(StoreReady(info, writer))
            try:
                if not reader.path.exists():
                    # Someone deleted .backcheck/: start again with a fresh store.
                    reader.close()
                    reader = None
                    continue
                assert watcher is not None
                changes = watcher.poll()
            except StoreError as exc:
                self.post_message(StoreFailed(str(exc)))
                reader.close()
                reader = None
                pause(REOPEN_DELAY_S)
                continue
            except Exception as exc:  # noqa: BLE001 - e.g. the file vanished mid-read
                self.post_message(StoreFailed(f"reading the store failed: {exc}; retrying"))
                reader.close()
                reader = None
                pause(REOPEN_DELAY_S)
                continue
            if busy["seen"]:
                busy["seen"] = False
                self.post_message(StoreBusy(0))
            if changes is not None:
                self.post_message(StoreChanged(changes))
                if changes.more:
                    continue
            pause(self.poll_interval)
        if reader is not None:
            reader.close()

    @on(StoreReady)
    def _store_ready(self, message: StoreReady) -> None:
        if self.writer is not None:
            self.writer.close()
        self.writer = message.writer
        self.store_info = message.info
        if self.state.loaded:
            self.state = AppState()  # the store was recreated: forget the old one
        self.status(self._store_text())
        if message.info.created:
            self.notify("No store was found, so a new one was created at .backcheck/state.db.",
                        title="Store created")
        elif message.info.migrated_from is not None and message.info.migrated_from < SCHEMA_VERSION:
            self.notify(f"The store was upgraded from schema {message.info.migrated_from} to "
                        f"{SCHEMA_VERSION}.", title="Store migrated")
        self._updated()

    @on(StoreBusy)
    def _store_busy(self, message: StoreBusy) -> None:
        self._locked = bool(message.attempt)
        if message.attempt:
            self.status("The store is locked by another process; retrying…", "warning")
        else:
            self.status(self._store_text())
        self._updated()

    @on(StoreFailed)
    def _store_failed(self, message: StoreFailed) -> None:
        self.status(f"Store problem: {message.error}", "error")
        self._updated()

    @on(StoreChanged)
    def _store_changed(self, message: StoreChanged) -> None:
        if self._shutting_down():
            return
        before = self.state.latest_run
        task_before = self.state.task_id
        known = max(self.state.tasks, default=0)
        areas = self.state.apply(message.changes)
        self._refresh(areas)
        if self.state.pinned and not message.changes.first:
            for task in message.changes.tasks:
                if task.id > known and task.id != self.state.task_id:
                    self.notify(f"Task #{task.id} {task.title!r} was created; p switches to it.",
                                title="New task")
        after = self.state.latest_run
        finished = (before is not None and after is not None and before.id == after.id
                    and before.status == "running" and after.status != "running")
        if self.auto_check and (message.changes.first or finished
                                or self.state.task_id != task_before):
            self.action_check()
        if self.store_info is not None and not self._locked:
            self.status(self._store_text())
        self._updated()

    def _shutting_down(self) -> bool:
        """True once the app is exiting: late worker messages are then dropped."""
        return self._exit or not self.screen_stack or not self.query(ChecklistPanel)

    def _store_text(self) -> str:
        info = self.store_info
        if info is None:
            return "opening the store…"
        try:
            shown = str(Path(info.path).relative_to(self.workspace))
        except ValueError:
            shown = info.path
        text = f"{self.workspace.name}: {shown} · schema v{info.version} · watching"
        run = self.state.latest_run
        if run is not None and run.status == "running":
            text += f" · tests running {run.done}/{run.total or '?'}"
        elif run is not None and (run.failed or run.errors):
            text += f" · tests ✗{run.failed + run.errors}"
        elif run is not None and run.status == "passed":
            text += " · tests ✓"
        proc = self.agent_process
        if proc is not None and proc.running():
            text += f" · agent running (pid {proc.pid})"
        elif proc is not None and proc.popen.returncode:
            text += f" · agent failed (exit {proc.popen.returncode})"
        return text

    def status(self, text: str, level: str = "info") -> None:
        """Show ``text`` in the status line."""
        for line in self.query(StatusLine):  # none while the app is closing
            line.set_status(text, level)

    # -- rendering -------------------------------------------------------------------------

    def _refresh(self, areas: set[str]) -> None:
        state = self.state
        if "task" in areas:
            task = state.task
            self.sub_title = (f"#{task.id} {task.title} · {task.current_phase}" if task
                              else self.workspace.name)
        if areas & {"task", "workflow"}:
            self.query_one(WorkflowPanel).show(state)
        if areas & {"task", "notes"}:
            self.query_one(NotesPanel).show(state)
        if "tests" in areas:
            self.query_one(TestsPanel).show(state)
            if not self._locked and self.store_info is not None:
                self.status(self._store_text())
        if areas & {"task", "agent"}:
            self.query_one(AgentPanel).show(state)
        if areas & {"task", "workflow", "notes", "tests"}:
            self._show_checklist()

    def _build_checklist(self) -> list[ChecklistItem]:
        state = self.state
        run = state.latest_run
        failed = [r for r in state.run_results(run.id)
                  if r.outcome in ("failed", "error", "xpassed")] if run else []
        return build_checklist(state.task, state.task_notes(), run, failed, self.signals)

    def _show_checklist(self) -> None:
        items = self._build_checklist()
        self.checklist = items
        self.query_one(ChecklistPanel).show_items(items, self.signals)
        self.post_message(ChecklistComputed(items, self.state.task_id))

    @on(ChecklistComputed)
    def _checklist_computed(self, message: ChecklistComputed) -> None:
        if self.signals is None or self.writer is None:
            return
        payload = json.dumps([i.to_json() for i in message.items], sort_keys=True)
        key = f"{message.task_id}:{payload}"
        if key != self._stored_checklist:
            self._stored_checklist = key
            self._write("checklist", self.writer.add_checklist_snapshot, message.task_id,
                        [i.to_json() for i in message.items], quiet=True)

    # -- checklist signals -----------------------------------------------------------------

    def action_check(self) -> None:
        """Re-read git, the backcheck engine, ruff and docs/ for the checklist."""
        self.gather_checklist_signals(self.state.task)

    @work(thread=True, exclusive=True, group="checklist", name="checklist signals")
    def gather_checklist_signals(self, task: Any) -> None:
        """Collect checklist signals in a thread and post them."""
        signals = gather_signals(self.workspace, task)
        if not get_current_worker().is_cancelled:
            self.post_message(SignalsReady(signals, task.id if task else None))

    @on(SignalsReady)
    def _signals_ready(self, message: SignalsReady) -> None:
        if self._shutting_down():
            return
        self.signals = message.signals
        self._show_checklist()
        self._updated()

    # -- writes (threads; results come back as messages) -----------------------------------

    def _write(self, kind: str, fn: Callable[..., Any], *args: Any, quiet: bool = False) -> None:
        if self.writer is None:
            self.notify("The store is not open yet; try again in a moment.", severity="warning")
            return
        self._write_worker(kind, fn, args, quiet)

    @work(thread=True, group="write")
    def _write_worker(self, kind: str, fn: Callable[..., Any], args: tuple, quiet: bool) -> None:
        try:
            result = fn(*args)
        except (StoreError, ValueError) as exc:
            self.post_message(ActionFailed(kind, str(exc)))
            return
        except Exception as exc:  # noqa: BLE001 - show it, keep the app alive
            self.post_message(ActionFailed(kind, f"{type(exc).__name__}: {exc}"))
            return
        if not quiet:
            self.post_message(ActionDone(kind, result))

    @on(ActionDone)
    def _action_done(self, message: ActionDone) -> None:
        result = message.result
        if message.kind == "create_task":
            self.state.select_task(result.id)
            self.notify(f"Task #{result.id} created; it starts in analyze.", title="New task")
            self.query_one("#tabs", TabbedContent).active = "workflow"
            self._refresh({"task", "workflow", "notes", "agent"})
        elif message.kind in ("advance", "set_phase"):
            where = "done" if result.status == "done" else result.current_phase
            self.notify(f"Task #{result.id}: {where}.", title="Workflow")
        elif message.kind == "add_note":
            self.query_one(NotesPanel).select(result.id)
            self.notify(f"Note #{result.id} saved with {len(result.sources)} source(s).",
                        title="Research note")
        elif message.kind == "stop_agent":
            self.notify("Asked the agent to stop; it stops after its current step.",
                        title="Agent")
        self._updated()

    @on(ActionFailed)
    def _action_failed(self, message: ActionFailed) -> None:
        self.notify(message.error, title="Could not do that", severity="error")
        self._updated()

    # -- actions ---------------------------------------------------------------------------

    def action_new_task(self) -> None:
        """Create a task (asks for its title)."""

        def done(title: str | None) -> None:
            if title and self.writer is not None:
                self._write("create_task", self.writer.create_task, title, "person")

        self.push_screen(NewTaskScreen(), done)

    def _need_task(self) -> int | None:
        if self.state.task is None:
            self.notify("No task yet: press n to create one.", severity="warning")
            return None
        return self.state.task_id

    def action_advance(self) -> None:
        """Mark the current phase done and start the next one."""
        task_id = self._need_task()
        if task_id is not None and self.writer is not None:
            self._write("advance", self.writer.advance, task_id, "person")

    def action_reopen(self) -> None:
        """Pick a phase to move the task to (earlier phases are reopened)."""
        task = self.state.task
        if self._need_task() is None or task is None:
            return
        i = PHASES.index(task.current_phase)
        default = PHASES[max(0, i - 1)] if task.status == "open" else task.current_phase
        self.push_screen(PhasePickerScreen("Move the task to which phase? (earlier = reopen)",
                                           default), self._move_to)

    def _move_to(self, phase: str | None) -> None:
        task = self.state.task
        if not phase or task is None or self.writer is None:
            return
        if phase == task.current_phase and task.status == "open":
            self.notify(f"Task #{task.id} is already in {phase}.")
            return
        self._write("set_phase", self.writer.set_phase, task.id, phase, "person")

    @on(PhaseChosen)
    def _phase_chosen(self, message: PhaseChosen) -> None:
        self._move_to(message.phase)

    def action_add_note(self) -> None:
        """Record a research note with its source URLs."""

        def done(draft: NoteDraft | None) -> None:
            if draft is not None and self.writer is not None:
                self._write("add_note", self.writer.add_note, draft.topic, draft.title,
                            draft.body, draft.sources, self.state.task_id)

        self.push_screen(AddNoteScreen(), done)

    def action_run_tests(self, paths: list[str] | None = None) -> None:
        """Run the project's tests; results appear live in the Tests panel."""
        if self.test_running:
            self.notify("A test run is already going; press x to cancel it.", severity="warning")
            return
        if self.writer is None:
            self.notify("The store is not open yet; try again in a moment.", severity="warning")
            return
        self.test_running = True
        self.test_cancel = threading.Event()
        self.query_one("#tabs", TabbedContent).active = "tests"
        self._test_worker(list(paths or []), self.test_cancel, self.state.task_id)

    def action_rerun_failed(self) -> None:
        """Run again only the tests that failed in the newest run."""
        run = self.state.latest_run
        failed = self.query_one(TestsPanel).failed_nodeids
        if run is None or not failed:
            self.notify("No failed tests to re-run.")
            return
        self.action_run_tests(failed)

    def action_cancel_tests(self) -> None:
        """Interrupt the running tests."""
        if self.test_cancel is not None and self.test_running:
            self.test_cancel.set()
            self.notify("Interrupting the test run…")
        else:
            self.notify("No test run to cancel.")

    @work(thread=True, group="tests", name="test run")
    def _test_worker(self, paths: list[str], cancel: threading.Event, task_id: int | None) -> None:
        store = None
        try:
            store = Store.open(self.workspace)
            run = run_tests(self.workspace, paths, store, cancel=cancel, task_id=task_id,
                            on_start=lambda run_id: self.post_message(TestRunStarted(run_id)))
            self.post_message(TestRunFinished(run))
        except Exception as exc:  # noqa: BLE001 - report, keep the app alive
            self.post_message(TestRunFinished(None, f"{type(exc).__name__}: {exc}"))
        finally:
            if store is not None:
                store.close()

    @on(TestRunStarted)
    def _test_started(self, message: TestRunStarted) -> None:
        self.status(f"Test run #{message.run_id} started…")
        self._updated()

    @on(TestRunFinished)
    def _test_finished(self, message: TestRunFinished) -> None:
        self.test_running = False
        run: TestRun | None = message.run
        if message.error or run is None:
            self.notify(f"The test run failed to start: {message.error}", severity="error")
        else:
            severity = "information" if run.status == "passed" else "warning"
            self.notify(f"Run #{run.id} {run.status}: {run.passed} passed, {run.failed} failed, "
                        f"{run.errors} errors, {run.skipped} skipped.", title="Tests",
                        severity=severity)
        self.status(self._store_text())
        self._updated()

    def action_agent_task(self) -> None:
        """Ask for a task and start ``backcheck agent run`` on it in the background."""
        proc = self.agent_process
        if proc is not None and proc.running():
            self.notify(f"The agent task started here is still running (pid {proc.pid}); "
                        "press s to stop it first.", severity="warning")
            return
        self.push_screen(AgentTaskScreen(), self._start_agent)

    def _start_agent(self, task: str | None) -> None:
        if not task:
            return
        try:
            proc = start_agent(self.workspace, task)
        except OSError as exc:
            self.notify(f"Could not start the agent: {exc}", title="Agent", severity="error")
            self.status(f"Agent not started: {exc}", "error")
            return
        self.agent_process = proc
        self.state.pinned = False  # follow the task the agent creates
        self.query_one("#tabs", TabbedContent).active = "agent"
        self.status(f"Agent task started (pid {proc.pid}); output in "
                    f"{proc.log_path.relative_to(self.workspace)}")
        self._agent_waiter(proc)
        self._updated()

    @work(thread=True, group="agent-process", name="agent process")
    def _agent_waiter(self, proc: AgentProcess) -> None:
        """Wait for the agent process to exit and post how it ended."""
        worker = get_current_worker()
        while not worker.is_cancelled:
            try:
                code = proc.popen.wait(timeout=0.1)
            except subprocess.TimeoutExpired:
                continue
            self.post_message(AgentProcessExited(proc.pid, code, last_line(proc.log_path),
                                                 str(proc.log_path)))
            return

    @on(AgentProcessExited)
    def _agent_exited(self, message: AgentProcessExited) -> None:
        if self._shutting_down():
            return
        log = message.log_path
        with contextlib.suppress(ValueError):
            log = str(Path(log).relative_to(self.workspace))
        if message.returncode == 0:
            self.notify("The agent task finished.", title="Agent")
            self.status(f"Agent task finished; its output is in {log}")
        else:
            text = message.last_line or f"the agent exited with code {message.returncode}"
            self.notify(text, title="Agent task failed", severity="error")
            self.status(f"Agent task failed (exit {message.returncode}); see {log}", "error")
        self._updated()

    def action_stop_agent(self) -> None:
        """Ask the running agent of this task to stop."""
        run = self.state.agent_run
        if run is None or run.status != "running":
            self.notify("No agent is running for this task.")
            return
        if self.writer is not None:
            self._write("stop_agent", self.writer.request_agent_stop, run.id)

    @on(StopAgentPressed)
    def _stop_pressed(self) -> None:
        self.action_stop_agent()

    def action_pick_task(self) -> None:
        """Show another task."""
        tasks = sorted(self.state.tasks.values(), key=lambda t: (t.updated, t.id), reverse=True)

        def done(task_id: int | None) -> None:
            if task_id is not None:
                self.state.select_task(task_id)
                self._refresh({"task", "workflow", "notes", "agent", "tests"})
                if self.auto_check:
                    self.action_check()

        self.push_screen(TaskPickerScreen(tasks, self.state.task_id), done)

    def action_search_notes(self) -> None:
        """Jump to the notes search box."""
        self.query_one("#tabs", TabbedContent).active = "notes"
        self.query_one(NotesPanel).focus_search()

    def action_show_tab(self, tab: str) -> None:
        """Switch to a panel."""
        if tab in TABS:
            self.query_one("#tabs", TabbedContent).active = tab

    def watch_theme(self, theme: str) -> None:
        """Tree labels carry resolved colours: rebuild them for the new theme."""
        if not self.screen_stack or not self.query(TestsPanel):
            return  # not composed yet
        self.query_one(TestsPanel).restyle(self.state)
        self.query_one(ChecklistPanel).show_items(self.checklist, self.signals)

    def action_toggle_dark(self) -> None:
        """Switch between the light and dark themes."""
        self.theme = "textual-light" if self.current_theme.dark else "textual-dark"

    # -- command palette -------------------------------------------------------------------

    def get_system_commands(self, screen: Screen) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("New task", "Create a task; it starts in analyze (n)",
                            self.action_new_task)
        yield SystemCommand("Advance phase", "Mark the current phase done, start the next (a)",
                            self.action_advance)
        yield SystemCommand("Reopen or move to a phase", "Pick a phase for the task (r)",
                            self.action_reopen)
        yield SystemCommand("Add research note", "Record a note with its source URLs (o)",
                            self.action_add_note)
        yield SystemCommand("Run tests", "Run the project's pytest with live results (t)",
                            self.action_run_tests)
        yield SystemCommand("Re-run failed tests", "Run only the failures of the newest run (f)",
                            self.action_rerun_failed)
        yield SystemCommand("Cancel test run", "Interrupt the running tests (x)",
                            self.action_cancel_tests)
        yield SystemCommand("Agent task", "Start an agent task in the background; it keeps "
                            "running after quitting (g)", self.action_agent_task)
        yield SystemCommand("Stop agent", "Ask the running agent to stop (s)",
                            self.action_stop_agent)
        yield SystemCommand("Re-check checklist", "Re-run git, backcheck and ruff (c)",
                            self.action_check)
        yield SystemCommand("Switch task", "Show another task (p)", self.action_pick_task)
        yield SystemCommand("Search notes", "Filter research notes (/)", self.action_search_notes)
        yield SystemCommand("Toggle light/dark", "Switch between light and dark themes",
                            self.action_toggle_dark)
        for i, tab in enumerate(TABS, start=1):
            yield SystemCommand(f"Show {tab}", f"Switch to the {tab} panel ({i})",
                                lambda tab=tab: self.action_show_tab(tab), discover=False)
