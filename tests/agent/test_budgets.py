"""Budgets and cancellation end a run cleanly with its state kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from backcheck.agent import AgentRunner
from backcheck.agent.pricing import Usage, cost_of, prices_for
from backcheck.agent.settings import AgentSettings
from backcheck.store import Store
from fake_messages_api import FakeMessagesAPI, Reply, text, tool


def _phase_walk() -> list[Reply]:
    return [
        Reply([tool("set_phase", {"phase": "review-context", "summary": "read"})]),
        Reply([tool("set_phase", {"phase": "research", "summary": "look up"})]),
        Reply([tool("list_files", {})]),
        Reply([text("never reached")]),
    ]


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"max_turns": 2}, "turn budget (2 model calls)"),
        ({"max_tokens": 2000}, "token budget (2,000 tokens used)"),
        ({"max_cost_usd": 0.005}, "cost budget ($0.01)"),
        ({"max_wall_seconds": 0.0}, "time budget (0 s)"),
    ],
)
async def test_budgets_stop_the_run_with_state_kept(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings, override: dict, words: str
) -> None:
    fake_api.queue(*_phase_walk())
    budgeted = AgentSettings(**{**settings.__dict__, **override})
    result = await AgentRunner(workspace, budgeted).run("budgeted task")
    assert result.status == "budget"
    assert words in result.message and "state kept" in result.message
    with Store.open(workspace) as store:
        task = store.get_task(result.task_id)
        assert task.status == "open" and task.current_phase == result.phase
        run = store.latest_agent_run(task.id)
        assert run.status == "budget" and run.finished is not None


async def test_cancel_from_a_callback_stops_between_steps(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(*_phase_walk())
    runner: AgentRunner

    def on_event(event) -> None:
        if event.kind == "phase" and event.data["phase"] == "review-context":
            runner.cancel()

    runner = AgentRunner(workspace, settings, on_event=on_event)
    result = await runner.run("cancel me")
    assert result.status == "stopped" and result.message.startswith("Cancelled")
    assert result.phase == "review-context" and result.turns == 1
    with Store.open(workspace) as store:
        assert store.get_task(result.task_id).status == "cancelled"
        assert store.latest_agent_run(result.task_id).status == "stopped"


async def test_stop_requested_through_the_store(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    """The TUI's stop button writes to the store; the runner checks it between turns."""
    fake_api.queue(*_phase_walk())
    other = Store.open(workspace)
    runner: AgentRunner

    def on_event(event) -> None:
        if event.kind == "phase" and event.data["phase"] == "research":
            other.request_agent_stop(runner.run_id)

    runner = AgentRunner(workspace, settings, on_event=on_event)
    try:
        result = await runner.run("stop me from the TUI")
    finally:
        other.close()
    assert result.status == "stopped" and result.phase == "research" and result.turns == 2


async def test_cancelling_the_asyncio_task_keeps_state(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    started = asyncio.Event()
    fake_api.queue(*_phase_walk())

    def on_event(event) -> None:
        if event.kind == "phase" and event.data["phase"] == "review-context":
            started.set()

    runner = AgentRunner(workspace, settings, on_event=on_event)
    job = asyncio.create_task(runner.run("cancel the task"))
    await started.wait()
    job.cancel()
    with pytest.raises(asyncio.CancelledError):
        await job
    with Store.open(workspace) as store:
        assert store.get_task(runner.task_id).status == "cancelled"
        assert store.latest_agent_run(runner.task_id).status == "stopped"


def test_cost_from_usage() -> None:
    usage = Usage(
        input_tokens=1_000_000, output_tokens=100_000, cache_read_tokens=2_000_000,
        cache_creation_tokens=400_000, calls=3,
    )  # fmt: skip
    # Sonnet: $3 in, $15 out, cache writes at 1.25x input, cache reads at 0.1x input.
    assert cost_of(usage, "claude-sonnet-5-5") == pytest.approx(3 + 1.5 + 0.6 + 1.5)
    assert prices_for("claude-haiku-4-5") == (1.0, 5.0)
    assert prices_for("claude-opus-4-1") == (15.0, 75.0)
    assert prices_for("claude-mythos-5") is None
    assert cost_of(usage, "claude-mythos-5", override=(2.0, 10.0)) == pytest.approx(2 + 1 + 0.4 + 1)
    usage.cost_usd = None
    assert "cost unknown" in usage.describe()
