"""Deterministic store contents for the TUI tests and screenshots (fixed clock, fixed durations)."""

from __future__ import annotations

import os
import time
from pathlib import Path

from backcheck.store import Store

#: 2026-03-02 14:00:00 UTC; the screenshots are taken "now" = NOW.
NOW = 1772460000.0


def fixed_clock(t: float = NOW):
    """A clock that always says ``t``."""
    return lambda: t


def use_utc() -> None:
    """Format times in UTC so screenshots match on every machine."""
    os.environ["TZ"] = "UTC"
    time.tzset()


def seed(workspace: Path) -> Path:
    """Fill ``workspace``'s store with a task halfway through, notes, a test run and an agent run."""
    workspace.mkdir(parents=True, exist_ok=True)
    clock = {"t": NOW - 3 * 3600}

    def tick(seconds: float = 60) -> float:
        clock["t"] += seconds
        return clock["t"]

    store = Store.open(workspace, clock=lambda: clock["t"])
    task = store.create_task("Add an orders API with refunds")
    tick(600)
    store.advance(task.id, actor="agent")
    tick(900)
    store.advance(task.id, actor="agent")
    tick(300)
    store.add_note(
        "jwt refresh rotation", "Refresh token rotation",
        "Rotate the refresh token on **every** use and revoke the whole family when an old one "
        "comes back.\n\n- Store a hash, never the token\n- Short access-token lifetime (15 min)",
        ["https://datatracker.ietf.org/doc/html/rfc6749#section-10.4",
         "https://fastapi.tiangolo.com/tutorial/security/oauth2-jwt/"],
        task.id,
    )
    tick(120)
    store.add_note(
        "idempotency keys", "Idempotent refunds",
        "Accept an `Idempotency-Key` header on POST /refunds and store the first response.",
        ["https://stripe.com/docs/api/idempotent_requests"], task.id,
    )
    tick(60)
    store.advance(task.id, actor="person", note="two notes recorded")
    # An old note (stale) on another topic, not tied to a task.
    old = Store.open(workspace, clock=lambda: NOW - 30 * 3600)
    old.add_note("pagination", "Keyset pagination", "Use `WHERE id > :last` with a limit.",
                 ["https://use-the-index-luke.com/no-offset"])
    old.close()

    run = store.start_test_run(["python", "-m", "pytest"], task_id=task.id)
    store.set_test_run_total(run, 6)
    rows = [
        ("tests/test_orders.py::test_create_order", "passed", 0.04, 12, None),
        ("tests/test_orders.py::test_list_orders_paginated", "passed", 0.02, 30, None),
        ("tests/test_orders.py::test_refund_twice_is_idempotent", "failed", 0.11, 51,
         ("    def test_refund_twice_is_idempotent(client):\n"
         "        first = client.post('/refunds', headers=KEY)\n"
         "        second = client.post('/refunds', headers=KEY)\n"
         ">       assert second.status_code == 200\n"
         "E       assert 409 == 200\n")),
        ("tests/test_auth.py::test_login_rate_limited", "passed", 0.31, 8, None),
        ("tests/test_auth.py::test_refresh_rotates", "skipped", 0.0, 22, "needs redis"),
    ]
    for nodeid, outcome, duration, line, text in rows:
        tick(1)
        store.add_test_result(run, nodeid, outcome, duration, nodeid.split("::")[0], line, text)
    tick(2)
    store.finish_test_run(run, 1)

    agent = store.start_agent_run(task.id, "claude-sonnet-4-5", pid=4242)
    store.add_agent_message(task.id, "user", "Add an orders API with refunds", run_id=agent)
    store.add_agent_message(
        task.id, "assistant",
        [{"type": "text", "text": "I'll read the existing routes and models first."}],
        run_id=agent,
    )
    store.add_agent_message(task.id, "tool_use",
                            {"id": "toolu_01", "input": {"path": "app/routes/orders.py"}},
                            tool_name="read_file", run_id=agent)
    store.add_agent_message(task.id, "tool_result",
                            {"tool_use_id": "toolu_01", "content": "from fastapi import APIRouter ...",
                             "is_error": False},
                            tool_name="read_file", run_id=agent)
    store.add_usage(task.id, "claude-sonnet-4-5", 18250, 1430, 12000, 900, 0.0823, run_id=agent)
    store.add_agent_message(task.id, "tool_use",
                            {"id": "toolu_02", "input": {"path": "app/services/refunds.py",
                                                         "old": "def refund(", "new": "def refund(*,"}},
                            tool_name="edit_file", run_id=agent)
    store.close()
    return workspace
