"""`backcheck serve` with an auth trail and a condition set on the fixture project's /reports/daily
route, as a framework index records them; the explanation tests run the server through this script."""

from __future__ import annotations

import sys

from backcheck.index import fastapi
from backcheck.index.project import AuthStep

CONDITION = "settings.STRICT is false"
TRAIL = [
    AuthStep("router", "reports.router", "app/reports.py", 3, "open", "APIRouter() adds no dependencies"),
    AuthStep("include", "reports.router", "app/main.py", 8, "open", "include_router adds no dependencies"),
    AuthStep("dependency", "APIKeyHeader", "", 0, "conditional", "auto_error=settings.STRICT"),
]

_found = fastapi.find_routes


def _with_trail(project):
    routes = _found(project)
    for route in routes:
        if route.path == "/reports/daily":
            route.auth, route.auth_trail, route.auth_condition = False, list(TRAIL), CONDITION
    return routes


fastapi.find_routes = _with_trail

if __name__ == "__main__":
    from backcheck.cli import main

    sys.exit(main(["serve"]))
