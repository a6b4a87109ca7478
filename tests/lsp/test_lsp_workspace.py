"""The workspace end to end: the start-up scan with progress (and cancelling it), configuration from
pyproject, initializationOptions and didChangeConfiguration, and the server's commands."""

from __future__ import annotations

import re
import textwrap

import pytest
from lsp_harness import (
    PROFILES,
    change_file,
    diagnostics_at,
    insert_at,
    lsp_session,
    open_file,
    pushed,
    write_project,
)
from lsprotocol import types


def _scan_reports(client) -> list:
    return next((reports for reports in client.progress_reports.values()
                 if reports and getattr(reports[0], "title", "").startswith("backcheck: checking")), [])


def _bc101(diagnostics) -> list[int]:
    return sorted(d.range.start.line for d in diagnostics if d.code == "BC101")


async def test_startup_scan_reports_progress_and_shows_findings_of_unopened_files(project, profile):
    async with lsp_session(profile, project) as client:
        reports = await client.wait_for(lambda: (r := _scan_reports(client)) and r[-1].kind == "end" and r)
        begin, *steps, end = reports
        assert begin.kind == "begin" and begin.cancellable and begin.percentage == 0
        assert steps[-1].percentage == 100 and steps[-1].message == "5/5 files"
        assert all(s.percentage is not None and s.message.endswith(" files") for s in steps)
        assert re.fullmatch(r"\d+ findings? in \d+ of 5 files", end.message), end.message
        # Nobody opened reports.py, yet its finding is there.
        published = await client.wait_for(pushed(client, (project / "app" / "reports.py").as_uri()))
        assert _bc101(published.diagnostics) == [6]
        states = [s["state"] for s in client.statuses]
        assert states[0] == "starting" and "scanning" in states and states[-1] == "ready"
        assert re.fullmatch(r"\d+ findings? in \d+ files?", client.statuses[-1]["message"])


async def test_the_scan_can_be_cancelled_and_the_server_keeps_serving(tmp_path):
    files = {f"pkg/mod_{i:04d}.py": f"def f{i}(x):\n    return x + {i}\n" for i in range(1500)}
    project = write_project(tmp_path / "big")
    write_project(project, files)
    async with lsp_session("visual-studio-code", project) as client:
        reports = await client.wait_for(lambda: _scan_reports(client))
        token = next(t for t, r in client.progress_reports.items() if r is reports)
        client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
        await client.wait_for(lambda: reports[-1].kind == "end")
        assert reports[-1].message.startswith("cancelled after ")
        checked = int(reports[-1].message.split()[2])
        assert checked < 1505
        # Still serving: an opened file is checked.
        doc = open_file(client, project / "app" / "main.py")
        assert _bc101(await diagnostics_at(client, doc, 1)) == [16]


async def test_configuration_layers_and_bad_values_reported_once(project, profile):
    init = {"ignore": ["BC1"]}
    async with lsp_session(profile, project, init_options=init) as client:
        doc = open_file(client, project / "app" / "main.py")
        # initializationOptions: BC1 ignored.
        assert _bc101(await diagnostics_at(client, doc, 1)) == []

        # didChangeConfiguration replaces the editor layer: a valid and a bad value together.
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"backcheck": {"ignore": [], "public": 5, "debounce_ms": "soon"}}))
        reports = (project / "app" / "reports.py").as_uri()
        await client.wait_for(pushed(client, reports, lambda ds: bool(_bc101(ds))))
        change_file(client, doc, 2, [insert_at(0, 0, "# edited\n")])
        assert _bc101(await diagnostics_at(client, doc, 2)) == [17]
        warnings = [m for m in client.messages if "settings were not applied" in m.message]
        assert len(warnings) == 1 and warnings[0].type == types.MessageType.Warning
        assert "public: expected a list" in warnings[0].message and "debounce_ms" in warnings[0].message
        assert "other settings are in effect" in warnings[0].message

        # The same bad value again is not reported again; a valid public list clears both findings.
        client.workspace_did_change_configuration(types.DidChangeConfigurationParams(
            settings={"backcheck": {"public": ["/stats", "/reports/*"], "debounce_ms": "soon"}}))
        await client.wait_for(pushed(client, reports, lambda ds: not ds))
        change_file(client, doc, 3, [insert_at(0, 0, "# again\n")])
        assert _bc101(await diagnostics_at(client, doc, 3)) == []
        assert len([m for m in client.messages if "settings were not applied" in m.message]) == 1


@pytest.mark.parametrize("profile", PROFILES)
async def test_editing_pyproject_reconfigures_the_root(project, profile):
    async with lsp_session(profile, project) as client:
        doc = open_file(client, project / "app" / "main.py")
        assert _bc101(await diagnostics_at(client, doc, 1)) == [16]
        pyproject = project / "pyproject.toml"
        pyproject.write_text(pyproject.read_text().replace('public = ["/health"]', 'public = ["/health", "/stats"]'))
        if profile == "visual-studio-code":
            # VS Code reports the change through the watcher the server registered.
            client.workspace_did_change_watched_files(types.DidChangeWatchedFilesParams(changes=[
                types.FileEvent(uri=pyproject.as_uri(), type=types.FileChangeType.Changed)]))
            await client.wait_for(pushed(client, doc, lambda ds: not _bc101(ds)))
        else:
            # Neovim on Linux has no file watching: the next check notices the edited pyproject.
            change_file(client, doc, 2, [insert_at(0, 0, "\n")])
            await client.wait_for(pushed(client, doc, lambda ds: not _bc101(ds)))


async def test_show_routes_and_check_workspace_commands(project):
    async with lsp_session("neovim", project) as client:
        routes = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="backcheck.showRoutes"))
        by_path = {r["path"]: r for r in routes["routes"]}
        assert set(by_path) == {"/items/", "/items/{item_id}", "/health", "/stats", "/reports/daily"}
        assert by_path["/items/"]["auth"] is True and by_path["/items/"]["file"] == "app/items.py"
        assert by_path["/health"]["public"] is True
        assert by_path["/stats"] == {**by_path["/stats"], "auth": False, "public": False, "line": 17,
                                     "methods": ["GET"], "framework": "fastapi", "function": "stats"}

        (project / "app" / "extra.py").write_text(
            'from app.main import app\n\n\n@app.put("/extra")\ndef extra() -> None:\n    return None\n')
        counts = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="backcheck.checkWorkspace"))
        assert counts["files"] == 6 and counts["findings"] >= 3 and counts["cancelled"] is False
        published = await client.wait_for(pushed(client, (project / "app" / "extra.py").as_uri()))
        assert _bc101(published.diagnostics) == [4]


TESTS = {
    "tests/__init__.py": "",
    "tests/test_api.py": """\
        def helper(value):
            return value * 2


        def test_passes():
            assert helper(2) == 4


        def test_fails():
            result = helper(3)
            assert result == 7, "helper is wrong"
        """,
}


async def test_run_tests_publishes_failures_at_the_failing_line(project):
    write_project(project, TESTS)
    async with lsp_session("visual-studio-code", project) as client:
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="backcheck.runTests", arguments=[{"paths": ["tests"]}]))
        assert result["summary"] == "1 passed, 1 failed"
        assert (result["passed"], result["failed"], result["exit_code"]) == (1, 1, 1)
        test_file = (project / "tests" / "test_api.py").as_uri()
        published = await client.wait_for(pushed(client, test_file, lambda ds: any(d.code == "test-failed" for d in ds)))
        failed = [d for d in published.diagnostics if d.code == "test-failed"]
        assert len(failed) == 1
        assert failed[0].range.start.line == 10  # `assert result == 7`, not the def line
        assert "tests/test_api.py::test_fails" in failed[0].message and "helper is wrong" in failed[0].message

        # Fixed and re-run: the failure diagnostic goes.
        text = textwrap.dedent(TESTS["tests/test_api.py"]).replace("== 7", "== 6")
        (project / "tests" / "test_api.py").write_text(text)
        result = await client.workspace_execute_command_async(
            types.ExecuteCommandParams(command="backcheck.runTests", arguments=[{"paths": ["tests"]}]))
        assert result["summary"] == "2 passed"
        await client.wait_for(pushed(client, test_file, lambda ds: not ds))
