"""## What it does
Flags debug mode switched on in code that a deployment runs: `DEBUG = True` in a settings module (a
Django settings file, a `settings/`, `config` or `conf` module, a Flask config class), `app.run(debug=True)`,
`FastAPI(debug=True)` / `Starlette(debug=True)`, `app.debug = True`, `app.config["DEBUG"] = True`,
`app.config.update(DEBUG=True)` and `settings.configure(DEBUG=True)`.

Tests, and modules or config classes whose name says they are for development only (`settings/dev.py`,
`local_settings.py`, `DevelopmentConfig`, `TestingConfig`), are not flagged. A config class that sets
`DEBUG = True` but is overridden with `DEBUG = False` by a production subclass in the same module is not
flagged either. Values read from the environment are left alone.

## Why is this bad?
In debug mode the framework answers an unhandled error with its technical error page: the traceback,
local variables, settings and SQL (Django), or the Werkzeug debugger, which lets whoever sees it run Python
on the server (Flask). FastAPI and Starlette return the traceback as the response body. A debug flag left
on in a settings module the deployment imports ships all of that to production.

## Example
```python
# mysite/settings.py
DEBUG = True
ALLOWED_HOSTS = ["*"]
```

## Use instead
```python
# mysite/settings.py
DEBUG = os.environ.get("DEBUG", "").lower() in ("1", "true", "yes")
ALLOWED_HOSTS = os.environ["ALLOWED_HOSTS"].split(",")
```
Keep `DEBUG = True` in a development-only settings module (`settings/dev.py`) if you want it locally.

## Fix safety
The quick fix replaces `True` with a read of the `DEBUG` environment variable (off unless it is set to
1/true/yes) and adds `import os` when needed. Anyone who relied on debug being on must now set the
variable, so the fix is unsafe: review it.

## References
- Django deployment checklist, DEBUG: https://docs.djangoproject.com/en/stable/howto/deployment/checklist/#debug
- Flask: Debug Mode, https://flask.palletsprojects.com/en/stable/debugging/
- CWE-489: Active Debug Code; CWE-215: Insertion of Sensitive Information Into Debugging Code
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import Const, dotted
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.errors.paths import is_dev_only_name, is_test_path

_SETTINGS_FILE = re.compile(r"(settings|config|conf|configuration)", re.IGNORECASE)
# Text that makes a module Django settings (or a Flask module configured from its own globals).
_SETTINGS_MARKERS = ("INSTALLED_APPS", "ROOT_URLCONF", "ALLOWED_HOSTS", "MIDDLEWARE", "from_object(__name__)")
_APP_CONSTRUCTORS = {"FastAPI", "Starlette", "Quart", "Sanic", "Litestar"}
_CONFIG_UPDATES = {"update", "from_mapping", "configure", "setdefault"}
_PROD_CLASS = re.compile(r"(prod|production|live|release|staging|deploy)", re.IGNORECASE)


def _is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _class_stem(name: str) -> str:
    """`DevelopmentConfig` -> `development`, so class names can be judged like module names."""
    stem = re.sub(r"(Config|Configuration|Settings|Conf)$", "", name)
    return stem.lower() or name.lower()


class DebugModeEnabled(Rule):
    code = "BC502"
    name = "debug-mode-enabled"
    severity = "error"
    checklist = "Error messages leak nothing"
    node_types = (ast.Assign, ast.Call)
    fix_title = "Read the debug flag from the environment"
    fix_applicability = "unsafe"

    def _skipped(self, ctx: FileContext) -> bool:
        if is_test_path(ctx.path):
            return True
        parts = ctx.path[:-3].split("/") if ctx.path.endswith(".py") else ctx.path.split("/")
        stem = parts[-1] if parts[-1] != "__init__" or len(parts) == 1 else parts[-2]
        return is_dev_only_name(stem)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        if isinstance(node, ast.Assign):
            if not _is_true(node.value):
                return
            for target in node.targets:
                self._assignment(target, node.value, ctx)
        elif node.keywords or node.args:
            self._call(node, ctx)

    def _assignment(self, target: ast.expr, value: ast.expr, ctx: FileContext) -> None:
        if isinstance(target, ast.Name) and target.id == "DEBUG":
            if ctx.func is not None or self._skipped(ctx):
                return
            if ctx.cls is not None:
                if not is_dev_only_name(_class_stem(ctx.cls.name)):
                    # decided in the project pass: a production subclass may switch it off
                    ctx.remember(self, ("class", ctx.cls.name, [value.lineno, value.col_offset,
                                                                  value.end_lineno, value.end_col_offset]))
                return
            if self._settings_module(ctx):
                # decided in the project pass: a production module next to it may switch it off
                ctx.remember(self, ("module", "", [value.lineno, value.col_offset, value.end_lineno,
                                                   value.end_col_offset]))
        elif isinstance(target, ast.Attribute) and target.attr == "debug" and not self._skipped(ctx):
            owner = dotted(target.value) or ""
            if owner.rsplit(".", 1)[-1] in ("app", "application", "server", "api") or owner.endswith("app"):
                ctx.report(self, value, f"{owner}.debug = True turns on debug mode: unhandled errors show "
                           "tracebacks (and the interactive debugger); read it from the environment")
        elif isinstance(target, ast.Subscript) and isinstance(target.slice, ast.Constant) \
                and target.slice.value == "DEBUG" and not self._skipped(ctx):
            owner = dotted(target.value) or ""
            if owner.endswith("config"):
                ctx.report(self, value, f'{owner}["DEBUG"] = True turns on debug mode: unhandled errors show '
                           "tracebacks to clients; read it from the environment")

    def _settings_module(self, ctx: FileContext) -> bool:
        parts = ctx.path.split("/")
        if _SETTINGS_FILE.search(parts[-1]) or any(_SETTINGS_FILE.search(p) for p in parts[-3:-1]):
            return True
        return any(marker in ctx.text for marker in _SETTINGS_MARKERS)

    def _call(self, node: ast.Call, ctx: FileContext) -> None:
        for keyword in node.keywords:
            if keyword.arg not in ("debug", "DEBUG") or not _is_true(keyword.value):
                continue
            name = dotted(node.func) or ""
            short = name.rsplit(".", 1)[-1]
            if keyword.arg == "debug" and short == "run":
                message = (f"{name}(debug=True) starts the server in debug mode: unhandled errors show "
                           "tracebacks and the interactive debugger; read the flag from the environment")
            elif keyword.arg == "debug" and short in _APP_CONSTRUCTORS:
                message = (f"{short}(debug=True) returns tracebacks to clients on unhandled errors; read the "
                           "flag from the environment")
            elif keyword.arg == "DEBUG" and short in _CONFIG_UPDATES:
                message = (f"{name}(DEBUG=True) turns on debug mode: unhandled errors show tracebacks to "
                           "clients; read it from the environment")
            else:
                continue
            if not self._skipped(ctx):
                ctx.report(self, keyword.value, message)
        # app.config.update({"DEBUG": True})
        func = node.func
        if node.args and isinstance(node.args[0], ast.Dict) and isinstance(func, ast.Attribute) \
                and func.attr in _CONFIG_UPDATES:
            for key, value in zip(node.args[0].keys, node.args[0].values):
                if isinstance(key, ast.Constant) and key.value == "DEBUG" and _is_true(value) \
                        and not self._skipped(ctx):
                    ctx.report(self, value, f"{dotted(func)}({{'DEBUG': True}}) turns on debug mode: unhandled "
                               "errors show tracebacks to clients; read it from the environment")

    def check_project(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            entries = facts.rule_data.get(self.code)
            if not entries:
                continue
            for kind, class_name, pos in entries:
                if kind == "module":
                    if self._production_sibling(project, facts):
                        continue
                    yield self.finding(
                        facts.path, tuple(pos),
                        "DEBUG = True in a settings module: error pages show tracebacks, settings and local "
                        "variables to clients; read it from the environment",
                    )
                    continue
                if self._overridden(facts, class_name):
                    continue
                yield self.finding(
                    facts.path, tuple(pos),
                    f"DEBUG = True in config class {class_name}: error pages show tracebacks to clients; "
                    "read it from the environment, or keep it in a development-only config",
                )

    @staticmethod
    def _production_sibling(project: Project, facts) -> bool:
        """Whether a production settings module in the same folder sets DEBUG to something else
        (`settings/base.py` with `DEBUG = True`, overridden in `settings/production.py`)."""
        folder = facts.path.rpartition("/")[0]
        for other in project.files.values():
            if other is facts or other.path.rpartition("/")[0] != folder:
                continue
            stem = other.path.rpartition("/")[2][:-3]
            if not _PROD_CLASS.search(stem):
                continue
            value = other.assigns.get("DEBUG")
            if value is not None and not (isinstance(value[0], Const) and value[0].value is True):
                return True
        return False

    @staticmethod
    def _overridden(facts, class_name: str) -> bool:
        """Whether a production-like subclass in the same module sets DEBUG back to something else."""
        for cls in facts.classes.values():
            if class_name in [b.rsplit(".", 1)[-1] for b in cls.bases] and _PROD_CLASS.search(cls.name):
                value = cls.attrs.get("DEBUG")
                if value is not None and not (isinstance(value, Const) and value.value is True):
                    return True
        return False

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.debug_flag import debug_from_env_fix

        return debug_from_env_fix(self.fix_title, self.fix_applicability, text, finding)
