"""The TUI as a live reader: how fast other processes' writes show, and two writers at once."""

from __future__ import annotations

import asyncio
import statistics
import sys
import time
from pathlib import Path

from backcheck.store import Store

WRITER = Path(__file__).parents[1] / "store" / "writer_proc.py"


async def test_other_process_writes_show_quickly(tmp_path: Path, run_app) -> None:
    """Writes by another connection reach the screen's state within the poll interval (~150 ms)."""
    async with run_app(tmp_path) as (app, pilot):
        delays = []
        with Store.open(tmp_path) as other:
            for i in range(8):
                start = time.perf_counter()
                other.add_note("latency", f"note {i}")
                await app.wait_for(lambda i=i: any(n.title == f"note {i}"
                                                   for n in app.state.notes.values()))
                delays.append(time.perf_counter() - start)
        median = statistics.median(delays)
        print(f"\nstore -> TUI state latency: median {median * 1000:.0f} ms, "
              f"max {max(delays) * 1000:.0f} ms")
        assert median < 0.3, delays  # the bound; the poll interval is 150 ms
        await pilot.pause()


async def test_tui_reader_with_two_writer_processes(tmp_path: Path, run_app) -> None:
    """Two writer processes and the TUI at once: all rows arrive, no lock error reaches the person."""
    Store.open(tmp_path).close()
    count = 120
    async with run_app(tmp_path) as (app, _pilot):
        shown: list[tuple[str, str]] = []
        original = app.status

        def record(text: str, level: str = "info") -> None:
            shown.append((text, level))
            original(text, level)

        app.status = record  # type: ignore[method-assign]
        writers = [
            await asyncio.create_subprocess_exec(
                sys.executable, str(WRITER), str(tmp_path), name, str(count),
                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            )
            for name in ("alpha", "beta")
        ]
        await app.wait_for(lambda: len(app.state.notes) == 2 * count, timeout=120)
        for w in writers:
            _, err = await asyncio.wait_for(w.communicate(), 60)
            assert w.returncode == 0 and b"locked" not in err.lower(), err
        await app.wait_for(lambda: sum(r.passed for r in app.state.runs.values()) == 2 * count
                           and all(r.status == "passed" for r in app.state.runs.values()))
        titles = {n.title for n in app.state.notes.values()}
        assert {f"alpha note {i}" for i in range(count)} <= titles
        assert not [s for s in shown if s[1] == "error"], shown
        errors = [n for n in app._notifications if n.severity == "error"]
        assert not errors, [str(n.message) for n in errors]
