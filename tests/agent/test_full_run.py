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
from conftest import SHOP_API, TEST_KEY, DocsServer
from fake_messages_api import FakeMessagesAPI

import scripts


async def test_full_run_through_all_phases(
    shop_workspace: Path,
    fake_api: FakeMessagesAPI,
    docs_server: DocsServer,
    settings: AgentSettings,
) -> None:
    workspace = shop_workspace
    docs_url = docs_server.url("/tutorial/path-params/")
    script = scripts.shop_full_run(docs_url)
    fake_api.queue(*script)
    events = []
    runner = AgentRunner(workspace, settings, on_event=events.append)

    result = await runner.run(scripts.SHOP_TASK)

    assert result.status == "done", (result.message, result.verify_report)
    assert result.ok
    assert fake_api.remaining == 0

    # The edits are on disk.
    assert scripts.SHOP_SERVICE_NEW in (workspace / "app/services/products.py").read_text()
    assert scripts.SHOP_ROUTE_NEW in (workspace / "app/routers/products.py").read_text()
    assert (workspace / "tests/test_product_count.py").read_text() == scripts.SHOP_TESTS
    assert result.changed_files == [
        "app/schemas.py", "app/services/products.py", "app/routers/products.py",
        "tests/test_product_count.py", result.document,
    ]  # fmt: skip

    # The task document has the summary, the decision and the sources.
    doc_rel = f"docs/tasks/{dt.date.today().isoformat()}-{slugify(scripts.SHOP_TASK)}.md"
    assert result.document == doc_rel
    doc = (workspace / doc_rel).read_text()
    assert "## Summary" in doc and "products_service.count_products" in doc
    assert "**Typed count response**: Return a ProductCount model" in doc
    assert f"- <{docs_url}>" in doc and "### Fixed paths before path parameters" in doc
    assert "## Verification" in doc and "- Tests: tests passed: 44 passed" in doc

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
        assert [n.topic for n in notes] == ["fastapi path operation order"]
        assert notes[0].sources == [docs_url]
        # The test runs (run_tests and verify), the last one passed.
        run = store.latest_test_run(task.id)
        assert run is not None and run.status == "passed" and run.passed == 44
        assert len(store.list_test_runs()) == 2  # run_tests in the tests phase, then verify
        # Transcript, usage and the agent run record.
        roles = {m.role for m in store.agent_messages(task_id=task.id)}
        assert {"user", "assistant", "tool_use", "tool_result", "system"} <= roles
        totals = store.usage_totals(task_id=task.id)
        assert totals.calls == len(script)
        assert totals.cost_usd > 0
        agent_run = store.latest_agent_run(task.id)
        assert agent_run.status == "done" and agent_run.finished is not None
    finally:
        store.close()

    # The checkpoint holds the originals for undo.
    assert result.checkpoint is not None
    manifest = json.loads((Path(result.checkpoint) / "manifest.json").read_text())
    assert manifest["files"]["app/services/products.py"]["existed"] is True
    assert manifest["files"]["tests/test_product_count.py"]["existed"] is False

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
    assert "## Order matters" in fetch_result and "trackVisitor" not in fetch_result
    # run_checks in the route phase saw no finding on the new route.
    checks = _tool_result_text(fake_api.requests[8].body, "finding")
    assert "count_products" not in checks


def _tool_result_text(body: dict, needle: str) -> str:
    for block in body["messages"][-1]["content"]:
        if block.get("type") == "tool_result" and needle in str(block.get("content")):
            return str(block["content"])
    raise AssertionError(f"no tool_result containing {needle!r}")


def test_cli_run_prints_phases_and_summary(
    shop_workspace: Path, fake_api: FakeMessagesAPI, docs_server: DocsServer
) -> None:
    workspace = shop_workspace
    docs_url = docs_server.url("/tutorial/path-params/")
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + f'\n[tool.backcheck.agent]\nmodel = "claude-sonnet-5-5"\nresearch_allow = ["{docs_server.host}"]\n'
        + "max_retries = 2\n"
    )
    fake_api.queue(*scripts.shop_full_run(docs_url))
    out = io.StringIO()

    code = cli_main(["run", "--workspace", str(workspace), scripts.SHOP_TASK], out=out)

    text = out.getvalue()
    assert code == 0, text
    for number, phase in enumerate(PHASES, start=1):
        assert f"[{number}/10] {phase}" in text
    assert "status: done" in text
    assert (
        "files changed: app/schemas.py, app/services/products.py, app/routers/products.py" in text
    )
    assert "usage:" in text and "$" in text
    assert "undo all changes with: backcheck agent undo" in text

    # One-step undo puts everything back.
    undo_out = io.StringIO()
    assert cli_main(["undo", "--workspace", str(workspace)], out=undo_out) == 0
    for rel in ("app/schemas.py", "app/services/products.py", "app/routers/products.py"):
        assert (workspace / rel).read_text() == (SHOP_API / rel).read_text()
    assert not (workspace / "tests/test_product_count.py").exists()
    assert "removed tests/test_product_count.py (created by the agent)" in undo_out.getvalue()
