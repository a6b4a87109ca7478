"""## What it does
Flags an Alembic `add_column` (also `batch_op.add_column` inside `batch_alter_table`) that adds a
`nullable=False` column without a `server_default`.

## Why is this bad?
The database has to give the new column a value in every existing row. With `NOT NULL` and no default
there is none, so the migration fails on any table that has rows - typically in production, after it
passed on an empty development database. A Python-side `default=` does not help: it is applied by
SQLAlchemy to new inserts, never by the database to existing rows.

## Example
```python
def upgrade() -> None:
    op.add_column("products", sa.Column("currency", sa.String(3), nullable=False))
```

## Use instead
```python
def upgrade() -> None:
    op.add_column("products", sa.Column("currency", sa.String(3), nullable=False, server_default="EUR"))
```
or add the column as nullable, fill it (`op.execute("UPDATE ...")`), then `op.alter_column(...,
nullable=False)`.

## Fix safety
There is no quick fix: the right value for the existing rows is a decision about the data.

## References
- Alembic: Operation Reference - add_column, https://alembic.sqlalchemy.org/en/latest/ops.html#alembic.operations.Operations.add_column
- PostgreSQL: ALTER TABLE ... ADD COLUMN, https://www.postgresql.org/docs/current/sql-altertable.html
"""

from __future__ import annotations

from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const
from backcheck.index.project import Project
from backcheck.rules.base import Rule


class NotNullColumnWithoutDefault(Rule):
    code = "BC703"
    name = "not-null-column-without-default"
    severity = "error"
    checklist = "Safe migrations: new NOT NULL columns get a default"

    def check_project(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            if not any(v.startswith("alembic") for v in facts.imports.values()):
                continue
            upgrade = facts.functions.get("upgrade")
            if upgrade is None:
                continue
            for call in upgrade.calls:
                if call.func.rsplit(".", 1)[-1] != "add_column":
                    continue
                column = next((a for a in [*call.args, call.kwargs.get("column")]
                               if isinstance(a, CallV) and a.func.rsplit(".", 1)[-1] == "Column"), None)
                if column is None:
                    continue
                nullable = column.kwargs.get("nullable")
                if not (isinstance(nullable, Const) and nullable.value is False):
                    continue
                server_default = column.kwargs.get("server_default")
                if server_default is not None and not (isinstance(server_default, Const) and
                                                       server_default.value is None):
                    continue
                name = column.args[0].value if column.args and isinstance(column.args[0], Const) else "the column"
                python_default = " (`default=` is applied by SQLAlchemy to new rows only)" \
                    if "default" in column.kwargs else ""
                yield self.finding(
                    facts.path, column,
                    f"add_column adds NOT NULL `{name}` without a server_default{python_default}: the migration "
                    "fails on a table that already has rows; give it a server_default, or add it nullable, fill "
                    "it, then make it NOT NULL",
                    column=str(name),
                )
