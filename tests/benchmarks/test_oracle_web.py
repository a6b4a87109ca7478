"""The FastAPI and Flask runtime oracles on small apps written here: handlers, lines and auth."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ORACLE = Path(__file__).resolve().parents[2] / "benchmarks" / "oracle"

FASTAPI_APP = '''
from functools import wraps

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.security import APIKeyHeader, OAuth2PasswordBearer

app = FastAPI()
strict = APIKeyHeader(name="X-Key")
lenient = OAuth2PasswordBearer(tokenUrl="token", auto_error=False)


def current_user(token: str | None = Depends(lenient)):
    if token is None:
        raise HTTPException(status_code=401)
    return token


def require(role):
    def checker(user=Depends(current_user)):
        return user
    return checker


def traced(func):
    @wraps(func)
    async def wrapper(*args, **kwargs):
        return await func(*args, **kwargs)
    return wrapper


@app.get("/open/{item_id}")
@traced
async def open_item(item_id: int):
    return {"id": item_id}


@app.get("/scheme")
def by_scheme(key: str = Depends(strict)):
    return {}


@app.delete("/admin/{name}")
def by_factory(name: str, user=Depends(require("admin"))):
    return {}


@app.post("/login")
def login(form: dict):
    raise HTTPException(status_code=401)


@app.get("/me")
def me(request: Request):
    if "authorization" not in request.headers:
        raise HTTPException(status_code=403)
    return {}
'''

FLASK_APP = '''
import functools

from flask import Blueprint, Flask, abort, redirect, request
from flask.views import MethodView

app = Flask(__name__)
admin = Blueprint("admin", __name__, url_prefix="/admin")
SETTINGS = {"public": False}


def login_required(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if "Authorization" not in request.headers:
            return redirect("/login?next=" + request.path)
        return view(*args, **kwargs)
    return wrapper


def visible(view):
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if not SETTINGS["public"] and "Authorization" not in request.headers:
            abort(403)
        return view(*args, **kwargs)
    return wrapper


@admin.before_request
def only_admins():
    if "Authorization" not in request.headers:
        abort(401)


@admin.route("/panel")
def panel():
    return "panel"


@app.route("/login", methods=["GET", "POST"])
def login():
    return "login"


@app.route("/posts/<int:post_id>")
@login_required
def post(post_id):
    return "post"


@app.route("/board")
@visible
def board():
    return "board"


class Items(MethodView):
    decorators = [login_required]

    def get(self, item_id):
        return "item"

    def delete(self, item_id):
        return "deleted"


class Feed(MethodView):
    def get(self):
        return "feed"


app.add_url_rule("/items/<item_id>", view_func=Items.as_view("items"))
app.add_url_rule("/feed", view_func=Feed.as_view("feed"))
app.register_blueprint(admin)
'''


def _run(script: str, root: Path, app_spec: str, *extra: str) -> dict:
    out = root / "oracle.json"
    subprocess.run(
        [sys.executable, str(ORACLE / script), "--app", app_spec, "--root", str(root),
         "--name", "sample", "--out", str(out), *extra],
        check=True, capture_output=True, text=True, timeout=120,
    )
    return json.loads(out.read_text())


def _by_function(oracle: dict) -> dict:
    return {r["function"]: r for r in oracle["routes"] if not r["library"]}


def _def_line(source: str, name: str) -> int:
    for number, line in enumerate(source.splitlines(), 1):
        if line.lstrip().startswith((f"def {name}(", f"async def {name}(")):
            return number
    raise AssertionError(name)


def test_fastapi_oracle_lines_and_auth(tmp_path):
    pytest.importorskip("fastapi")
    pytest.importorskip("httpx")
    (tmp_path / "sample_app.py").write_text(textwrap.dedent(FASTAPI_APP))
    oracle = _run("fastapi_routes.py", tmp_path, "sample_app:app")
    routes = _by_function(oracle)
    assert oracle["framework"] == "fastapi"
    opened = routes["open_item"]
    assert opened["line"] == _def_line(FASTAPI_APP, "open_item")
    assert [opened["file"], opened["line"] - 2] in opened["alt"]  # the decorator line
    assert opened["auth"] is False and "handler ran" in opened["notes"]
    assert routes["by_scheme"]["auth"] is True
    assert routes["by_scheme"]["auth_via"] == ["APIKeyHeader"]
    factory = routes["by_factory"]
    assert factory["auth"] is True and factory["auth_via"] == ["current_user"]
    assert "no security scheme with auto_error" in factory["notes"]
    assert any(d["name"] == "require.<locals>.checker" for d in factory["dependencies"])
    assert routes["login"]["auth"] is False  # 401 to an empty body: a credentials check
    assert routes["me"]["auth"] is True and routes["me"]["auth_via"] == ["inline"]
    library = [r for r in oracle["routes"] if r["library"]]
    assert {"/openapi.json", "/docs"} <= {r["path"] for r in library}


def test_flask_oracle_lines_hooks_and_conditions(tmp_path):
    pytest.importorskip("flask")
    (tmp_path / "sample_app.py").write_text(textwrap.dedent(FLASK_APP))
    oracle = _run("flask_routes.py", tmp_path, "sample_app:app",
                  "--open-setup", "import sample_app; sample_app.SETTINGS['public'] = True")
    routes = oracle["routes"]
    by_key = {(r["function"], tuple(r["methods"])): r for r in routes if not r["library"]}
    assert oracle["framework"] == "flask"
    panel = by_key["panel", ("GET",)]
    assert panel["auth"] is True and panel["auth_via"] == ["only_admins"]
    assert "before_request: only_admins" in panel["notes"]
    post = by_key["post", ("GET",)]
    assert post["line"] == _def_line(FLASK_APP, "post")
    assert post["auth"] is True and post["auth_via"] == ["login_required"]
    assert by_key["login", ("GET", "POST")]["auth"] is False
    board = by_key["board", ("GET",)]
    assert board["auth"] is False and "--open-setup" in board["auth_condition"]
    item_get = by_key["Items.get", ("GET",)]
    assert item_get["line"] == _def_line(FLASK_APP, "get")
    class_line = FLASK_APP.splitlines().index("class Items(MethodView):") + 1
    assert ["sample_app.py", class_line] in item_get["alt"]
    assert item_get["auth"] is True and item_get["auth_via"] == ["login_required"]
    assert by_key["Items.delete", ("DELETE",)]["auth"] is True
    assert by_key["Feed.get", ("GET",)]["auth"] is False
    assert any(r["library"] and r["endpoint"] == "static" for r in routes)
