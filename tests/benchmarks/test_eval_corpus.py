"""The corpus scorer, run against a tiny labelled repository and a fake backcheck."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import sys
import textwrap
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "eval_corpus.py"


def _load():
    spec = importlib.util.spec_from_file_location("eval_corpus", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["eval_corpus"] = module
    spec.loader.exec_module(module)
    return module


ec = _load()

APP = textwrap.dedent(
    """\
    from flask import Flask
    app = Flask(__name__)


    @app.route("/open")
    def open_view():
        return "x"


    @app.route("/login", methods=["POST"])
    def login():
        return "x"


    @app.route("/private")
    @login_required
    def private():
        try:
            sql = "SELECT * FROM t WHERE id = %s" % request.args["id"]
            rows = db.execute(sql)
            rows = list(rows)
            rows = rows[:10]
        except Exception as e:
            return str(e)
        return "x"


    @app.route("/maybe")
    def maybe():
        return "x"


    class Things(View):
        def get(self, request):
            return "x"

        def post(self, request):
            return "x"
    """
)
SETTINGS = "SECRET = 1\nDEBUG = True\n"


def _route(line, function, methods, path, auth, public, notes=""):
    return {
        "file": "app.py",
        "line": line,
        "function": function,
        "methods": methods,
        "path": path,
        "auth": auth,
        "auth_via": "x",
        "intentionally_public": public,
        "notes": notes,
    }


LABELS = {
    "repo": "someone/tiny",
    "commit": "",
    "routes": [
        _route(6, "open_view", ["GET"], "/open", False, False),
        _route(11, "login", ["POST"], "/login", False, True),
        _route(17, "private", ["GET"], "/private", True, False),
        _route(29, "maybe", ["GET"], "/maybe", False, False, "AMBIGUOUS-R1: unsure"),
        _route(34, "Things.get", ["GET"], "/things/<int:id>", True, False),
        _route(37, "Things.post", ["POST"], "/things/<int:id>", False, False),
        _route(2, "admin", ["*"], "/admin/", True, False, "FRAMEWORK: admin site"),
    ],
    "findings": [
        {"rule": "R6", "file": "app.py", "line": 19, "why": "SQL built with %"},
        {"rule": "R3", "file": "app.py", "line": 24, "why": "str(e) returned"},
        {"rule": "R3", "file": "settings.py", "line": 2, "why": "CONFIG: DEBUG = True"},
        {"rule": "R5", "file": "app.py", "line": 30, "why": "AMBIGUOUS: maybe a list"},
    ],
}


def _diag(code, file, line):
    return {
        "code": code,
        "name": "x",
        "severity": "error",
        "message": f"{code} here",
        "file": file,
        "line": line,
        "column": 1,
        "end_line": line,
        "end_column": 2,
        "fix": None,
    }


ROUTES_OUT = {
    "routes": [
        {
            "file": "app.py",
            "line": 6,
            "function": "open_view",
            "methods": ["GET"],
            "path": "/open",
            "framework": "flask",
            "auth": False,
            "auth_via": [],
            "public": False,
        },
        {
            "file": "./app.py",
            "line": 10,
            "function": "login",
            "methods": ["POST"],
            "path": "/login",
            "framework": "flask",
            "auth": False,
            "auth_via": [],
            "public": True,
        },
        # Reported on the decorator line and with a path written the FastAPI way.
        {
            "file": "app.py",
            "line": 15,
            "function": "private",
            "methods": ["GET", "HEAD"],
            "path": "/private/",
            "framework": "flask",
            "auth": True,
            "auth_via": ["login_required"],
            "public": False,
        },
        {
            "file": "app.py",
            "line": 29,
            "function": "maybe",
            "methods": ["GET"],
            "path": "/maybe",
            "framework": "flask",
            "auth": False,
            "auth_via": [],
            "public": False,
        },
        {
            "file": "app.py",
            "line": 34,
            "function": "Things.get",
            "methods": ["GET"],
            "path": "/things/{id}",
            "framework": "django",
            "auth": False,
            "auth_via": [],
            "public": False,
        },
        # Wrong method: Things.post is not found.
        {
            "file": "app.py",
            "line": 37,
            "function": "Things.post",
            "methods": ["DELETE"],
            "path": "/things/{id}",
            "framework": "django",
            "auth": False,
            "auth_via": [],
            "public": False,
        },
    ]
}
CHECK_OUT = {
    "version": "0",
    "errors": [],
    "diagnostics": [
        _diag("BC101", "app.py", 5),  # open_view via its decorator: TP
        _diag("BC101", "app.py", 11),  # login is intentionally public: FP
        _diag("BC101", "app.py", 29),  # ambiguous route: ignored
        _diag("BC101", "app.py", 40),  # no route there: unlabelled
        _diag("BC802", "app.py", 20),  # execute() one line below the label: TP
        _diag("BC501", "app.py", 17),  # same function as the R3 label, 7 lines away: TP
        _diag("BC501", "settings.py", 2),  # CONFIG label takes BC502 only: FP
        _diag("BC801", "app.py", 29),  # inside the AMBIGUOUS R5 label window: ignored
        _diag("BC601", "app.py", 6),  # no R4 label: FP
    ],
}


@pytest.fixture()
def corpus(tmp_path: Path):
    labels = tmp_path / "labels"
    repos = tmp_path / "repos"
    repo = repos / "someone__tiny"
    labels.mkdir()
    repo.mkdir(parents=True)
    (labels / "someone__tiny.json").write_text(json.dumps(LABELS))
    (repo / "app.py").write_text(APP)
    (repo / "settings.py").write_text(SETTINGS)
    (tmp_path / "routes.json").write_text(json.dumps(ROUTES_OUT))
    (tmp_path / "check.json").write_text(json.dumps(CHECK_OUT))
    fake = tmp_path / "backcheck"
    fake.write_text(
        f"#!{sys.executable}\n"
        "import pathlib, sys\n"
        f"base = pathlib.Path({str(tmp_path)!r})\n"
        "name = 'routes.json' if sys.argv[1] == 'routes' else 'check.json'\n"
        "print((base / name).read_text())\n"
    )
    fake.chmod(fake.stat().st_mode | stat.S_IXUSR)
    return labels, repos, fake


def _run(corpus, capsys, *extra):
    labels, repos, fake = corpus
    code = ec.main(
        ["--labels", str(labels), "--repos", str(repos), "--backcheck", str(fake), *extra]
    )
    return code, capsys.readouterr().out


@pytest.mark.skipif(os.name == "nt", reason="the fake backcheck is a shebang script")
def test_scores_follow_the_readme_conventions(corpus, capsys):
    code, out = _run(corpus, capsys, "--json")
    assert code == 0
    data = json.loads(out)
    repo = data["repos"][0]
    routes = repo["routes"]
    # The FRAMEWORK route is left out; Things.post has no compatible method.
    assert (routes["found"], routes["labelled"]) == (5, 6)
    assert [m["function"] for m in routes["missed"]] == ["Things.post"]
    assert routes["path_ok"] == 5
    assert [m["function"] for m in routes["auth_mismatch"]] == ["Things.get"]

    r1 = repo["rules"]["R1"]
    assert (r1["tp"], r1["fp"], r1["fn"], r1["ignored"], r1["unlabelled"]) == (1, 1, 1, 1, 1)
    assert [i["function"] for i in r1["false_negatives"]] == ["Things.post"]
    assert [i["function"] for i in r1["false_positives"]] == ["login"]
    assert r1["precision_strict"] == pytest.approx(1 / 3)

    r3 = repo["rules"]["R3"]
    assert (r3["tp"], r3["fp"], r3["fn"]) == (1, 1, 1)
    assert r3["false_negatives"][0]["file"] == "settings.py"
    assert (repo["rules"]["R6"]["tp"], repo["rules"]["R6"]["fp"]) == (1, 0)
    assert (repo["rules"]["R5"]["ignored"], repo["rules"]["R5"]["fp"]) == (1, 0)
    assert repo["rules"]["R4"]["fp"] == 1

    summary = data["summary"]
    assert summary["routes"]["recall"] == pytest.approx(5 / 6)
    assert summary["rules"]["R1"]["precision"] == pytest.approx(0.5)
    assert summary["rules"]["R1"]["meets_target"] is False


@pytest.mark.skipif(os.name == "nt", reason="the fake backcheck is a shebang script")
def test_text_report_lists_misses_when_verbose(corpus, capsys):
    code, out = _run(corpus, capsys, "--verbose")
    assert code == 0
    assert "Per rule, all repositories" in out
    assert "route MISSED   app.py:37 Things.post" in out
    assert "BC101 FP       app.py:11 login" in out
    assert "R3 FN          settings.py:2" in out


def test_missing_checkout_is_reported_not_raised(tmp_path, capsys):
    labels = tmp_path / "labels"
    labels.mkdir()
    (labels / "someone__tiny.json").write_text(json.dumps(LABELS))
    code = ec.main(
        ["--labels", str(labels), "--repos", str(tmp_path / "none"), "--backcheck", sys.executable]
    )
    assert code == 2
    assert "no checkout at" in capsys.readouterr().err


def test_decorator_span_without_ast(tmp_path):
    # A 3.14-only file: the text scan still finds the first decorator.
    (tmp_path / "deps.py").write_text(
        "try:\n    pass\nexcept A, B:\n    pass\n\n@router.get(\n    '/x',\n)\n@other\n"
        "def handler():\n    pass\n"
    )
    src = ec.SourceIndex(tmp_path)
    assert src.scopes("deps.py") is None
    assert src.handler("deps.py", 10).start == 6


def test_path_normalisation():
    assert ec.norm_path("/api/articles/<slug>") == ec.norm_path("/api/articles/{slug}")
    assert ec.norm_path("^articles/(?P<article_slug>[-\\w]+)/favorite/?$") == (
        "/articles/{}/favorite"
    )
    assert ec.norm_path("/") == "/"
