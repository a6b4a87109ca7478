"""The single walk over one file's syntax tree: it fills `FileFacts` and hands each node to the rules
that asked for its type (one dispatch table built from the registry)."""

from __future__ import annotations

import ast
import re
from typing import TYPE_CHECKING, Any

from backcheck.index.authcommon import find_guards, gate_tree
from backcheck.index.facts import (
    CALL_MEMO,
    CallV,
    ClassFacts,
    Const,
    FileFacts,
    FuncFacts,
    Param,
    Test,
    call_summary,
    dotted,
    names_in,
    summarize,
)

if TYPE_CHECKING:
    from backcheck.rules.base import FileContext

_SUPPRESS = re.compile(r"#\s*backcheck:\s*(ignore|noqa|public)\b(?:\[([A-Za-z0-9_,\s]+)\])?", re.I)
_AUTH_STATUS = {401, 403}
_AUTH_STATUS_NAMES = ("HTTP_401", "HTTP_403", "UNAUTHORIZED", "FORBIDDEN")


def module_name(rel_path: str) -> tuple[str, bool]:
    """Dotted module name for a path relative to the root, and whether it is a package `__init__`."""
    parts = rel_path[:-3].split("/") if rel_path.endswith(".py") else rel_path.split("/")
    is_package = parts[-1] == "__init__"
    if is_package:
        parts = parts[:-1]
    return ".".join(p for p in parts if p), is_package


def scan_comments(text: str) -> tuple[dict[int, set[str]], set[int]]:
    """Suppression comments (`# backcheck: ignore[BC101]`) and public markers, by line."""
    suppressions: dict[int, set[str]] = {}
    public: set[int] = set()
    if "backcheck" not in text:
        return suppressions, public
    for number, line in enumerate(text.splitlines(), start=1):
        if "backcheck" not in line:
            continue
        for match in _SUPPRESS.finditer(line):
            kind, codes = match.group(1).lower(), match.group(2)
            if kind == "public":
                public.add(number)
                continue
            selected = {c.strip().upper() for c in codes.split(",") if c.strip()} if codes else {"*"}
            suppressions.setdefault(number, set()).update(selected)
    return suppressions, public


class Walker:
    """Builds the facts of one module in one pass and dispatches nodes to rule hooks."""

    def __init__(self, facts: FileFacts, dispatch: dict[type, list[Any]], ctx: FileContext | None):
        self.facts = facts
        self.dispatch = dispatch
        self.ctx = ctx
        self.func: FuncFacts | None = None
        self.cls: ClassFacts | None = None
        self.scope: list[str] = []
        self.within: tuple[str, ...] = ()
        # `if` tests around the statement being walked inside a function: (test, in its false branch)
        self.tests: list[tuple[ast.expr, bool]] = []
        self.top_ids: set[int] = set()
        self.test_texts: dict[tuple[int, bool], Test] = {}
        # parameter names of the enclosing functions (the view a decorator's wrapper calls through to)
        self.outer_params: list[set[str]] = []
        self.defined: set[str] = set()
        # the first binding of each local name of the function being walked: name -> (tests, summary)
        self.first_binds: dict[str, tuple[tuple[Test, ...], Any]] = {}

    # -- entry ---------------------------------------------------------------------------------------

    def run(self, tree: ast.Module) -> None:
        CALL_MEMO.clear()
        self.test_texts.clear()
        self.defined = {getattr(s, "name", "") for s in tree.body
                        if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))}
        try:
            for stmt in tree.body:
                self.visit(stmt)
        finally:
            CALL_MEMO.clear()

    def visit(self, node: ast.AST) -> None:
        hooks = self.dispatch.get(type(node))
        if hooks and self.ctx is not None:
            self.ctx.run_hooks(hooks, node, self.func, self.cls)
        method = _VISITORS.get(type(node))
        if method is not None:
            method(self, node)
        else:
            self.visit_children(node)

    def visit_children(self, node: ast.AST) -> None:
        fields = _CHILD_FIELDS.get(type(node))
        if fields is None:
            fields = _CHILD_FIELDS[type(node)] = _child_fields(type(node))
        for name in fields:
            value = getattr(node, name, None)
            if value is None:
                continue
            if type(value) is list:
                for item in value:
                    if isinstance(item, ast.AST):
                        self.visit(item)
            elif isinstance(value, ast.AST):
                self.visit(value)

    # -- declarations --------------------------------------------------------------------------------

    def visit_import(self, node: ast.Import) -> None:
        for alias in node.names:
            if alias.asname:
                self.facts.imports[alias.asname] = alias.name
            else:
                top = alias.name.split(".")[0]
                self.facts.imports.setdefault(top, top)

    def visit_import_from(self, node: ast.ImportFrom) -> None:
        base = node.module or ""
        if node.level:
            package = self.facts.module if self.facts.is_package else self.facts.module.rpartition(".")[0]
            parts = package.split(".") if package else []
            if node.level > 1:
                parts = parts[: len(parts) - (node.level - 1)] if len(parts) >= node.level - 1 else []
            base = ".".join([*parts, base] if base else parts)
        for alias in node.names:
            if alias.name == "*":
                self.facts.star_imports.append(base)
                continue
            target = f"{base}.{alias.name}" if base else alias.name
            self.facts.imports[alias.asname or alias.name] = target

    def _params(self, args: ast.arguments) -> list[Param]:
        params: list[Param] = []
        positional = [*args.posonlyargs, *args.args]
        defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in zip(positional, defaults):
            params.append(Param(arg.arg, summarize(arg.annotation), summarize(default)))
        for arg, default in zip(args.kwonlyargs, args.kw_defaults):
            params.append(Param(arg.arg, summarize(arg.annotation), summarize(default)))
        if args.vararg:
            params.append(Param("*" + args.vararg.arg, summarize(args.vararg.annotation), None))
        if args.kwarg:
            params.append(Param("**" + args.kwarg.arg, summarize(args.kwarg.annotation), None))
        return params

    def visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        for default in [*node.args.defaults, *node.args.kw_defaults]:
            if default is not None:
                self.visit(default)
        qualname = ".".join([*self.scope, node.name])
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        facts = FuncFacts(
            name=node.name,
            qualname=qualname,
            line=node.lineno,
            col=node.col_offset,
            first_line=first,
            end_line=node.end_lineno or node.lineno,
            is_async=isinstance(node, ast.AsyncFunctionDef),
            decorators=[summarize(d) for d in node.decorator_list],
            params=self._params(node.args),
            returns=summarize(node.returns),
        )
        if self.func is None:
            if self.cls is not None and len(self.scope) == 1:
                self.cls.methods[node.name] = facts
            elif not self.scope:
                self.facts.functions[node.name] = facts
        if self.cls is None and self.func is not None:
            # a nested function (inside an app factory): keep it findable by its own name
            self.facts.functions.setdefault(node.name, facts)
        if self.func is not None:
            self.facts.nested[qualname] = facts
        facts.guards = find_guards(node)
        wrapped = set().union(*self.outer_params) if self.outer_params else set()
        facts.gate = gate_tree(node, wrapped, {*self.facts.imports, *self.defined, *self.facts.assigns})
        own = {a.arg for a in [*node.args.posonlyargs, *node.args.args, *node.args.kwonlyargs]} - {"self", "cls"}
        outer_func, outer_within, outer_tests, outer_top = self.func, self.within, self.tests, self.top_ids
        outer_binds, self.first_binds = self.first_binds, {}
        self.func, self.within, self.tests, self.top_ids = facts, (), [], {id(s) for s in node.body}
        self.scope.append(node.name)
        self.outer_params.append(own)
        for stmt in node.body:
            self.visit(stmt)
        self.outer_params.pop()
        self.scope.pop()
        _compact(facts)
        self.first_binds = outer_binds
        self.func, self.within, self.tests, self.top_ids = outer_func, outer_within, outer_tests, outer_top

    def visit_class(self, node: ast.ClassDef) -> None:
        for decorator in node.decorator_list:
            self.visit(decorator)
        qualname = ".".join([*self.scope, node.name])
        first = min([d.lineno for d in node.decorator_list] + [node.lineno])
        facts = ClassFacts(
            name=node.name,
            qualname=qualname,
            line=node.lineno,
            col=node.col_offset,
            first_line=first,
            end_line=node.end_lineno or node.lineno,
            bases=[dotted(b) or "" for b in node.bases],
            decorators=[summarize(d) for d in node.decorator_list],
            attrs={},
            methods={},
            keywords={k.arg or "**": summarize(k.value) for k in node.keywords},
        )
        if self.func is None and len(self.scope) <= 1:
            # top-level classes and one level of nesting (Django `class Meta`) are kept by name
            if not self.scope:
                self.facts.classes[node.name] = facts
            elif self.cls is not None:
                self.cls.attrs[node.name] = facts
        outer_cls, outer_func = self.cls, self.func
        self.cls, self.func = facts, None
        self.scope.append(node.name)
        for stmt in node.body:
            self.visit(stmt)
        self.scope.pop()
        self.cls, self.func = outer_cls, outer_func

    # -- statements ----------------------------------------------------------------------------------

    def _bind(self, target: ast.expr, value: Any, line: int) -> None:
        if isinstance(target, ast.Name):
            name = target.id
        elif isinstance(target, ast.Attribute) and self.func is None and self.cls is None:
            name = dotted(target)
            if name is not None:
                self.facts.attr_assigns.append((name, value, line))
            return
        elif isinstance(target, ast.Attribute) and self.func is not None:
            name = dotted(target)
            if name is None:
                return
        else:
            return
        if self.func is not None:
            if isinstance(target, ast.Name):
                self._rebind(name, value)
            self.func.locals[name] = value
        elif self.cls is not None:
            self.cls.attrs[name] = value
        else:
            self.facts.assigns[name] = (value, line)

    def _rebind(self, name: str, value: Any) -> None:
        """Keep every binding of a local name bound more than once, with the `if` tests around each."""
        first = self.first_binds.get(name)
        if first is None:
            self.first_binds[name] = (self._tests(), value)
            return
        if not any(bound == name for bound, _, _ in self.func.rebinds):
            self.func.rebinds.append((name, *first))
        self.func.rebinds.append((name, self._tests(), value))

    def visit_try(self, node: ast.Try) -> None:
        if self.func is not None and node.body:
            handlers = []
            for handler in node.handlers:
                kinds = handler.type.elts if isinstance(handler.type, ast.Tuple) else [handler.type]
                caught = tuple((dotted(kind) or "?") if kind is not None else "" for kind in kinds)
                raises = any(isinstance(sub, ast.Raise) for stmt in handler.body for sub in ast.walk(stmt))
                handlers.append((caught, raises))
            last = node.body[-1].end_lineno or node.body[-1].lineno
            self.func.tries.append((node.body[0].lineno, last, tuple(handlers)))
        self.visit_children(node)

    def visit_assign(self, node: ast.Assign) -> None:
        value = summarize(node.value)
        for target in node.targets:
            self._bind(target, value, node.lineno)
            if isinstance(target, (ast.Tuple, ast.List)) and self.func is None and self.cls is None:
                for elt in target.elts:
                    self._bind(elt, None, node.lineno)
        self.visit(node.value)
        for target in node.targets:
            if not isinstance(target, ast.Name):
                self.visit(target)

    def visit_ann_assign(self, node: ast.AnnAssign) -> None:
        value = summarize(node.value) if node.value is not None else None
        if self.cls is not None and self.func is None and isinstance(node.target, ast.Name):
            # typed class attributes (pydantic fields, SQLAlchemy Mapped[...] columns) keep both parts
            self.cls.attrs[node.target.id] = ("annotated", summarize(node.annotation), value)
        else:
            self._bind(node.target, value, node.lineno)
        if node.value is not None:
            self.visit(node.value)
        self.visit(node.annotation)

    def visit_aug_assign(self, node: ast.AugAssign) -> None:
        if self.func is None and self.cls is None and isinstance(node.target, ast.Name):
            self.facts.extends.append((node.target.id, summarize(node.value), node.lineno))
        self.visit_children(node)

    def visit_for(self, node: ast.For | ast.AsyncFor) -> None:
        if self.cls is None or self.func is not None:
            loops = self.func.loops if self.func is not None else self.facts.loops
            if self.func is not None and loops is _EMPTY_DICT:
                loops = self.func.loops = {}
            iterable = summarize(node.iter)
            if isinstance(node.target, ast.Name):
                loops[node.target.id] = (iterable, -1)
            elif isinstance(node.target, (ast.Tuple, ast.List)):
                for index, elt in enumerate(node.target.elts):
                    if isinstance(elt, ast.Name):
                        loops[elt.id] = (iterable, index)
        self.visit_children(node)

    def visit_return(self, node: ast.Return) -> None:
        if self.func is not None:
            self.func.return_values.append(summarize(node.value))
            value = node.value
            if isinstance(value, ast.IfExp):
                # `return _required if required else _optional`: each branch with its test
                for branch, negated in ((value.body, False), (value.orelse, True)):
                    if isinstance(branch, (ast.Name, ast.Attribute, ast.Call)):
                        tests = (*self._tests(), self._test(value.test, negated))
                        self.func.returns_when.append((tests, summarize(branch)))
            elif self.tests and value is not None:
                if isinstance(value, ast.Await):
                    value = value.value  # `return await call_next(request)` under `if`: the call it hands on to
                if isinstance(value, (ast.Name, ast.Attribute, ast.Call)):
                    self.func.returns_when.append((self._tests(), summarize(value)))
        if node.value is not None:
            self.visit(node.value)

    def visit_raise(self, node: ast.Raise) -> None:
        if self.func is not None and node.exc is not None:
            exc = summarize(node.exc)
            self.func.raises.append(exc)
            self.func.raises_when.append((self._tests(), exc))
        self.visit_children(node)

    def visit_if(self, node: ast.If) -> None:
        if self.func is None:
            self.visit_children(node)
            return
        self.visit(node.test)
        self.tests.append((node.test, False))
        for stmt in node.body:
            self.visit(stmt)
        self.tests[-1] = (node.test, True)
        for stmt in node.orelse:
            self.visit(stmt)
        self.tests.pop()
        if not node.orelse and id(node) in self.top_ids and isinstance(node.body[-1], (ast.Return, ast.Raise)):
            # `if test: return` at the top of a function: the rest of it runs only when the test is false
            self.tests.append((node.test, True))

    def _test(self, test: ast.expr, negated: bool) -> Test:
        known = self.test_texts.get((id(test), negated))
        if known is None:
            known = self.test_texts[(id(test), negated)] = Test(ast.unparse(test)[:160], names_in(test)[:12], negated)
        return known

    def _tests(self) -> tuple[Test, ...]:
        return tuple(self._test(test, negated) for test, negated in self.tests)

    def visit_leaf(self, node: ast.AST) -> None:
        """Nodes with nothing below them worth visiting."""

    def visit_with(self, node: ast.With | ast.AsyncWith) -> None:
        texts = []
        for item in node.items:
            self.visit(item.context_expr)
            if item.optional_vars is not None and self.func is not None:
                self._bind(item.optional_vars, summarize(item.context_expr), node.lineno)
            texts.append(dotted(item.context_expr) or type(item.context_expr).__name__)
        outer = self.within
        self.within = (*outer, *texts)
        for stmt in node.body:
            self.visit(stmt)
        self.within = outer

    # -- expressions ---------------------------------------------------------------------------------

    def visit_call(self, node: ast.Call) -> None:
        summary = call_summary(node, within=self.within)
        if self.func is not None:
            self.func.calls.append(summary)
        else:
            self.facts.calls.append(summary)
        self.visit_children(node)

    def visit_attribute(self, node: ast.Attribute) -> None:
        if self.func is not None:
            text = dotted(node)
            if text:
                self.func.reads.add(text)
                if node.attr in ("is_authenticated", "is_anonymous"):
                    self.func.flags.add("checks_authenticated")
        # only calls and subscripts inside the chain can hold more to visit
        value = node.value
        while isinstance(value, ast.Attribute):
            value = value.value
        if not isinstance(value, ast.Name):
            self.visit(value)

    def visit_name(self, node: ast.Name) -> None:
        if self.func is not None and isinstance(node.ctx, ast.Load):
            self.func.reads.add(node.id)

    def visit_compare(self, node: ast.Compare) -> None:
        if self.func is not None:
            for operand in [node.left, *node.comparators]:
                if isinstance(operand, ast.Constant) and operand.value in _AUTH_STATUS:
                    self.func.flags.add("auth_status")
        self.visit_children(node)

    def visit_constant(self, node: ast.Constant) -> None:
        if self.func is not None and node.value in _AUTH_STATUS and not isinstance(node.value, bool):
            self.func.flags.add("auth_status")

    def visit_attribute_status(self, node: ast.Attribute) -> None:
        if self.func is not None and any(s in node.attr for s in _AUTH_STATUS_NAMES):
            self.func.flags.add("auth_status")
        self.visit_attribute(node)


_EMPTY_SET: frozenset = frozenset()
_EMPTY_LIST: list = []
_EMPTY_DICT: dict = {}


def _compact(func: FuncFacts) -> None:
    """Share one empty container among functions once their body is walked (large projects have many)."""
    func.reads = frozenset(func.reads) if func.reads else _EMPTY_SET
    func.flags = frozenset(func.flags) if func.flags else _EMPTY_SET
    if not func.locals:
        func.locals = _EMPTY_DICT
    if not func.loops:
        func.loops = _EMPTY_DICT
    for name in ("calls", "return_values", "raises", "decorators", "params", "raises_when", "returns_when",
                 "tries", "rebinds"):
        if not getattr(func, name):
            setattr(func, name, _EMPTY_LIST)


# Fields that can hold statements or expressions; `ctx` and operator fields only hold markers.
_SKIP_FIELDS = {"ctx", "op", "ops", "type_comment", "kind"}
_CHILD_FIELDS: dict[type, tuple[str, ...]] = {}


def _child_fields(cls: type) -> tuple[str, ...]:
    return tuple(f for f in cls._fields if f not in _SKIP_FIELDS)


_VISITORS = {
    ast.Import: Walker.visit_import,
    ast.ImportFrom: Walker.visit_import_from,
    ast.FunctionDef: Walker.visit_function,
    ast.AsyncFunctionDef: Walker.visit_function,
    ast.ClassDef: Walker.visit_class,
    ast.Assign: Walker.visit_assign,
    ast.AnnAssign: Walker.visit_ann_assign,
    ast.AugAssign: Walker.visit_aug_assign,
    ast.Return: Walker.visit_return,
    ast.If: Walker.visit_if,
    ast.For: Walker.visit_for,
    ast.AsyncFor: Walker.visit_for,
    ast.Raise: Walker.visit_raise,
    ast.With: Walker.visit_with,
    ast.Try: Walker.visit_try,
    ast.AsyncWith: Walker.visit_with,
    ast.Call: Walker.visit_call,
    ast.Attribute: Walker.visit_attribute_status,
    ast.Name: Walker.visit_name,
    ast.Compare: Walker.visit_compare,
    ast.Constant: Walker.visit_constant,
    ast.Pass: Walker.visit_leaf,
    ast.Break: Walker.visit_leaf,
    ast.Continue: Walker.visit_leaf,
}


def new_facts(rel_path: str, text: str, downgraded: bool = False) -> FileFacts:
    module, is_package = module_name(rel_path)
    suppressions, public = scan_comments(text)
    return FileFacts(
        path=rel_path,
        module=module,
        is_package=is_package,
        imports={},
        assigns={},
        functions={},
        classes={},
        calls=[],
        suppressions=suppressions,
        public_markers=public,
        lines=text.count("\n") + 1,
        downgraded=downgraded,
    )


__all__ = ["Walker", "new_facts", "module_name", "scan_comments", "CallV", "Const"]
