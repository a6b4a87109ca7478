"""Cancellation end to end: a long test run stops when its progress is cancelled or its request is
(`$/cancelRequest`), and the server goes on serving. Stale checks being dropped is shown by the burst
test; cancelling the workspace scan by the workspace tests."""

from __future__ import annotations

import asyncio

import pytest
from backcheck.store import Store
from lsp_harness import diagnostics_at, lsp_session, open_file, write_project
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled

SLOW_TESTS = {
    "tests/__init__.py": "",
    "tests/test_slow.py": """\
        import time


        def test_waits_for_a_long_time():
            time.sleep(120)
        """,
}


def _run_tests_progress(client):
    return next((r for r in client.progress_reports.values() if r and r[0].title == "backcheck: running tests"), None)


@pytest.mark.parametrize("how", ["progress", "request"])
async def test_a_cancelled_test_run_stops_pytest(project, how):
    write_project(project, SLOW_TESTS)
    async with lsp_session("visual-studio-code", project) as client:
        params = types.ExecuteCommandParams(command="backcheck.runTests", arguments=[{"paths": ["tests"]}])
        pending = asyncio.ensure_future(
            client.protocol.send_request_async(types.WORKSPACE_EXECUTE_COMMAND, params, msg_id="run-1"))
        reports = await client.wait_for(lambda: _run_tests_progress(client))
        if how == "progress":
            token = next(t for t, r in client.progress_reports.items() if r is reports)
            client.window_work_done_progress_cancel(types.WorkDoneProgressCancelParams(token=token))
            result = await pending
            assert result["summary"].endswith("(interrupted)")
        else:
            client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="run-1"))
            with pytest.raises(JsonRpcRequestCancelled):
                await pending
            # The run's progress ends once pytest has really stopped.
            await client.wait_for(lambda: reports[-1].kind == "end")
            assert reports[-1].message == "cancelled"
        with Store.open(project) as store:
            run = store.list_test_runs(limit=1)[0]
        assert run.status == "interrupted"

        doc = open_file(client, project / "app" / "main.py")
        assert [d.range.start.line for d in await diagnostics_at(client, doc, 1) if d.code == "BC101"] == [16]
