"""Quick fix for BC101: put the project's own authentication on a route.

FastAPI: `dependencies=[Depends(<the project's auth dependency>)]` on the route decorator (a decorator
argument never clashes with the handler's signature). Flask: `@login_required` from flask_login.
Django function views: `@login_required`; DRF class views: `permission_classes = [IsAuthenticated]`.
Imports are added when the names are not bound yet.
"""

from __future__ import annotations

from collections import Counter

import libcst as cst
import libcst.matchers as m

from backcheck.diagnostics import Finding
from backcheck.fixes import Fix, from_rewrite
from backcheck.fixes.cst_nodes import add_import
from backcheck.index.facts import Ref

_VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "api_route", "route", "websocket"}


def project_auth_dependency(project) -> tuple[str, str] | None:
    """(module, function) of the dependency the project's authenticated FastAPI routes use most."""
    from backcheck.index.fastapi import FastAPIIndex

    index = FastAPIIndex(project)
    counts: Counter[tuple[str, str]] = Counter()
    chain: dict[tuple[str, str], int] = {}
    for facts, call in project.all_calls():
        if call.func.rsplit(".", 1)[-1] not in ("Depends", "Security") or not call.args:
            continue
        target = call.args[0]
        if not isinstance(target, Ref):
            continue
        found = project.resolve(facts, target.name)
        reason = index.function_auth(found[0], found[2], 0) if found and found[1] == "function" else None
        if reason:
            key = (found[0].module, found[2].name)
            counts[key] += 1
            chain[key] = reason.count("<-")
    if not counts:
        return None
    # the most basic dependency (shortest chain to a scheme), then the most used: "is signed in", not "is admin"
    return min(counts, key=lambda key: (chain[key], -counts[key], key))


class _FastAPIDependency(cst.CSTTransformer):
    def __init__(self, function: str, dependency: str):
        self.function, self.dependency, self.done = function, dependency, False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != self.function or self.done:
            return updated
        decorators = list(updated.decorators)
        for index, decorator in enumerate(decorators):
            call = decorator.decorator
            if not (isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
                    and call.func.attr.value in _VERBS):
                continue
            depends = cst.parse_expression(f"Depends({self.dependency})")
            args = list(call.args)
            for position, arg in enumerate(args):
                if arg.keyword and arg.keyword.value == "dependencies" and isinstance(arg.value, cst.List):
                    elements = [*arg.value.elements, cst.Element(depends)]
                    args[position] = arg.with_changes(value=arg.value.with_changes(elements=elements))
                    break
            else:
                if args:
                    last = args[-1]
                    args[-1] = last.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" ")))
                args.append(cst.Arg(keyword=cst.Name("dependencies"), value=cst.List([cst.Element(depends)]),
                                    equal=cst.AssignEqual(cst.SimpleWhitespace(""), cst.SimpleWhitespace(""))))
            decorators[index] = decorator.with_changes(decorator=call.with_changes(args=args))
            self.done = True
            return updated.with_changes(decorators=decorators)
        return updated


class _AddDecorator(cst.CSTTransformer):
    def __init__(self, function: str, decorator: str):
        self.function, self.decorator, self.done = function, decorator, False

    def leave_FunctionDef(self, original: cst.FunctionDef, updated: cst.FunctionDef) -> cst.FunctionDef:
        if updated.name.value != self.function or self.done:
            return updated
        self.done = True
        # innermost, right above the def, so it runs after the route registration decorator
        decorators = [*updated.decorators, cst.Decorator(cst.Name(self.decorator))]
        return updated.with_changes(decorators=decorators)


class _AddMixin(cst.CSTTransformer):
    def __init__(self, cls: str):
        self.cls, self.done = cls, False

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if updated.name.value != self.cls or self.done:
            return updated
        self.done = True
        # the mixin must come first so its dispatch() runs before the view's
        bases = [cst.Arg(cst.Name("LoginRequiredMixin")), *updated.bases]
        return updated.with_changes(bases=bases, lpar=cst.LeftParen(), rpar=cst.RightParen())


class _AddPermission(cst.CSTTransformer):
    def __init__(self, cls: str):
        self.cls, self.done = cls, False

    def leave_ClassDef(self, original: cst.ClassDef, updated: cst.ClassDef) -> cst.ClassDef:
        if updated.name.value != self.cls or self.done:
            return updated
        self.done = True
        line = cst.parse_statement("permission_classes = [IsAuthenticated]\n")
        body = list(updated.body.body)
        position = 1 if body and m.matches(body[0], m.SimpleStatementLine(body=[m.Expr(m.SimpleString())])) else 0
        body.insert(position, line)
        return updated.with_changes(body=updated.body.with_changes(body=body))


def require_auth(finding: Finding, text: str, project) -> Fix | None:
    """The BC101 quick fix for one finding."""
    framework = finding.data.get("framework")
    function = str(finding.data.get("function", ""))
    try:
        module = cst.parse_module(text)
    except cst.ParserSyntaxError:
        return None
    title = "Require authentication on this route"
    if framework == "fastapi":
        found = project_auth_dependency(project) if project is not None else None
        if found is None:
            return None
        source, dependency = found
        own = project.files.get(finding.path)
        changed = module.visit(_FastAPIDependency(function, dependency))
        changed = add_import(changed, "fastapi", "Depends")
        if own is None or own.module != source:
            changed = add_import(changed, source, dependency)
        title = f"Require authentication: add Depends({dependency}) to the route"
    elif framework == "flask" and "." not in function:
        changed = add_import(module.visit(_AddDecorator(function, "login_required")), "flask_login", "login_required")
        title = "Require authentication: add @login_required"
    elif framework == "django":
        cls, _, _method = function.partition(".")
        if (finding.data.get("class_based") or "." in function) and finding.data.get("drf"):
            changed = add_import(module.visit(_AddPermission(cls)), "rest_framework.permissions", "IsAuthenticated")
            title = "Require authentication: permission_classes = [IsAuthenticated]"
        elif finding.data.get("class_based") or "." in function:
            changed = add_import(module.visit(_AddMixin(cls)), "django.contrib.auth.mixins", "LoginRequiredMixin")
            title = "Require authentication: inherit LoginRequiredMixin"
        else:
            changed = add_import(module.visit(_AddDecorator(function, "login_required")),
                                  "django.contrib.auth.decorators", "login_required")
            title = "Require authentication: add @login_required"
    else:
        return None
    return from_rewrite(title, "unsafe", text, changed.code)


__all__ = ["project_auth_dependency", "require_auth"]
