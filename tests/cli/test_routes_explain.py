"""`backcheck routes --explain`, conditional routes in the table, `auth_trail` in JSON, and the chain
in `backcheck check`'s JSON (`related`) and SARIF (`relatedLocations`).

The framework indexes record the trail; here it is set on the routes the FastAPI index finds, so the
outputs are tested on their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from backcheck.cli import main
from backcheck.index import fastapi
from backcheck.index.project import AuthStep

APP = """\
from fastapi import Depends, FastAPI

from deps import get_current_user

app = FastAPI()


@app.get("/reports")
def reports() -> list[int]:
    return []


@app.get("/orders")
def list_orders() -> list[int]:
    return []


@app.get("/me", dependencies=[Depends(get_current_user)])
def me() -> dict:
    return {}
"""

DEPS = """\
from fastapi import HTTPException


def get_current_user(token: str = "") -> str:
    if not token:
        raise HTTPException(status_code=401)
    return token
"""

TRAIL = [
    AuthStep("router", "app", "main.py", 5, "open", "FastAPI() adds no dependencies"),
    AuthStep("settings", "settings.PRIVATE_MODE", "settings.py", 2, "conditional",
             "rejects only when settings.PRIVATE_MODE is true"),
    AuthStep("permission", "IsAuthenticatedOrReadOnly", "", 0, "open", "lets GET through"),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "main.py").write_text(APP)
    (tmp_path / "deps.py").write_text(DEPS)
    found = fastapi.find_routes

    def with_trail(project):
        routes = found(project)
        for route in routes:
            if route.path == "/reports":
                route.auth, route.auth_trail = False, list(TRAIL)
                route.auth_condition = "settings.PRIVATE_MODE is false"
        return routes

    monkeypatch.setattr(fastapi, "find_routes", with_trail)
    return tmp_path


def run(capsys, *argv: str) -> tuple[int, str]:
    code = main(list(argv))
    return code, capsys.readouterr().out


def _block(out: str, head: str) -> list[str]:
    """The lines of one route's explanation: its head line and the indented lines under it."""
    lines = out.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith(head))
    block = [lines[start]]
    for line in lines[start + 1:]:
        if not line.startswith("    "):
            break
        block.append(line)
    return block


def test_explain_prints_each_route_and_its_chain(project: Path, capsys) -> None:
    code, out = run(capsys, "routes", str(project), "--explain", "--no-cache")
    assert code == 0
    conditional = _block(out, "GET /reports ")
    assert conditional[0] == ("GET /reports  main.py:9 reports  "
                              "auth: conditional (open when settings.PRIVATE_MODE is false)")
    steps = [line.split() for line in conditional[1:-1]]
    assert [s[:4] for s in steps] == [
        ["router", "app", "main.py:5", "open"],
        ["settings", "settings.PRIVATE_MODE", "settings.py:2", "conditional"],
        ["permission", "IsAuthenticatedOrReadOnly", "library", "open"],
    ]
    assert conditional[1].endswith("FastAPI() adds no dependencies")
    assert conditional[-1] == "    => conditional: open when settings.PRIVATE_MODE is false"
    # an open route with nothing examined says so; an authenticated one shows what authenticated it
    assert _block(out, "GET /orders ")[1:] == [
        "    no authentication candidate found", "    => open: an anonymous request reaches this handler"]
    authed = _block(out, "GET /me ")
    assert authed[0].endswith("auth: yes") and "get_current_user" in authed[1]
    assert "authenticates" in authed[1] and authed[-1].startswith("    => authenticated")
    assert "1 conditional, 1 open to anonymous requests." in out


def test_table_shows_conditional_routes_with_their_condition(project: Path, capsys) -> None:
    code, out = run(capsys, "routes", str(project), "--no-cache")
    assert code == 0
    (row,) = [line for line in out.splitlines() if " /reports " in line]
    cells = row.split()
    assert cells[:3] == ["GET", "/reports", "conditional"]
    assert row.endswith("(open when settings.PRIVATE_MODE is false)")
    (orders,) = [line for line in out.splitlines() if " /orders " in line]
    assert orders.split()[2] == "NO"


def test_routes_json_keeps_its_keys_and_adds_the_trail(project: Path, capsys) -> None:
    code, out = run(capsys, "routes", str(project), "--format", "json", "--no-cache")
    assert code == 0
    routes = {r["path"]: r for r in json.loads(out)["routes"]}
    contract = {"file", "line", "function", "methods", "path", "framework", "auth", "auth_via", "public"}
    assert all(contract <= set(r) for r in routes.values())
    reports = routes["/reports"]
    assert reports["auth"] is False and reports["auth_state"] == "conditional"
    assert reports["auth_condition"] == "settings.PRIVATE_MODE is false"
    assert reports["auth_trail"][0] == {"kind": "router", "name": "app", "file": "main.py", "line": 5,
                                        "verdict": "open", "reason": "FastAPI() adds no dependencies"}
    assert [s["kind"] for s in reports["auth_trail"]] == ["router", "settings", "permission"]
    assert routes["/orders"]["auth_trail"] == [] and routes["/orders"]["auth_state"] == "open"


def test_check_json_and_sarif_carry_the_chain(project: Path, capsys) -> None:
    code, out = run(capsys, "check", str(project), "--format", "json", "--no-cache", "--select", "BC101")
    assert code == 1
    diagnostics = {d["line"]: d for d in json.loads(out)["diagnostics"]}
    reports, orders = diagnostics[9], diagnostics[14]
    assert reports["severity"] == "warning" and orders["severity"] == "error"
    assert "open when settings.PRIVATE_MODE is false" in reports["message"]
    assert reports["related"][0] == {"file": "main.py", "line": 5,
                                     "message": "router app: open — FastAPI() adds no dependencies"}
    assert reports["related"][2]["line"] == 8  # a library name: the route's decorator line
    assert orders["related"] == [{"file": "main.py", "line": 13,
                                  "message": "no authentication candidate found"}]

    code, out = run(capsys, "check", str(project), "--format", "sarif", "--no-cache", "--select", "BC101")
    assert code == 1
    results = {r["locations"][0]["physicalLocation"]["region"]["startLine"]: r
               for r in json.loads(out)["runs"][0]["results"]}
    assert results[9]["level"] == "warning" and results[14]["level"] == "error"
    related = results[9]["relatedLocations"]
    assert [r["id"] for r in related] == [0, 1, 2]
    assert related[1]["physicalLocation"]["artifactLocation"]["uri"] == "settings.py"
    assert related[1]["physicalLocation"]["region"] == {"startLine": 2}
    assert related[1]["message"]["text"].startswith("settings settings.PRIVATE_MODE: conditional")
