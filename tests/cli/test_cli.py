"""The command line: contracts other tools read (JSON, SARIF, exit codes) and bad input handled well."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from backcheck.cli import main

APP = """\
from fastapi import FastAPI

app = FastAPI()


@app.get("/orders")
def list_orders() -> list[int]:
    return []
"""


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / "main.py").write_text(APP)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_version_and_help() -> None:
    done = subprocess.run([sys.executable, "-m", "backcheck", "--version"], capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("backcheck ")
    helped = subprocess.run([sys.executable, "-m", "backcheck", "--help"], capture_output=True, text=True)
    assert "examples:" in helped.stdout and "[tool.backcheck]" in helped.stdout


def test_check_text_and_exit_codes(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(project), "--no-cache")
    assert code == 1
    assert "main.py:7:5: BC101" in out
    code, _, _ = run(capsys, "check", str(project), "--no-cache", "--exit-zero")
    assert code == 0
    code, out, _ = run(capsys, "check", str(project), "--no-cache", "--ignore", "BC1")
    assert "BC101" not in out


def test_check_json_contract(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "check", str(project), "--format", "json", "--no-cache")
    payload = json.loads(out)
    assert code == 1 and set(payload) == {"version", "diagnostics", "errors"}
    (diag,) = [d for d in payload["diagnostics"] if d["code"] == "BC101"]
    assert diag["name"] == "route-without-auth" and diag["severity"] == "error"
    assert (diag["file"], diag["line"], diag["column"]) == ("main.py", 7, 5)
    assert diag["end_line"] == 7 and diag["end_column"] == 5 + len("list_orders")
    assert diag["fix"] is None or diag["fix"]["applicability"] in ("safe", "unsafe")


def test_check_sarif_is_valid(project: Path, capsys, repo_root: Path) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    code, out, _ = run(capsys, "check", str(project), "--format", "sarif", "--no-cache")
    log = json.loads(out)
    candidates = [repo_root.parent / "shared/data/sarif-schema-2.1.0.json",
                  Path("/work/shared/data/sarif-schema-2.1.0.json")]
    found = next((c for c in candidates if c.exists()), None)
    if found is None:
        pytest.skip("the SARIF 2.1.0 schema (shared/data) is not on this machine")
    schema = json.loads(found.read_text())
    jsonschema.validate(log, schema)
    assert log["runs"][0]["results"][0]["ruleId"] == "BC101"


def test_routes_json(project: Path, capsys) -> None:
    code, out, _ = run(capsys, "routes", str(project), "--format", "json", "--no-cache")
    (route,) = json.loads(out)["routes"]
    assert route == {"file": "main.py", "line": 7, "function": "list_orders", "methods": ["GET"],
                     "path": "/orders", "framework": "fastapi", "auth": False, "auth_via": [], "public": False,
                     "auth_state": "open", "auth_trail": []}


def test_rules_and_rule_docs(capsys) -> None:
    code, out, _ = run(capsys, "rules")
    assert code == 0 and "BC101" in out
    code, out, _ = run(capsys, "rule", "route-without-auth")
    assert code == 0 and "## Why is this bad?" in out
    code, _, err = run(capsys, "rule", "BC000")
    assert code == 2 and "no rule" in err


def test_usage_errors_exit_2(capsys, tmp_path: Path) -> None:
    code, _, err = run(capsys, "check", str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err
    with pytest.raises(SystemExit) as exc:
        main(["check", "--format", "yaml"])
    assert exc.value.code == 2


BAD_FILES = {
    "binary.py": b"\x00\x01\x02\x89PNG\r\n" * 50,
    "latin.py": "name = 'caf\xe9'\n".encode("latin-1"),
    "half.py": b"def handler(:\n    return\n",
    "newer.py": b"try:\n    pass\nexcept ValueError, TypeError:\n    pass\n\ndef f[T](x: T) -> T:\n    return x\n",
    "huge.py": b"x = 1\n" * 900_000,
}


def test_bad_input_gets_a_clear_error_and_the_rest_is_checked(project: Path, capsys) -> None:
    for name, data in BAD_FILES.items():
        (project / name).write_bytes(data)
    code, out, _ = run(capsys, "check", str(project), "--format", "json", "--no-cache")
    payload = json.loads(out)
    errors = {e["file"]: e["message"] for e in payload["errors"]}
    assert "binary" in errors["binary.py"]
    assert "not valid utf-8" in errors["latin.py"].lower()
    assert "syntax error at line 1" in errors["half.py"]
    assert "newer.py" not in errors  # newer grammar is read through libcst
    assert "MB" in errors["huge.py"] and "max_file_bytes" in errors["huge.py"]
    assert any(d["code"] == "BC101" and d["file"] == "main.py" for d in payload["diagnostics"])


def test_bad_config_is_reported_and_the_rest_kept(project: Path, capsys) -> None:
    (project / "pyproject.toml").write_text(
        '[tool.backcheck]\npublic = ["/orders"]\nmax_file_bytes = "big"\ncolour = 1\n'
    )
    code, out, err = run(capsys, "check", str(project), "--no-cache")
    assert code == 0 and "All clear" in out
    assert "max_file_bytes" in err and "colour: unknown setting" in err


def test_warm_cache_gives_the_same_findings(project: Path, capsys) -> None:
    first = run(capsys, "check", str(project), "--format", "json")[1]
    assert (project / ".backcheck" / ".gitignore").read_text() == "*\n"
    second = run(capsys, "check", str(project), "--format", "json")[1]
    assert first == second


def test_the_checked_code_is_never_imported_or_run(tmp_path: Path, capsys) -> None:
    marker = tmp_path / "ran.txt"
    (tmp_path / "app.py").write_text(
        "import pathlib\n"
        f"pathlib.Path({str(marker)!r}).write_text('imported')\n"
        "from fastapi import FastAPI\n"
        "app = FastAPI()\n"
        "@app.get('/orders')\n"
        "def orders() -> list:\n"
        f"    pathlib.Path({str(marker)!r}).write_text('called')\n"
        "    return []\n"
    )
    (tmp_path / "conftest.py").write_text(f"open({str(marker)!r}, 'w').write('conftest')\n")
    code, out, _ = run(capsys, "check", str(tmp_path), "--no-cache")
    assert code == 1 and "BC101" in out
    code, out, _ = run(capsys, "routes", str(tmp_path), "--no-cache")
    assert "/orders" in out
    assert not marker.exists()


def test_test_and_agent_pass_their_own_options(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "backcheck", "test", "--help"], capture_output=True, text=True)
    assert done.returncode == 0 and "--failed" in done.stdout
    env = {k: v for k, v in __import__("os").environ.items() if k != "ANTHROPIC_API_KEY"}
    done = subprocess.run([sys.executable, "-m", "backcheck", "agent", "run", "--workspace", str(tmp_path), "x"],
                          capture_output=True, text=True, env=env)
    assert done.returncode == 2 and "ANTHROPIC_API_KEY" in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
