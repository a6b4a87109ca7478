"""SVG snapshots of each panel (pytest-textual-snapshot), from a seeded store and a fixed clock.

Update them after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

from pathlib import Path

import pytest
from backcheck_tui.app import BackcheckApp
from backcheck_tui.checklist import Finding, RuffResult, Signals
from backcheck_tui.messages import SignalsReady
from tui_seed import NOW, fixed_clock

#: Checklist signals as the worker would gather them, fixed for the picture.
SIGNALS = Signals(
    scope=["app/routers/orders.py", "app/services/refunds.py"],
    findings=[
        Finding("app/routers/orders.py", 42, "BC101",
                "POST /orders/{id}/refund can be reached without authentication"),
        Finding("app/services/refunds.py", 18, "BC301",
                "2 ORM writes outside a transaction (session.begin())"),
    ],
    ruff=RuffResult(True, [Finding("app/services/refunds.py", 3, "F401",
                                   "`os` imported but unused")]),
    docs=[],
    computed_at=NOW - 30,
)


def _app(workspace: Path, dark: bool = True) -> BackcheckApp:
    return BackcheckApp(workspace, auto_check=False, clock=fixed_clock(), dark=dark)


def _show(tab: str, signals: bool = False):
    async def run_before(pilot) -> None:
        app: BackcheckApp = pilot.app
        await app.wait_for(lambda: app.state.loaded)
        if signals:
            app.post_message(SignalsReady(SIGNALS, app.state.task_id))
            await app.wait_for(lambda: app.signals is not None)
        app.action_show_tab(tab)
        await pilot.pause()

    return run_before


@pytest.mark.parametrize("tab", ["workflow", "notes", "tests", "checklist", "agent"])
def test_panel_dark_80x24(tab: str, seeded: Path, snap_compare) -> None:
    assert snap_compare(_app(seeded), terminal_size=(80, 24), run_before=_show(tab, signals=True))


@pytest.mark.parametrize("tab", ["workflow", "tests", "checklist"])
def test_panel_light_80x24(tab: str, seeded: Path, snap_compare) -> None:
    assert snap_compare(_app(seeded, dark=False), terminal_size=(80, 24),
                        run_before=_show(tab, signals=True))


def test_tests_panel_wide(seeded: Path, snap_compare) -> None:
    assert snap_compare(_app(seeded), terminal_size=(140, 40), run_before=_show("tests"))


def test_empty_workspace(tmp_path: Path, snap_compare) -> None:
    ws = tmp_path / "fresh"
    ws.mkdir()
    (ws / ".backcheck").mkdir()  # an existing (empty) store dir: no "created" toast in the picture

    async def run_before(pilot) -> None:
        app: BackcheckApp = pilot.app
        await app.wait_for(lambda: app.state.loaded)
        app.clear_notifications()
        await pilot.pause()

    assert snap_compare(_app(ws), terminal_size=(80, 24), run_before=run_before)


def test_add_note_dialog(seeded: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        app: BackcheckApp = pilot.app
        await app.wait_for(lambda: app.state.loaded)
        await pilot.press("o")
        for widget in app.screen.query("Input, TextArea"):
            widget.cursor_blink = False  # a blinking cursor would make the picture flaky
        app.screen.query_one("#note-title").value = "Refresh token rotation"
        app.screen.query_one("#note-sources").value = "https://datatracker.ietf.org/doc/html/rfc6749"
        await pilot.pause()

    assert snap_compare(_app(seeded), terminal_size=(80, 24), run_before=run_before)


def test_agent_task_dialog(seeded: Path, snap_compare) -> None:
    async def run_before(pilot) -> None:
        app: BackcheckApp = pilot.app
        await app.wait_for(lambda: app.state.loaded)
        await pilot.press("g")
        for widget in app.screen.query("Input"):
            widget.cursor_blink = False  # a blinking cursor would make the picture flaky
        app.screen.query_one("#agent-task").value = "Add paginated GET /orders with tests"
        await pilot.pause()

    assert snap_compare(_app(seeded), terminal_size=(80, 24), run_before=run_before)
