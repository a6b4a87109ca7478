"""The runtime-oracle comparison: endpoint matching, the auth matrix and a real backcheck run."""

from __future__ import annotations

import importlib.util
import json
import sys
import textwrap
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[2] / "benchmarks" / "oracle" / "compare.py"


def _load():
    spec = importlib.util.spec_from_file_location("oracle_compare", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    sys.modules["oracle_compare"] = module
    spec.loader.exec_module(module)
    return module


oc = _load()


def _record(file, line, methods, auth, **extra):
    return {"file": file, "line": line, "function": "f", "methods": methods, "path": "/p",
            "auth": auth, **extra}


def test_matching_uses_line_alt_and_methods():
    oracle = {"routes": [
        _record("a.py", 3, ["GET", "HEAD", "OPTIONS"], True),
        _record("a.py", 10, ["PUT", "DELETE"], False, alt=[["a.py", 8]]),
        _record("b.py", 1, ["GET"], None),
        _record("site-packages/x.py", 1, ["GET"], False, library=True),
    ]}
    routes = [
        {"file": "a.py", "line": 3, "methods": ["GET"], "auth": True, "auth_state": "authenticated"},
        {"file": "a.py", "line": 8, "methods": ["PUT"], "auth": False, "auth_state": "conditional"},
        {"file": "c.py", "line": 1, "methods": ["*"], "auth": False, "auth_state": "open"},
    ]
    result = oc.score("demo", oc.endpoints(oracle), routes)
    # GET a.py:3, PUT and DELETE a.py:10 (via alt 8), GET b.py:1; HEAD/OPTIONS and library left out
    assert (result.endpoints, result.found) == (4, 2)
    assert [(e.file, e.method) for e in result.missed] == [("a.py", "DELETE"), ("b.py", "GET")]
    assert result.matrix["true", "authenticated"] == 1
    assert result.matrix["false", "conditional"] == 1
    assert result.agreement == 1.0
    assert result.unmatched_backcheck == 1


def test_disagreement_is_listed_once_per_handler_and_method():
    oracle = {"routes": [_record("a.py", 3, ["GET"], False, path="/one"),
                         _record("a.py", 3, ["GET"], False, path="/two")]}
    routes = [{"file": "a.py", "line": 3, "methods": ["GET"], "auth": True, "auth_via": ["@login"]}]
    result = oc.score("demo", oc.endpoints(oracle), routes)
    assert result.judged == 2 and result.agreement == 0.0
    assert len(result.disagreements) == 1
    assert "oracle open" in oc.report(result, verbose=True)


def test_runs_backcheck_on_the_oracle_root(tmp_path, capsys):
    (tmp_path / "app.py").write_text(textwrap.dedent(
        """\
        from flask import Flask

        app = Flask(__name__)


        @app.get("/items")
        def items():
            return []
        """
    ))
    oracle = tmp_path / "oracle.json"
    oracle.write_text(json.dumps({"app": "tiny", "root": str(tmp_path),
                                  "routes": [_record("app.py", 7, ["GET"], False)]}))
    assert oc.main([str(oracle), "--json"]) == 0
    scores = json.loads(capsys.readouterr().out)["tiny"]
    assert scores["recall"] == 1.0 and scores["agreement"] == 1.0
