"""The ten-phase workflow every backcheck task moves through, shared by the agent, the store and the TUI.

A task is in exactly one current phase. Phase history is a list of transitions
(``started``, ``done``, ``reopened``, ``failed``) and the state of each phase is
computed from that history by :func:`phase_states`, so every reader agrees.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

#: The phases in order; their names are stable identifiers stored in the database.
PHASES: tuple[str, ...] = (
    "analyze",
    "review-context",
    "research",
    "design-schema",
    "validation",
    "service",
    "route",
    "tests",
    "document",
    "verify",
)

#: One line per phase saying what it is for, shown in the TUI and given to the agent.
PHASE_DESCRIPTIONS: dict[str, str] = {
    "analyze": "Understand the request: resources, operations, who may call them.",
    "review-context": "Read the existing code: frameworks, models, auth, services, tests.",
    "research": "Look up current practice and record a note that cites its sources.",
    "design-schema": "Design models and migrations: indexes, constraints, reversible steps.",
    "validation": "Define request and response schemas that validate every input.",
    "service": "Put business logic in a service layer with transactions and audit logs.",
    "route": "Add thin routes with authentication, typed contracts and safe errors.",
    "tests": "Write tests covering the critical paths, including failure cases.",
    "document": "Write docs/tasks/<date>-<slug>.md with decisions and sources used.",
    "verify": "Run the tests, ruff and backcheck on the changed files; all must pass.",
}

#: Who moved a task: a person at the keyboard or the agent.
ACTORS: tuple[str, ...] = ("person", "agent")

#: Transition kinds recorded in ``phase_transitions.state``.
TRANSITIONS: tuple[str, ...] = ("started", "done", "reopened", "failed")

#: Task statuses recorded in ``tasks.status``.
TASK_STATUSES: tuple[str, ...] = ("open", "done", "failed", "cancelled")

PhaseState = Literal["pending", "current", "done", "failed"]


def phase_index(phase: str) -> int:
    """Return the position of ``phase`` in :data:`PHASES`, raising ValueError with the valid names."""
    try:
        return PHASES.index(phase)
    except ValueError:
        raise ValueError(f"unknown phase {phase!r}; expected one of: {', '.join(PHASES)}") from None


def next_phase(phase: str) -> str | None:
    """Return the phase after ``phase``, or None when ``phase`` is the last one."""
    i = phase_index(phase)
    return PHASES[i + 1] if i + 1 < len(PHASES) else None


@dataclass(frozen=True)
class PhaseStatus:
    """The computed state of one phase: pending, current, done or failed, and when it got there."""

    phase: str
    state: PhaseState
    at: float | None = None
    actor: str | None = None
    note: str | None = None


def phase_states(transitions: Iterable[Mapping[str, Any]]) -> list[PhaseStatus]:
    """Compute each phase's state from a task's transitions (oldest first).

    Each transition is a mapping with ``phase``, ``state``, ``at`` and optionally
    ``actor`` and ``note``. Reopening a phase makes it current again and every
    later phase pending, because work done after it must be redone.
    """
    states: dict[str, PhaseStatus] = {p: PhaseStatus(p, "pending") for p in PHASES}
    for t in transitions:
        phase, kind = t["phase"], t["state"]
        if phase not in states:
            continue
        at, actor, note = t.get("at"), t.get("actor"), t.get("note")
        if kind in ("started", "reopened"):
            # Only one phase is current at a time.
            for p, s in states.items():
                if s.state == "current":
                    states[p] = PhaseStatus(p, "pending")
            if kind == "reopened":
                for p in PHASES[phase_index(phase) + 1 :]:
                    states[p] = PhaseStatus(p, "pending")
            states[phase] = PhaseStatus(phase, "current", at, actor, note)
        elif kind == "done":
            states[phase] = PhaseStatus(phase, "done", at, actor, note)
        elif kind == "failed":
            states[phase] = PhaseStatus(phase, "failed", at, actor, note)
    return [states[p] for p in PHASES]


def slugify(text: str, max_len: int = 48) -> str:
    """Turn a task title into a short file-name-safe slug (``Add orders API`` -> ``add-orders-api``)."""
    out: list[str] = []
    dash = False
    for ch in text.lower():
        if ch.isascii() and ch.isalnum():
            out.append(ch)
            dash = False
        elif not dash and out:
            out.append("-")
            dash = True
    slug = "".join(out).strip("-")[:max_len].rstrip("-")
    return slug or "task"
