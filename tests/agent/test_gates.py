"""The workflow's gates hold: research before edits, phases in order, verify decides."""

from __future__ import annotations

import time
from pathlib import Path

from backcheck.agent import AgentRunner
from backcheck.agent.settings import AgentSettings
from backcheck.store import Store
from conftest import DocsServer
from fake_messages_api import FakeMessagesAPI, Reply, text, tool

import scripts


def _results(api: FakeMessagesAPI, request_index: int) -> list[dict]:
    """The tool_result blocks the model received in one request."""
    last = api.requests[request_index].body["messages"][-1]
    return [b for b in last["content"] if b.get("type") == "tool_result"]


async def test_edit_before_research_is_refused(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    original = (workspace / "app/services.py").read_text()
    fake_api.queue(
        Reply(
            [
                tool("set_phase", {"phase": "analyze", "summary": "x"}),
                tool(
                    "edit_file",
                    {
                        "path": "app/services.py",
                        "old_text": scripts.SERVICE_OLD,
                        "new_text": "x = 1\n",
                    },
                ),
                tool("write_file", {"path": "app/new.py", "content": "x = 1\n"}),
                tool("set_phase", {"phase": "service"}),
            ]
        ),
        Reply([text("I cannot edit yet, stopping here.")]),
    )
    result = await AgentRunner(workspace, settings).run("change the service")

    edit, write, jump = _results(fake_api, 1)[1:]
    assert edit["is_error"] and "no research note" in edit["content"]
    assert write["is_error"] and "no research note" in write["content"]
    assert jump["is_error"] and "next is `review-context`" in jump["content"]
    assert (workspace / "app/services.py").read_text() == original
    assert not (workspace / "app/new.py").exists()
    assert result.status == "stopped" and result.checkpoint is None
    assert "stopped in phase `analyze`" in result.message


async def test_research_cannot_be_left_without_a_note(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(
        Reply(
            [
                tool("set_phase", {"phase": "review-context"}),
                tool("set_phase", {"phase": "research"}),
                tool("set_phase", {"phase": "design-schema"}),
                tool("record_note", {"topic": "fastapi", "content": "no sources given"}),
            ]
        ),
        Reply([text("done")]),
    )
    await AgentRunner(workspace, settings).run("anything")
    leave, note = _results(fake_api, 1)[2:]
    assert leave["is_error"] and "research gate" in leave["content"]
    assert note["is_error"] and "at least one source URL" in note["content"]


async def test_failing_verify_fails_the_task(
    workspace: Path, fake_api: FakeMessagesAPI, docs_server: DocsServer, settings: AgentSettings
) -> None:
    docs_url = docs_server.url("/tutorial/path-params/")
    fake_api.queue(
        *scripts.until_research(docs_url),
        *scripts.implement(missing_status=500, run_tests=False),
        *scripts.finish(),
    )
    one_try = AgentSettings(**{**settings.__dict__, "verify_attempts": 1})
    result = await AgentRunner(workspace, one_try).run(scripts.TASK)

    assert result.status == "failed"
    assert not result.ok
    assert "Verify failed" in result.message
    assert "tests FAILED" in (result.verify_report or "")
    assert "test_get_item_missing" in (result.verify_report or "")
    with Store.open(workspace) as store:
        task = store.get_task(result.task_id)
        assert task.status == "failed"
        states = {s.phase: s.state for s in store.phase_states(task.id)}
        assert states["verify"] == "failed"
        assert store.latest_test_run(task.id).status == "failed"
        assert store.latest_agent_run(task.id).status == "failed"


async def test_verify_failure_can_be_reworked(
    workspace: Path, fake_api: FakeMessagesAPI, docs_server: DocsServer, settings: AgentSettings
) -> None:
    docs_url = docs_server.url("/tutorial/path-params/")
    fake_api.queue(
        *scripts.until_research(docs_url),
        *scripts.implement(missing_status=500, run_tests=False),
        *scripts.finish(),
        Reply(
            [
                tool("set_phase", {"phase": "tests", "summary": "The 404 test expected 500."}),
                tool(
                    "edit_file",
                    {
                        "path": "tests/test_item_detail.py",
                        "old_text": "status_code == 500",
                        "new_text": "status_code == 404",
                    },
                ),
                tool("set_phase", {"phase": "verify"}),
            ]
        ),
    )
    result = await AgentRunner(workspace, settings).run(scripts.TASK)

    assert result.status == "done", result.message
    with Store.open(workspace) as store:
        states = [(t.phase, t.state) for t in store.transitions(result.task_id)]
        assert ("verify", "failed") in states
        assert ("tests", "reopened") in states
        assert states[-1] == ("verify", "done")
        assert store.get_task(result.task_id).status == "done"


async def test_recent_note_on_same_topic_is_reused(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    with Store.open(workspace) as store:
        fresh = store.add_note(
            "FastAPI path parameters",
            "Path params",
            "Use typed params.",
            ["https://fastapi.tiangolo.com/"],
        )
        stale = store.add_note("FastAPI path parameters", "Old", "old", ["https://example.org/"])
        with store.transaction() as conn:
            conn.execute(
                "UPDATE research_notes SET created = ? WHERE id = ?",
                (time.time() - 25 * 3600, stale.id),
            )
    fake_api.queue(
        Reply(
            [
                tool("set_phase", {"phase": "review-context"}),
                tool("set_phase", {"phase": "research"}),
                tool(
                    "record_note", {"topic": "fastapi path parameters", "reuse_note_id": stale.id}
                ),
                tool("record_note", {"topic": "sqlalchemy sessions", "reuse_note_id": fresh.id}),
                tool(
                    "record_note",
                    {
                        "topic": "FastAPI  Path Parameters",
                        "reuse_note_id": fresh.id,
                        "content": "Researched an hour ago for the list endpoint.",
                    },
                ),
                tool("set_phase", {"phase": "design-schema", "summary": "none needed"}),
                tool("write_file", {"path": "app/extra.py", "content": '"""Extra."""\n'}),
            ]
        ),
        Reply([text("stopping for the test")]),
    )
    result = await AgentRunner(workspace, settings).run("reuse research")

    first_message = fake_api.requests[0].body["messages"][0]["content"][0]["text"]
    assert f"note #{fresh.id} on 'fastapi path parameters'" in first_message
    assert f"note #{stale.id}" not in first_message
    old, other, reused, moved, written = _results(fake_api, 1)[2:]
    assert old["is_error"] and "older than 24 h" in old["content"]
    assert other["is_error"] and "only a note on the same topic" in other["content"]
    assert not reused["is_error"] and f"reusing research note #{fresh.id}" in reused["content"]
    assert not moved["is_error"] and not written["is_error"]
    assert (workspace / "app/extra.py").is_file()
    with Store.open(workspace) as store:
        notes = store.notes_for_task(result.task_id)
        assert [n.title for n in notes] == ["Reused: Path params"]
        assert notes[0].sources == ["https://fastapi.tiangolo.com/"]
        assert f"Reused research note #{fresh.id}" in notes[0].body_md
