"""## What it does
Flags a migration that cannot be rolled back:

- an Alembic revision whose `upgrade()` changes something while its `downgrade()` is missing, empty
  (`pass`, `...`, a docstring) or only raises;
- a Django migration operation `RunPython(...)` without `reverse_code`, or `RunSQL(...)` without
  `reverse_sql` (a reverse of `None` counts as missing; `RunPython.noop` / `RunSQL.noop` are fine: they
  say on purpose that going back needs no work).

## Why is this bad?
Rolling back is how a bad deploy is undone. A migration that cannot go back blocks `alembic downgrade` /
`migrate app 0007` for every revision after it, so the only way out of an incident becomes a hand-written
fix on the production database, under pressure. Writing the inverse while the change is fresh in mind is
cheap; writing it later is not.

## Example
```python
def upgrade() -> None:
    op.add_column("products", sa.Column("currency", sa.String(3), server_default="EUR", nullable=False))


def downgrade() -> None:
    pass
```

## Use instead
```python
def downgrade() -> None:
    op.drop_column("products", "currency")
```
In Django pass `reverse_code=` (a function undoing the data change, or `migrations.RunPython.noop` when
nothing needs undoing) and `reverse_sql=`.

## Fix safety
When `upgrade()` is made only of operations with a mechanical inverse (`add_column`, `create_index`,
`create_table`, `create_foreign_key`, `create_unique_constraint`, `create_check_constraint`,
`rename_table`, also inside `batch_alter_table`), the quick fix writes their inverses into `downgrade()`
in reverse order. Running that downgrade drops what the upgrade added, data included, so the fix is
unsafe: review it. Data migrations and raw SQL get no fix.

## References
- Alembic: Operation Reference, https://alembic.sqlalchemy.org/en/latest/ops.html
- Django: Migration operations - RunPython, https://docs.djangoproject.com/en/stable/ref/migration-operations/#runpython
- Martin Fowler and Pramod Sadalage, Evolutionary Database Design
"""

from __future__ import annotations

from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, FuncFacts
from backcheck.index.project import Project
from backcheck.rules.base import Rule

# Django operations and the argument that undoes them: (position, keyword).
_DJANGO_REVERSE = {"RunPython": (1, "reverse_code"), "RunSQL": (1, "reverse_sql")}


def _is_alembic(facts: FileFacts) -> bool:
    return any(v == "alembic.op" or v.startswith("alembic") for v in facts.imports.values()) and \
        "upgrade" in facts.functions


def _does_nothing(func: FuncFacts) -> bool:
    return not func.calls and not func.locals and not func.raises and not func.return_values


def _only_raises(func: FuncFacts) -> bool:
    return bool(func.raises) and all(c.func.rsplit(".", 1)[-1].endswith(("Error", "Exception")) for c in func.calls)


class IrreversibleMigration(Rule):
    code = "BC702"
    name = "irreversible-migration"
    severity = "warning"
    checklist = "Reversible migrations: every migration can be rolled back"
    fix_title = "Write the inverse operations into downgrade()"
    fix_applicability = "unsafe"

    def check_project(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            if _is_alembic(facts):
                finding = self._alembic(facts)
                if finding is not None:
                    yield finding
            elif facts.imports.get("migrations") == "django.db.migrations" or any(
                    v.startswith("django.db.migrations") for v in facts.imports.values()):
                yield from self._django(facts)

    def _alembic(self, facts: FileFacts) -> Finding | None:
        upgrade = facts.functions["upgrade"]
        if _does_nothing(upgrade):
            return None  # an empty revision (a merge point) has nothing to undo
        downgrade = facts.functions.get("downgrade")
        if downgrade is None:
            finding = self.finding(facts.path, upgrade, "this migration has no downgrade(): it cannot be rolled "
                                   "back; write the inverse of upgrade()", kind="missing")
            finding.first_line = upgrade.first_line
            return finding
        if _does_nothing(downgrade):
            how = "is empty"
        elif _only_raises(downgrade):
            how = "only raises"
        else:
            return None
        finding = self.finding(facts.path, downgrade, f"downgrade() {how} while upgrade() changes the schema or "
                               "data: this migration cannot be rolled back; write the inverse of upgrade()",
                               kind="empty")
        finding.first_line = downgrade.first_line
        return finding

    def _django(self, facts: FileFacts) -> Iterable[Finding]:
        for call in facts.calls:
            operation = call.func.rsplit(".", 1)[-1]
            if operation not in _DJANGO_REVERSE:
                continue
            position, keyword = _DJANGO_REVERSE[operation]
            reverse = call.args[position] if len(call.args) > position else call.kwargs.get(keyword)
            if reverse is not None and not (isinstance(reverse, Const) and reverse.value is None):
                continue
            yield self.finding(
                facts.path, call,
                f"{operation} without {keyword}: this migration cannot be unapplied; pass {keyword}= (use "
                f"migrations.{operation}.noop when going back needs no work)",
                kind="django",
            )

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.schema import downgrade_fix

        if finding.data.get("kind") not in ("missing", "empty"):
            return None
        return downgrade_fix(text, self.fix_applicability)


__all__ = ["CallV", "IrreversibleMigration"]
