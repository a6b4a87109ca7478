"""The shared SQLite store (``<workspace>/.backcheck/state.db``); see :mod:`backcheck.store.db`."""

from backcheck.store.db import (
    NOTE_MAX_AGE_S,
    SCHEMA_VERSION,
    AgentMessage,
    AgentRun,
    ChecklistSnapshot,
    Note,
    PhaseTransition,
    Store,
    StoreError,
    StoreLockedError,
    Task,
    TestResult,
    TestRun,
    UsageTotals,
)

__all__ = [
    "NOTE_MAX_AGE_S",
    "SCHEMA_VERSION",
    "AgentMessage",
    "AgentRun",
    "ChecklistSnapshot",
    "Note",
    "PhaseTransition",
    "Store",
    "StoreError",
    "StoreLockedError",
    "Task",
    "TestResult",
    "TestRun",
    "UsageTotals",
]
