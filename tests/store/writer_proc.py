"""A separate writer process for the store concurrency tests.

Usage: python writer_proc.py WORKSPACE NAME COUNT [--hang-in-transaction]
Writes COUNT notes and COUNT test results (one transaction each), prints "done NAME" or, with
--hang-in-transaction, opens a write transaction, inserts uncommitted rows, prints "in-tx" and waits
to be killed.
"""

from __future__ import annotations

import sys
import time

from backcheck.store import Store


def main() -> int:
    workspace, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    hang = "--hang-in-transaction" in sys.argv
    busy: list[int] = []
    store = Store.open(workspace, on_busy=busy.append)
    run = store.start_test_run(["pytest", name])
    for i in range(count):
        store.add_note(f"{name}-topic", f"{name} note {i}", "body", [f"https://{name}.test/{i}"])
        store.add_test_result(run, f"tests/test_{name}.py::test_{i}", "passed", 0.001)
    store.finish_test_run(run, 0)
    if hang:
        store.conn.execute("BEGIN IMMEDIATE")
        for i in range(50):
            store.conn.execute(
                "INSERT INTO research_notes (topic, title, created) VALUES (?, ?, ?)",
                ("uncommitted", f"lost {i}", time.time()),
            )
        print("in-tx", flush=True)
        time.sleep(600)
    print(f"done {name} busy={len(busy)}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
