"""What a function sends back: the values its `return` statements are built from, followed through its
locals, the lists it appends to and the loop variables it iterates with. Read from `FuncFacts` only, so
no syntax tree is needed after the walk. Shared by the exposure and pagination rules."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from backcheck.index.facts import CallV, FStr, FuncFacts, Map, Other, Ref, Seq, Sub

# Calls that put a value into a container named by their receiver: `rows.append(x)`, `data.update(...)`.
_FILLS = {"append", "extend", "insert", "add", "update", "appendleft", "setdefault", "__setitem__"}
# Calls whose result is a number or a flag, whatever their arguments hold: nothing flows through them.
_OPAQUE = {"len", "bool", "sum", "any", "all", "max", "min", "abs", "round", "int", "float", "isinstance",
           "hash", "id", "type", "count", "exists", "callable", "hasattr"}


@dataclass(slots=True)
class Reach:
    """Everything a function's return values are made of."""

    # ids of the CallV / Map / Seq / Sub summaries reached
    ids: set[int] = field(default_factory=set)
    # the summaries themselves, in the order they were reached
    values: list[Any] = field(default_factory=list)
    # dotted names mentioned (`user.api_key`, `rows`, `Model.query.all`)
    names: set[str] = field(default_factory=set)
    # local names whose values were followed
    locals: set[str] = field(default_factory=set)

    def has(self, value: Any) -> bool:
        return id(value) in self.ids or (isinstance(value, CallV) and value.func in self.names)


def _heads(name: str) -> Iterable[str]:
    """`a.b.c` -> `a.b.c`, `a.b`, `a` (the longest bound one wins in locals)."""
    yield name
    while "." in name:
        name = name.rpartition(".")[0]
        yield name


def walk_value(value: Any, reach: Reach, depth: int = 0, opaque: frozenset[str] = frozenset()) -> list[str]:
    """Record a summary and everything inside it; returns the names it mentions. Calls named in `opaque`
    (by their last part) are recorded but not looked into."""
    if value is None or depth > 12:
        return []
    kind = type(value)
    if kind is Ref:
        reach.names.add(value.name)
        return [value.name]
    if kind in (CallV, Map, Seq, Sub):
        if id(value) in reach.ids:
            return []
        reach.ids.add(id(value))
        reach.values.append(value)
    found: list[str] = []
    if kind is CallV:
        reach.names.add(value.func)
        found.append(value.func)
        if value.func in _OPAQUE or opaque and short(value.func) in opaque:
            return found
        for arg in value.args:
            found.extend(walk_value(arg, reach, depth + 1, opaque))
        for arg in value.kwargs.values():
            found.extend(walk_value(arg, reach, depth + 1, opaque))
    elif kind is Map:
        for item in value.values:
            found.extend(walk_value(item, reach, depth + 1, opaque))
    elif kind is Seq:
        for item in value.items:
            found.extend(walk_value(item, reach, depth + 1, opaque))
    elif kind is Sub:
        found.extend(walk_value(value.value, reach, depth + 1, opaque))
        found.extend(walk_value(value.index, reach, depth + 1, opaque))
    elif kind in (FStr, Other):
        reach.names.update(value.names)
        found.extend(value.names)
    return found


def returned(func: FuncFacts, extra_bindings: dict[str, Any] | None = None,
             start: Iterable[Any] | None = None, opaque: frozenset[str] = frozenset()) -> Reach:
    """What the function's return values (or `start`) reach through locals, fills and loop variables.

    `extra_bindings` maps names to values bound outside plain assignments (`for x in <call>`); calls in
    `opaque` (template renders, say) are not looked into."""
    reach = Reach()
    bindings = dict(func.locals)
    if extra_bindings:
        for name, value in extra_bindings.items():
            bindings.setdefault(name, value)
    fills: dict[str, list[CallV]] = {}
    by_func: dict[str, list[CallV]] = {}
    for call in func.calls:
        receiver, _, method = call.func.rpartition(".")
        if method in _FILLS and receiver and "(" not in receiver:
            fills.setdefault(receiver, []).append(call)
        by_func.setdefault(call.func, []).append(call)
    pending: list[str] = []
    for value in (func.return_values if start is None else start):
        pending.extend(walk_value(value, reach, 0, opaque))
    while pending:
        name = pending.pop()
        if "()" in name:
            # `Serializer(rows, many=True).data`: the chain's inner calls carry the arguments
            cut = name.find("()")
            while cut != -1:
                for call in by_func.get(name[:cut], ()):
                    for arg in [*call.args, *call.kwargs.values()]:
                        pending.extend(walk_value(arg, reach, 0, opaque))
                cut = name.find("()", cut + 2)
            name = name[: name.find("()")]
            if not name:
                continue
        for head in _heads(name):
            if head in reach.locals:
                break
            if head in bindings or head in fills:
                reach.locals.add(head)
                if head in bindings:
                    pending.extend(walk_value(bindings[head], reach))
                for call in fills.get(head, ()):
                    reach.ids.add(id(call))
                    for arg in [*call.args, *call.kwargs.values()]:
                        pending.extend(walk_value(arg, reach, 0, opaque))
                break
    return reach


def inner_calls(func: FuncFacts, outer: CallV) -> list[CallV]:
    """Calls written inside another call's source span (its receiver chain and arguments), outer excluded."""
    start, end = (outer.line, outer.col), (outer.end_line, outer.end_col)
    return [c for c in func.calls if c is not outer and start <= (c.line, c.col) and (c.end_line, c.end_col) <= end]


def short(name: str) -> str:
    """The last part of a dotted chain without call markers: `db.query().all` -> `all`."""
    return name.replace("()", "").replace("[]", "").rsplit(".", 1)[-1]


def loop_bindings(facts: Any, func: FuncFacts) -> dict[str, Any]:
    """Loop variables of `func` bound to what they iterate over (`for row in rows:` -> row: rows), from the
    positions BC801's walk hook stores for every `for` loop whose iterable is a call or a name."""
    out: dict[str, Any] = {}
    entries = [e for e in facts.rule_data.get("BC801", ()) if e[0] == func.line]
    if not entries:
        return out
    by_position = {(c.line, c.col): c for c in func.calls}
    for _line, targets, source in entries:
        value = Ref(source) if isinstance(source, str) else by_position.get(tuple(source))
        if value is not None:
            for target in targets:
                out.setdefault(target, value)
    return out
