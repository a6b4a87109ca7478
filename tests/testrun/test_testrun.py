"""`backcheck test` and run_tests: a real pytest subprocess recording results into the store live."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest
from backcheck.store import Store, TestResult, TestRun
from backcheck.testrun import cli_main, find_workspace, last_failed, run_tests

SAMPLE = '''
import os, time
import pytest

def test_ok():
    assert True

def test_bad():
    assert 1 == 2, "numbers differ"

@pytest.mark.skip(reason="not today")
def test_skipped():
    pass

@pytest.mark.xfail(reason="known bug")
def test_xfail():
    assert 0

@pytest.fixture
def broken():
    raise RuntimeError("fixture exploded")

def test_error(broken):
    pass
'''

# test_wait only passes if the runner saw test_first's result while pytest was still running
# (the on_result callback creates the "go" file it waits for).
LIVE = '''
import os, time
from pathlib import Path

def test_first():
    pass

def test_wait():
    deadline = time.monotonic() + 30
    while not Path("go").exists():
        assert time.monotonic() < deadline, "the runner never reported test_first live"
        time.sleep(0.01)
'''


def _project(root: Path, **files: str) -> Path:
    (root / "pyproject.toml").write_text("[project]\nname = 'sample'\n")
    tests = root / "tests"
    tests.mkdir(exist_ok=True)
    for name, body in files.items():
        (tests / f"{name}.py").write_text(textwrap.dedent(body))
    return root


def test_results_are_recorded_with_outcomes_and_locations(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_sample=SAMPLE)
    seen: list[TestResult] = []
    with Store.open(ws) as store:
        run = run_tests(ws, [], store, lambda r, _run: seen.append(r))
        assert run.exit_code == 1 and run.status == "failed" and run.total == 5
        results = {r.nodeid.rsplit("::", 1)[1]: r for r in store.test_results(run.id)}
    assert [r.nodeid for r in seen] == [r.nodeid for r in results.values()]
    assert {k: r.outcome for k, r in results.items()} == {
        "test_ok": "passed",
        "test_bad": "failed",
        "test_skipped": "skipped",
        "test_xfail": "xfailed",
        "test_error": "error",
    }
    bad = results["test_bad"]
    assert bad.file == "tests/test_sample.py" and bad.line == 8
    assert "numbers differ" in bad.failure_text
    assert "fixture exploded" in results["test_error"].failure_text
    assert results["test_skipped"].failure_text == "not today"
    assert (ws / ".backcheck" / "test-runs" / f"{run.id}.log").is_file()


def test_results_arrive_while_pytest_runs(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_live=LIVE)
    states: list[tuple[str, str | None]] = []

    def on_result(result: TestResult, run: TestRun) -> None:
        states.append((result.nodeid, run.status))
        if result.nodeid.endswith("test_first"):
            (ws / "go").write_text("")

    with Store.open(ws) as store:
        run = run_tests(ws, ["tests/test_live.py"], store, on_result)
    assert run.exit_code == 0, (ws / ".backcheck" / "test-runs" / f"{run.id}.log").read_text()
    assert states[0] == ("tests/test_live.py::test_first", "running")


def test_collection_error_is_recorded(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_broken="import not_a_module_anywhere\n")
    with Store.open(ws) as store:
        run = run_tests(ws, [], store)
        results = store.test_results(run.id)
    assert run.exit_code == 2 and run.status == "interrupted"
    assert [(r.nodeid, r.outcome) for r in results] == [("tests/test_broken.py", "error")]
    assert "not_a_module_anywhere" in results[0].failure_text


def test_cancel_interrupts_the_run(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_slow="import time\ndef test_a():\n    pass\n"
                  "def test_slow():\n    time.sleep(60)\n")
    cancel = threading.Event()
    with Store.open(ws) as store:
        run = run_tests(ws, [], store, lambda r, _run: cancel.set(), cancel=cancel)
    assert run.status == "interrupted" and run.finished is not None


def test_cli_prints_progress_and_summary_and_reruns_failed(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_sample=SAMPLE)
    out = io.StringIO()
    assert cli_main([str(ws)], stdout=out) == 1
    text = out.getvalue()
    assert "[1/5] PASS  tests/test_sample.py::test_ok" in text
    assert "FAIL  tests/test_sample.py::test_bad" in text
    assert "--- tests/test_sample.py::test_bad (tests/test_sample.py:8)" in text
    assert "1 passed, 1 failed, 1 error, 1 skipped, 1 xfailed in" in text
    with Store.open(ws) as store:
        assert last_failed(store) == ["tests/test_sample.py::test_bad", "tests/test_sample.py::test_error"]
    out = io.StringIO()
    assert cli_main([str(ws), "--failed", "-q"], stdout=out) == 1
    assert "1 failed, 1 error in" in out.getvalue()
    assert "PASS" not in out.getvalue()


def test_cli_passes_args_after_double_dash_and_accepts_a_file(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_sample=SAMPLE)
    out = io.StringIO()
    assert cli_main([str(ws / "tests" / "test_sample.py"), "--", "-k", "test_ok"], stdout=out) == 0
    assert "1 passed in" in out.getvalue()
    assert find_workspace(ws / "tests" / "test_sample.py") == ws.resolve()


def test_cli_reports_a_missing_path(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli_main([str(tmp_path / "missing")]) == 2
    assert "does not exist" in capsys.readouterr().err


def test_plugin_alone_records_its_own_run(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_sample="def test_ok():\n    pass\n")
    proc = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "backcheck.testrun.plugin", "-q"],
        check=False, cwd=ws, capture_output=True, text=True, timeout=120,
        env={k: v for k, v in os.environ.items()
             if not k.startswith(("PYTEST_", "BACKCHECK_"))},
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with Store.open(ws) as store:
        run = store.latest_test_run()
        assert (run.status, run.passed, run.total) == ("passed", 1, 1)


def test_xdist_runs_are_recorded_with_their_total(tmp_path: Path) -> None:
    ws = _project(tmp_path, test_sample=SAMPLE)
    with Store.open(ws) as store:
        run = run_tests(ws, [], store, extra_args=["-n", "2"])
        assert run.total == 5 and run.done == 5
        assert {r.outcome for r in store.test_results(run.id)} == {
            "passed", "failed", "skipped", "xfailed", "error"
        }
