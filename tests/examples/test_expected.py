"""examples/expected.json is honest: anchors resolve, symbols exist, routes match the frameworks.

`python tests/examples/test_expected.py --write-lines` rewrites each violation's `line` from its
anchor after the examples were edited.
"""

import ast
import fnmatch
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = EXAMPLES / "expected.json"
INVENTORY = Path(__file__).with_name("inventory.py")
APPS = ["shop_api", "flask_notes", "django_library"]
CATALOG = {
    "BC101", "BC102", "BC103", "BC201", "BC202", "BC301", "BC302", "BC401", "BC501", "BC502",
    "BC601", "BC602", "BC701", "BC702", "BC703", "BC801", "BC802", "BC803", "BC804", "BC901",
}  # fmt: skip


def load() -> dict:
    return json.loads(EXPECTED.read_text())


def anchor_lines(entry: dict) -> list[int]:
    text = (EXAMPLES / entry["app"] / entry["file"]).read_text()
    return [n for n, line in enumerate(text.splitlines(), 1) if entry["anchor"] in line]


def symbols_in(path: Path) -> set[str]:
    """Qualified names of every function and class in a file, plus 'module'."""
    found = {"module"}

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                name = prefix + child.name
                found.add(name)
                walk(child, name + ".")
            else:
                walk(child, prefix)

    walk(ast.parse(path.read_text()), "")
    return found


EXPECTED_DATA = load()


@pytest.mark.parametrize(
    "entry", EXPECTED_DATA["violations"], ids=lambda e: f"{e['app']}:{e['code']}:{e['symbol']}"
)
def test_violation_anchor_is_unique_and_line_current(entry: dict) -> None:
    lines = anchor_lines(entry)
    assert len(lines) == 1, f"anchor {entry['anchor']!r} found on lines {lines}"
    assert entry["line"] == lines[0], "run tests/examples/test_expected.py --write-lines"


def test_symbols_exist() -> None:
    missing = []
    entries = EXPECTED_DATA["violations"] + EXPECTED_DATA["clean"]
    for entry in entries:
        places = [(entry["file"], entry["symbol"])]
        places += [(alt["file"], alt["symbol"]) for alt in entry.get("also", [])]
        for file, symbol in places:
            if symbol not in symbols_in(EXAMPLES / entry["app"] / file):
                missing.append((entry["app"], file, symbol))
    assert not missing


def test_nothing_is_both_violation_and_clean() -> None:
    flagged = set()
    for entry in EXPECTED_DATA["violations"]:
        flagged.add((entry["app"], entry["file"], entry["code"], entry["symbol"]))
        for alt in entry.get("also", []):
            flagged.add((entry["app"], alt["file"], entry["code"], alt["symbol"]))
    clean = {(e["app"], e["file"], e["code"], e["symbol"]) for e in EXPECTED_DATA["clean"]}
    assert not flagged & clean


def test_codes_are_from_the_catalog() -> None:
    used = {e["code"] for e in EXPECTED_DATA["violations"] + EXPECTED_DATA["clean"]}
    assert used <= CATALOG


def test_shop_api_shows_every_catalog_code() -> None:
    shown = {e["code"] for e in EXPECTED_DATA["violations"] if e["app"] == "shop_api"}
    assert shown == CATALOG


def test_public_flags_follow_each_apps_config() -> None:
    for app in APPS:
        config = tomllib.loads((EXAMPLES / app / "pyproject.toml").read_text())
        patterns = config["tool"]["backcheck"]["public"]
        for route in (r for r in EXPECTED_DATA["routes"] if r["app"] == app):
            public = any(fnmatch.fnmatchcase(route["path"], p) for p in patterns)
            assert route["public"] == public, route


def test_untested_routes_are_not_requested_by_tests() -> None:
    """Each BC901 route's distinctive last segment appears nowhere in its app's tests."""
    for entry in (e for e in EXPECTED_DATA["violations"] if e["code"] == "BC901"):
        routes = [
            r
            for r in EXPECTED_DATA["routes"]
            if (r["app"], r["file"], r["function"])
            == (entry["app"], entry["file"], entry["symbol"])
        ]
        assert routes, entry
        tests_text = "".join(
            p.read_text() for p in (EXAMPLES / entry["app"] / "tests").rglob("*.py")
        )
        for route in routes:
            segment = [s for s in route["path"].split("/") if s and not s.startswith("{")][-1]
            assert f"/{segment}" not in tests_text, route


def framework_inventory(app: str) -> list[dict]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, str(INVENTORY), app],
        cwd=EXAMPLES / app,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


@pytest.mark.parametrize("app", APPS)
def test_routes_match_the_framework(app: str) -> None:
    """The inventory equals what the framework mounts, and `auth` equals an anonymous probe."""
    actual = {
        (r["path"], tuple(r["methods"]), r["function"]): r["anonymous_status"]
        for r in framework_inventory(app)
    }
    expected = {
        (r["path"], tuple(sorted(r["methods"])), r["function"]): r
        for r in EXPECTED_DATA["routes"]
        if r["app"] == app
    }
    optional = {key for key, r in expected.items() if r.get("optional")}
    assert set(actual) - optional == set(expected) - optional
    for key, route in expected.items():
        if key not in actual:
            continue
        status = actual[key]
        refused = status in (401, 403) or status == 302
        assert route["auth"] == refused, f"{key}: anonymous request got {status}"


def write_lines() -> None:
    data = load()
    for entry in data["violations"]:
        lines = anchor_lines(entry)
        if len(lines) != 1:
            raise SystemExit(
                f"{entry['app']}/{entry['file']}: anchor {entry['anchor']!r} on {lines}"
            )
        entry["line"] = lines[0]
    EXPECTED.write_text(json.dumps(data, indent=2) + "\n")


if __name__ == "__main__":
    if sys.argv[1:] == ["--write-lines"]:
        write_lines()
    else:
        raise SystemExit("usage: python tests/examples/test_expected.py --write-lines")
