"""What the TUI knows about the store, kept on the app's thread and merged from watcher batches.

Panels render from this plain data; only the app's message handlers change it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from backcheck.store import (
    AgentMessage,
    AgentRun,
    Note,
    PhaseTransition,
    Task,
    TestResult,
    TestRun,
    UsageTotals,
)
from backcheck.workflow import PhaseStatus, phase_states

from backcheck_tui.watch import Changes

#: Results are kept for this many of the newest runs; older ones are dropped from memory.
KEEP_RUNS = 3


@dataclass
class AppState:
    """The store as last seen, plus which task the person is looking at."""

    loaded: bool = False
    task_id: int | None = None
    pinned: bool = False  # the person chose task_id; do not follow newer tasks
    tasks: dict[int, Task] = field(default_factory=dict)
    transitions: dict[int, list[PhaseTransition]] = field(default_factory=dict)
    notes: dict[int, Note] = field(default_factory=dict)
    runs: dict[int, TestRun] = field(default_factory=dict)
    results: dict[int, dict[str, TestResult]] = field(default_factory=dict)
    agent_runs: dict[int, AgentRun] = field(default_factory=dict)
    messages: dict[int | None, list[AgentMessage]] = field(default_factory=dict)
    usage: dict[int | None, UsageTotals] = field(default_factory=dict)

    # -- merging ---------------------------------------------------------------------------

    def apply(self, ch: Changes) -> set[str]:
        """Merge a batch; return which areas changed: task, workflow, notes, tests, agent."""
        changed: set[str] = set()
        if ch.first:
            changed |= {"task", "workflow", "notes", "tests", "agent"}
        tasks = {t.id: t for t in ch.tasks}
        if tasks != self.tasks:
            self.tasks = tasks
            changed |= {"task", "workflow"}
        # A pinned task the watcher has not seen yet (just created here) is kept too.
        keep = self.pinned and self.task_id is not None and (
            self.task_id in tasks or self.task_id > max(tasks, default=0)
        )
        if not keep:
            # Follow the most recently updated open task until the person picks one.
            pick = _pick_task(ch.tasks)
            if pick != self.task_id:
                self.task_id = pick
                changed |= {"task", "workflow", "agent", "notes"}
        for t in ch.transitions:
            self.transitions.setdefault(t.task_id, []).append(t)
            if t.task_id == self.task_id:
                changed.add("workflow")
        for n in ch.notes:
            self.notes[n.id] = n
            changed.add("notes")
        runs = {r.id: r for r in ch.runs}
        if runs != self.runs:
            changed.add("tests")
        self.runs = runs
        for r in ch.results:
            self.results.setdefault(r.run_id, {})[r.nodeid] = r
            changed.add("tests")
        for run_id in sorted(self.results)[:-KEEP_RUNS]:
            del self.results[run_id]
        agent_runs = {r.id: r for r in ch.agent_runs}
        if agent_runs != self.agent_runs:
            self.agent_runs = agent_runs
            changed.add("agent")
        for m in ch.messages:
            self.messages.setdefault(m.task_id, []).append(m)
            if m.task_id == self.task_id:
                changed.add("agent")
        if ch.usage != self.usage:
            self.usage = ch.usage
            changed.add("agent")
        self.loaded = True
        return changed

    def select_task(self, task_id: int | None) -> None:
        """Look at another task and stay on it."""
        self.task_id = task_id
        self.pinned = task_id is not None

    # -- views -----------------------------------------------------------------------------

    @property
    def task(self) -> Task | None:
        """The task being looked at."""
        return self.tasks.get(self.task_id) if self.task_id is not None else None

    def phase_states(self) -> list[PhaseStatus]:
        """The ten phases of the current task with their states."""
        return phase_states(t.__dict__ for t in self.transitions.get(self.task_id or -1, []))

    def task_notes(self) -> list[Note]:
        """Notes recorded for the current task, newest first."""
        return sorted(
            (n for n in self.notes.values() if n.task_id == self.task_id and self.task_id),
            key=lambda n: (n.created, n.id),
            reverse=True,
        )

    def all_notes(self, search: str = "") -> list[Note]:
        """Every note, newest first, filtered by a case-insensitive search over all its text."""
        needle = search.strip().lower()
        out = []
        for n in self.notes.values():
            if needle:
                hay = " ".join([n.topic, n.title, n.body_md, *n.sources]).lower()
                if needle not in hay:
                    continue
            out.append(n)
        return sorted(out, key=lambda n: (n.created, n.id), reverse=True)

    @property
    def latest_run(self) -> TestRun | None:
        """The newest test run."""
        return self.runs[max(self.runs)] if self.runs else None

    def run_results(self, run_id: int) -> list[TestResult]:
        """A run's results in the order they finished."""
        return sorted(self.results.get(run_id, {}).values(), key=lambda r: r.id)

    @property
    def agent_run(self) -> AgentRun | None:
        """The newest agent run of the current task."""
        runs = [r for r in self.agent_runs.values() if r.task_id == self.task_id]
        return max(runs, key=lambda r: r.id) if runs else None

    def task_messages(self) -> list[AgentMessage]:
        """The current task's agent transcript."""
        return self.messages.get(self.task_id, [])

    def task_usage(self) -> UsageTotals:
        """Tokens and cost of the current task."""
        return self.usage.get(self.task_id, UsageTotals())


def _pick_task(tasks: list[Task]) -> int | None:
    """The task to show by default: the most recently updated open one, else the newest."""
    for t in tasks:  # already ordered by updated, newest first
        if t.status == "open":
            return t.id
    return tasks[0].id if tasks else None
