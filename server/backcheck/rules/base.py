"""The rule contract. A rule is one module under `backcheck/rules/<area>/`; its module docstring is its
documentation (What it does / Why is this bad? / Example / Use instead / Fix safety / References).

A rule may
- ask for node types (`node_types`) and get each such node during the single walk of a file (`visit`),
  reporting findings or storing small facts for later with `ctx.remember(...)`;
- look at the whole project once every file is indexed (`check_project`): routes, handlers, models;
- build a quick fix on request (`fix`), with libcst, only when an editor asks for it.
"""

from __future__ import annotations

import ast
import logging
import sys
from typing import TYPE_CHECKING, Any, ClassVar, Iterable

from backcheck.diagnostics import Finding

if TYPE_CHECKING:
    from backcheck.config import Settings
    from backcheck.fixes import Fix
    from backcheck.index.facts import ClassFacts, FileFacts, FuncFacts
    from backcheck.index.project import Project

log = logging.getLogger("backcheck.rules")

SEVERITIES = ("error", "warning", "info")


class Rule:
    """Base class; subclasses set `code`, `name`, `severity` and override what they need."""

    code: ClassVar[str] = ""
    name: ClassVar[str] = ""
    severity: ClassVar[str] = "warning"
    # the checklist item this rule encodes, one line
    checklist: ClassVar[str] = ""
    # ast node classes this rule wants during the walk
    node_types: ClassVar[tuple[type[ast.AST], ...]] = ()
    # title of the quick fix offered in editors, None when there is none
    fix_title: ClassVar[str | None] = None
    # "safe" fixes go into "fix all"; "unsafe" ones are offered one by one
    fix_applicability: ClassVar[str] = "unsafe"

    @classmethod
    def documentation(cls) -> str:
        """The rule's documentation: its module's docstring."""
        return (sys.modules[cls.__module__].__doc__ or "").strip()

    @classmethod
    def summary(cls) -> str:
        """First line of the documentation's "What it does" section."""
        doc = cls.documentation()
        lines = [l.strip() for l in doc.splitlines()]
        for i, line in enumerate(lines):
            if line.lower().startswith("## what it does") or line.lower() == "what it does":
                for nxt in lines[i + 1 :]:
                    if nxt and not set(nxt) <= {"-", "="}:
                        return nxt
        return lines[0] if lines else cls.name

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        """Called for each node of a requested type during the file walk."""

    def check_project(self, project: Project) -> Iterable[Finding]:
        """Findings that need the whole project (routes, cross-file facts)."""
        return ()

    def fix(self, finding: Finding, text: str, project: Project | None) -> Fix | None:
        """A quick fix for one of this rule's findings, built on demand; None when none applies."""
        return None

    def finding(self, file: str, node_or_pos: Any, message: str, /, **data: Any) -> Finding:
        """A finding at an ast node, a FuncFacts/ClassFacts (its name) or a (line, col, end_line, end_col) tuple."""
        line, col, end_line, end_col, first = position_of(node_or_pos)
        return Finding(self.code, message, file, line, col, end_line, end_col, first, data)


def position_of(target: Any) -> tuple[int, int, int, int, int]:
    """(line, col, end_line, end_col, first_line) for a node, a declaration's name or a tuple."""
    if isinstance(target, tuple):
        line, col, end_line, end_col = target
        return line, col, end_line, end_col, line
    if hasattr(target, "qualname"):  # FuncFacts / ClassFacts: the name after `def`/`class`
        offset = target.col + (len("async def ") if getattr(target, "is_async", False) else
                               len("def ") if hasattr(target, "is_async") else len("class "))
        return target.line, offset, target.line, offset + len(target.name.encode("utf-8")), target.first_line
    if hasattr(target, "func") and hasattr(target, "end_col"):  # CallV
        return target.line, target.col, target.end_line, target.end_col, target.line
    line = getattr(target, "lineno", 1)
    return (
        line,
        getattr(target, "col_offset", 0),
        getattr(target, "end_lineno", None) or line,
        getattr(target, "end_col_offset", None) or 0,
        line,
    )


class FileContext:
    """What a rule sees while one file is walked."""

    def __init__(self, facts: FileFacts, text: str, settings: Settings):
        self.facts = facts
        self.path = facts.path
        self.text = text
        self.settings = settings
        self.findings: list[Finding] = []
        self.rule_errors: list[tuple[str, str]] = []
        self.func: FuncFacts | None = None
        self.cls: ClassFacts | None = None
        self._broken: set[str] = set()

    def run_hooks(self, hooks: list[Rule], node: ast.AST, func: Any, cls: Any) -> None:
        """Hand a node to each interested rule; a rule that raises is disabled for this file and logged."""
        self.func, self.cls = func, cls
        for rule in hooks:
            if rule.code in self._broken:
                continue
            try:
                rule.visit(node, self)
            except Exception as exc:  # isolation: one broken rule must not silence the others
                self._broken.add(rule.code)
                self.rule_errors.append((rule.code, f"{type(exc).__name__}: {exc}"))
                log.exception("rule %s failed on %s", rule.code, self.path)

    def report(self, rule: Rule, target: Any, message: str, **data: Any) -> None:
        self.findings.append(rule.finding(self.path, target, message, **data))

    def remember(self, rule: Rule, value: Any) -> None:
        """Store a small picklable fact for the rule's project pass (a list per rule and file)."""
        self.facts.rule_data.setdefault(rule.code, []).append(value)

    def segment(self, node: ast.AST) -> str:
        return ast.get_source_segment(self.text, node) or ""
