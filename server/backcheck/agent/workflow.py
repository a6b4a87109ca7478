"""The ten-phase workflow as the agent lives it: moves, gates, checkpoint, verify, task document.

:class:`TaskWorkflow` owns one task's state. Every phase move is stored (actor ``agent``) through
:class:`backcheck.store.Store`, so the TUI and the editor see the same history. The gates:

- phases move forward one at a time (going back to rework is allowed, and afterwards the agent
  may return to the furthest phase it had reached);
- ``edit_file``/``write_file`` are refused until the task has a research note, its own or a
  reused note on the same topic younger than ``note_max_age_hours`` (the reuse is recorded as a
  note of this task that names the original);
- entering ``document`` writes ``docs/tasks/<date>-<slug>.md``;
- entering ``verify`` runs the tests, ruff and backcheck on the changed files; the task is done
  only when all pass, and fails when the allowed attempts are used up.
"""

from __future__ import annotations

import asyncio
import datetime as _dt
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backcheck.agent import checks
from backcheck.agent.edits import Checkpoint, EditApplier, FileChange
from backcheck.agent.sandbox import redact
from backcheck.agent.settings import AgentSettings
from backcheck.store.db import normalize_topic
from backcheck.workflow import PHASES, phase_index, slugify

RESEARCH = phase_index("research")
FIRST_EDIT_PHASE = phase_index("design-schema")


class GateError(Exception):
    """A workflow rule refused the request; the message says what to do instead."""


@dataclass
class AgentEvent:
    """Something that happened during a run, for the store's transcript and live callbacks.

    ``kind`` is one of: phase, text, message, tool_call, tool_result, usage, note, test_run,
    verify, checkpoint, status, error.
    """

    kind: str
    data: dict[str, Any]
    at: float = field(default_factory=time.time)


EmitFn = Callable[[AgentEvent], Awaitable[None]]


@dataclass
class VerifyReport:
    """The outcome of one verify attempt."""

    ok: bool
    tests: checks.TestOutcome
    ruff: checks.RuffOutcome
    new_findings: list[checks.CheckFinding]
    check_errors: list[str]
    attempt: int

    def render(self) -> str:
        """The report shown to the agent and stored in the transcript."""
        lines = [f"verify attempt {self.attempt}: {'PASSED' if self.ok else 'FAILED'}"]
        lines.append(f"- tests: {self.tests.summary}")
        if not self.tests.ok:
            for nodeid in self.tests.failures[:20]:
                lines.append(f"    failing: {nodeid}")
            if self.tests.output_tail:
                lines.append("    output (tail):\n" + _indent(self.tests.output_tail[-4000:], 6))
        lines.append(
            "- ruff: "
            + ("passed" if self.ruff.ok else "FAILED")
            + ("" if self.ruff.available else " (not installed)")
        )
        if not self.ruff.ok:
            lines.append(_indent(self.ruff.output[-4000:], 4))
        if self.new_findings:
            lines.append(f"- backcheck: FAILED, {len(self.new_findings)} new finding(s):")
            lines.extend(f"    {f.render()}" for f in self.new_findings[:40])
        else:
            lines.append("- backcheck: no new findings in the changed files")
        lines.extend(f"- backcheck note: {e}" for e in self.check_errors)
        return "\n".join(lines)


def _indent(text: str, n: int) -> str:
    pad = " " * n
    return "\n".join(pad + line for line in text.splitlines())


class TaskWorkflow:
    """One task's phase state, gates, changed files and checkpoint."""

    def __init__(
        self,
        workspace: Path,
        store: Any,
        task: Any,
        settings: AgentSettings,
        applier: EditApplier,
        emit: EmitFn,
    ) -> None:
        self.workspace = workspace.resolve()
        self.store = store
        self.task = task
        self.task_id: int = task.id
        self.settings = settings
        self.applier = applier
        self.emit = emit
        self.phase: str = task.current_phase
        self.furthest = phase_index(self.phase)
        self.status = "open"
        self.summaries: dict[str, str] = {}
        self.decisions: list[tuple[str, str]] = []
        self.changed: list[str] = []
        self.fetched: list[str] = []
        self.verify_attempts = 0
        self.last_verify: VerifyReport | None = None
        self.document_path: str | None = None
        self.checkpoint = Checkpoint(self.workspace, self.task_id)
        self._baseline: dict[str, list[checks.CheckFinding]] | None = None
        self._baseline_available = True

    # --- state ----------------------------------------------------------------------------------

    @property
    def complete(self) -> bool:
        """True when verify passed."""
        return self.status == "done"

    def research_notes(self) -> list[Any]:
        """This task's research notes (reuses included), newest first."""
        return list(self.store.notes_for_task(self.task_id))

    def has_research(self) -> bool:
        """Whether the research gate is open."""
        return bool(self.research_notes())

    def edit_refusal(self) -> str | None:
        """Why a code edit is not allowed right now, or None when it is."""
        if self.status == "done":
            return "the task is complete (verify passed); no further edits are accepted"
        if self.status == "failed":
            return "the task has failed; start a new task to continue"
        if not self.has_research():
            return (
                "edit refused: this task has no research note yet. Enter the `research` phase, "
                "read the relevant documentation with fetch_url and call record_note with its "
                "sources (or reuse a recent note with record_note(reuse_note_id=...)) first"
            )
        if phase_index(self.phase) < FIRST_EDIT_PHASE:
            return (
                f"edit refused: the task is in `{self.phase}`; code changes start at "
                "`design-schema`, so call set_phase to move there first"
            )
        return None

    # --- phases -------------------------------------------------------------------------------

    async def set_phase(self, phase: str, summary: str = "") -> str:
        """Move to ``phase`` under the workflow rules; returns the text for the agent."""
        try:
            target = phase_index(phase)
        except ValueError as exc:
            raise GateError(str(exc)) from None
        if self.status in ("done", "failed"):
            raise GateError(f"the task is {self.status}; phases can no longer change")
        summary = redact(summary.strip())
        current = phase_index(self.phase)
        if target == current and phase != "verify":
            if summary:
                self.summaries[phase] = summary
            return f"already in `{phase}`. {self._phase_hint(phase)}"
        if target > current:
            if target > max(self.furthest, current) + 1:
                expected = PHASES[current + 1]
                raise GateError(
                    f"phases go in order: from `{self.phase}` the next is `{expected}`; enter it "
                    "first (give a one-line summary if it needs no work)"
                )
            if current <= RESEARCH < target and not self.has_research():
                raise GateError(
                    "research gate: record a research note with record_note (topic, findings, "
                    "sources you read) or reuse a recent one before leaving `research`"
                )
            # Walk through each phase in between so every one has a recorded state.
            for step in range(current + 1, target + 1):
                name = PHASES[step]
                note = summary if step == target else "unchanged after rework"
                self.store.set_phase(self.task_id, name, actor="agent", note=note or None)
                await self._moved(name, note)
        elif target < current:
            self.store.set_phase(self.task_id, phase, actor="agent", note=summary or None)
            await self._moved(phase, summary, reopened=True)
        else:
            # Entering verify again after a failed attempt.
            self.store.reopen(self.task_id, phase, actor="agent", note=summary or None)
            await self._moved(phase, summary, reopened=True)
        if summary:
            self.summaries[phase] = summary
        if phase == "document":
            return await self._enter_document(summary)
        if phase == "verify":
            return await self._enter_verify()
        return f"now in `{phase}`. {self._phase_hint(phase)}"

    async def _moved(self, phase: str, summary: str, reopened: bool = False) -> None:
        self.phase = phase
        self.furthest = max(self.furthest, phase_index(phase))
        await self.emit(
            AgentEvent("phase", {"phase": phase, "summary": summary, "reopened": reopened})
        )

    def _phase_hint(self, phase: str) -> str:
        hints = {
            "analyze": "State the goal, the data involved and who may call it.",
            "review-context": "Read the relevant models, routes, services, settings and tests.",
            "research": "Fetch current docs, then record_note with sources.",
            "design-schema": "Change models/migrations if needed (indexes, reversible migrations).",
            "validation": "Define request/response schemas.",
            "service": "Implement the logic in the service layer, with transactions and audit logs.",
            "route": "Add the thin, authenticated, typed route.",
            "tests": "Write tests for success and failure paths; run_tests to see them pass.",
        }
        return hints.get(phase, "")

    async def fail(self, reason: str) -> None:
        """Fail the current phase and the task (budget, cancel or error), keeping the state."""
        if self.status != "open":
            return
        self.status = "failed"
        self.store.fail_phase(self.task_id, actor="agent", note=reason[:500], fail_task=True)
        await self.emit(AgentEvent("status", {"status": "failed", "reason": reason}))

    async def cancel(self, reason: str) -> None:
        """Mark the task cancelled (state kept; the checkpoint allows undo)."""
        if self.status != "open":
            return
        self.status = "cancelled"
        self.store.set_task_status(self.task_id, "cancelled")
        await self.emit(AgentEvent("status", {"status": "cancelled", "reason": reason}))

    # --- notes ------------------------------------------------------------------------------

    async def record_research(self, topic: str, title: str, body: str, sources: list[str]) -> Any:
        """Store a research note for this task (sources required)."""
        urls = [s.strip() for s in sources if isinstance(s, str) and s.strip()]
        if not urls:
            raise GateError(
                "a research note needs at least one source URL you read (from fetch_url); "
                "add `sources`"
            )
        bad = [u for u in urls if not u.lower().startswith(("http://", "https://"))]
        if bad:
            raise GateError(f"sources must be http(s) URLs, not {bad[0]!r}")
        note = self.store.add_note(
            topic=topic,
            title=title or topic,
            body_md=redact(body),
            sources=urls,
            task_id=self.task_id,
        )
        unread = [u for u in urls if u not in self.fetched]
        await self.emit(
            AgentEvent(
                "note",
                {
                    "note_id": note.id,
                    "topic": note.topic,
                    "title": note.title,
                    "sources": urls,
                    "reused_from": None,
                },
            )
        )
        return note, unread

    async def reuse_research(self, note_id: int, topic: str, why: str) -> Any:
        """Reuse a recent note as this task's research, recording the reuse as a note of its own."""
        original = self.store.get_note(int(note_id))
        if original is None:
            raise GateError(f"there is no note #{note_id}")
        max_age = self.settings.note_max_age_hours * 3600
        if original.is_stale(max_age=max_age):
            hours = original.age() / 3600
            raise GateError(
                f"note #{note_id} is {hours:.0f} h old, older than "
                f"{self.settings.note_max_age_hours:g} h: research again"
            )
        if topic and normalize_topic(topic) != normalize_topic(original.topic):
            raise GateError(
                f"note #{note_id} is about '{original.topic}', not '{topic}'; only a note on the "
                "same topic can be reused"
            )
        hours = original.age() / 3600
        body = (
            f"Reused research note #{original.id} ('{original.title}', written {hours:.1f} h ago)."
            + (f"\n\nWhy it still applies: {redact(why)}" if why else "")
            + f"\n\n{original.body_md}"
        )
        note = self.store.add_note(
            topic=original.topic,
            title=f"Reused: {original.title}",
            body_md=body,
            sources=list(original.sources),
            task_id=self.task_id,
        )
        await self.emit(
            AgentEvent(
                "note",
                {
                    "note_id": note.id,
                    "topic": note.topic,
                    "title": note.title,
                    "sources": list(original.sources),
                    "reused_from": original.id,
                },
            )
        )
        return note, original

    async def record_decision(self, topic: str, body: str) -> None:
        """Keep a design decision for the task document."""
        self.decisions.append((redact(topic), redact(body)))
        await self.emit(
            AgentEvent("note", {"kind": "decision", "topic": topic, "body": redact(body)})
        )

    # --- edits ------------------------------------------------------------------------------

    async def apply_change(self, change: FileChange) -> None:
        """Checkpoint the file's original (first change only), apply the change, track it."""
        if not self.checkpoint.files() and self._baseline is None:
            await self._take_baseline()
        self.checkpoint.keep_original(change.relpath, change.before)
        if len(self.checkpoint.files()) == 1 and change.relpath not in self.changed:
            await self.emit(
                AgentEvent("checkpoint", {"dir": str(self.checkpoint.dir), "task_id": self.task_id})
            )
        await self.applier.apply(change)
        self.checkpoint.record_after(change.relpath, change.after)
        if change.relpath not in self.changed:
            self.changed.append(change.relpath)

    async def _take_baseline(self) -> None:
        """backcheck's findings before the first edit, so verify judges only what the task added."""
        result = await asyncio.to_thread(checks.backcheck_findings, self.workspace, self._all_py())
        self._baseline_available = result.available
        baseline: dict[str, list[checks.CheckFinding]] = {}
        for f in result.findings:
            baseline.setdefault(f.path, []).append(f)
        self._baseline = baseline

    def _all_py(self) -> list[str]:
        from backcheck.agent.sandbox import Sandbox

        box = Sandbox(self.workspace)
        return [box.relative(p) for p in box.walk_files(self.workspace) if p.suffix == ".py"]

    # --- document ---------------------------------------------------------------------------

    def document_relpath(self) -> str:
        """``docs/tasks/<date>-<slug>.md`` for this task."""
        date = _dt.date.today().isoformat()
        return f"docs/tasks/{date}-{slugify(self.task.title)}.md"

    def render_document(self, summary: str) -> str:
        """The task document: summary, phase notes, decisions, research with sources, files."""
        notes = list(reversed(self.research_notes()))
        out = [f"# {self.task.title}", ""]
        out.append(
            f"Task #{self.task_id}, {_dt.date.today().isoformat()}, carried out by the backcheck "
            f"agent ({self.settings.model}) through the ten-phase workflow."
        )
        out += ["", "## Summary", "", summary or "(no summary given)", ""]
        out += ["## Phases", ""]
        for phase in PHASES:
            text = self.summaries.get(phase)
            if text:
                out.append(f"- **{phase}**: {text}")
        out.append("")
        out += ["## Decisions", ""]
        if self.decisions:
            for topic, body in self.decisions:
                out.append(f"- **{topic}**: {body}")
        else:
            out.append("- No separate decisions were recorded; see the summary and phases.")
        out.append("")
        out += ["## Research and sources", ""]
        for note in notes:
            out.append(f"### {note.title}")
            out.append("")
            out.append(f"Topic: {note.topic}")
            out.append("")
            if note.body_md.strip():
                out.append(note.body_md.strip())
                out.append("")
            out.append("Sources:")
            out.extend(f"- <{url}>" for url in note.sources)
            out.append("")
        out += ["## Files changed", ""]
        out.extend(f"- `{rel}`" for rel in self.changed) if self.changed else out.append("- none")
        out.append("")
        return "\n".join(out)

    async def _enter_document(self, summary: str) -> str:
        rel = self.document_relpath()
        path = self.workspace / rel
        before = self.applier.read_text(path)
        after = redact(self.render_document(summary))
        await self.apply_change(FileChange(path, rel, before, after, "document"))
        self.document_path = rel
        return (
            f"now in `document`: wrote {rel} with the summary, {len(self.decisions)} decision(s) "
            f"and {len(self.research_notes())} research note(s). Next: set_phase `verify`."
        )

    # --- verify -----------------------------------------------------------------------------

    async def _enter_verify(self) -> str:
        self.verify_attempts += 1
        report = await self.run_verify()
        self.last_verify = report
        await self.emit(
            AgentEvent(
                "verify", {"ok": report.ok, "report": report.render(), "attempt": report.attempt}
            )
        )
        if report.ok:
            self.store.advance(self.task_id, actor="agent", note="tests, ruff and backcheck passed")
            self.status = "done"
            await self.emit(AgentEvent("status", {"status": "done"}))
            if self.document_path:
                await self._append_verification(report)
            return report.render() + "\nThe task is complete."
        left = self.settings.verify_attempts - self.verify_attempts
        if left <= 0:
            self.status = "failed"
            self.store.fail_phase(
                self.task_id,
                actor="agent",
                note=f"verify failed {self.verify_attempts} time(s)",
                fail_task=True,
            )
            await self.emit(AgentEvent("status", {"status": "failed", "reason": "verify failed"}))
            return report.render() + "\nNo verify attempts left: the task has failed."
        self.store.fail_phase(self.task_id, actor="agent", note="verify failed", fail_task=False)
        return (
            report.render()
            + f"\n{left} verify attempt(s) left: go back to the phase that needs rework "
            "(set_phase), fix the cause, then enter `verify` again."
        )

    async def run_verify(self) -> VerifyReport:
        """Run the tests, ruff and backcheck on the changed files."""
        changed_py = [
            r for r in self.changed if r.endswith(".py") and (self.workspace / r).exists()
        ]
        tests = await checks.run_project_tests(
            self.workspace,
            [],
            store=self.store,
            task_id=self.task_id,
            timeout=self.settings.test_timeout,
            command=self.settings.test_command,
        )
        await self.emit(
            AgentEvent(
                "test_run", {"ok": tests.ok, "summary": tests.summary, "run_id": tests.run_id}
            )
        )
        ruff = await checks.run_ruff(self.workspace, changed_py)
        after = await asyncio.to_thread(checks.backcheck_findings, self.workspace, changed_py)
        before = [f for rel in changed_py for f in (self._baseline or {}).get(rel, [])]
        added = [
            f for f in checks.new_findings(before, after.findings) if f.severity.lower() != "info"
        ]
        errors = list(after.errors)
        if not after.available:
            errors.append("the backcheck engine is not available here; its check was skipped")
        ok = tests.ok and ruff.ok and not added
        return VerifyReport(ok, tests, ruff, added, errors, self.verify_attempts)

    async def _append_verification(self, report: VerifyReport) -> None:
        rel = self.document_path
        assert rel is not None
        path = self.workspace / rel
        before = self.applier.read_text(path)
        if before is None:
            return
        section = (
            "## Verification\n\n"
            f"- Tests: {report.tests.summary}\n"
            f"- ruff: {'passed' if report.ruff.ok else 'failed'}\n"
            f"- backcheck: {'no new findings' if not report.new_findings else 'new findings'} "
            "in the changed files\n"
        )
        await self.apply_change(
            FileChange(path, rel, before, before.rstrip("\n") + "\n\n" + section, "document")
        )
