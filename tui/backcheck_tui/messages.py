"""Messages workers post to the app (workers never touch widgets) and panels post upwards."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from backcheck.store import Store, TestRun
from textual.message import Message

from backcheck_tui.checklist import ChecklistItem, Signals
from backcheck_tui.watch import Changes


@dataclass
class StoreInfo:
    """How opening the store went."""

    path: str
    created: bool
    migrated_from: int | None
    version: int


class StoreReady(Message):
    """The watcher opened the store; ``writer`` is a second connection for the app's own writes."""

    def __init__(self, info: StoreInfo, writer: Store) -> None:
        super().__init__()
        self.info = info
        self.writer = writer


class StoreBusy(Message):
    """Another process holds the store's lock; the watcher keeps retrying."""

    def __init__(self, attempt: int) -> None:
        super().__init__()
        self.attempt = attempt


class StoreFailed(Message):
    """The store cannot be used; ``error`` says what to do. The watcher retries every few seconds."""

    def __init__(self, error: str) -> None:
        super().__init__()
        self.error = error


class StoreChanged(Message):
    """New rows in the store since the last poll."""

    def __init__(self, changes: Changes) -> None:
        super().__init__()
        self.changes = changes


class ActionDone(Message):
    """A write the person asked for went through; ``kind`` names it, ``result`` is its value."""

    def __init__(self, kind: str, result: Any = None) -> None:
        super().__init__()
        self.kind = kind
        self.result = result


class ActionFailed(Message):
    """A write the person asked for failed; ``error`` is shown as it is."""

    def __init__(self, kind: str, error: str) -> None:
        super().__init__()
        self.kind = kind
        self.error = error


class TestRunStarted(Message):
    """The TUI started a test run."""

    __test__ = False

    def __init__(self, run_id: int) -> None:
        super().__init__()
        self.run_id = run_id


class TestRunFinished(Message):
    """The TUI's test run ended (passed, failed, interrupted or error)."""

    __test__ = False

    def __init__(self, run: TestRun | None, error: str | None = None) -> None:
        super().__init__()
        self.run = run
        self.error = error


class SignalsReady(Message):
    """Fresh checklist signals (git scope, engine findings, ruff, docs) from the worker."""

    def __init__(self, signals: Signals, task_id: int | None) -> None:
        super().__init__()
        self.signals = signals
        self.task_id = task_id


class ChecklistComputed(Message):
    """The checklist panel recomputed its items (the app stores a snapshot)."""

    def __init__(self, items: list[ChecklistItem], task_id: int | None) -> None:
        super().__init__()
        self.items = items
        self.task_id = task_id


class PhaseChosen(Message):
    """The person pressed Enter on a phase in the workflow panel."""

    def __init__(self, phase: str) -> None:
        super().__init__()
        self.phase = phase


class StopAgentPressed(Message):
    """The person pressed the agent panel's stop button."""


class AgentProcessExited(Message):
    """An agent process the TUI started has exited; ``last_line`` is the end of its log."""

    def __init__(self, pid: int, returncode: int, last_line: str, log_path: str) -> None:
        super().__init__()
        self.pid = pid
        self.returncode = returncode
        self.last_line = last_line
        self.log_path = log_path
