"""The agent panel: the current task's transcript, the tool being called, tokens and cost, stop."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from backcheck.store import AgentMessage, AgentRun, UsageTotals
from textual import on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Button, Static

from backcheck_tui.messages import StopAgentPressed
from backcheck_tui.state import AppState
from backcheck_tui.widgets.fmt import fmt_time, fmt_tokens

#: Characters of one transcript entry shown before it is cut.
MAX_ENTRY = 2000
#: Transcript entries kept on screen (older ones are removed; the store keeps them all).
MAX_ENTRIES = 400
_ROLE_STYLE = {
    "user": "bold $text-primary",
    "assistant": "bold $text-accent",
    "tool_use": "bold $text-warning",
    "tool_result": "$foreground-muted",
    "system": "$foreground-muted",
    "error": "bold $text-error",
}


def message_text(content: Any) -> str:
    """Readable text from a message's content: a string, the agent runner's dicts (tool calls,
    tool results, events) or Anthropic-style content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, dict):
        if "input" in content and "id" in content:  # a tool call: show its arguments
            return _args(content["input"])
        if "tool_use_id" in content:  # a tool result
            text = message_text(content.get("content", ""))
            return f"error: {text}" if content.get("is_error") else text
        if "event" in content:  # a runner event (phase moved, budget, undo...)
            rest = {k: v for k, v in content.items() if k != "event"}
            return f"{content['event']}: {_args(rest)}" if rest else str(content["event"])
        content = [content]
    if isinstance(content, list):
        parts = []
        for block in content:
            if isinstance(block, dict):
                kind = block.get("type")
                if kind == "text" or "text" in block:
                    parts.append(str(block.get("text", "")))
                elif kind == "tool_use":
                    parts.append(f"{block.get('name', 'tool')}({_args(block.get('input'))})")
                elif kind == "tool_result":
                    parts.append(message_text(block.get("content", "")))
                else:
                    parts.append(_args(block))
            else:
                parts.append(str(block))
        return "\n".join(p for p in parts if p)
    return json.dumps(content, default=str)


def _args(value: Any) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k}={_short(v)}" for k, v in value.items())
    return _short(value)


def _short(value: Any, limit: int = 80) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    text = text.replace("\n", "⏎")
    return text if len(text) <= limit else text[: limit - 1] + "…"


class AgentPanel(Vertical):
    """Reads the agent's rows from the store; the stop button asks the running agent to stop."""

    DEFAULT_CLASSES = "panel"

    def __init__(self, clock: Callable[[], float], **kwargs) -> None:
        super().__init__(**kwargs)
        self.clock = clock
        self._task_id: int | None = None
        self._last_id = 0

    def compose(self) -> ComposeResult:
        with Horizontal(id="agent-bar"):
            yield Static(id="agent-status")
            yield Button("Stop agent", id="stop-agent", variant="error", compact=True)
        yield Static(id="agent-tool")
        yield VerticalScroll(id="transcript")

    def show(self, state: AppState) -> None:
        """Render the current task's newest run, usage and transcript (appending new entries)."""
        run = state.agent_run
        usage = state.task_usage()
        self.query_one("#agent-status", Static).update(self._status(run, usage, state.task_id))
        button = self.query_one("#stop-agent", Button)
        running = run is not None and run.status == "running"
        button.disabled = not running or run.stop_requested is not None
        button.label = "Stopping…" if running and run.stop_requested else "Stop agent"
        messages = state.task_messages()
        log = self.query_one("#transcript", VerticalScroll)
        if state.task_id != self._task_id:
            log.remove_children()
            self._task_id = state.task_id
            self._last_id = 0
            if not messages:
                log.mount(Static(Content.styled(
                    "No agent activity for this task. Press g to start an agent task, or start "
                    "one from your editor or with: backcheck agent run \"TASK\"", "$foreground-muted"), classes="empty"))
        new = [m for m in messages if m.id > self._last_id]
        if new:
            log.query(".empty").remove()
            entries = [self._entry(m) for m in new[-MAX_ENTRIES:]]
            excess = len(log.children) + len(entries) - MAX_ENTRIES
            for child in list(log.children)[: max(0, excess)]:
                child.remove()
            log.mount_all(entries)
            self._last_id = new[-1].id
            log.call_after_refresh(log.scroll_end, animate=False)
        tool = next((m for m in reversed(messages) if m.role == "tool_use"), None)
        current = self.query_one("#agent-tool", Static)
        if tool is not None and running:
            current.update(Content.assemble(("▶ tool: ", "bold $text-warning"),
                                            _short(f"{tool.tool_name or ''} {message_text(tool.content)}", 200)))
        elif tool is not None:
            current.update(Content.assemble(("last tool: ", "$foreground-muted"),
                                            _short(f"{tool.tool_name or ''} {message_text(tool.content)}", 200)))
        else:
            current.update("")

    def _status(self, run: AgentRun | None, usage: UsageTotals, task_id: int | None) -> Content:
        tokens = Content.assemble(
            ("in ", "$foreground-muted"), fmt_tokens(usage.input_tokens),
            (" out ", "$foreground-muted"), fmt_tokens(usage.output_tokens),
            (" cache ", "$foreground-muted"),
            fmt_tokens(usage.cache_read_tokens + usage.cache_creation_tokens),
            ("  $", "bold"), (f"{usage.cost_usd:.4f}", "bold"),
        )
        if run is None:
            head = Content.styled("No agent run", "bold") if task_id else Content.styled(
                "No task", "bold")
            return Content.assemble(head, "  ", tokens)
        style = {"running": "$text-warning bold", "done": "$text-success bold"}.get(run.status, "$text-error bold")
        status = "stopping" if run.status == "running" and run.stop_requested else run.status
        return Content.assemble(
            (f"Agent run #{run.id} ", "bold"), (status, style),
            (f"  {run.model} · {fmt_time(run.started, self.clock())}", "$foreground-muted"),
            "\n", tokens,
        )

    def _entry(self, m: AgentMessage) -> Static:
        text = message_text(m.content)
        if len(text) > MAX_ENTRY:
            text = text[:MAX_ENTRY] + f"… ({len(text) - MAX_ENTRY} more characters)"
        role = m.role if not m.tool_name else f"{m.role} {m.tool_name}"
        return Static(Content.assemble(
            (fmt_time(m.at, self.clock()), "$foreground-muted"), " ",
            (role, _ROLE_STYLE.get(m.role, "bold")), "\n", text,
        ), classes=f"entry -{m.role}")

    @on(Button.Pressed, "#stop-agent")
    def _stop(self, event: Button.Pressed) -> None:
        event.stop()
        self.post_message(StopAgentPressed())
