"""Quick fix for BC901: a new test module, in the project's test folder, that requests an untested route
and asserts its status code. It uses the project's own client fixture when a conftest defines one, else
builds a client for the framework (FastAPI `TestClient(app)`, Flask `app.test_client()`, Django
`Client()` / DRF `APIClient()`)."""

from __future__ import annotations

import re
from collections import Counter

from backcheck.diagnostics import Finding
from backcheck.fixes import Fix
from backcheck.index.facts import CallV, FileFacts, Ref
from backcheck.index.project import Project
from backcheck.rules.tests.route_without_test import is_test_file, route_sample

_CLIENT_FIXTURES = ("client", "api_client", "test_client", "app_client", "web_client", "http_client")


def _snake(text: str) -> str:
    text = re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", text.replace(".", "_"))
    return re.sub(r"\W+", "_", text).strip("_").lower() or "route"


def _test_folder(project: Project) -> str:
    """The folder most of the project's tests live in (`tests` when there are none)."""
    folders: Counter[str] = Counter()
    for facts in project.files.values():
        if is_test_file(facts.path, project.settings.test_paths) and "/" in facts.path:
            folders[facts.path.rsplit("/", 1)[0]] += 1
    if not folders:
        return "tests"
    shallow = min(folders, key=lambda f: (f.count("/"), -folders[f]))
    return shallow


def _fixture(project: Project, folder: str) -> str | None:
    """A client fixture defined in a conftest the new test will see."""
    found: list[str] = []
    for facts in project.files.values():
        if not facts.path.endswith("conftest.py"):
            continue
        base = facts.path.rsplit("/", 1)[0] if "/" in facts.path else ""
        if base and not (folder == base or folder.startswith(base + "/")):
            continue
        for func in facts.functions.values():
            decorated = any("fixture" in (d.name if isinstance(d, Ref) else d.func if isinstance(d, CallV) else "")
                            for d in func.decorators)
            if decorated and "client" in func.name:
                found.append(func.name)
    for preferred in _CLIENT_FIXTURES:
        if preferred in found:
            return preferred
    return found[0] if found else None


def _app_object(project: Project, framework: str) -> tuple[str, str, bool] | None:
    """(module, name, is_factory) of the project's application object."""
    wanted = {"fastapi": ("fastapi.FastAPI", "fastapi.applications.FastAPI"), "flask": ("flask.Flask", "flask.app.Flask")}
    for facts in sorted(project.files.values(), key=lambda f: (f.path.count("/"), f.path)):
        if is_test_file(facts.path, project.settings.test_paths):
            continue
        for name, (value, _line) in facts.assigns.items():
            if isinstance(value, CallV) and project.qualify(facts, value.func) in wanted.get(framework, ()):
                return facts.module, name, False
        if framework == "flask" and "create_app" in facts.functions:
            return facts.module, "create_app", True
    return None


def _client_lines(project: Project, framework: str, drf: bool) -> tuple[list[str], str] | None:
    """Imports and the expression that builds a client when there is no fixture."""
    if framework == "django":
        if drf:
            return ["from rest_framework.test import APIClient"], "APIClient()"
        return ["from django.test import Client"], "Client()"
    found = _app_object(project, framework)
    if found is None:
        return None
    module, name, factory = found
    if framework == "fastapi":
        return ["from fastapi.testclient import TestClient", "", f"from {module} import {name}"], f"TestClient({name})"
    if framework == "flask":
        app = f"{name}()" if factory else name
        return [f"from {module} import {name}"], f"{app}.test_client()"
    return None


def route_test_stub(project: Project, finding: Finding, applicability: str) -> Fix | None:
    """A new test module for the route of one BC901 finding."""
    framework = str(finding.data.get("framework", ""))
    path = str(finding.data.get("path", "/"))
    method = str(finding.data.get("method", "GET")).lower()
    if method not in ("get", "post", "put", "patch", "delete"):
        method = "get"
    function = str(finding.data.get("function", "route"))
    folder = _test_folder(project)
    fixture = _fixture(project, folder)
    route = next((r for r in project.routes if r.file == finding.path and r.function == function), None)
    drf = bool(route and route.extra.get("drf"))
    sample = route_sample(path) if path != "/" else "/"
    if path.endswith("/") and not sample.endswith("/"):
        sample += "/"
    if finding.data.get("auth"):
        codes = "(401, 403)" if framework == "fastapi" or drf else "(302, 401, 403)"
        check = f"    # an anonymous request is refused\n    assert response.status_code in {codes}\n"
    elif method == "get":
        check = "    assert response.status_code == 200\n"
    else:
        check = ("    # send the body the route expects, then check what it returns\n"
                 "    assert response.status_code in (200, 201, 204)\n")
    header = f'"""A first test for {method.upper()} {path} ({function}), written by backcheck: extend it."""\n'
    test_name = f"test_{_snake(function)}_answers"
    marker = "@pytest.mark.django_db\n" if framework == "django" else ""
    if fixture is not None:
        imports = "import pytest" if marker else ""
        body = (f"{marker}def {test_name}({fixture}):\n"
                f"    response = {fixture}.{method}(\"{sample}\")\n{check}")
    else:
        built = _client_lines(project, framework, drf)
        if built is None:
            return None
        lines, client = built
        imports = ("import pytest\n\n" if marker else "") + "\n".join(lines)
        body = (f"{marker}def {test_name}():\n"
                f"    client = {client}\n"
                f"    response = client.{method}(\"{sample}\")\n{check}")
    name = f"{folder}/test_{_snake(function)}_route.py"
    taken = set(project.files)
    number = 2
    while name in taken:
        name = f"{folder}/test_{_snake(function)}_route_{number}.py"
        number += 1
    return Fix(f"Create {name} requesting {method.upper()} {path}", applicability, [],
               new_files={name: header + ("\n" + imports + "\n\n\n" if imports else "\n\n") + body})


__all__ = ["FileFacts", "route_test_stub"]
