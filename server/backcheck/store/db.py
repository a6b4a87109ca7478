"""The backcheck store: one SQLite database per workspace, shared by the server, CLI, agent and TUI.

The database lives at ``<workspace>/.backcheck/state.db`` in WAL mode, so one writer and any
number of readers work at once across processes. Every write is one short ``BEGIN IMMEDIATE``
transaction, retried while another process holds the write lock, so ``database is locked``
never reaches a person. The schema is ``schema.sql`` (package data), split into numbered
sections that migrate forward from the database's ``PRAGMA user_version``.

Readers that watch for changes call :meth:`Store.data_version` (cheap; it changes when another
connection commits) and then :meth:`Store.changes_since` with the last rowid they saw.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from importlib import resources
from pathlib import Path
from typing import Any, Self, TypeVar

from backcheck.workflow import (
    ACTORS,
    PHASES,
    PhaseStatus,
    next_phase,
    phase_index,
    phase_states,
    slugify,
)

STORE_DIR = ".backcheck"
DB_NAME = "state.db"
#: How long SQLite waits for a lock before our retry loop reports it and tries again (ms).
BUSY_TIMEOUT_MS = 250
#: Total time a store operation keeps retrying a locked database before giving up (seconds).
LOCK_DEADLINE_S = 30.0
#: Research notes older than this are stale (the agent's reuse window, shown in the TUI).
NOTE_MAX_AGE_S = 24 * 3600.0

T = TypeVar("T")

#: Tables a reader may watch with :meth:`Store.changes_since`; identifiers cannot be parameters.
WATCHABLE_TABLES = frozenset(
    {
        "tasks",
        "phase_transitions",
        "research_notes",
        "test_runs",
        "test_results",
        "checklist_snapshots",
        "agent_messages",
        "agent_usage",
        "agent_runs",
    }
)
# Columns holding JSON text, decoded for callers.
_JSON_COLUMNS = {"sources", "command", "items", "content"}


class StoreError(RuntimeError):
    """A store problem a person must act on; the message says what to do next."""


class StoreLockedError(StoreError):
    """The database stayed locked by another process past the retry deadline."""


# ---------------------------------------------------------------------------- row types


@dataclass(frozen=True)
class Task:
    """A unit of work moving through the ten phases."""

    id: int
    title: str
    slug: str
    status: str
    current_phase: str
    created: float
    updated: float


@dataclass(frozen=True)
class PhaseTransition:
    """One recorded move of a task: a phase started, done, reopened or failed, by whom and when."""

    id: int
    task_id: int
    phase: str
    state: str
    actor: str
    at: float
    note: str | None


@dataclass(frozen=True)
class Note:
    """A research note: Markdown body plus the URLs it cites."""

    id: int
    task_id: int | None
    topic: str
    title: str
    body_md: str
    sources: list[str]
    created: float

    def age(self, now: float | None = None) -> float:
        """Seconds since the note was written."""
        return (time.time() if now is None else now) - self.created

    def is_stale(self, now: float | None = None, max_age: float = NOTE_MAX_AGE_S) -> bool:
        """True when the note is older than ``max_age`` seconds (24 hours by default)."""
        return self.age(now) > max_age


@dataclass(frozen=True)
class TestRun:
    """One pytest run and its running counts."""

    __test__ = False  # not a pytest test class

    id: int
    task_id: int | None
    command: list[str]
    started: float
    finished: float | None
    status: str
    exit_code: int | None
    total: int | None
    passed: int
    failed: int
    skipped: int
    errors: int
    pid: int | None

    @property
    def done(self) -> int:
        """Results recorded so far."""
        return self.passed + self.failed + self.skipped + self.errors


@dataclass(frozen=True)
class TestResult:
    """One test's outcome inside a run."""

    __test__ = False

    id: int
    run_id: int
    nodeid: str
    outcome: str
    duration: float
    file: str | None
    line: int | None
    failure_text: str | None
    at: float


@dataclass(frozen=True)
class ChecklistSnapshot:
    """The checklist as computed at one moment for a task."""

    id: int
    task_id: int | None
    items: list[dict[str, Any]]
    at: float


@dataclass(frozen=True)
class AgentMessage:
    """One transcript entry of an agent run (content is any JSON value)."""

    id: int
    task_id: int | None
    run_id: int | None
    role: str
    content: Any
    tool_name: str | None
    at: float


@dataclass(frozen=True)
class AgentRun:
    """One agent run on a task; ``stop_requested`` is set when a person presses stop."""

    id: int
    task_id: int | None
    model: str
    pid: int | None
    started: float
    finished: float | None
    status: str
    stop_requested: float | None
    detail: str | None


@dataclass(frozen=True)
class UsageTotals:
    """Summed token usage and cost."""

    input_tokens: int = 0
    output_tokens: int = 0
    cache_read_tokens: int = 0
    cache_creation_tokens: int = 0
    cost_usd: float = 0.0
    model: str | None = None
    calls: int = 0


# ---------------------------------------------------------------------------- schema


def _schema_sections() -> dict[int, str]:
    """Read schema.sql and split it into {version: sql} by its ``-- version: N`` markers."""
    text = resources.files("backcheck.store").joinpath("schema.sql").read_text(encoding="utf-8")
    sections: dict[int, list[str]] = {}
    current: int | None = None
    for line in text.splitlines():
        m = re.match(r"--\s*version:\s*(\d+)\s*$", line)
        if m:
            current = int(m.group(1))
            sections[current] = []
        elif current is not None:
            sections[current].append(line)
    return {v: "\n".join(lines) for v, lines in sorted(sections.items())}


def _statements(sql: str) -> Iterator[str]:
    """Yield complete SQL statements from a script (executescript would commit our transaction)."""
    buf: list[str] = []
    for line in sql.splitlines(keepends=True):
        buf.append(line)
        chunk = "".join(buf)
        if sqlite3.complete_statement(chunk):
            if chunk.strip():
                yield chunk
            buf = []
    rest = "".join(buf).strip()
    if rest and not all(ln.strip().startswith("--") for ln in rest.splitlines() if ln.strip()):
        raise StoreError(f"schema.sql ends with an incomplete statement: {rest[:80]!r}")


SCHEMA_SECTIONS = _schema_sections()
SCHEMA_VERSION = max(SCHEMA_SECTIONS)


def _is_locked(exc: BaseException) -> bool:
    msg = str(exc).lower()
    return isinstance(exc, sqlite3.OperationalError) and ("locked" in msg or "busy" in msg)


def _decode(row: sqlite3.Row) -> dict[str, Any]:
    out = dict(row)
    for key in _JSON_COLUMNS.intersection(out):
        if isinstance(out[key], str):
            try:
                out[key] = json.loads(out[key])
            except ValueError:
                pass  # plain text written by hand stays text
    return out


def _like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def normalize_topic(topic: str) -> str:
    """Topics compare case- and whitespace-insensitively: ``JWT  Refresh`` == ``jwt refresh``."""
    return " ".join(topic.lower().split())


# ---------------------------------------------------------------------------- store


@dataclass
class Store:
    """A connection to a workspace's state.db. Thread-safe; open one per process (or per thread).

    Create with :meth:`Store.open`. ``on_busy`` is called (with the attempt number) each time an
    operation finds the database locked and retries, so a UI can say so.
    """

    workspace: Path
    path: Path
    conn: sqlite3.Connection
    created: bool = False
    migrated_from: int | None = None
    on_busy: Callable[[int], None] | None = None
    lock_deadline: float = LOCK_DEADLINE_S
    #: Source of timestamps (tests pass a fixed clock for reproducible screenshots).
    clock: Callable[[], float] = time.time
    _lock: threading.RLock = field(default_factory=threading.RLock, repr=False)

    # -- opening ---------------------------------------------------------------------------

    @staticmethod
    def path_for(workspace: Path | str) -> Path:
        """Where the database of ``workspace`` lives."""
        return Path(workspace).resolve() / STORE_DIR / DB_NAME

    @classmethod
    def exists(cls, workspace: Path | str) -> bool:
        """True when the workspace already has a store."""
        return cls.path_for(workspace).is_file()

    @classmethod
    def open(
        cls,
        workspace: Path | str,
        *,
        on_busy: Callable[[int], None] | None = None,
        lock_deadline: float = LOCK_DEADLINE_S,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """Open (creating if needed) and migrate the store of ``workspace``.

        Creates ``.backcheck/`` with a ``.gitignore`` of ``*``. Raises :class:`StoreError`
        when the file is not a database or was written by a newer backcheck.
        """
        workspace = Path(workspace).resolve()
        if not workspace.is_dir():
            raise StoreError(f"workspace {workspace} is not a directory; pass the project root")
        path = cls.path_for(workspace)
        path.parent.mkdir(parents=True, exist_ok=True)
        ignore = path.parent / ".gitignore"
        if not ignore.exists():
            ignore.write_text("*\n", encoding="utf-8")
        created = not path.exists() or path.stat().st_size == 0
        conn = sqlite3.connect(
            path,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,  # we issue BEGIN/COMMIT ourselves
            check_same_thread=False,
        )
        conn.row_factory = sqlite3.Row
        store = cls(
            workspace, path, conn, created=created, on_busy=on_busy, lock_deadline=lock_deadline,
            clock=clock,
        )
        try:
            store._retry(store._configure)
            store.migrated_from = store._retry(store._migrate)
        except sqlite3.DatabaseError as exc:
            conn.close()
            if _is_locked(exc):
                raise StoreLockedError(
                    f"{path} stayed locked by another process for {lock_deadline:.0f}s; "
                    "close other backcheck processes or try again"
                ) from exc
            raise StoreError(
                f"{path} is not a usable backcheck store ({exc}); move it aside or delete it "
                "and backcheck will create a fresh one"
            ) from exc
        except BaseException:
            conn.close()
            raise
        return store

    def _configure(self) -> None:
        c = self.conn
        c.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT_MS)}")
        mode = c.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if str(mode).lower() != "wal":
            raise sqlite3.OperationalError(f"could not switch to WAL mode (got {mode})")
        c.execute("PRAGMA synchronous = NORMAL")
        c.execute("PRAGMA foreign_keys = ON")

    def _migrate(self) -> int:
        """Apply missing schema sections; return the version found before migrating."""
        c = self.conn
        found = c.execute("PRAGMA user_version").fetchone()[0]
        if found > SCHEMA_VERSION:
            raise StoreError(
                f"{self.path} has schema version {found}, newer than this backcheck knows "
                f"({SCHEMA_VERSION}); upgrade backcheck"
            )
        if found == SCHEMA_VERSION:
            return found
        c.execute("BEGIN IMMEDIATE")
        try:
            # Another process may have migrated while we waited for the lock.
            found = c.execute("PRAGMA user_version").fetchone()[0]
            for version, sql in SCHEMA_SECTIONS.items():
                if version > found:
                    for stmt in _statements(sql):
                        c.execute(stmt)
            c.execute(f"PRAGMA user_version = {int(SCHEMA_VERSION)}")
            c.execute("COMMIT")
        except BaseException:
            c.execute("ROLLBACK")
            raise
        return found

    @property
    def schema_version(self) -> int:
        """The database's current PRAGMA user_version."""
        return self._read_one("PRAGMA user_version")[0]

    def close(self) -> None:
        """Close the connection."""
        with self._lock:
            self.conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- plumbing --------------------------------------------------------------------------

    def _retry(self, fn: Callable[[], T]) -> T:
        """Run ``fn``, retrying while the database is locked, until the deadline."""
        deadline = time.monotonic() + self.lock_deadline
        attempt = 0
        while True:
            try:
                with self._lock:
                    return fn()
            except sqlite3.OperationalError as exc:
                if not _is_locked(exc) or time.monotonic() >= deadline:
                    if _is_locked(exc):
                        raise StoreLockedError(
                            f"{self.path} stayed locked by another process for "
                            f"{self.lock_deadline:.0f}s; close other backcheck processes or retry"
                        ) from exc
                    raise
                attempt += 1
                if self.on_busy is not None:
                    self.on_busy(attempt)
                time.sleep(min(0.01 * attempt, 0.1))

    def _write(self, fn: Callable[[sqlite3.Connection], T]) -> T:
        """Run ``fn`` inside one BEGIN IMMEDIATE transaction, retried as a whole when locked."""

        def tx() -> T:
            c = self.conn
            c.execute("BEGIN IMMEDIATE")
            try:
                result = fn(c)
            except BaseException:
                c.execute("ROLLBACK")
                raise
            c.execute("COMMIT")
            return result

        return self._retry(tx)

    def _read(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        return self._retry(lambda: self.conn.execute(sql, params).fetchall())

    def _read_one(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Row | None:
        return self._retry(lambda: self.conn.execute(sql, params).fetchone())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """Group several raw writes in one transaction (not retried; keep it short)."""
        with self._lock:
            self.conn.execute("BEGIN IMMEDIATE")
            try:
                yield self.conn
            except BaseException:
                self.conn.execute("ROLLBACK")
                raise
            self.conn.execute("COMMIT")

    # -- watching --------------------------------------------------------------------------

    def data_version(self) -> int:
        """A number that changes whenever another connection commits (PRAGMA data_version)."""
        return self._read_one("PRAGMA data_version")[0]

    def changes_since(self, table: str, last_rowid: int, limit: int = 1000) -> list[dict[str, Any]]:
        """Rows of ``table`` with rowid > ``last_rowid``, oldest first, JSON columns decoded.

        Each dict carries its ``rowid``; remember the largest and pass it next time.
        """
        if table not in WATCHABLE_TABLES:
            raise ValueError(f"cannot watch table {table!r}; one of {sorted(WATCHABLE_TABLES)}")
        rows = self._read(
            f"SELECT rowid AS rowid, * FROM {table} WHERE rowid > ? ORDER BY rowid LIMIT ?",
            (last_rowid, limit),
        )
        return [_decode(r) for r in rows]

    def max_rowid(self, table: str) -> int:
        """The largest rowid in ``table`` (0 when empty)."""
        if table not in WATCHABLE_TABLES:
            raise ValueError(f"unknown table {table!r}")
        row = self._read_one(f"SELECT COALESCE(MAX(rowid), 0) FROM {table}")
        return int(row[0])

    # -- tasks and phases ------------------------------------------------------------------

    def create_task(self, title: str, actor: str = "person") -> Task:
        """Create a task in its first phase (analyze, started) and return it."""
        title = title.strip()
        if not title:
            raise ValueError("a task needs a title")
        _check_actor(actor)
        now = self.clock()

        def write(c: sqlite3.Connection) -> int:
            cur = c.execute(
                "INSERT INTO tasks (title, slug, status, current_phase, created, updated)"
                " VALUES (?, ?, 'open', ?, ?, ?)",
                (title, slugify(title), PHASES[0], now, now),
            )
            task_id = int(cur.lastrowid)
            _transition(c, task_id, PHASES[0], "started", actor, now, None)
            return task_id

        return self.get_task(self._write(write))  # type: ignore[return-value]

    def get_task(self, task_id: int) -> Task | None:
        """The task with this id, or None."""
        row = self._read_one("SELECT * FROM tasks WHERE id = ?", (task_id,))
        return Task(**dict(row)) if row else None

    def list_tasks(self, status: str | None = None, limit: int = 200) -> list[Task]:
        """Tasks, most recently updated first, optionally only those with ``status``."""
        if status is None:
            rows = self._read(
                "SELECT * FROM tasks ORDER BY updated DESC, id DESC LIMIT ?", (limit,)
            )
        else:
            rows = self._read(
                "SELECT * FROM tasks WHERE status = ? ORDER BY updated DESC, id DESC LIMIT ?",
                (status, limit),
            )
        return [Task(**dict(r)) for r in rows]

    def current_task(self) -> Task | None:
        """The most recently updated open task, else the most recent task, else None."""
        open_tasks = self.list_tasks("open", limit=1)
        if open_tasks:
            return open_tasks[0]
        tasks = self.list_tasks(limit=1)
        return tasks[0] if tasks else None

    def advance(self, task_id: int, actor: str = "person", note: str | None = None) -> Task:
        """Mark the current phase done and start the next; after verify, the task is done."""
        _check_actor(actor)
        now = self.clock()

        def write(c: sqlite3.Connection) -> None:
            task = _task_row(c, task_id)
            if task["status"] != "open":
                raise StoreError(
                    f"task {task_id} is {task['status']}; reopen a phase before advancing"
                )
            phase = task["current_phase"]
            _transition(c, task_id, phase, "done", actor, now, note)
            nxt = next_phase(phase)
            if nxt is None:
                c.execute(
                    "UPDATE tasks SET status = 'done', updated = ? WHERE id = ?", (now, task_id)
                )
            else:
                _transition(c, task_id, nxt, "started", actor, now, None)
                c.execute(
                    "UPDATE tasks SET current_phase = ?, updated = ? WHERE id = ?",
                    (nxt, now, task_id),
                )

        self._write(write)
        return self.get_task(task_id)  # type: ignore[return-value]

    def set_phase(
        self, task_id: int, phase: str, actor: str = "person", note: str | None = None
    ) -> Task:
        """Move a task to ``phase``.

        Forward: the current phase is marked done and ``phase`` started (phases in between stay
        pending). Backward or the same phase of a finished task: ``phase`` is reopened, the
        phases after it become pending and the task is open again.
        """
        _check_actor(actor)
        target = phase_index(phase)
        now = self.clock()

        def write(c: sqlite3.Connection) -> None:
            task = _task_row(c, task_id)
            current = phase_index(task["current_phase"])
            if target > current and task["status"] == "open":
                _transition(c, task_id, task["current_phase"], "done", actor, now, None)
                _transition(c, task_id, phase, "started", actor, now, note)
            elif target == current and task["status"] == "open":
                return  # already there
            else:
                _transition(c, task_id, phase, "reopened", actor, now, note)
            c.execute(
                "UPDATE tasks SET current_phase = ?, status = 'open', updated = ? WHERE id = ?",
                (phase, now, task_id),
            )

        self._write(write)
        return self.get_task(task_id)  # type: ignore[return-value]

    def reopen(
        self, task_id: int, phase: str | None = None, actor: str = "person", note: str | None = None
    ) -> Task:
        """Reopen ``phase`` (default: the phase before the current one, or the current one if
        the task is finished or at the first phase)."""
        task = self.get_task(task_id)
        if task is None:
            raise StoreError(f"no task {task_id}")
        if phase is None:
            i = phase_index(task.current_phase)
            phase = task.current_phase if task.status != "open" or i == 0 else PHASES[i - 1]

        def write(c: sqlite3.Connection) -> None:
            now = self.clock()
            _transition(c, task_id, phase, "reopened", actor, now, note)
            c.execute(
                "UPDATE tasks SET current_phase = ?, status = 'open', updated = ? WHERE id = ?",
                (phase, now, task_id),
            )

        phase_index(phase)
        _check_actor(actor)
        self._write(write)
        return self.get_task(task_id)  # type: ignore[return-value]

    def fail_phase(
        self, task_id: int, actor: str = "agent", note: str | None = None, fail_task: bool = True
    ) -> Task:
        """Mark the current phase failed (e.g. verify found failing tests); fails the task too."""
        _check_actor(actor)
        now = self.clock()

        def write(c: sqlite3.Connection) -> None:
            task = _task_row(c, task_id)
            _transition(c, task_id, task["current_phase"], "failed", actor, now, note)
            status = "failed" if fail_task else task["status"]
            c.execute(
                "UPDATE tasks SET status = ?, updated = ? WHERE id = ?", (status, now, task_id)
            )

        self._write(write)
        return self.get_task(task_id)  # type: ignore[return-value]

    def set_task_status(self, task_id: int, status: str) -> Task:
        """Set a task's status (open, done, failed, cancelled)."""
        now = self.clock()
        self._write(
            lambda c: c.execute(
                "UPDATE tasks SET status = ?, updated = ? WHERE id = ?", (status, now, task_id)
            )
        )
        return self.get_task(task_id)  # type: ignore[return-value]

    def transitions(self, task_id: int) -> list[PhaseTransition]:
        """A task's phase history, oldest first."""
        rows = self._read(
            "SELECT * FROM phase_transitions WHERE task_id = ? ORDER BY id", (task_id,)
        )
        return [PhaseTransition(**dict(r)) for r in rows]

    def phase_states(self, task_id: int) -> list[PhaseStatus]:
        """Each of the ten phases with its computed state (pending/current/done/failed)."""
        return phase_states(t.__dict__ for t in self.transitions(task_id))

    # -- research notes --------------------------------------------------------------------

    def add_note(
        self,
        topic: str,
        title: str,
        body_md: str = "",
        sources: Iterable[str] = (),
        task_id: int | None = None,
    ) -> Note:
        """Record a research note; ``sources`` are the URLs it cites."""
        if not title.strip():
            raise ValueError("a note needs a title")
        topic_n = normalize_topic(topic or title)
        urls = [s.strip() for s in sources if s and s.strip()]
        now = self.clock()
        note_id = self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO research_notes (task_id, topic, title, body_md, sources, created)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (task_id, topic_n, title.strip(), body_md, json.dumps(urls), now),
                ).lastrowid
            )
        )
        return self.get_note(note_id)  # type: ignore[return-value]

    def get_note(self, note_id: int) -> Note | None:
        """The note with this id, or None."""
        row = self._read_one("SELECT * FROM research_notes WHERE id = ?", (note_id,))
        return note_from_row(row) if row else None

    def list_notes(
        self, task_id: int | None = None, search: str | None = None, limit: int = 500
    ) -> list[Note]:
        """Notes, newest first; ``task_id`` keeps that task's notes plus unattached ones;
        ``search`` matches topic, title, body or sources (case-insensitive substring)."""
        where: list[str] = []
        params: list[Any] = []
        if task_id is not None:
            where.append("(task_id = ? OR task_id IS NULL)")
            params.append(task_id)
        if search and search.strip():
            like = f"%{_like_escape(search.strip())}%"
            where.append(
                "(topic LIKE ? ESCAPE '\\' OR title LIKE ? ESCAPE '\\'"
                " OR body_md LIKE ? ESCAPE '\\' OR sources LIKE ? ESCAPE '\\')"
            )
            params += [like, like, like, like]
        sql = "SELECT * FROM research_notes"
        if where:
            sql += " WHERE " + " AND ".join(where)
        sql += " ORDER BY created DESC, id DESC LIMIT ?"
        params.append(limit)
        return [note_from_row(r) for r in self._read(sql, params)]

    def find_recent_note(
        self, topic: str, max_age: float | timedelta = NOTE_MAX_AGE_S, now: float | None = None
    ) -> Note | None:
        """The newest note on ``topic`` younger than ``max_age`` (seconds or timedelta), or None."""
        if isinstance(max_age, timedelta):
            max_age = max_age.total_seconds()
        now = self.clock() if now is None else now
        row = self._read_one(
            "SELECT * FROM research_notes WHERE topic = ? AND created >= ?"
            " ORDER BY created DESC, id DESC LIMIT 1",
            (normalize_topic(topic), now - max_age),
        )
        return note_from_row(row) if row else None

    def notes_for_task(self, task_id: int) -> list[Note]:
        """Notes recorded for this task only, newest first."""
        rows = self._read(
            "SELECT * FROM research_notes WHERE task_id = ? ORDER BY created DESC, id DESC",
            (task_id,),
        )
        return [note_from_row(r) for r in rows]

    # -- test runs -------------------------------------------------------------------------

    def start_test_run(
        self, command: Sequence[str], task_id: int | None = None, pid: int | None = None
    ) -> int:
        """Record a run that is starting; returns its id."""
        now = self.clock()
        return self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO test_runs (task_id, command, started, status, pid)"
                    " VALUES (?, ?, ?, 'running', ?)",
                    (task_id, json.dumps(list(command)), now, pid),
                ).lastrowid
            )
        )

    def set_test_run_total(self, run_id: int, total: int) -> None:
        """Record how many tests were collected (drives the progress bar)."""
        self._write(
            lambda c: c.execute("UPDATE test_runs SET total = ? WHERE id = ?", (total, run_id))
        )

    def set_test_run_pid(self, run_id: int, pid: int) -> None:
        """Record the process running the tests."""
        self._write(
            lambda c: c.execute("UPDATE test_runs SET pid = ? WHERE id = ?", (pid, run_id))
        )

    def add_test_result(
        self,
        run_id: int,
        nodeid: str,
        outcome: str,
        duration: float = 0.0,
        file: str | None = None,
        line: int | None = None,
        failure_text: str | None = None,
    ) -> int:
        """Record one test's result and bump the run's counters in the same transaction."""
        counter = {
            "passed": "passed",
            "xfailed": "passed",
            "failed": "failed",
            "xpassed": "failed",
            "skipped": "skipped",
            "error": "errors",
        }.get(outcome)
        if counter is None:
            raise ValueError(f"unknown outcome {outcome!r}")
        now = self.clock()

        def write(c: sqlite3.Connection) -> int:
            rid = int(
                c.execute(
                    "INSERT INTO test_results"
                    " (run_id, nodeid, outcome, duration, file, line, failure_text, at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (run_id, nodeid, outcome, float(duration), file, line, failure_text, now),
                ).lastrowid
            )
            # counter is one of four fixed column names chosen above, never user input
            c.execute(f"UPDATE test_runs SET {counter} = {counter} + 1 WHERE id = ?", (run_id,))
            return rid

        return self._write(write)

    def finish_test_run(self, run_id: int, exit_code: int, status: str | None = None) -> TestRun:
        """Close a run with pytest's exit code (0 passed, 1 failed, 2 interrupted, else error)."""
        if status is None:
            status = {0: "passed", 1: "failed", 2: "interrupted"}.get(exit_code, "error")
        now = self.clock()
        self._write(
            lambda c: c.execute(
                "UPDATE test_runs SET finished = ?, status = ?, exit_code = ? WHERE id = ?",
                (now, status, exit_code, run_id),
            )
        )
        return self.get_test_run(run_id)  # type: ignore[return-value]

    def get_test_run(self, run_id: int) -> TestRun | None:
        """The run with this id, or None."""
        row = self._read_one("SELECT * FROM test_runs WHERE id = ?", (run_id,))
        return _test_run(row) if row else None

    def latest_test_run(self, task_id: int | None = None) -> TestRun | None:
        """The most recent run (of ``task_id`` if given), or None."""
        if task_id is None:
            row = self._read_one("SELECT * FROM test_runs ORDER BY id DESC LIMIT 1")
        else:
            row = self._read_one(
                "SELECT * FROM test_runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)
            )
        return _test_run(row) if row else None

    def list_test_runs(self, limit: int = 50) -> list[TestRun]:
        """Recent runs, newest first."""
        rows = self._read("SELECT * FROM test_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [_test_run(r) for r in rows]

    def test_results(self, run_id: int, after_id: int = 0) -> list[TestResult]:
        """A run's results in the order they finished (only those with id > ``after_id``)."""
        rows = self._read(
            "SELECT * FROM test_results WHERE run_id = ? AND id > ? ORDER BY id",
            (run_id, after_id),
        )
        return [TestResult(**dict(r)) for r in rows]

    def first_result_id(self, run_id: int) -> int | None:
        """The id of a run's first recorded result (None before any), where watchers start."""
        row = self._read_one("SELECT MIN(id) FROM test_results WHERE run_id = ?", (run_id,))
        return int(row[0]) if row and row[0] is not None else None

    def failed_nodeids(self, run_id: int) -> list[str]:
        """Node ids that failed or errored in a run, for "re-run failed"."""
        rows = self._read(
            "SELECT DISTINCT nodeid FROM test_results WHERE run_id = ?"
            " AND outcome IN ('failed', 'error', 'xpassed') ORDER BY id",
            (run_id,),
        )
        return [r[0] for r in rows]

    # -- checklist -------------------------------------------------------------------------

    def add_checklist_snapshot(self, task_id: int | None, items: Sequence[dict[str, Any]]) -> int:
        """Store the checklist as computed now (a list of JSON-able dicts)."""
        now = self.clock()
        return self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO checklist_snapshots (task_id, items, at) VALUES (?, ?, ?)",
                    (task_id, json.dumps(list(items)), now),
                ).lastrowid
            )
        )

    def latest_checklist(self, task_id: int | None) -> ChecklistSnapshot | None:
        """The newest checklist snapshot for ``task_id`` (None: workspace-wide), or None."""
        row = self._read_one(
            "SELECT * FROM checklist_snapshots WHERE task_id IS ? ORDER BY id DESC LIMIT 1",
            (task_id,),
        )
        if row is None:
            return None
        d = _decode(row)
        return ChecklistSnapshot(d["id"], d["task_id"], d["items"], d["at"])

    # -- agent -----------------------------------------------------------------------------

    def start_agent_run(self, task_id: int | None, model: str, pid: int | None = None) -> int:
        """Record an agent run that is starting; returns its id."""
        now = self.clock()
        pid = os.getpid() if pid is None else pid
        return self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO agent_runs (task_id, model, pid, started, status)"
                    " VALUES (?, ?, ?, ?, 'running')",
                    (task_id, model, pid, now),
                ).lastrowid
            )
        )

    def request_agent_stop(self, run_id: int) -> None:
        """Ask a running agent to stop (it checks :meth:`agent_stop_requested` between turns)."""
        now = self.clock()
        self._write(
            lambda c: c.execute(
                "UPDATE agent_runs SET stop_requested = COALESCE(stop_requested, ?) WHERE id = ?",
                (now, run_id),
            )
        )

    def agent_stop_requested(self, run_id: int) -> bool:
        """True once a person has asked this run to stop."""
        row = self._read_one("SELECT stop_requested FROM agent_runs WHERE id = ?", (run_id,))
        return bool(row and row[0] is not None)

    def finish_agent_run(self, run_id: int, status: str, detail: str | None = None) -> None:
        """Close an agent run: done, failed, stopped or budget (a budget ran out)."""
        now = self.clock()
        self._write(
            lambda c: c.execute(
                "UPDATE agent_runs SET finished = ?, status = ?, detail = ? WHERE id = ?",
                (now, status, detail, run_id),
            )
        )

    def get_agent_run(self, run_id: int) -> AgentRun | None:
        """The agent run with this id, or None."""
        row = self._read_one("SELECT * FROM agent_runs WHERE id = ?", (run_id,))
        return AgentRun(**dict(row)) if row else None

    def latest_agent_run(self, task_id: int | None = None) -> AgentRun | None:
        """The most recent agent run (of ``task_id`` if given), or None."""
        if task_id is None:
            row = self._read_one("SELECT * FROM agent_runs ORDER BY id DESC LIMIT 1")
        else:
            row = self._read_one(
                "SELECT * FROM agent_runs WHERE task_id = ? ORDER BY id DESC LIMIT 1", (task_id,)
            )
        return AgentRun(**dict(row)) if row else None

    def add_agent_message(
        self,
        task_id: int | None,
        role: str,
        content: Any,
        tool_name: str | None = None,
        run_id: int | None = None,
    ) -> int:
        """Append a transcript entry; ``content`` is any JSON-able value (text or blocks)."""
        now = self.clock()
        payload = json.dumps(content, default=str)
        return self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO agent_messages (task_id, run_id, role, content, tool_name, at)"
                    " VALUES (?, ?, ?, ?, ?, ?)",
                    (task_id, run_id, role, payload, tool_name, now),
                ).lastrowid
            )
        )

    def agent_messages(
        self, task_id: int | None = None, after_id: int = 0, run_id: int | None = None
    ) -> list[AgentMessage]:
        """Transcript entries (of a task and/or run), oldest first, with id > ``after_id``."""
        where, params = ["id > ?"], [after_id]
        if task_id is not None:
            where.append("task_id = ?")
            params.append(task_id)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        rows = self._read(
            f"SELECT * FROM agent_messages WHERE {' AND '.join(where)} ORDER BY id", params
        )
        out = []
        for r in rows:
            d = _decode(r)
            out.append(
                AgentMessage(
                    d["id"], d["task_id"], d["run_id"], d["role"], d["content"],
                    d["tool_name"], d["at"],
                )
            )
        return out

    def add_usage(
        self,
        task_id: int | None,
        model: str,
        input_tokens: int = 0,
        output_tokens: int = 0,
        cache_read_tokens: int = 0,
        cache_creation_tokens: int = 0,
        cost_usd: float = 0.0,
        run_id: int | None = None,
    ) -> int:
        """Record the usage and cost of one model call."""
        now = self.clock()
        return self._write(
            lambda c: int(
                c.execute(
                    "INSERT INTO agent_usage (task_id, run_id, model, input_tokens, output_tokens,"
                    " cache_read_tokens, cache_creation_tokens, cost_usd, at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        task_id, run_id, model, int(input_tokens), int(output_tokens),
                        int(cache_read_tokens), int(cache_creation_tokens), float(cost_usd), now,
                    ),
                ).lastrowid
            )
        )

    def usage_totals(self, task_id: int | None = None, run_id: int | None = None) -> UsageTotals:
        """Summed usage of a task and/or run (everything when both are None)."""
        where, params = ["1 = 1"], []
        if task_id is not None:
            where.append("task_id = ?")
            params.append(task_id)
        if run_id is not None:
            where.append("run_id = ?")
            params.append(run_id)
        row = self._read_one(
            "SELECT COALESCE(SUM(input_tokens), 0), COALESCE(SUM(output_tokens), 0),"
            " COALESCE(SUM(cache_read_tokens), 0), COALESCE(SUM(cache_creation_tokens), 0),"
            " COALESCE(SUM(cost_usd), 0), MAX(model), COUNT(*)"
            f" FROM agent_usage WHERE {' AND '.join(where)}",
            params,
        )
        return UsageTotals(*tuple(row))  # type: ignore[arg-type]

    def usage_by_task(self) -> dict[int | None, UsageTotals]:
        """Summed usage per task id (None for usage recorded without a task)."""
        rows = self._read(
            "SELECT task_id, SUM(input_tokens), SUM(output_tokens), SUM(cache_read_tokens),"
            " SUM(cache_creation_tokens), SUM(cost_usd), MAX(model), COUNT(*)"
            " FROM agent_usage GROUP BY task_id"
        )
        return {r[0]: UsageTotals(*tuple(r)[1:]) for r in rows}

    def list_agent_runs(self, limit: int = 20) -> list[AgentRun]:
        """Recent agent runs, newest first."""
        rows = self._read("SELECT * FROM agent_runs ORDER BY id DESC LIMIT ?", (limit,))
        return [AgentRun(**dict(r)) for r in rows]


# ---------------------------------------------------------------------------- helpers


def _check_actor(actor: str) -> None:
    if actor not in ACTORS:
        raise ValueError(f"actor must be one of {ACTORS}, not {actor!r}")


def _task_row(c: sqlite3.Connection, task_id: int) -> sqlite3.Row:
    row = c.execute("SELECT * FROM tasks WHERE id = ?", (task_id,)).fetchone()
    if row is None:
        raise StoreError(f"no task {task_id}; create one first")
    return row


def _transition(
    c: sqlite3.Connection,
    task_id: int,
    phase: str,
    state: str,
    actor: str,
    at: float,
    note: str | None,
) -> None:
    c.execute(
        "INSERT INTO phase_transitions (task_id, phase, state, actor, at, note)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (task_id, phase, state, actor, at, note),
    )


def note_from_row(row: Any) -> Note:
    """Build a Note from a research_notes row (sqlite3.Row or dict; sources JSON or list)."""
    d = _decode(row)
    sources = d["sources"] if isinstance(d["sources"], list) else []
    return Note(
        d["id"], d["task_id"], d["topic"], d["title"], d["body_md"],
        [str(s) for s in sources], d["created"],
    )


def _test_run(row: sqlite3.Row) -> TestRun:
    d = _decode(row)
    cmd = d["command"] if isinstance(d["command"], list) else [str(d["command"])]
    d["command"] = cmd
    return TestRun(**d)
