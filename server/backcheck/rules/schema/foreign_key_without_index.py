"""## What it does
Flags a foreign-key column of a SQLAlchemy or SQLModel model that has no index: `Column(ForeignKey(...))`,
`mapped_column(ForeignKey(...))`, `db.Column(db.ForeignKey(...))` or `Field(foreign_key=...)` without
`index=True`, `unique=True` or `primary_key=True`, and not the first column of an `Index`,
`UniqueConstraint` or `PrimaryKeyConstraint` in `__table_args__` or a module-level `Index(...)`.

Django is not checked: its `ForeignKey` creates an index unless told `db_index=False`.

## Why is this bad?
PostgreSQL, SQLite and most other databases do not index a foreign key by themselves (MySQL's InnoDB is the
exception). Every join on it, every "children of this parent" query and every delete of a parent row (which
must look for children to cascade or refuse) then scans the whole child table. The cost grows with the
data and shows up first as slow pages, then as lock waits.

## Example
```python
class OrderItem(Base):
    __tablename__ = "order_items"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"))
```

## Use instead
```python
class OrderItem(Base):
    __tablename__ = "order_items"

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id"), index=True)
```

## Fix safety
The quick fix adds `index=True` to the column. It only changes the model's declaration: the database gets
the index when a migration creating it is generated and applied, which is reviewed on its own, so the fix
is safe. On a large table create the index concurrently in that migration.

## References
- PostgreSQL: Indexes, https://www.postgresql.org/docs/current/indexes.html
- SQLAlchemy: Column.index, https://docs.sqlalchemy.org/en/20/core/metadata.html#sqlalchemy.schema.Column.params.index
- Use The Index, Luke: Join operations, https://use-the-index-luke.com/sql/join
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, Ref
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.schema.models import models_of

_COLUMNS = {"Column", "mapped_column"}
_COVERING = {"Index", "UniqueConstraint", "PrimaryKeyConstraint"}


def _name(node: ast.AST) -> str:
    if isinstance(node, ast.Attribute):
        return node.attr
    return node.id if isinstance(node, ast.Name) else ""


def _true(call: ast.Call, *keywords: str) -> bool:
    return any(k.arg in keywords and isinstance(k.value, ast.Constant) and k.value.value is True
               for k in call.keywords)


def _first_column(call: ast.Call) -> str:
    """The leading column an Index / UniqueConstraint / PrimaryKeyConstraint covers."""
    args = call.args[1:] if _name(call.func) == "Index" else call.args
    for arg in args[:1]:
        if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
            return arg.value
        return _name(arg)
    return ""


class ForeignKeyWithoutIndex(Rule):
    code = "BC701"
    name = "foreign-key-without-index"
    severity = "warning"
    checklist = "Indexes: foreign keys are indexed"
    node_types = (ast.ClassDef,)
    fix_title = "Add index=True to the foreign key column"
    fix_applicability = "safe"

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, ast.ClassDef)
        if ctx.func is not None or ctx.cls is not None:
            return
        covered: list[str] = []
        columns: list[tuple] = []
        for statement in node.body:
            if isinstance(statement, ast.Assign) and len(statement.targets) == 1:
                target, value = statement.targets[0], statement.value
            elif isinstance(statement, ast.AnnAssign) and statement.value is not None:
                target, value = statement.target, statement.value
            else:
                continue
            if not isinstance(target, ast.Name):
                continue
            if target.id == "__table_args__":
                for item in ast.walk(value):
                    if isinstance(item, ast.Call) and _name(item.func) in _COVERING:
                        covered.append(_first_column(item))
                continue
            if not isinstance(value, ast.Call):
                continue
            kind = _name(value.func)
            foreign = kind in _COLUMNS and any(isinstance(a, ast.Call) and _name(a.func) == "ForeignKey"
                                               for a in value.args)
            foreign = foreign or kind == "Field" and any(k.arg == "foreign_key" for k in value.keywords)
            if not foreign:
                continue
            indexed = _true(value, "index", "unique", "primary_key", "db_index")
            column = value.args[0].value if kind == "Column" and value.args and isinstance(value.args[0], ast.Constant) \
                and isinstance(value.args[0].value, str) else target.id
            columns.append((target.id, column, indexed,
                            [target.lineno, target.col_offset, target.end_lineno, target.end_col_offset],
                            [value.lineno, value.col_offset, value.end_lineno, value.end_col_offset]))
        if columns:
            ctx.remember(self, ("class", node.name, columns, covered))

    def check_project(self, project: Project) -> Iterable[Finding]:
        models = models_of(project)
        module_indexes: set[tuple[str, str]] = set()
        if len(_INDEXES) > 2 * len(project.files) + 1000:
            _INDEXES.clear()  # another project's files, or many deleted ones: start over
        for facts in project.files.values():
            module_indexes |= _file_indexes(facts)
        for facts in project.files.values():
            for entry in facts.rule_data.get(self.code, ()):
                _kind, class_name, columns, covered = entry
                model = models.by_key.get((facts.path, class_name))
                cls = facts.classes.get(class_name)
                if model is None and not class_name.endswith("Mixin"):
                    continue
                inherited = set(covered)
                if cls is not None:
                    for owner_facts, owner in project.class_mro(facts, cls):
                        if owner is cls or isinstance(owner, str):
                            continue
                        for base_entry in owner_facts.rule_data.get(self.code, ()):
                            if base_entry[1] == owner.name:
                                inherited.update(base_entry[3])
                for attr, column, indexed, where, call in columns:
                    if indexed or column in inherited or attr in inherited:
                        continue
                    if (class_name, attr) in module_indexes or ("", column) in module_indexes:
                        continue
                    finding = self.finding(
                        facts.path, tuple(where),
                        f"foreign key {class_name}.{attr} has no index: joins and deletes of the parent row scan "
                        "the whole table; add index=True",
                        column=attr, model=class_name, call=call,
                    )
                    yield finding

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.schema import add_keyword

        call = finding.data.get("call")
        if not call:
            return None
        return add_keyword(text, call, "index", "True", "Add index=True", self.fix_applicability)


# Each file's `Index(...)` columns, kept while the file keeps the same facts object (an edit makes a new one).
_INDEXES: dict[str, tuple[FileFacts, set[tuple[str, str]]]] = {}


def _file_indexes(facts: FileFacts) -> set[tuple[str, str]]:
    """(owner, column) of every `Index("name", Owner.column)` call in one file; ("", "column") for a string."""
    found = _INDEXES.get(facts.path)
    if found is not None and found[0] is facts:
        return found[1]
    out: set[tuple[str, str]] = set()
    for call in [*facts.calls, *(c for func in facts.all_functions() for c in func.calls)]:
        if call.func.rsplit(".", 1)[-1] == "Index":
            for arg in call.args[1:2]:
                if isinstance(arg, Ref) and "." in arg.name:
                    owner, _, column = arg.name.rpartition(".")
                    out.add((owner.split(".")[0], column))
                elif isinstance(arg, Const) and isinstance(arg.value, str):
                    out.add(("", arg.value))
    _INDEXES[facts.path] = (facts, out)
    return out


__all__ = ["CallV", "ForeignKeyWithoutIndex"]
