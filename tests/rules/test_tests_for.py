"""BC901 tells which test files reach a route (the language server's hover lists them)."""

from __future__ import annotations

from pathlib import Path

from backcheck.config import load
from backcheck.engine import Engine
from backcheck.rules import registry

SHOP = Path(__file__).resolve().parents[2] / "examples" / "shop_api"


def test_tests_for_lists_the_files_that_request_a_route() -> None:
    settings, _ = load(SHOP)
    project = Engine(SHOP, settings, use_cache=False).scan().project
    rule = registry()["BC901"]
    by_name = {r.function: r for r in project.routes}
    assert rule.tests_for(project, by_name["deactivate_user"]) == []
    reached = rule.tests_for(project, by_name["list_orders"])
    assert reached and all(path.startswith("tests/") for path in reached)
