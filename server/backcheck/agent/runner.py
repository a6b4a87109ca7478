"""The agent loop on ``anthropic.AsyncAnthropic``: model turns, tool calls, budgets, cancellation.

One :class:`AgentRunner` runs one task. It streams each model response (text arrives live through
the event callback), sends the system prompt and tools with ``cache_control`` so repeated turns
hit the prompt cache, lets the SDK retry 408/409/429/5xx with ``max_retries`` and a request
``timeout``, and turns whatever error is left into one readable line.

Everything the run does is recorded in the store (task, phase transitions, notes, test runs,
transcript, usage and cost) and passed to an optional callback as :class:`AgentEvent` objects.

Interface for the editor, the TUI and the CLI::

    runner = AgentRunner(workspace, applier=MyApplier(), on_event=callback)
    result = await runner.run("add paginated GET /orders with tests")   # RunResult
    runner.cancel()        # from any thread or task: stops at the next safe point

A person can also stop a run from another process with ``Store.request_agent_stop(run_id)``.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
import os
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcheck.agent.edits import DiskEditApplier, EditApplier
from backcheck.agent.errors import NO_KEY_MESSAGE, describe_api_error
from backcheck.agent.pricing import Usage, usage_from_sdk
from backcheck.agent.prompt import SYSTEM_PROMPT, task_message
from backcheck.agent.sandbox import environment_secrets, redact
from backcheck.agent.settings import AgentSettings, load_settings
from backcheck.agent.tools import ToolBox, workspace_summary
from backcheck.agent.workflow import AgentEvent, TaskWorkflow

log = logging.getLogger("backcheck.agent")

#: Errors inside a streamed response that are worth one more attempt of the same turn.
_TRANSIENT_STREAM_ERRORS = {"overloaded_error", "api_error", "rate_limit_error", "timeout_error"}
MID_STREAM_RETRIES = 1
STOP_POLL_SECONDS = 1.0

EventCallback = Callable[[AgentEvent], Awaitable[None] | None]


@dataclass
class RunResult:
    """How a run ended.

    ``status``: ``done`` (verify passed), ``failed`` (verify failed for good, or the model
    refused), ``stopped`` (cancelled, or the model ended without finishing), ``budget`` (turns,
    tokens, cost or time ran out), ``error`` (the API failed after retries), ``no-key``.
    """

    status: str
    message: str
    task_id: int | None = None
    run_id: int | None = None
    phase: str | None = None
    usage: Usage = field(default_factory=Usage)
    changed_files: list[str] = field(default_factory=list)
    document: str | None = None
    verify_report: str | None = None
    final_text: str = ""
    turns: int = 0
    elapsed: float = 0.0
    checkpoint: str | None = None

    @property
    def ok(self) -> bool:
        """True when the workflow completed and verify passed."""
        return self.status == "done"


class _Stop(Exception):
    """Internal: the run must end now with this status and message."""

    def __init__(self, status: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def api_key_from_env() -> str | None:
    """The key the SDK would use from the environment (ANTHROPIC_API_KEY, else ANTHROPIC_AUTH_TOKEN)."""
    return os.environ.get("ANTHROPIC_API_KEY") or os.environ.get("ANTHROPIC_AUTH_TOKEN") or None


class AgentRunner:
    """Runs one agent task in a workspace (see the module docstring for the interface)."""

    def __init__(
        self,
        workspace: Path | str,
        settings: AgentSettings | None = None,
        *,
        applier: EditApplier | None = None,
        on_event: EventCallback | None = None,
        store: Any | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        client: Any | None = None,
    ) -> None:
        self.workspace = Path(workspace).resolve()
        if settings is None:
            settings, problems = load_settings(self.workspace)
            for problem in problems:
                log.warning("%s", problem)
        self.settings = settings
        self.applier: EditApplier = applier or DiskEditApplier()
        self.on_event = on_event
        self._store = store
        self._api_key = api_key
        self._base_url = base_url
        self._client = client
        self._cancel = asyncio.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._secrets = environment_secrets()
        self.task_id: int | None = None
        self.run_id: int | None = None
        self.usage = Usage()

    # --- control --------------------------------------------------------------------------------

    def cancel(self) -> None:
        """Ask the run to stop at the next safe point; safe to call from any thread."""
        loop = self._loop
        if loop is not None and loop.is_running():
            try:
                running = asyncio.get_running_loop()
            except RuntimeError:
                running = None
            if running is loop:
                self._cancel.set()
            else:
                loop.call_soon_threadsafe(self._cancel.set)
        else:
            self._cancel.set()

    @property
    def cancelled(self) -> bool:
        """True once cancel() was called or a stop was requested through the store."""
        return self._cancel.is_set()

    # --- events ---------------------------------------------------------------------------------

    def _scrub(self, value: Any) -> Any:
        if isinstance(value, str):
            return redact(value, self._secrets)
        if isinstance(value, dict):
            return {k: self._scrub(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self._scrub(v) for v in value]
        return value

    async def _emit(self, event: AgentEvent) -> None:
        """Store the event (transcript, usage) and hand it to the callback."""
        event.data = self._scrub(event.data)
        store, task_id, run_id = self._store, self.task_id, self.run_id
        if store is not None:
            try:
                self._record(store, task_id, run_id, event)
            except Exception:  # a store hiccup must not end the run
                log.exception("could not record agent event %s", event.kind)
        if self.on_event is not None:
            try:
                maybe = self.on_event(event)
                if inspect.isawaitable(maybe):
                    await maybe
            except Exception:  # a broken listener must not end the run
                log.exception("agent event callback failed on %s", event.kind)

    def _record(
        self, store: Any, task_id: int | None, run_id: int | None, event: AgentEvent
    ) -> None:
        kind, data = event.kind, event.data
        if kind == "text":
            return  # live deltas only; the whole message is stored as "message"
        if kind == "usage":
            store.add_usage(
                task_id,
                self.settings.model,
                data["input_tokens"],
                data["output_tokens"],
                data["cache_read_tokens"],
                data["cache_creation_tokens"],
                data.get("cost_usd") or 0.0,
                run_id=run_id,
            )
            return
        role, tool_name, content = "system", None, {"event": kind, **data}
        if kind == "message":
            role, content = data.get("role", "assistant"), data["text"]
        elif kind == "tool_call":
            role, tool_name, content = (
                "tool_use",
                data["name"],
                {"id": data["id"], "input": data["input"]},
            )
        elif kind == "tool_result":
            role, tool_name = "tool_result", data["name"]
            content = {
                "tool_use_id": data["id"],
                "content": data["content"],
                "is_error": data["is_error"],
            }
        elif kind == "error":
            role = "error"
        store.add_agent_message(task_id, role, content, tool_name=tool_name, run_id=run_id)

    # --- the run ------------------------------------------------------------------------------

    async def run(self, task: str, *, focus: str | None = None) -> RunResult:
        """Run ``task`` through the workflow; always returns a RunResult (never raises for API
        errors, budgets or cancellation; a CancelledError of the calling task is re-raised after
        the state is saved)."""
        self._loop = asyncio.get_running_loop()
        started = time.monotonic()
        key = self._api_key or api_key_from_env()
        if not key and self._client is None:
            return RunResult("no-key", NO_KEY_MESSAGE)
        task = task.strip()
        if not task:
            return RunResult("error", "The task is empty: describe the feature to build.")

        own_store = self._store is None
        if own_store:
            from backcheck.store import Store

            self._store = Store.open(self.workspace)
        store = self._store
        title = " ".join(task.split())
        title = title if len(title) <= 120 else title[:117] + "..."
        task_row = store.create_task(title, actor="agent")
        self.task_id = task_row.id
        self.run_id = store.start_agent_run(task_row.id, self.settings.model)
        workflow = TaskWorkflow(
            self.workspace, store, task_row, self.settings, self.applier, self._emit
        )
        toolbox = ToolBox(workflow, self.settings)
        watcher = asyncio.create_task(self._watch_stop_requests())
        result = RunResult("error", "The run ended unexpectedly.", task_row.id, self.run_id)
        client = None
        try:
            client = self._client or self._make_client(key)
            result = await self._loop_turns(client, task, focus, workflow, toolbox, started)
        except asyncio.CancelledError:
            result = RunResult("stopped", "Cancelled; the work so far is kept and can be undone.")
            raise
        finally:
            watcher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watcher
            if client is not None and self._client is None:
                with contextlib.suppress(Exception):
                    await client.close()
            await self._finish(result, workflow, started)
            if own_store:
                store.close()
                self._store = None
        return result

    def _make_client(self, key: str | None) -> Any:
        from anthropic import AsyncAnthropic

        return AsyncAnthropic(
            api_key=key,
            base_url=self._base_url,  # None: the SDK reads ANTHROPIC_BASE_URL, else the public API
            max_retries=self.settings.max_retries,
            timeout=self.settings.request_timeout,
        )

    async def _finish(self, result: RunResult, workflow: TaskWorkflow, started: float) -> None:
        """Fill in the result and close the run in the store (state kept either way)."""
        result.task_id, result.run_id = self.task_id, self.run_id
        result.phase = workflow.phase
        result.usage = self.usage
        result.changed_files = list(workflow.changed)
        result.document = workflow.document_path
        result.verify_report = workflow.last_verify.render() if workflow.last_verify else None
        result.elapsed = time.monotonic() - started
        if workflow.checkpoint.files():
            result.checkpoint = str(workflow.checkpoint.dir)
        if result.status == "stopped" and result.message.startswith("Cancelled"):
            await workflow.cancel(result.message)
        elif result.status == "failed":
            await workflow.fail(result.message)
        run_status = {"done": "done", "budget": "budget", "stopped": "stopped"}.get(
            result.status, "failed"
        )
        store = self._store
        if store is not None and self.run_id is not None:
            try:
                store.finish_agent_run(self.run_id, run_status, result.message)
            except Exception:  # the result is still returned
                log.exception("could not close agent run %s", self.run_id)
        await self._emit(
            AgentEvent(
                "status",
                {
                    "status": result.status,
                    "run_status": run_status,
                    "message": result.message,
                    "final": True,
                },
            )
        )

    async def _watch_stop_requests(self) -> None:
        """Turn a stop requested through the store (the TUI's stop button) into cancel()."""
        while not self._cancel.is_set():
            await asyncio.sleep(STOP_POLL_SECONDS)
            if self._stop_requested():
                self._cancel.set()

    def _stop_requested(self) -> bool:
        store, run_id = self._store, self.run_id
        if store is None or run_id is None:
            return False
        try:
            return bool(store.agent_stop_requested(run_id))
        except Exception:  # polling is best effort; the run goes on
            log.debug("stop-request check failed", exc_info=True)
            return False

    def _budget_check(self, turns_done: int, started: float) -> None:
        s = self.settings
        if self._stop_requested():
            self._cancel.set()
        if self._cancel.is_set():
            raise _Stop("stopped", "Cancelled; the work so far is kept and can be undone.")
        if turns_done >= s.max_turns:
            raise _Stop(
                "budget", f"Stopped at the turn budget ({s.max_turns} model calls); state kept."
            )
        if self.usage.total_tokens >= s.max_tokens:
            raise _Stop(
                "budget", f"Stopped at the token budget ({s.max_tokens:,} tokens used); state kept."
            )
        if s.max_cost_usd is not None and (self.usage.cost_usd or 0.0) >= s.max_cost_usd:
            raise _Stop(
                "budget", f"Stopped at the cost budget (${s.max_cost_usd:.2f}); state kept."
            )
        if time.monotonic() - started >= s.max_wall_seconds:
            raise _Stop(
                "budget", f"Stopped at the time budget ({s.max_wall_seconds:g} s); state kept."
            )

    async def _guard(self, awaitable: Awaitable[Any], started: float) -> Any:
        """Await ``awaitable`` unless cancel() or the wall-time budget comes first."""
        remaining = self.settings.max_wall_seconds - (time.monotonic() - started)
        work = asyncio.ensure_future(awaitable)
        stopper = asyncio.ensure_future(self._cancel.wait())
        try:
            done, _ = await asyncio.wait(
                {work, stopper}, timeout=max(0.0, remaining), return_when=asyncio.FIRST_COMPLETED
            )
        except asyncio.CancelledError:
            work.cancel()
            stopper.cancel()
            raise
        stopper.cancel()
        if work in done:
            return work.result()
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await work
        if self._cancel.is_set():
            raise _Stop("stopped", "Cancelled; the work so far is kept and can be undone.")
        raise _Stop(
            "budget",
            f"Stopped at the time budget ({self.settings.max_wall_seconds:g} s); state kept.",
        )

    def _request_params(
        self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]
    ) -> dict[str, Any]:
        # Cache breakpoints: the tools, the system prompt and the newest user turn.
        for message in messages:
            if isinstance(message["content"], list):
                for block in message["content"]:
                    block.pop("cache_control", None)
        last = messages[-1]
        if last["role"] == "user" and isinstance(last["content"], list) and last["content"]:
            last["content"][-1]["cache_control"] = {"type": "ephemeral"}
        return {
            "model": self.settings.model,
            "max_tokens": self.settings.max_output_tokens,
            "system": [
                {"type": "text", "text": SYSTEM_PROMPT, "cache_control": {"type": "ephemeral"}}
            ],
            "tools": tools,
            "messages": messages,
        }

    async def _call_model(self, client: Any, params: dict[str, Any]) -> Any:
        """One model response, streamed (deltas to the callback) or not."""
        if not self.settings.stream:
            return await client.messages.create(**params)
        async with client.messages.stream(**params) as stream:
            async for event in stream:
                if event.type == "text":
                    await self._emit(AgentEvent("text", {"text": event.text}))
            return await stream.get_final_message()

    async def _model_turn(self, client: Any, params: dict[str, Any], started: float) -> Any:
        import anthropic

        attempt = 0
        while True:
            try:
                return await self._guard(self._call_model(client, params), started)
            except (anthropic.APIStatusError, anthropic.APIConnectionError) as exc:
                # The SDK retried the request already; an error inside a started stream it does
                # not retry, so this turn gets one more attempt when the error is transient.
                in_stream = isinstance(exc, anthropic.APIStatusError) and exc.status_code == 200
                transient = in_stream and (exc.type in _TRANSIENT_STREAM_ERRORS)
                if transient and attempt < MID_STREAM_RETRIES:
                    attempt += 1
                    log.info("stream broke off (%s); repeating the turn", exc.type)
                    await self._emit(
                        AgentEvent("error", {"message": describe_api_error(exc), "retrying": True})
                    )
                    continue
                raise _Stop(
                    "error", describe_api_error(exc, base_url=str(client.base_url))
                ) from exc
            except anthropic.AnthropicError as exc:
                raise _Stop(
                    "error", describe_api_error(exc, base_url=str(client.base_url))
                ) from exc

    async def _loop_turns(
        self,
        client: Any,
        task: str,
        focus: str | None,
        workflow: TaskWorkflow,
        toolbox: ToolBox,
        started: float,
    ) -> RunResult:
        store = self._store
        max_age = self.settings.note_max_age_hours * 3600
        now = time.time()
        recent = [
            (n.id, n.topic, n.title, (now - n.created) / 3600)
            for n in store.list_notes(limit=50)
            if now - n.created <= max_age and not n.title.startswith("Reused: ")
        ][:10]
        first = task_message(
            task,
            workspace_summary=workspace_summary(self.workspace),
            recent_notes=recent,
            focus=focus,
        )
        messages: list[dict[str, Any]] = [
            {"role": "user", "content": [{"type": "text", "text": first}]}
        ]
        await self._emit(AgentEvent("message", {"role": "user", "text": first}))
        await self._emit(
            AgentEvent("phase", {"phase": workflow.phase, "summary": "", "reopened": False})
        )
        tools = toolbox.schemas()
        tools[-1]["cache_control"] = {"type": "ephemeral"}
        turns = 0
        final_text = ""
        try:
            while True:
                self._budget_check(turns, started)
                params = self._request_params(messages, tools)
                response = await self._model_turn(client, params, started)
                turns += 1
                usage = usage_from_sdk(
                    response.usage, self.settings.model, self.settings.price_per_mtok
                )
                self.usage.add(usage)
                await self._emit(
                    AgentEvent(
                        "usage",
                        {
                            "input_tokens": usage.input_tokens,
                            "output_tokens": usage.output_tokens,
                            "cache_read_tokens": usage.cache_read_tokens,
                            "cache_creation_tokens": usage.cache_creation_tokens,
                            "cost_usd": usage.cost_usd,
                            "total_cost_usd": self.usage.cost_usd,
                            "total_tokens": self.usage.total_tokens,
                            "turn": turns,
                        },
                    )
                )
                content, tool_uses, text = self._assistant_blocks(response)
                messages.append({"role": "assistant", "content": content})
                if text:
                    final_text = text
                    await self._emit(AgentEvent("message", {"role": "assistant", "text": text}))
                stop_reason = response.stop_reason
                if stop_reason == "refusal":
                    return RunResult(
                        "failed",
                        "The model declined this task; rephrase it or do it by hand.",
                        final_text=final_text,
                        turns=turns,
                    )
                if tool_uses:
                    results = await self._run_tools(
                        tool_uses, toolbox, started, truncated=stop_reason == "max_tokens"
                    )
                    if workflow.complete:
                        return RunResult(
                            "done",
                            "Task complete: verify passed (tests, ruff, backcheck).",
                            final_text=final_text,
                            turns=turns,
                        )
                    if workflow.status == "failed":
                        return RunResult(
                            "failed",
                            "Verify failed and no attempts are left; the task has failed.",
                            final_text=final_text,
                            turns=turns,
                        )
                    messages.append({"role": "user", "content": results})
                    continue
                if stop_reason == "max_tokens":
                    messages.append(
                        {
                            "role": "user",
                            "content": [
                                {
                                    "type": "text",
                                    "text": (
                                        "Your reply was cut off at the output limit. Continue with smaller steps."
                                    ),
                                }
                            ],
                        }
                    )
                    continue
                if stop_reason == "pause_turn":
                    continue
                # end_turn without a tool call: the model has finished talking.
                return RunResult(
                    "stopped",
                    f"The agent stopped in phase `{workflow.phase}` before verify passed"
                    + (f": {_one_line(final_text)}" if final_text else "."),
                    final_text=final_text,
                    turns=turns,
                )
        except _Stop as stop:
            if stop.status == "error":
                await self._emit(AgentEvent("error", {"message": stop.message}))
            return RunResult(stop.status, stop.message, final_text=final_text, turns=turns)

    @staticmethod
    def _assistant_blocks(response: Any) -> tuple[list[dict[str, Any]], list[dict[str, Any]], str]:
        content: list[dict[str, Any]] = []
        tool_uses: list[dict[str, Any]] = []
        texts: list[str] = []
        for block in response.content:
            if block.type == "text":
                if block.text:
                    content.append({"type": "text", "text": block.text})
                    texts.append(block.text)
            elif block.type == "tool_use":
                item = {
                    "type": "tool_use",
                    "id": block.id,
                    "name": block.name,
                    "input": block.input,
                }
                content.append(item)
                tool_uses.append(item)
            elif block.type in ("thinking", "redacted_thinking"):
                content.append(block.model_dump(exclude_none=True))
        if not content:
            content.append({"type": "text", "text": "(no content)"})
        return content, tool_uses, "\n".join(texts).strip()

    async def _run_tools(
        self, tool_uses: list[dict[str, Any]], toolbox: ToolBox, started: float, *, truncated: bool
    ) -> list[dict[str, Any]]:
        results: list[dict[str, Any]] = []
        for i, call in enumerate(tool_uses):
            name, args = call["name"], call["input"]
            await self._emit(
                AgentEvent("tool_call", {"id": call["id"], "name": name, "input": args})
            )
            if truncated and i == len(tool_uses) - 1:
                outcome_text, is_error = (
                    "error: this call was cut off at the output limit and not run; send it again",
                    True,
                )
            elif toolbox.workflow.status != "open":
                outcome_text, is_error = "error: not run, the task has ended", True
            else:
                try:
                    outcome = await self._guard(toolbox.run(name, args), started)
                except _Stop:
                    # Answer every tool_use so the transcript stays valid, then stop.
                    results.append(_tool_result(call["id"], "error: the run was stopped", True))
                    await self._emit(
                        AgentEvent(
                            "tool_result",
                            {
                                "id": call["id"],
                                "name": name,
                                "content": "stopped",
                                "is_error": True,
                            },
                        )
                    )
                    raise
                outcome_text, is_error = outcome.content, outcome.is_error
            results.append(_tool_result(call["id"], outcome_text, is_error))
            await self._emit(
                AgentEvent(
                    "tool_result",
                    {
                        "id": call["id"],
                        "name": name,
                        "content": outcome_text,
                        "is_error": is_error,
                    },
                )
            )
            if toolbox.workflow.status != "open":
                # The rest of this turn's calls are answered without running.
                for rest in tool_uses[i + 1 :]:
                    results.append(
                        _tool_result(rest["id"], "error: not run, the task has ended", True)
                    )
                break
        return results


def _tool_result(tool_use_id: str, text: str, is_error: bool) -> dict[str, Any]:
    return {
        "type": "tool_result",
        "tool_use_id": tool_use_id,
        "content": text or "(empty)",
        "is_error": is_error,
    }


def _one_line(text: str, limit: int = 200) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 3] + "..."


async def run_task(
    workspace: Path | str,
    task: str,
    *,
    settings: AgentSettings | None = None,
    applier: EditApplier | None = None,
    on_event: EventCallback | None = None,
    focus: str | None = None,
) -> RunResult:
    """Run one task with a fresh :class:`AgentRunner` (see its docstring for details)."""
    runner = AgentRunner(workspace, settings, applier=applier, on_event=on_event)
    return await runner.run(task, focus=focus)
