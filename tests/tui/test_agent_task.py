"""Starting an agent task from the TUI: the g dialog runs ``backcheck agent run`` in the background."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest
from backcheck.store import Store
from backcheck_tui.agent_process import last_line
from backcheck_tui.app import BackcheckApp
from backcheck_tui.screens.dialogs import AgentTaskScreen
from backcheck_tui.widgets.status import StatusLine
from textual.widgets import Input, Static, TabbedContent

AGENT_TESTS = Path(__file__).resolve().parents[1] / "agent"
if str(AGENT_TESTS) not in sys.path:
    sys.path.insert(0, str(AGENT_TESTS))

from fake_messages_api import FakeMessagesAPI, Reply, text

#: Starting a Python process that imports the agent can be slow on a busy CI machine (seconds).
PROCESS_TIMEOUT = 90.0
TASK = "Add paginated GET /orders with tests"


def _notes(app: BackcheckApp) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def _start_from_dialog(app: BackcheckApp, pilot, task: str) -> None:
    await pilot.press("g")
    await pilot.pause()
    assert isinstance(app.screen, AgentTaskScreen)
    app.screen.query_one("#agent-task", Input).value = task
    await pilot.press("enter")
    await app.wait_for(lambda: app.agent_process is not None)


async def test_dialog_requires_text_and_escape_cancels(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path) as (app, pilot):
        await pilot.press("g")
        await pilot.pause()
        assert isinstance(app.screen, AgentTaskScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert "Say what the agent" in str(app.screen.query_one("#agent-task-error", Static).render())
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, AgentTaskScreen)
        assert app.agent_process is None


async def test_without_key_the_notification_says_so(tmp_path: Path, run_app,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    async with run_app(tmp_path) as (app, pilot):
        await _start_from_dialog(app, pilot, TASK)
        assert app.query_one("#tabs", TabbedContent).active == "agent"
        await app.wait_for(lambda: any("ANTHROPIC_API_KEY is not set" in n for n in _notes(app)),
                           timeout=PROCESS_TIMEOUT)
        proc = app.agent_process
        assert proc is not None and proc.popen.returncode not in (None, 0)
        assert proc.log_path.parent == tmp_path / ".backcheck" / "agent-runs"
        assert "ANTHROPIC_API_KEY is not set" in last_line(proc.log_path)
        status = str(app.query_one(StatusLine).render())
        assert "Agent task failed" in status or "agent failed" in status
        # The TUI keeps working: another dialog opens and the store is still watched.
        await pilot.press("n")
        await pilot.pause()
        assert app.screen.query("#task-title")


@pytest.mark.xdist_group("tui-agent")
async def test_scripted_run_reaches_the_store(tmp_path: Path, run_app,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    workspace = tmp_path / "ws"
    shutil.copytree(AGENT_TESTS / "data" / "mini_api", workspace,
                    ignore=shutil.ignore_patterns("__pycache__", ".backcheck"))
    with FakeMessagesAPI(api_key="test") as api:
        api.queue(Reply([text("I will start by analysing the task.")], stop_reason="end_turn"))
        monkeypatch.setenv("ANTHROPIC_API_KEY", "test")
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        async with run_app(workspace) as (app, pilot):
            await _start_from_dialog(app, pilot, TASK)
            # The agent's run shows up in the panel through the store watcher.
            await app.wait_for(lambda: app.state.agent_run is not None
                               and app.state.task is not None and app.state.task.title == TASK,
                               timeout=PROCESS_TIMEOUT)
            await app.wait_for(lambda: app.agent_process is not None
                               and not app.agent_process.running()
                               and any(n.title and "Agent" in n.title for n in app._notifications),
                               timeout=PROCESS_TIMEOUT)
        assert api.requests, "the agent never called the Messages API"
    with Store.open(workspace) as store:
        runs = store.list_agent_runs()
    assert runs and runs[0].status != "running"
    assert runs[0].task_id is not None


async def test_palette_and_footer_offer_it(tmp_path: Path, run_app) -> None:
    async with run_app(tmp_path, size=(160, 24)) as (app, _pilot):
        titles = [c.title for c in app.get_system_commands(app.screen)]
        assert "Agent task" in titles
        binding = next(b for b in app.BINDINGS if getattr(b, "key", None) == "g")
        assert binding.show and "keeps running after q" in binding.tooltip
