"""What a FastAPI dependency's `if` tests mean for an anonymous request.

`fastapi.py` follows dependencies through project code; this module answers the small questions it asks
about one test on the way to a `raise` or a `return`: can it be decided from the arguments a factory was
called with (`required=False`), does it only hold when a credential was sent (`if token:`), and does it
read configuration rather than the request (`if settings.AUTH_ENABLED:`)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from backcheck.index.facts import Test

AUTHENTICATES, CONDITIONAL, OPEN = "authenticates", "conditional", "open"
# How sure a verdict is, for combining candidates: one that rejects wins over a conditional one.
RANK = {AUTHENTICATES: 2, CONDITIONAL: 1, OPEN: 0}


@dataclass(slots=True)
class Verdict:
    """What one dependency does to an anonymous request, and why."""

    verdict: str  # AUTHENTICATES, CONDITIONAL or OPEN
    reason: str
    condition: str = ""  # CONDITIONAL: the setting or state that leaves the request through
    optional: bool = False  # OPEN because a credential is read but may be missing (auto_error=False)
    swallowed: bool = False  # OPEN because a check's rejection is caught and not raised again

    @property
    def authenticates(self) -> bool:
        return self.verdict == AUTHENTICATES


def strongest(verdicts: list[Verdict]) -> Verdict | None:
    """FastAPI runs every dependency, so one that rejects is enough: the strongest verdict, first wins."""
    best: Verdict | None = None
    for verdict in verdicts:
        if best is None or RANK[verdict.verdict] > RANK[best.verdict]:
            best = verdict
    return best


_MISSING = object()


@lru_cache(maxsize=4096)
def _parse(text: str) -> ast.expr | None:
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return None


def _dotted(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        head = _dotted(node.value)
        return f"{head}.{node.attr}" if head else None
    if isinstance(node, ast.Call) and not node.args and not node.keywords:
        head = _dotted(node.func)  # `get_settings()`, as the facts spell it
        return f"{head}()" if head else None
    return None


def _value(node: ast.expr, binding: dict[str, Any]) -> Any:
    if isinstance(node, ast.Constant):
        return node.value
    name = _dotted(node)
    if name is not None:
        return binding.get(name, _MISSING)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        inner = _value(node.operand, binding)
        return _MISSING if inner is _MISSING else not inner
    if isinstance(node, ast.BoolOp):
        values = [_value(v, binding) for v in node.values]
        known = [v for v in values if v is not _MISSING]
        if isinstance(node.op, ast.And):
            if any(not v for v in known):
                return False
            return _MISSING if len(known) < len(values) else True
        if any(known):
            return True
        return _MISSING if len(known) < len(values) else False
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left, right = _value(node.left, binding), _value(node.comparators[0], binding)
        if left is _MISSING or right is _MISSING:
            return _MISSING
        op = node.ops[0]
        if isinstance(op, (ast.Eq, ast.Is)):
            return left == right
        if isinstance(op, (ast.NotEq, ast.IsNot)):
            return left != right
    return _MISSING


def holds(test: Test, binding: dict[str, Any]) -> bool | None:
    """Whether the branch a test leads to is taken, given known values of names; None when unknown."""
    node = _parse(test.text)
    if node is None:
        return None
    value = _value(node, binding)
    if value is _MISSING:
        return None
    return bool(value) != test.negated


def _present(node: ast.expr, names: set[str], positive: bool) -> bool:
    """Whether `node` being `positive` means one of `names` holds a value (a credential was sent)."""
    if isinstance(node, ast.Name):
        return positive and node.id in names
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return _present(node.operand, names, not positive)
    if isinstance(node, ast.BoolOp):
        if isinstance(node.op, ast.And) == positive:
            return any(_present(v, names, positive) for v in node.values)
        return all(_present(v, names, positive) for v in node.values)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.left, ast.Name):
        right = node.comparators[0]
        if node.left.id in names and isinstance(right, ast.Constant) and right.value in (None, ""):
            if isinstance(node.ops[0], (ast.IsNot, ast.NotEq)):
                return positive
            if isinstance(node.ops[0], (ast.Is, ast.Eq)):
                return not positive
    return False


def needs_credential(test: Test, optional: set[str]) -> bool:
    """Whether a test only lets through calls that sent one of the optional credentials (`if token:`)."""
    if not optional:
        return False
    node = _parse(test.text)
    return node is not None and _present(node, optional, not test.negated)


def lacks_credential(test: Test, optional: set[str]) -> bool:
    """Whether a test leads to the branch taken when an optional credential is missing (`if not token:`)."""
    if not optional:
        return False
    node = _parse(test.text)
    return node is not None and _present(node, optional, test.negated)


def conjuncts(test: Test) -> list[Test]:
    """A test split into the parts that must all hold (`a and b`, or `not (a or b)`), each on its own."""
    node = _parse(test.text)
    if isinstance(node, ast.BoolOp) and isinstance(node.op, ast.Or if test.negated else ast.And):
        parts = []
        for value in node.values:
            names = [n for n in (_dotted(sub) for sub in ast.walk(value) if isinstance(sub, (ast.Name, ast.Attribute)))
                     if n]
            parts.extend(conjuncts(Test(ast.unparse(value), names, test.negated)))
        return parts
    return [test]


def gate_text(tests: list[Test]) -> str:
    """The condition under which a rejection applies, as source: `settings.AUTH_ENABLED and ...`."""
    parts = [test.text if not test.negated else negate(test.text) for test in tests]
    return " and ".join(parts)


_INVERSE = {ast.Eq: ast.NotEq, ast.NotEq: ast.Eq, ast.Is: ast.IsNot, ast.IsNot: ast.Is, ast.In: ast.NotIn,
            ast.NotIn: ast.In}


def negate(text: str) -> str:
    """`not text`, without a double negation."""
    node = _parse(text)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return ast.unparse(node.operand)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and type(node.ops[0]) in _INVERSE:
        return ast.unparse(ast.Compare(node.left, [_INVERSE[type(node.ops[0])]()], node.comparators))
    if node is not None and isinstance(node, (ast.Name, ast.Attribute, ast.Call, ast.Subscript)):
        return f"not {text}"
    return f"not ({text})"


def roots(test: Test) -> set[str]:
    """The first part of every name a test reads (`settings` for `settings.AUTH_ENABLED`)."""
    return {name.split(".", 1)[0].split("(", 1)[0].split("[", 1)[0] for name in test.names}
