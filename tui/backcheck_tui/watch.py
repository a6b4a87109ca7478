"""Reads what changed in the store since the last look: rowid > last_seen for append-only tables,
a fresh copy of the small mutable ones. Runs in a worker thread; knows nothing about widgets."""

from __future__ import annotations

from dataclasses import dataclass, field

from backcheck.store import (
    AgentMessage,
    AgentRun,
    Note,
    PhaseTransition,
    Store,
    Task,
    TestResult,
    TestRun,
    UsageTotals,
)
from backcheck.store.db import note_from_row

#: Largest batch read per table per poll; the rest comes on the next poll.
BATCH = 2000


@dataclass
class Changes:
    """Everything new since the previous poll (``first`` is True for the initial full read)."""

    first: bool = False
    tasks: list[Task] = field(default_factory=list)
    transitions: list[PhaseTransition] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    runs: list[TestRun] = field(default_factory=list)
    results: list[TestResult] = field(default_factory=list)
    agent_runs: list[AgentRun] = field(default_factory=list)
    messages: list[AgentMessage] = field(default_factory=list)
    usage: dict[int | None, UsageTotals] = field(default_factory=dict)
    more: bool = False  # a batch was full: poll again right away


class StoreWatcher:
    """Turns a :class:`Store` into a stream of :class:`Changes` (call :meth:`poll` repeatedly)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.version: int | None = None
        self.last: dict[str, int] = {
            "phase_transitions": 0,
            "research_notes": 0,
            "test_results": 0,
            "agent_messages": 0,
        }

    def poll(self, force: bool = False) -> Changes | None:
        """Changes since the last call, or None when no other process has committed anything."""
        version = self.store.data_version()
        first = self.version is None
        if not (first or force or version != self.version):
            return None
        self.version = version
        s = self.store
        ch = Changes(first=first)
        ch.tasks = s.list_tasks(limit=1000)
        ch.runs = s.list_test_runs(limit=10)
        ch.agent_runs = s.list_agent_runs(limit=20)
        ch.usage = s.usage_by_task()
        if first and ch.runs:
            # Old runs' results are history; start from the newest run's first result.
            start = s.first_result_id(ch.runs[0].id)
            if start is not None:
                self.last["test_results"] = max(self.last["test_results"], start - 1)
        rows = self._new("phase_transitions", ch)
        ch.transitions = [PhaseTransition(**{k: r[k] for k in _TRANSITION}) for r in rows]
        ch.notes = [note_from_row(r) for r in self._new("research_notes", ch)]
        rows = self._new("test_results", ch)
        ch.results = [TestResult(**{k: r[k] for k in _RESULT}) for r in rows]
        rows = self._new("agent_messages", ch)
        ch.messages = [
            AgentMessage(r["id"], r["task_id"], r.get("run_id"), r["role"], r["content"],
                         r["tool_name"], r["at"])
            for r in rows
        ]
        return ch

    def _new(self, table: str, ch: Changes) -> list[dict]:
        rows = self.store.changes_since(table, self.last[table], limit=BATCH)
        if rows:
            self.last[table] = rows[-1]["rowid"]
        if len(rows) == BATCH:
            ch.more = True
        return rows


_TRANSITION = ("id", "task_id", "phase", "state", "actor", "at", "note")
_RESULT = ("id", "run_id", "nodeid", "outcome", "duration", "file", "line", "failure_text", "at")
