"""Ask a bundled example's own framework for its routes, and probe each one anonymously.

Run as `python inventory.py APP` with the example folder as the working directory; prints JSON
`[{"path", "methods", "function", "anonymous_status"}]`. The tests compare this with
examples/expected.json so the oracle is checked against the real framework, not against our index.
"""

import atexit
import json
import os
import re
import shutil
import sys
import tempfile
from pathlib import Path

PROBE_ID = "1"


def _workdir() -> Path:
    """A scratch folder removed when the process ends."""
    path = Path(tempfile.mkdtemp(prefix="bc-inventory-"))
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def _concrete(path: str) -> str:
    """A requestable URL for a route template: every {param} becomes 1."""
    return re.sub(r"\{[^}]+\}", PROBE_ID, path)


def shop_api() -> list[dict]:
    workdir = _workdir()
    os.environ["SHOP_DATABASE_URL"] = f"sqlite:///{workdir / 'probe.db'}"
    os.environ["SHOP_UPLOAD_DIR"] = str(workdir / "uploads")
    os.environ["SHOP_RATE_LIMIT_ENABLED"] = "0"
    from app.db import Base, engine
    from app.main import app
    from fastapi.testclient import TestClient

    Base.metadata.create_all(engine)
    client = TestClient(app, raise_server_exceptions=False)
    # Included routers are resolved lazily in recent FastAPI, so the OpenAPI document is the
    # stable public view of the mounted routes; its default summary is the function name.
    grouped: dict[tuple[str, str], list[str]] = {}
    for path, operations in app.openapi()["paths"].items():
        for method, operation in operations.items():
            function = operation["summary"].lower().replace(" ", "_")
            grouped.setdefault((path, function), []).append(method.upper())
    routes = []
    for (path, function), methods in grouped.items():
        status = client.request(min(methods), _concrete(path)).status_code
        routes.append(
            {
                "path": path,
                "methods": sorted(methods),
                "function": function,
                "anonymous_status": status,
            }
        )
    return routes


def flask_notes() -> list[dict]:
    workdir = _workdir()
    from notes_app import create_app
    from notes_app.db import init_db

    app = create_app(
        {"TESTING": True, "DATABASE": str(workdir / "probe.sqlite"), "UPLOAD_FOLDER": str(workdir)}
    )
    with app.app_context():
        init_db()
    client = app.test_client()
    routes = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        view = app.view_functions[rule.endpoint]
        function = getattr(view, "view_class", None)
        function = function.__name__ if function else view.__name__
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule)
        status = client.open(_concrete(path), method=methods[0]).status_code
        routes.append(
            {"path": path, "methods": methods, "function": function, "anonymous_status": status}
        )
    return routes


def _django_patterns(patterns, prefix=""):
    from django.urls import URLPattern, URLResolver

    for entry in patterns:
        piece = str(entry.pattern)
        if isinstance(entry, URLResolver):
            yield from _django_patterns(entry.url_patterns, prefix + piece)
        elif isinstance(entry, URLPattern):
            yield prefix + piece, entry.callback


def _django_path(raw: str) -> str:
    path = raw.replace("^", "").replace("$", "")
    path = re.sub(r"\(\?P<([^>]+)>[^)]*\)", r"{\1}", path)
    path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", path)
    return "/" + path


def django_library() -> list[dict]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "library_site.settings")
    import django
    from django.conf import settings

    settings.DEBUG = False
    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import setup_test_environment
    from django.urls import get_resolver

    setup_test_environment()
    connection.creation.create_test_db(verbosity=0, autoclobber=True)
    client = Client()
    routes = []
    for raw, callback in _django_patterns(get_resolver().url_patterns):
        if "format" in raw:
            continue  # DRF's .json/.api suffix variants of the same views
        path = _django_path(raw)
        actions = getattr(callback, "actions", None)
        view_class = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        if actions:
            methods = sorted(m.upper() for m in actions)
        elif view_class is not None:
            verbs = ("get", "post", "put", "patch", "delete")
            methods = sorted(v.upper() for v in verbs if hasattr(view_class, v))
        else:
            methods = ["GET"]  # the example's function views are all @require_GET
        function = view_class.__name__ if view_class else callback.__name__
        status = client.generic(methods[0], _concrete(path)).status_code
        routes.append(
            {"path": path, "methods": methods, "function": function, "anonymous_status": status}
        )
    return routes


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    probe = {"shop_api": shop_api, "flask_notes": flask_notes, "django_library": django_library}
    print(json.dumps(probe[sys.argv[1]]()))
