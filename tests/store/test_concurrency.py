"""Several processes on one store: no 'database is locked' surfaces, nothing committed is lost."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from backcheck.store import Store

WRITER = Path(__file__).with_name("writer_proc.py")
COUNT = 150


def _spawn(workspace: Path, name: str, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(workspace), name, str(COUNT), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _drain(reader: Store, seen: dict[str, int], titles: list[str]) -> None:
    """Read new rows the way the TUI does (rowid > last seen), remembering note titles."""
    for table, last in list(seen.items()):
        for row in reader.changes_since(table, last):
            seen[table] = row["rowid"]
            if table == "research_notes":
                titles.append(row["title"])


def test_two_writers_and_a_reader(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    writers = [_spawn(tmp_path, "alpha"), _spawn(tmp_path, "beta")]
    reader = Store.open(tmp_path)
    seen: dict[str, int] = {"research_notes": 0, "test_results": 0}
    titles: list[str] = []
    deadline = time.monotonic() + 60
    # Read like the TUI does, while both writers run, until both have finished.
    while any(w.poll() is None for w in writers) and time.monotonic() < deadline:
        _drain(reader, seen, titles)
    for w in writers:
        out, err = w.communicate(timeout=60)
        assert w.returncode == 0, err
        assert "locked" not in err.lower() and out.startswith("done")
    _drain(reader, seen, titles)
    assert len(titles) == 2 * COUNT == len(set(titles))
    assert seen["test_results"] == 2 * COUNT
    runs = reader.list_test_runs()
    assert sorted(r.passed for r in runs) == [COUNT, COUNT]
    reader.close()


def test_writer_killed_mid_transaction_loses_nothing_committed(tmp_path: Path) -> None:
    Store.open(tmp_path).close()
    victim = _spawn(tmp_path, "victim", "--hang-in-transaction")
    assert victim.stdout is not None
    line = victim.stdout.readline()  # blocks until the victim holds an open write transaction
    assert line.strip() == "in-tx", victim.stderr.read() if victim.stderr else ""
    # A second writer must wait for the lock rather than fail; it gets it once the victim dies.
    busy: list[int] = []
    other = Store.open(tmp_path, on_busy=busy.append)
    os.kill(victim.pid, signal.SIGKILL)
    victim.wait(timeout=10)
    other.add_note("after", "written after the kill")
    reopened = Store.open(tmp_path)
    assert reopened.conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    titles = {n.title for n in reopened.list_notes(limit=10_000)}
    assert {f"victim note {i}" for i in range(COUNT)} <= titles
    assert not any(t.startswith("lost ") for t in titles)
    assert "written after the kill" in titles
    assert reopened.latest_test_run().passed == COUNT
    reopened.close()
    other.close()


def test_locked_store_retries_and_reports_busy(tmp_path: Path) -> None:
    holder = Store.open(tmp_path)
    busy: list[int] = []
    waiter = Store.open(tmp_path, on_busy=busy.append)
    holder.conn.execute("BEGIN IMMEDIATE")
    waiter.lock_deadline = 0.3
    from backcheck.store import StoreLockedError

    try:
        waiter.add_note("t", "blocked")
    except StoreLockedError as exc:
        assert "locked by another process" in str(exc)
    else:
        raise AssertionError("write should not pass a held write lock")
    assert busy, "on_busy is called while retrying"
    holder.conn.execute("COMMIT")
    waiter.lock_deadline = 30
    waiter.add_note("t", "unblocked")
    assert [n.title for n in holder.list_notes()] == ["unblocked"]
    holder.close()
    waiter.close()
