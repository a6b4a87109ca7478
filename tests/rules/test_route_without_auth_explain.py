"""BC101 explains each finding: one related place per auth candidate examined, and a conditional gate
reported one severity lower with the condition that leaves the route open.

The framework indexes record the trail; these tests set it on the routes they find, so the rule is
tested on its own.
"""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from backcheck.config import Settings
from backcheck.diagnostics import Related
from backcheck.engine import Engine
from backcheck.index import fastapi
from backcheck.index.project import AuthStep

APP = """\
from fastapi import Depends, FastAPI

from app.deps import optional_user
from app.settings import settings

app = FastAPI()


@app.get("/reports")
def reports(user=Depends(optional_user)) -> list[int]:
    return []


@app.get("/orders")
def list_orders() -> list[int]:
    return []
"""

TRAIL = [
    AuthStep("dependency", "optional_user", "app/deps.py", 4, "open", "auto_error=False returns None"),
    AuthStep("settings", "settings.PRIVATE_MODE", "app/settings.py", 2, "conditional",
             "rejects only when settings.PRIVATE_MODE is true"),
    AuthStep("dependency", "OAuth2PasswordBearer", "", 0, "open", "auto_error=False"),
]


@pytest.fixture
def project(tmp_path: Path, monkeypatch) -> Path:
    (tmp_path / "app").mkdir()
    (tmp_path / "app" / "__init__.py").write_text("")
    (tmp_path / "app" / "main.py").write_text(APP)
    (tmp_path / "app" / "deps.py").write_text(textwrap.dedent("""\
        from fastapi.security import OAuth2PasswordBearer
        scheme = OAuth2PasswordBearer(tokenUrl="/token", auto_error=False)

        def optional_user(token=None):
            return token
        """))
    (tmp_path / "app" / "settings.py").write_text("class Settings:\n    PRIVATE_MODE = False\n")
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


def _bc101(root: Path, **settings):
    result = Engine(root, Settings(**settings), use_cache=False).scan()
    return {f.data["path"]: f for f in result.findings if f.code == "BC101"}


def test_conditional_route_is_a_warning_naming_its_condition(project: Path) -> None:
    finding = _bc101(project)["/reports"]
    assert finding.severity == "warning"
    assert finding.message.startswith("GET /reports is open when settings.PRIVATE_MODE is false:")
    assert finding.related == [
        Related("app/deps.py", 4, "dependency optional_user: open — auto_error=False returns None"),
        Related("app/settings.py", 2, "settings settings.PRIVATE_MODE: conditional — "
                "rejects only when settings.PRIVATE_MODE is true"),
        # a library name points at the route itself (its decorator line)
        Related("app/main.py", 9, "dependency OAuth2PasswordBearer: open — auto_error=False"),
    ]


def test_open_route_without_a_trail_says_nothing_was_found(project: Path) -> None:
    finding = _bc101(project)["/orders"]
    assert finding.severity == ""  # the rule's own: error
    assert "can be reached without authentication" in finding.message
    assert finding.related == [Related("app/main.py", 14, "no authentication candidate found")]


def test_conditional_findings_follow_select_ignore_and_suppression(project: Path) -> None:
    assert _bc101(project, ignore=["BC101"]) == {}
    main = project / "app" / "main.py"
    main.write_text(APP.replace('@app.get("/reports")', '@app.get("/reports")  # backcheck: ignore[BC101]'))
    assert set(_bc101(project)) == {"/orders"}
    main.write_text(APP.replace('@app.get("/reports")', '@app.get("/reports")  # backcheck: public'))
    assert set(_bc101(project)) == {"/orders"}


def test_documentation_explains_the_three_verdicts() -> None:
    from backcheck.rules import registry

    doc = registry()["BC101"].documentation()
    for word in ("**authenticated**", "**conditional**", "**open**", "## How to read the explanation",
                 "relatedLocations", "routes --explain", "no authentication candidate found"):
        assert word in doc
