"""Each tool on its own: exact edits, listings, searches, checks, and the undo checkpoint."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest
from anthropic.types.model_param import ModelParam
from backcheck.agent.edits import Checkpoint, DiskEditApplier, EditRejected, FileChange
from backcheck.agent.settings import AgentSettings, default_model, load_settings
from backcheck.agent.tools import TOOL_NAMES, TOOL_SCHEMAS, ToolBox
from backcheck.agent.workflow import TaskWorkflow
from backcheck.store import Store


@pytest.fixture
async def toolbox(workspace: Path) -> ToolBox:
    """Tools for a task already past research (so the edit gate is open)."""
    store = Store.open(workspace)
    task = store.create_task("tool test", actor="agent")
    events = []

    async def emit(event) -> None:
        events.append(event)

    workflow = TaskWorkflow(workspace, store, task, AgentSettings(), DiskEditApplier(), emit)
    await workflow.set_phase("review-context")
    await workflow.set_phase("research")
    await workflow.record_research("t", "t", "body", ["https://example.org/"])
    await workflow.set_phase("design-schema")
    box = ToolBox(workflow, AgentSettings())
    yield box
    store.close()


async def test_edit_file_needs_one_exact_match(toolbox: ToolBox, workspace: Path) -> None:
    none = await toolbox.run(
        "edit_file", {"path": "app/main.py", "old_text": "nope", "new_text": "x"}
    )
    assert none.is_error and "old_text was not found in app/main.py" in none.content
    many = await toolbox.run(
        "edit_file", {"path": "app/main.py", "old_text": "def ", "new_text": "x"}
    )
    assert many.is_error and "occurs 3 times in app/main.py" in many.content
    spaced = await toolbox.run(
        "edit_file", {"path": "app/main.py", "old_text": "  app = FastAPI()  ", "new_text": "x"}
    )
    assert (
        spaced.is_error
        and "matches once if leading/trailing whitespace is dropped" in spaced.content
    )
    ok = await toolbox.run(
        "edit_file",
        {
            "path": "app/main.py",
            "old_text": "app = FastAPI()",
            "new_text": 'app = FastAPI(title="mini")',
        },
    )
    line = (workspace / "app/main.py").read_text().splitlines().index('app = FastAPI(title="mini")')
    assert not ok.is_error and ok.content.startswith(f"edited app/main.py at line {line + 1}:")
    assert 'app = FastAPI(title="mini")' in (workspace / "app/main.py").read_text()
    missing = await toolbox.run(
        "edit_file", {"path": "app/nope.py", "old_text": "a", "new_text": "b"}
    )
    assert missing.is_error and "create it with write_file" in missing.content
    assert toolbox.workflow.changed == ["app/main.py"]


async def test_write_and_read(toolbox: ToolBox, workspace: Path) -> None:
    written = await toolbox.run(
        "write_file", {"path": "app/audit.py", "content": "a = 1\nb = 2\nc = 3\n"}
    )
    assert written.content == "created app/audit.py (4 lines)"
    part = await toolbox.run("read_file", {"path": "app/audit.py", "start_line": 2, "end_line": 3})
    assert part.content == "app/audit.py lines 2-3 of 3\nb = 2\nc = 3\n"
    masked = await toolbox.run(
        "write_file", {"path": "app/k.py", "content": "KEY = '[REDACTED]'\n"}
    )
    assert masked.is_error and "never write secrets" in masked.content
    directory = await toolbox.run("write_file", {"path": "app", "content": "x"})
    assert directory.is_error and "is a directory" in directory.content


async def test_list_and_search(toolbox: ToolBox, workspace: Path) -> None:
    (workspace / ".env").write_text("TOKEN=abc\n")
    listing = await toolbox.run("list_files", {"pattern": "*.py"})
    assert "app/main.py" in listing.content and "pyproject.toml" not in listing.content
    assert ".env" not in (await toolbox.run("list_files", {})).content
    hits = await toolbox.run("search_code", {"pattern": r"def \w+_items", "glob": "*.py"})
    assert "app/main.py:24: def list_items(" in hits.content
    assert "app/services.py:12: def list_items(" in hits.content
    bad = await toolbox.run("search_code", {"pattern": "("})
    assert bad.is_error and "invalid regular expression" in bad.content
    assert (await toolbox.run("search_code", {"pattern": "TOKEN=abc"})).content == "no matches"


async def test_run_checks_reports_backcheck_findings(toolbox: ToolBox, workspace: Path) -> None:
    (workspace / "app/open.py").write_text(
        "from fastapi import APIRouter\n\nrouter = APIRouter()\n\n\n"
        '@router.get("/secrets")\ndef secrets() -> list[str]:\n    return []\n'
    )
    result = await toolbox.run("run_checks", {"paths": ["app"]})
    assert "app/open.py:7: BC101 route-without-auth (error)" in result.content
    clean = await toolbox.run("run_checks", {"paths": ["app/services.py"]})
    assert clean.content == "no findings in 1 file(s)"


async def test_unknown_tool_and_bad_input(toolbox: ToolBox) -> None:
    assert "unknown tool 'rm'" in (await toolbox.run("rm", {})).content
    assert "must be a JSON object" in (await toolbox.run("read_file", "x")).content
    assert "missing required argument `path`" in (await toolbox.run("read_file", {})).content
    phase = await toolbox.run("set_phase", {"phase": "deploy"})
    assert phase.is_error and "unknown phase 'deploy'" in phase.content


def test_schemas_match_the_design() -> None:
    assert tuple(s["name"] for s in TOOL_SCHEMAS) == TOOL_NAMES == (
        "read_file", "list_files", "search_code", "edit_file", "write_file",
        "run_tests", "run_checks", "fetch_url", "record_note", "set_phase",
    )  # fmt: skip
    for schema in TOOL_SCHEMAS:
        assert schema["description"] and schema["input_schema"]["type"] == "object"


async def test_checkpoint_undo_refuses_over_hand_edits(workspace: Path) -> None:
    path = workspace / "app/main.py"
    before = path.read_text()
    checkpoint = Checkpoint(workspace, 7)
    checkpoint.keep_original("app/main.py", before)
    after = before + "\n# agent\n"
    await DiskEditApplier().apply(FileChange(path, "app/main.py", before, after, "edit_file"))
    checkpoint.record_after("app/main.py", after)
    path.write_text(after + "# a person's edit\n")
    with pytest.raises(EditRejected, match="changed after the agent's run: app/main.py"):
        checkpoint.restore()
    assert checkpoint.restore(force=True) == ["restored app/main.py"]
    assert path.read_text() == before
    assert Checkpoint.latest(workspace).task_id == "7"


async def test_disk_applier_refuses_stale_edits(workspace: Path) -> None:
    path = workspace / "app/main.py"
    change = FileChange(path, "app/main.py", "stale text", "new", "edit_file")
    with pytest.raises(EditRejected, match="changed on disk"):
        await DiskEditApplier().apply(change)
    start, end, replacement = FileChange(path, "x", "abcdef", "abXYef", "edit_file").changed_range()
    assert (start, end, replacement) == (2, 4, "XY")


def test_default_model_is_the_newest_sonnet_in_the_sdk() -> None:
    ids = [m for m in get_args(get_args(ModelParam)[0]) if m.startswith("claude-sonnet-")]
    assert default_model() in ids
    assert default_model() == "claude-sonnet-5-5"
    assert AgentSettings().model == default_model()


def test_settings_from_pyproject(workspace: Path) -> None:
    pyproject = workspace / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text()
        + '\n[tool.backcheck.agent]\nmodel = "claude-haiku-4-5"\nmax_turns = 7\n'
        + 'research_allow = ["docs.internal"]\nverify_attempts = 1\nstream = false\n'
    )
    settings, problems = load_settings(workspace)
    assert problems == []
    assert settings.model == "claude-haiku-4-5" and settings.max_turns == 7
    assert settings.research_allow == ("docs.internal",)
    assert settings.verify_attempts == 1 and settings.stream is False


class RecordingApplier(DiskEditApplier):
    """Like the editor's applier: sees every change, may refuse some."""

    def __init__(self) -> None:
        self.seen: list[FileChange] = []

    async def apply(self, change: FileChange) -> None:
        self.seen.append(change)
        if change.relpath.endswith("refuse.py"):
            raise EditRejected("the editor refused the edit (document is read-only)")
        await super().apply(change)


async def test_every_change_goes_through_the_applier(workspace: Path) -> None:
    store = Store.open(workspace)
    try:
        task = store.create_task("applier test", actor="agent")
        applier = RecordingApplier()

        async def emit(event) -> None:
            return None

        workflow = TaskWorkflow(workspace, store, task, AgentSettings(), applier, emit)
        for phase in ("review-context", "research"):
            await workflow.set_phase(phase)
        await workflow.record_research("t", "t", "body", ["https://example.org/"])
        await workflow.set_phase("design-schema")
        box = ToolBox(workflow, AgentSettings())
        assert not (
            await box.run("write_file", {"path": "app/ok.py", "content": "x = 1\n"})
        ).is_error
        refused = await box.run("write_file", {"path": "app/refuse.py", "content": "x = 1\n"})
        assert refused.is_error and "document is read-only" in refused.content
        for phase in ("validation", "service", "route", "tests", "document"):
            await workflow.set_phase(phase, "s")
        assert [c.relpath for c in applier.seen] == [
            "app/ok.py",
            "app/refuse.py",
            workflow.document_path,
        ]
        assert applier.seen[0].before is None and applier.seen[0].tool == "write_file"
        assert not (workspace / "app/refuse.py").exists()
    finally:
        store.close()


def test_undo_without_a_checkpoint(workspace: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from backcheck.agent import cli_main

    assert cli_main(["undo", "--workspace", str(workspace)]) == 1
    assert "no checkpoint for any agent run" in capsys.readouterr().err
