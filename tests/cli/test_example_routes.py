"""`backcheck routes` on the bundled example backends matches their hand-written inventory
(examples/expected.json): every route, its full path, methods, and a correct auth/public column."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backcheck.config import load
from backcheck.engine import Engine

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
APPS = sorted({r["app"] for r in EXPECTED["routes"]})


@pytest.mark.parametrize("app", APPS)
def test_route_inventory(app: str) -> None:
    root = EXAMPLES / app
    settings, problems = load(root)
    assert not problems
    routes = Engine(root, settings, use_cache=False).scan().project.routes
    found = {(r.file, r.function, tuple(sorted(r.methods))): r for r in routes}
    for want in [r for r in EXPECTED["routes"] if r["app"] == app]:
        key = (want["file"], want["function"], tuple(sorted(want["methods"])))
        assert key in found, f"missing route {key}; found {sorted(found)}"
        route = found[key]
        assert route.path == want["path"], key
        assert route.auth == want["auth"], (key, route.auth_via)
        if not want["auth"]:
            assert route.public == want["public"] or not want["public"], (key, route.public_via)
    assert len(routes) == len([r for r in EXPECTED["routes"] if r["app"] == app])
