"""## What it does
Flags a route that no test in the workspace requests. A route counts as tested when a test file (under
the `[tool.backcheck] test_paths` folders, or named `test_*.py`, `*_test.py`, `conftest.py`) holds a
path that reaches it - a string (`"/orders"`), an f-string (`f"/orders/{order.id}/items"`, also with a
base-URL prefix such as `f"{settings.API_V1_STR}/items/"`), or a concatenation - or asks for the route by
name: Django `reverse("app:name")` (also DRF router names like `book-list`), Flask `url_for("bp.view")`,
FastAPI `url_path_for("name")`. The HTTP method is not compared.

A project with no tests at all gets no findings from this rule: there is nothing to compare with, and one
finding per route would bury the rest.

## Why is this bad?
An endpoint nobody calls in a test can break - a renamed field, a missing permission, a 500 on the first
request - and the suite stays green. Critical paths (auth, payments, writes) are exactly the ones that
should fail loudly in CI before they fail in production.

## Example
```python
@router.post("/users/{user_id}/deactivate")
def deactivate_user(user_id: int, admin: AdminUser, db: DbSession) -> UserOut:
    ...
```
with nothing under `tests/` requesting `/admin/users/{id}/deactivate`.

## Use instead
```python
def test_deactivate_user(client, admin, customer):
    response = client.post(f"/admin/users/{customer.id}/deactivate", headers=auth_headers(admin))
    assert response.status_code == 200
    assert response.json()["is_active"] is False
```

## Fix safety
The quick fix creates a test module in the project's test folder that requests the route (path
parameters set to 1) with the project's own client fixture when it has one, and asserts the status code:
refused (401/403, or a redirect to the login page) for a route that requires authentication, 200 for a
public GET. It is a starting point that may fail until it sends the data the route needs, so the fix is
unsafe.

## References
- Google Testing Blog: Code coverage best practices
- FastAPI: Testing, https://fastapi.tiangolo.com/tutorial/testing/
- Django: Testing tools - the test client, https://docs.djangoproject.com/en/stable/topics/testing/tools/
- Flask: Testing Flask Applications, https://flask.palletsprojects.com/en/stable/testing/
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable, Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FStr, Map, Ref, Seq, Sub
from backcheck.index.project import Project, Route
from backcheck.rules.api.textscan import PerFile
from backcheck.rules.base import FileContext, Rule

_REVERSE = {"reverse", "reverse_lazy", "url_for", "url_path_for", "resolve_url"}
_PARAM = re.compile(r"\{[^}]*\}|<[^>]*>|\(\?P<[^>]+>[^)]*\)|\(\?:[^)]*\)|:\w+")
_HOLE = "\x00"


def is_test_file(path: str, test_paths: Iterable[str]) -> bool:
    parts = path.split("/")
    name = parts[-1]
    if name.startswith("test_") or name.endswith("_test.py") or name == "conftest.py" or name == "tests.py":
        return True
    folders = set(parts[:-1])
    return any(t.strip("/").split("/")[-1] in folders for t in test_paths)


def _template(node: ast.JoinedStr) -> str:
    out = []
    for value in node.values:
        if isinstance(value, ast.Constant) and isinstance(value.value, str):
            out.append(value.value)
        else:
            out.append(_HOLE)
    return "".join(out)


def _normalise(text: str) -> str | None:
    """A request path from a test string: scheme and host dropped, query dropped; None when not a path."""
    text = text.strip()
    if text.startswith(("http://", "https://")):
        rest = text.split("://", 1)[1]
        text = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
    if not text.startswith(("/", _HOLE)):
        return None
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    return text or "/"


def _pattern(template: str) -> re.Pattern[str] | None:
    """A regex for the paths a test template can produce: a leading hole stands for any base URL."""
    try:
        body = ""
        for index, part in enumerate(template.split(_HOLE)):
            if index:
                body += ".*" if body == "" else "[^/]+"
            body += re.escape(part)
        body = body.rstrip("/")
        return re.compile(f"^{body}/?$")
    except re.error:
        return None


def route_sample(path: str) -> str:
    """A concrete path for a route: every parameter becomes `1`, regex anchors dropped."""
    sample = _PARAM.sub("1", path)
    sample = re.sub(r"[\^$]|\?$|\\", "", sample)
    return sample.rstrip("/") or "/"


class RouteWithoutTest(Rule):
    code = "BC901"
    name = "route-without-test"
    severity = "info"
    checklist = "Tests cover critical paths"
    node_types = (ast.JoinedStr,)
    fix_title = "Create a test that requests this route"
    fix_applicability = "unsafe"

    def __init__(self) -> None:
        self._in_tests = PerFile(lambda ctx: is_test_file(ctx.path, ctx.settings.test_paths))

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        # f-strings in tests keep their whole shape (the facts keep only their leading text)
        if self._in_tests.get(ctx):
            assert isinstance(node, ast.JoinedStr)
            template = _template(node)
            if "/" in template:
                ctx.remember(self, template)

    # -- project pass --------------------------------------------------------------------------------

    def check_project(self, project: Project) -> Iterable[Finding]:
        tests = [f for f in project.files.values() if is_test_file(f.path, project.settings.test_paths)]
        if not tests:
            return
        patterns, names = _requested(tests)
        if not patterns and not names:
            return
        url_names = _url_names(project)
        matcher = _any_of(patterns)
        by_line: dict[tuple[str, int], list[Route]] = {}
        for route in project.routes:
            by_line.setdefault((route.file, route.line), []).append(route)
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            target = route.handler or route.cls
            if target is None or is_test_file(route.file, project.settings.test_paths):
                continue
            key = (route.file, route.line)
            if key in seen:
                continue
            if any(self._tested(r, matcher, names, url_names) for r in by_line[key]):
                seen.add(key)
                continue
            seen.add(key)
            finding = self.finding(
                route.file, target,
                f"no test requests {'/'.join(m for m in route.methods if m != '*') or 'any method on'} "
                f"{route.path}: add a test that calls it and checks the response",
                function=route.function, framework=route.framework, path=route.path,
                method=next((m for m in route.methods if m not in ("*", "HEAD", "OPTIONS")), "GET"),
                auth=route.auth,
            )
            finding.first_line = route.first_line
            yield finding

    def _tested(self, route: Route, matcher: Callable[[str], bool], names: set[str],
                url_names: dict[tuple[str, int], set[str]]) -> bool:
        if matcher(route.path):
            return True
        own = {route.function, route.function.rsplit(".", 1)[-1]}
        endpoint = route.extra.get("endpoint")
        if endpoint:
            own.add(str(endpoint))
        name_kw = route.extra.get("decorator").kwargs.get("name") if isinstance(route.extra.get("decorator"), CallV) \
            else None
        if isinstance(name_kw, Const) and isinstance(name_kw.value, str):
            own.add(name_kw.value)
        own |= url_names.get((route.file, route.line), set())
        if route.cls is not None:
            own |= url_names.get((route.file, route.cls.line), set())
        return bool(own & names)

    def tests_for(self, project: Project, route: Route) -> list[str]:
        """Test files whose requests reach the route, by path or by route name (hover shows them)."""
        url_names = _url_names(project)
        sample = route_sample(route.path)
        found = []
        for facts in project.files.values():
            if not is_test_file(facts.path, project.settings.test_paths):
                continue
            texts, names = _file_requests(facts)
            patterns = [p for t in dict.fromkeys(texts) if (p := _text_pattern(t)) is not None]
            if any(p.match(sample) for p in patterns) or self._tested(route, lambda _path: False, names, url_names):
                found.append(facts.path)
        return sorted(found)

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.test_stub import route_test_stub

        if project is None:
            return None
        return route_test_stub(project, finding, self.fix_applicability)


def _strings(value: Any, out: list[str], depth: int = 0) -> None:
    """Every string a summary holds (call arguments, dict values, list items)."""
    if value is None or depth > 6:
        return
    if isinstance(value, Const) and isinstance(value.value, str):
        out.append(value.value)
    elif isinstance(value, FStr):
        out.append(value.prefix + _HOLE)
    elif isinstance(value, CallV):
        for item in [*value.args, *value.kwargs.values()]:
            _strings(item, out, depth + 1)
    elif isinstance(value, Seq):
        for item in value.items:
            _strings(item, out, depth + 1)
    elif isinstance(value, Map):
        for item in value.values:
            _strings(item, out, depth + 1)
    elif isinstance(value, Sub):
        _strings(value.value, out, depth + 1)


# Per-file test requests, keyed by path and kept only while the file keeps the same facts object (an edit
# re-indexes the file into a new one), so an edit re-reads only the edited test file.
_REQUESTS: dict[str, tuple[FileFacts, list[str], set[str]]] = {}
# The regex for each normalised test string (None when it proves nothing), shared by every pass.
_PATTERNS: dict[str, re.Pattern[str] | None] = {}


def _file_requests(facts: FileFacts) -> tuple[list[str], set[str]]:
    """Strings and route names one test file's facts hold, memoised while its facts object stays current."""
    found = _REQUESTS.get(facts.path)
    if found is not None and found[0] is facts:
        return found[1], found[2]
    texts: list[str] = []
    names: set[str] = set()
    texts.extend(e for e in facts.rule_data.get("BC901", ()) if isinstance(e, str))
    calls = list(facts.calls)
    for value, _line in facts.assigns.values():
        _strings(value, texts)
    for func in facts.all_functions():
        calls.extend(func.calls)
        for value in func.locals.values():
            _strings(value, texts)
    for cls in facts.classes.values():
        for value in cls.attrs.values():
            if not isinstance(value, (tuple, ClassFacts)):
                _strings(value, texts)
    for call in calls:
        last = call.func.rsplit(".", 1)[-1]
        if last in _REVERSE and call.args and isinstance(call.args[0], Const) and isinstance(call.args[0].value, str):
            name = call.args[0].value
            names.add(name)
            names.add(name.rsplit(":", 1)[-1])
            names.add(name.rsplit(".", 1)[-1])
        _strings(call, texts)
    texts = list(dict.fromkeys(texts))
    _REQUESTS[facts.path] = (facts, texts, names)
    return texts, names


def _text_pattern(text: str) -> re.Pattern[str] | None:
    """The path pattern a test string stands for, or None when it is not a path that proves anything."""
    if text in _PATTERNS:
        return _PATTERNS[text]
    pattern = None
    path = _normalise(text)
    # a template with no literal segment (`f"{base}/{pk}/"`) could be any route: it proves nothing
    if path is not None and (path == "/" or re.search(r"[A-Za-z0-9]", path.replace(_HOLE, ""))):
        pattern = _pattern(path)
    if len(_PATTERNS) > 200_000:
        _PATTERNS.clear()
    _PATTERNS[text] = pattern
    return pattern


def _requested(tests: list[FileFacts]) -> tuple[list[re.Pattern[str]], set[str]]:
    """Path patterns and route names the tests ask for."""
    if len(_REQUESTS) > 4 * len(tests) + 1000:
        _REQUESTS.clear()  # another project's files, or many deleted ones: start over
    texts: list[str] = []
    names: set[str] = set()
    for facts in tests:
        file_texts, file_names = _file_requests(facts)
        texts.extend(file_texts)
        names |= file_names
    patterns = []
    for text in dict.fromkeys(texts):
        pattern = _text_pattern(text)
        if pattern is not None:
            patterns.append(pattern)
    return patterns, names


def _any_of(patterns: list[re.Pattern[str]]) -> Callable[[str], bool]:
    """Whether a route path's sample matches any of the patterns, as one regex built once per pattern set."""
    key = tuple(p.pattern for p in patterns)
    if _COMBINED.get("key") != key:
        try:
            combined = re.compile("|".join(f"(?:{p})" for p in key)) if key else None
        except (re.error, RecursionError, OverflowError):
            combined = None  # too large for one regex: test the patterns one by one
        _COMBINED.update(key=key, combined=combined)
    combined = _COMBINED["combined"]
    seen: dict[str, bool] = {}

    def matcher(path: str) -> bool:
        if path not in seen:
            sample = route_sample(path)
            seen[path] = bool(combined.match(sample)) if combined is not None else \
                any(p.match(sample) for p in patterns)
        return seen[path]

    return matcher


# The last pattern set and its combined regex (the test strings rarely change between passes).
_COMBINED: dict[str, Any] = {}


def _url_names(project: Project) -> dict[tuple[str, int], set[str]]:
    """Django URL names (`path(..., name="x")`, DRF router basenames) by the (file, line) of their view."""
    out: dict[tuple[str, int], set[str]] = {}
    for facts in project.files.values():
        if not any(v.startswith(("django", "rest_framework")) for v in facts.imports.values()):
            continue
        for call in facts.calls:
            last = call.func.rsplit(".", 1)[-1]
            if last in ("path", "re_path", "url") and len(call.args) >= 2:
                name = call.kwargs.get("name")
                if isinstance(name, Const) and isinstance(name.value, str):
                    _add(project, facts, call.args[1], {name.value}, out)
            elif last == "register" and len(call.args) >= 2:
                basename = call.kwargs.get("basename") or (call.args[2] if len(call.args) > 2 else None)
                base = basename.value if isinstance(basename, Const) and isinstance(basename.value, str) else ""
                view = call.args[1]
                if not base and isinstance(view, Ref):
                    found = project.resolve(facts, view.name)
                    if found and found[1] == "class":
                        queryset = project.class_attr(found[0], found[2], "queryset")
                        head = queryset[1].func.split(".")[0] if queryset and isinstance(queryset[1], CallV) else ""
                        base = head.lower()
                if base:
                    _add(project, facts, view, {f"{base}-list", f"{base}-detail"}, out)
    return out


def _add(project: Project, facts: FileFacts, view: Any, names: set[str], out: dict) -> None:
    target = view.name if isinstance(view, Ref) else view.func if isinstance(view, CallV) else ""
    target = target.replace("()", "")
    target = target.removesuffix(".as_view")
    if not target:
        return
    found = project.resolve(facts, target)
    if found and found[1] in ("function", "class"):
        out.setdefault((found[0].path, found[2].line), set()).update(names)
