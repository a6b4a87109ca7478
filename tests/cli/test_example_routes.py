"""`backcheck routes` on the bundled example backends matches their hand-written inventory
(examples/expected.json): every route, its full path, methods, and a correct auth/public column.

The inventory writes path parameters as `{name}` whatever the framework's syntax and lists a class-based
view once with all its methods; backcheck reports one row per method (as the evaluation corpus does),
so rows are grouped by handler before comparing."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from backcheck.config import load
from backcheck.engine import Engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
APPS = sorted({r["app"] for r in EXPECTED["routes"]})


def normal(path: str) -> str:
    return re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path)


@pytest.mark.parametrize("app", APPS)
def test_route_inventory(app: str) -> None:
    root = EXAMPLES / app
    settings, problems = load(root)
    assert not problems
    routes = Engine(root, settings, use_cache=False).scan().project.routes
    wanted = [r for r in EXPECTED["routes"] if r["app"] == app]
    claimed = set()
    for want in wanted:
        mine = [r for r in routes if r.file == want["file"] and normal(r.path) == want["path"]
                and (r.function == want["function"] or r.function.startswith(want["function"] + "."))
                and set(r.methods) & set(want["methods"])]
        if not mine and want.get("optional"):
            continue
        assert mine, f"missing route {want}"
        methods = {m for r in mine for m in r.methods}
        assert methods == set(want["methods"]), (want, methods)
        for route in mine:
            assert route.auth == want["auth"], (want, route.auth_via)
            if not want["auth"] and want["public"]:
                assert route.public, (want, route.public_via)
        claimed.update(id(r) for r in mine)
    extra = [f"{r.file}:{r.line} {r.function} {r.methods} {r.path}" for r in routes if id(r) not in claimed]
    assert not extra, f"routes not in the inventory: {extra}"
