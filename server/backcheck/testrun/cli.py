"""`backcheck test [PATH]`: run the project's pytest, store each result live, print a compact log."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import TextIO

from backcheck.store import Store, StoreError, TestResult, TestRun
from backcheck.testrun.runner import last_failed, read_log_tail, run_tests

_MARKS = {
    "passed": "PASS",
    "failed": "FAIL",
    "skipped": "SKIP",
    "error": "ERR ",
    "xfailed": "XFAIL",
    "xpassed": "XPASS",
}
_WORKSPACE_MARKERS = (".backcheck", "pyproject.toml", "setup.cfg", "setup.py", ".git")


def find_workspace(path: Path) -> Path:
    """The project root holding ``path``: the nearest directory with a project marker, else
    ``path`` itself (or its directory when it is a file)."""
    path = path.resolve()
    start = path if path.is_dir() else path.parent
    for d in (start, *start.parents):
        if any((d / m).exists() for m in _WORKSPACE_MARKERS):
            return d
    return start


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="backcheck test",
        description="Run the project's tests with pytest and record every result in "
        ".backcheck/state.db as it finishes (the TUI shows them live).",
    )
    p.add_argument("path", nargs="?", default=".",
                   help="project directory, or a test file/directory inside it (default: .)")
    p.add_argument("--failed", action="store_true",
                   help="re-run only the tests that failed in the previous run")
    p.add_argument("--task", type=int, default=None, help="attach the run to this task id")
    p.add_argument("-q", "--quiet", action="store_true", help="print only failures and the summary")
    p.epilog = "Arguments after -- go to pytest as they are, e.g. backcheck test . -- -k orders -x"
    return p


def cli_main(argv: list[str] | None = None, stdout: TextIO | None = None) -> int:
    """Entry point for `backcheck test`; returns pytest's exit code (2 for our own usage errors)."""
    out = stdout or sys.stdout
    argv = list(sys.argv[1:] if argv is None else argv)
    extra: list[str] = []
    if "--" in argv:
        cut = argv.index("--")
        argv, extra = argv[:cut], argv[cut + 1 :]
    args = _parser().parse_args(argv)
    target = Path(args.path)
    if not target.exists():
        print(f"backcheck test: {target} does not exist; pass the project directory",
              file=sys.stderr)
        return 2
    workspace = find_workspace(target)
    try:
        store = Store.open(workspace)
    except StoreError as exc:
        print(f"backcheck test: {exc}", file=sys.stderr)
        return 2
    with store:
        paths: list[str] = []
        if target.resolve() != workspace:
            paths.append(str(target.resolve().relative_to(workspace)))
        if args.failed:
            failed = last_failed(store)
            if not failed:
                print("backcheck test: the previous run has no failed tests to re-run", file=out)
                return 0
            paths = failed
        return _run(workspace, paths, extra, store, args, out)


def _run(workspace: Path, paths: list[str], extra: list[str], store: Store,
         args: argparse.Namespace, out: TextIO) -> int:
    counter = {"n": 0}

    def on_result(result: TestResult, run: TestRun) -> None:
        counter["n"] += 1
        if args.quiet and result.outcome not in ("failed", "error", "xpassed"):
            return
        total = run.total if run.total is not None else "?"
        width = len(str(total))
        print(f"[{counter['n']:>{width}}/{total}] {_MARKS.get(result.outcome, result.outcome):<5} "
              f"{result.nodeid} ({result.duration:.2f}s)", file=out, flush=True)

    run = run_tests(workspace, paths, store, on_result, extra_args=extra, task_id=args.task)
    failures = [r for r in store.test_results(run.id)
                if r.outcome in ("failed", "error", "xpassed") and r.failure_text]
    for r in failures:
        where = f"{r.file}:{r.line}" if r.file and r.line else (r.file or r.nodeid)
        print(f"\n--- {r.nodeid} ({where})", file=out)
        text = r.failure_text or ""
        lines = text.splitlines()
        print("\n".join(lines[-25:]) if len(lines) > 25 else text, file=out)
    elapsed = (run.finished or run.started) - run.started
    counts: dict[str, int] = {}
    for r in store.test_results(run.id):
        counts[r.outcome] = counts.get(r.outcome, 0) + 1
    order = ("passed", "failed", "error", "skipped", "xfailed", "xpassed")
    summary = ", ".join(f"{counts[o]} {o}" for o in order if counts.get(o)) or "no tests ran"
    print(f"\n{summary} in {elapsed:.2f}s ({run.status}; run {run.id} stored in "
          f".backcheck/state.db)", file=out)
    if run.exit_code not in (0, 1) and not failures:
        tail = read_log_tail(workspace, run.id)
        if tail:
            print(f"pytest said (exit code {run.exit_code}):\n{tail}", file=out)
    return int(run.exit_code if run.exit_code is not None else 2)
