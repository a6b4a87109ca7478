"""API trouble is retried by the SDK where it can be, and otherwise reported in one clear line."""

from __future__ import annotations

import io
import socket
from pathlib import Path

import anthropic
import pytest
from backcheck.agent import AgentRunner, cli_main
from backcheck.agent.errors import NO_KEY_MESSAGE, describe_api_error
from backcheck.agent.settings import AgentSettings
from backcheck.store import Store
from conftest import TEST_KEY
from fake_messages_api import BreakStream, Fail, FakeMessagesAPI, Reply, text, tool

ANALYZE = Reply([tool("set_phase", {"phase": "analyze", "summary": "look"})])
DONE_TALKING = Reply([text("Stopping here for the test.")])


async def test_429_and_529_are_retried(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(
        Fail(429, retry_after="0", retry_after_ms="5"),
        Fail(529, "overloaded_error", "Overloaded", retry_after_ms="5"),
        ANALYZE,
        Fail(529, "overloaded_error", "Overloaded", retry_after_ms="5"),
        DONE_TALKING,
    )
    result = await AgentRunner(workspace, settings).run("retry me")
    assert [r.answered_with for r in fake_api.requests] == ["429", "529", "stream", "529", "stream"]
    assert result.status == "stopped" and result.turns == 2
    assert result.final_text == "Stopping here for the test."
    retries = [r.headers.get("x-stainless-retry-count") for r in fake_api.requests]
    assert retries == ["0", "1", "2", "0", "1"]


async def test_rate_limit_after_retries_is_one_clear_line(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(*[Fail(429) for _ in range(settings.max_retries + 1)])
    result = await AgentRunner(workspace, settings).run("rate limited")
    assert result.status == "error"
    assert result.message.startswith("Rate limited by the Anthropic API (429) even after retries")
    assert "\n" not in result.message
    with Store.open(workspace) as store:
        run = store.latest_agent_run(result.task_id)
        assert run.status == "failed" and run.detail == result.message
        assert store.get_task(result.task_id).status == "open"  # state kept for a later run
        errors = [m for m in store.agent_messages(task_id=result.task_id) if m.role == "error"]
        assert errors and "Rate limited" in errors[0].content["message"]


async def test_one_broken_stream_repeats_the_turn(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(BreakStream(), ANALYZE, DONE_TALKING)
    events = []
    result = await AgentRunner(workspace, settings, on_event=events.append).run("stream")
    assert result.status == "stopped" and result.turns == 2
    retried = [e for e in events if e.kind == "error"]
    assert retried and retried[0].data["retrying"] is True
    assert "The response stream broke off: the API is overloaded" in retried[0].data["message"]


async def test_mid_stream_error_is_reported_cleanly(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(ANALYZE, BreakStream(), BreakStream("Half a thought", "api_error", "Internal"))
    result = await AgentRunner(workspace, settings).run("stream twice")
    assert result.status == "error"
    assert result.message.startswith(
        "The response stream broke off: the API had an internal error."
    )
    assert "Run the task again; the work done so far is kept." in result.message
    assert result.turns == 1 and result.phase == "analyze"
    with Store.open(workspace) as store:
        assert store.latest_agent_run(result.task_id).status == "failed"


async def test_bad_key_is_explained(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    result = await AgentRunner(workspace, settings, api_key="sk-ant-wrong-key-000000").run("x")
    assert result.status == "error"
    assert result.message.startswith("The Anthropic API refused the API key (401)")
    assert fake_api.requests[0].answered_with == "401"


async def test_unreachable_api_is_explained(workspace: Path, settings: AgentSettings) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    quick = AgentSettings(**{**settings.__dict__, "max_retries": 0})
    runner = AgentRunner(workspace, quick, api_key=TEST_KEY, base_url=f"http://127.0.0.1:{port}")
    result = await runner.run("x")
    assert result.status == "error"
    assert result.message.startswith(f"Cannot reach the Anthropic API at http://127.0.0.1:{port}")


async def test_json_responses_when_streaming_is_off(
    workspace: Path, fake_api: FakeMessagesAPI, settings: AgentSettings
) -> None:
    fake_api.queue(ANALYZE, Fail(529, "overloaded_error", "Overloaded"), DONE_TALKING)
    no_stream = AgentSettings(**{**settings.__dict__, "stream": False})
    result = await AgentRunner(workspace, no_stream).run("json please")
    assert [r.answered_with for r in fake_api.requests] == ["json", "529", "json"]
    assert all(r.body.get("stream") is None for r in fake_api.requests)
    assert result.final_text == "Stopping here for the test."


async def test_missing_key_says_so_in_one_line(
    workspace: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
    result = await AgentRunner(workspace, AgentSettings()).run("anything")
    assert result.status == "no-key" and result.message == NO_KEY_MESSAGE
    assert not (workspace / ".backcheck").exists()  # nothing else happened

    out = io.StringIO()
    assert cli_main(["run", "--workspace", str(workspace), "anything"], out=out) == 2
    err = capsys.readouterr().err
    assert err.strip() == NO_KEY_MESSAGE and len(err.strip().splitlines()) == 1
    assert "ANTHROPIC_API_KEY is not set" in err and out.getvalue() == ""


def test_every_sdk_error_maps_to_one_line() -> None:
    import httpx2

    request = httpx2.Request("POST", "https://api.anthropic.com/v1/messages")
    for status, cls in [(400, anthropic.BadRequestError), (403, anthropic.PermissionDeniedError),
                        (404, anthropic.NotFoundError), (413, anthropic.ContentTooLargeError),
                        (500, anthropic.InternalServerError), (529, anthropic.OverloadedError)]:  # fmt: skip
        body = {"type": "error", "error": {"type": "x", "message": "detail\nwith lines"}}
        exc = cls("msg", response=httpx2.Response(status, request=request), body=body)
        line = describe_api_error(exc)
        assert "\n" not in line and f"({status})" in line and "(detail with lines)" in line
    assert "did not answer in time" in describe_api_error(anthropic.APITimeoutError(request))
