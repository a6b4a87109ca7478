"""A scripted task through all ten phases, driven by the real SDK against the fake API."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

from backcheck.agent import AgentRunner, cli_main
from backcheck.agent.settings import AgentSettings
from backcheck.store import Store
from backcheck.workflow import PHASES, slugify
from conftest import TEST_KEY, DocsServer
from fake_messages_api import FakeMessagesAPI

import scripts


async def test_full_run_through_all_phases(
    workspace: Path, fake_api: FakeMessagesAPI, docs_server: DocsServer, settings: AgentSettings
) -> None:
    docs_url = docs_server.url("/tutorial/path-params/")
    fake_api.queue(*scripts.full_run(docs_url))
    events = []
    runner = AgentRunner(workspace, settings, on_event=events.append)

    result = await runner.run(scripts.TASK)

    assert result.status == "done", result.message
    assert result.ok
    assert fake_api.remaining == 0

    # The edits are on disk.
    assert (
        "def get_item(item_id: int) -> ItemOut | None:"
        in (workspace / "app/services.py").read_text()
    )
    assert (
        '@app.get("/items/{item_id}", response_model=ItemOut)'
        in (workspace / "app/main.py").read_text()
    )
    assert (workspace / "tests/test_item_detail.py").is_file()

    # The task document has the summary, the decision and the sources.
    doc_rel = f"docs/tasks/{dt.date.today().isoformat()}-{slugify(scripts.TASK)}.md"
    assert result.document == doc_rel
    doc = (workspace / doc_rel).read_text()
    assert "## Summary" in doc and "services.get_item" in doc
    assert "Lookup lives in the service layer" in doc
    assert docs_url in doc
    assert "## Verification" in doc and "- Tests: tests passed: 6 passed" in doc

    store = Store.open(workspace)
    try:
        task = store.get_task(result.task_id)
        assert task.status == "done"
        # Every phase was entered and finished, in order, by the agent.
        started = [t.phase for t in store.transitions(task.id) if t.state == "started"]
        assert started == list(PHASES)
        assert {t.actor for t in store.transitions(task.id)} == {"agent"}
        assert [s.state for s in store.phase_states(task.id)] == ["done"] * len(PHASES)
        # The research note with its source.
        notes = store.notes_for_task(task.id)
        assert [n.topic for n in notes] == ["fastapi path parameters"]
        assert notes[0].sources == [docs_url]
        # The test runs (run_tests and verify), the last one passed.
        run = store.latest_test_run(task.id)
        assert run is not None and run.status == "passed" and run.passed == 6
        # Transcript, usage and the agent run record.
        roles = {m.role for m in store.agent_messages(task_id=task.id)}
        assert {"user", "assistant", "tool_use", "tool_result", "system"} <= roles
        totals = store.usage_totals(task_id=task.id)
        assert totals.calls == len(scripts.full_run(docs_url))
        assert totals.cost_usd > 0
        agent_run = store.latest_agent_run(task.id)
        assert agent_run.status == "done" and agent_run.finished is not None
    finally:
        store.close()

    # The checkpoint holds the originals for undo.
    assert result.checkpoint is not None
    manifest = json.loads((Path(result.checkpoint) / "manifest.json").read_text())
    assert manifest["files"]["app/services.py"]["existed"] is True
    assert manifest["files"]["tests/test_item_detail.py"]["existed"] is False

    # Events reached the callback: every phase, text deltas, usage.
    kinds = [e.kind for e in events]
    assert [e.data["phase"] for e in events if e.kind == "phase"] == list(PHASES)
    assert "text" in kinds and "usage" in kinds and "verify" in kinds

    # What the SDK sent: streaming, the key as a bearer token, caching on system and tools.
    first = fake_api.requests[0]
    assert first.headers["authorization"] == f"Bearer {TEST_KEY}"
    assert first.body["stream"] is True
    assert first.body["model"] == "claude-sonnet-5-5"
    assert first.body["system"][0]["cache_control"] == {"type": "ephemeral"}
    assert first.body["tools"][-1]["cache_control"] == {"type": "ephemeral"}
    assert [t["name"] for t in first.body["tools"]] == [
        "read_file", "list_files", "search_code", "edit_file", "write_file",
        "run_tests", "run_checks", "fetch_url", "record_note", "set_phase",
    ]  # fmt: skip
    # The fetched page reached the model as text, without scripts or styles.
    fetch_result = _tool_result_text(fake_api.requests[3].body, "Path Parameters")
    assert "# Path Parameters" in fetch_result and "trackVisitor" not in fetch_result


def _tool_result_text(body: dict, needle: str) -> str:
    for block in body["messages"][-1]["content"]:
        if block.get("type") == "tool_result" and needle in str(block.get("content")):
            return str(block["content"])
    raise AssertionError(f"no tool_result containing {needle!r}")


def test_cli_run_prints_phases_and_summary(
    workspace: Path, fake_api: FakeMessagesAPI, docs_server: DocsServer
) -> None:
    docs_url = docs_server.url("/tutorial/path-params/")
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + f'\n[tool.backcheck.agent]\nmodel = "claude-sonnet-5-5"\nresearch_allow = ["{docs_server.host}"]\n'
        + "max_retries = 2\n"
    )
    fake_api.queue(*scripts.full_run(docs_url))
    out = io.StringIO()

    code = cli_main(["run", "--workspace", str(workspace), scripts.TASK], out=out)

    text = out.getvalue()
    assert code == 0, text
    for number, phase in enumerate(PHASES, start=1):
        assert f"[{number}/10] {phase}" in text
    assert "status: done" in text
    assert "files changed: app/services.py, app/main.py, tests/test_item_detail.py" in text
    assert "usage:" in text and "$" in text
    assert "undo all changes with: backcheck agent undo" in text

    # One-step undo puts everything back.
    undo_out = io.StringIO()
    assert cli_main(["undo", "--workspace", str(workspace)], out=undo_out) == 0
    original = scripts_source("app/services.py")
    assert (workspace / "app/services.py").read_text() == original
    assert not (workspace / "tests/test_item_detail.py").exists()
    assert "removed tests/test_item_detail.py (created by the agent)" in undo_out.getvalue()


def scripts_source(rel: str) -> str:
    from conftest import example_source

    return (example_source() / rel).read_text()
