"""backcheck in real VS Code: code-server + the packaged .vsix + headless Chromium via Playwright.

Serves a copy of examples/shop_api, opens the file where `backcheck check` reports a route without
auth (BC101), waits for that finding in the Problems panel, applies its quick fix through the
lightbulb menu, sees the finding go, then runs a backcheck command from the command palette. Set BACKCHECK_E2E_SCREENSHOTS=DIR to keep screenshots (docs/img/problems.png comes
from here).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = [pytest.mark.xdist_group("e2e")]

# Generous for a loaded 2-core CI machine; a quiet run needs a few seconds for each step.
UI_TIMEOUT_MS = 45_000


def _first_finding(workspace: Path, code: str) -> dict:
    """The first `code` finding the CLI reports for the workspace: what the editor should show too."""
    done = subprocess.run(
        [sys.executable, "-m", "backcheck", "check", str(workspace), "--format", "json"]
        + ["--select", code, "--exit-zero"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    found = json.loads(done.stdout)["diagnostics"]
    assert found, f"backcheck check finds no {code} in {workspace}; the e2e test needs one"
    return found[0]


def _shot(page, name: str) -> None:
    if folder := os.environ.get("BACKCHECK_E2E_SCREENSHOTS"):
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"))


def _palette(page, text: str, row_text: str, *, quick_open: bool = False) -> None:
    """Runs a palette entry, waiting for the filtered row to be focused before pressing Enter."""
    page.keyboard.press("Control+P" if quick_open else "Control+Shift+P")
    box = page.locator(".quick-input-widget input")
    box.wait_for(state="visible", timeout=UI_TIMEOUT_MS)
    box.fill(("" if quick_open else ">") + text)
    page.locator(".quick-input-list .monaco-list-row.focused", has_text=row_text).wait_for(
        timeout=UI_TIMEOUT_MS
    )
    page.keyboard.press("Enter")


@pytest.fixture(scope="module")
def target(code_server) -> dict:
    return _first_finding(code_server.workspace, "BC101")


@pytest.fixture(scope="module")
def page(code_server, browser, target):
    """One workbench page on the workspace, with the target file open and the Problems panel shown."""
    context = browser.new_context(viewport={"width": 1400, "height": 850})
    pg = context.new_page()
    pg.set_default_timeout(UI_TIMEOUT_MS)
    pg.goto(code_server.folder_url())
    pg.locator(".monaco-workbench").wait_for()
    pg.locator(".explorer-folders-view").wait_for()
    _palette(pg, target["file"], Path(target["file"]).name, quick_open=True)
    pg.locator(".monaco-editor .view-lines", has_text="import").wait_for()
    _palette(pg, "View: Focus Problems", "Focus Problems")
    yield pg
    context.close()


def _with_logs(code_server, page, step: str, fn):
    """Runs one UI step; on failure, the message carries the backcheck output and extension host log."""
    from playwright.sync_api import Error as PlaywrightError

    try:
        return fn()
    except (AssertionError, PlaywrightError) as exc:
        _shot(page, "failure")
        raise AssertionError(f"{step} failed: {exc}\n{code_server.logs()}") from exc


def _server_ready(page):
    """The status-bar item with its check mark: the server is running and its workspace scan is done."""
    return page.locator(".statusbar-item", has_text="backcheck").locator(".codicon-check")


def _open_quick_fix_menu(code_server, page):
    """Ctrl+. at the cursor; retried when VS Code dropped the request because diagnostics were refreshed."""
    actions = page.locator(".action-widget .monaco-list-row.action")
    nothing = page.locator(".monaco-editor-overlaymessage", has_text="No code actions")
    for _attempt in range(3):
        _with_logs(
            code_server,
            page,
            "waiting for the server to be ready",
            lambda: _server_ready(page).wait_for(),
        )
        page.keyboard.press("Control+Period")
        _with_logs(
            code_server,
            page,
            "waiting for the quick-fix menu",
            lambda: actions.first.or_(nothing).first.wait_for(),
        )
        if actions.count() > 0:
            return actions
        page.keyboard.press("Escape")
        nothing.wait_for(state="hidden")
    raise AssertionError(f"Ctrl+. kept answering 'No code actions available'\n{code_server.logs()}")


def _filter_problems(page, text: str) -> None:
    """Type into the Problems panel's filter: the list is virtualised, so rows far down are not in the DOM."""
    box = page.locator('.viewpane-filter input[placeholder^="Filter"], input[placeholder^="Filter (e.g. text"]').first
    box.wait_for()
    box.fill(text)
    # the list re-renders with only the matching rows; wait until the filter has taken
    page.wait_for_function(
        "t => [...document.querySelectorAll('input')].some(i => i.placeholder.startsWith('Filter') && i.value === t)",
        arg=text,
    )


def test_problems_panel_shows_finding_and_quick_fix_clears_it(code_server, page, target):
    line, column = target["line"], target["column"]
    _filter_problems(page, "BC101")
    markers = page.locator(".markers-panel .monaco-list-row", has_text="BC101")
    mine = markers.filter(has_text=f"[Ln {line}, Col {column}]")
    _with_logs(
        code_server, page, "waiting for BC101 in the Problems panel", lambda: mine.first.wait_for()
    )
    row = mine.first.inner_text()
    assert "backcheck" in row, row
    before = markers.count()

    # Go to the finding and open the quick-fix menu (Ctrl+.), as a person would.
    page.locator(".monaco-editor .view-lines").click()
    page.keyboard.press("Control+G")
    page.locator(".quick-input-widget input").fill(f":{line}:{column}")
    page.keyboard.press("Enter")
    page.locator(".monaco-editor .squiggly-error").first.wait_for()
    _server_ready(page).wait_for()
    _shot(page, "problems")
    actions = _open_quick_fix_menu(code_server, page)
    titles = actions.all_inner_texts()
    _shot(page, "quick-fix")
    editor = page.locator(".monaco-editor .view-lines")
    text_before = editor.inner_text()
    # Prefer the rule's own fix (adding auth) over suppressing the finding.
    choice = next(
        (i for i, t in enumerate(titles) if re.search(r"auth|depend", t, re.IGNORECASE)), 0
    )
    focused = next(
        i for i in range(len(titles)) if "focused" in (actions.nth(i).get_attribute("class") or "")
    )
    for _ in range(choice - focused):
        page.keyboard.press("ArrowDown")
    for _ in range(focused - choice):
        page.keyboard.press("ArrowUp")
    page.keyboard.press("Enter")

    # The edit lands in the buffer and the server re-checks it: one BC101 fewer.
    def cleared():
        page.wait_for_function(
            """([n]) => [...document.querySelectorAll('.markers-panel .monaco-list-row')]
                        .filter(r => r.textContent.includes('BC101')).length < n""",
            arg=[before],
        )

    _with_logs(code_server, page, f"waiting for BC101 to clear after {titles[choice]!r}", cleared)
    assert editor.inner_text() != text_before, "the quick fix did not change the file"
    _shot(page, "fixed")


def test_palette_command_shows_routes(code_server, page):
    page.keyboard.press("Escape")
    _palette(page, "backcheck: Show Routes", "Show Routes")
    title = page.locator(".quick-input-title", has_text="route")
    _with_logs(code_server, page, "waiting for the route list", lambda: title.wait_for())
    labels = page.locator(".quick-input-list .monaco-list-row").all_inner_texts()
    assert any(re.match(r"(GET|POST|PUT|PATCH|DELETE)\S* /", label) for label in labels), labels
    _shot(page, "routes")
    page.keyboard.press("Escape")
    assert page.locator(".statusbar-item", has_text="backcheck").count() >= 1


def test_open_companion_starts_a_terminal_beside_the_editor(code_server, page):
    _palette(page, "backcheck: Open Companion", "Open Companion")
    tab = page.locator(".tabs-container .tab", has_text="backcheck companion")
    _with_logs(code_server, page, "waiting for the companion terminal", lambda: tab.wait_for())
    _shot(page, "companion")


def _set_backcheck_path(page, value: str) -> None:
    """Types a new `backcheck.path` into the Settings editor, as a person would."""
    _palette(page, "Preferences: Open User Settings", "Open User Settings")
    page.locator(".settings-editor").wait_for()
    page.keyboard.type("backcheck.path")
    field = (
        page.locator(".settings-editor .setting-item-text", has_text="Path").locator("input").first
    )
    field.wait_for()
    field.fill(value)
    field.press("Tab")


def test_unusable_backcheck_path_gives_a_notification_with_a_fix(code_server, page):
    working = json.loads((code_server.user_data / "User" / "settings.json").read_text())[
        "backcheck.path"
    ]
    _set_backcheck_path(page, "/nonexistent/bin/backcheck")
    toast = page.locator(".notification-toast", has_text="/nonexistent/bin/backcheck")
    _with_logs(
        code_server, page, "waiting for the not-found notification", lambda: toast.wait_for()
    )
    buttons = toast.locator(".monaco-button").all_inner_texts()
    assert "Open Settings" in buttons, buttons
    _shot(page, "not-found")

    # Putting the setting back restarts the server.
    page.locator(".settings-editor .setting-item-text", has_text="Path").locator(
        "input"
    ).first.fill(working)
    page.keyboard.press("Tab")
    _with_logs(
        code_server,
        page,
        "waiting for the server to come back",
        lambda: _server_ready(page).wait_for(),
    )
