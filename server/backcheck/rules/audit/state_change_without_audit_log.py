"""## What it does
Flags a route (any method but GET) that changes stored data but leaves no trace of it: the handler, or
a project function it calls (two levels deep, across modules), performs an ORM write and neither of them
makes a logging or audit call.

Counted as a record: stdlib `logging` (`logger.info(...)`, `logging.warning(...)`, `app.logger`,
`current_app.logger`), structlog and loguru loggers, calls whose name mentions audit (`audit.record`,
`AuditLog.objects.create`, `create_audit_entry`), `log_*` helpers and Django's `LogEntry.objects.log_action`,
and the call names listed in `[tool.backcheck] audit_sinks`. A project that records changes for every
model is not flagged at all: django-auditlog, django-simple-history, django-reversion, pghistory,
django-easy-audit or SQLAlchemy-Continuum in use, or a `post_save`/`post_delete` receiver or SQLAlchemy
`after_insert`/`after_update`/`after_delete` listener that logs.

## Why is this bad?
When a record is changed or deleted and nobody logged it, there is no way to answer "who did this, and
when?": not for a support ticket, not for a security incident, not for an auditor. Activity logs are also
how abuse of a legitimate account is noticed. A line per state change, naming the entity and the actor,
is cheap; reconstructing history afterwards is impossible.

## Example
```python
@router.delete("/projects/{project_id}")
def delete_project(project_id: int, user: CurrentUser, db: DbSession) -> None:
    db.delete(db.get(Project, project_id))
    db.commit()
```

## Use instead
```python
@router.delete("/projects/{project_id}")
def delete_project(project_id: int, user: CurrentUser, db: DbSession) -> None:
    db.delete(db.get(Project, project_id))
    db.commit()
    logger.info("project deleted", extra={"entity": "Project", "entity_id": project_id, "actor": user.id})
```

## Fix safety
The quick fix adds a structured `logger.info(...)` line to the handler naming the action, the entity and
the actor (the current user parameter, `request.user` or Flask-Login's `current_user` when the handler
has one), before its final `return`, and a module logger when the file has none. It only adds a log call,
so it is safe; you may want to add the entity's id.

## References
- OWASP Top 10 2021, A09: Security Logging and Monitoring Failures
- OWASP Logging Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/Logging_Cheat_Sheet.html
- Python: Logging HOWTO, https://docs.python.org/3/howto/logging.html
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, FuncFacts, Ref, Seq
from backcheck.index.project import Project
from backcheck.rules.base import Rule
from backcheck.rules.errors.paths import is_test_path
from backcheck.rules.transactions.orm import PathWalker, handler_routes, route_label, walker_for

_LOG_METHODS = {"debug", "info", "warning", "warn", "error", "exception", "critical", "log", "msg", "success",
                "notice", "fatal", "bind"}
_LOGGER_RECEIVER = re.compile(r"(^|\.|_)(log|logger|logging|structlog|loguru|audit\w*|LOG|LOGGER)$|logger\(\)$|"
                              r"get_logger\(\)$|getLogger\(\)$", re.IGNORECASE)
_AUDIT_NAME = re.compile(r"(audit|log_action|log_activity|record_activity|track_activity|activity_log|"
                         r"add_history|history\.create|(^|\.)log_\w+$|\w_log$)", re.IGNORECASE)
_AUDIT_PACKAGES = re.compile(r"^(auditlog|simple_history|reversion|pghistory|easyaudit|sqlalchemy_continuum|"
                             r"django_audit\w*|audit\w*|field_history|django_lifecycle_audit)")
_SIGNALS = re.compile(r"(post_save|post_delete|pre_save|pre_delete|m2m_changed|after_insert|after_update|"
                      r"after_delete|before_flush|after_flush|before_insert|before_update|before_delete)")
_READ_METHODS = {"GET", "HEAD", "OPTIONS", "WEBSOCKET"}
_ACTIONS = {"POST": "create", "PUT": "update", "PATCH": "update", "DELETE": "delete"}
_USER_PARAM = re.compile(r"^(current_user|current_active_user|user|me|actor|principal|account|current_account|"
                         r"auth_user|requester|owner|admin)$")


def is_log_call(call: CallV, sinks: list[str]) -> bool:
    """Whether a call writes a log line or an audit record."""
    func = call.func
    receiver, _, method = func.rpartition(".")
    if method in _LOG_METHODS and receiver and (_LOGGER_RECEIVER.search(receiver) or "logger" in receiver.lower()):
        return True
    if _AUDIT_NAME.search(func.replace("()", "")):
        return True
    short = method or func
    return any(func == s or short == s or func.endswith("." + s) for s in sinks)


class StateChangeWithoutAuditLog(Rule):
    code = "BC401"
    name = "state-change-without-audit-log"
    severity = "warning"
    checklist = "Activity logging: state changes leave an audit trail"
    fix_title = "Log the change with its entity and actor"
    fix_applicability = "safe"

    def check_project(self, project: Project) -> Iterable[Finding]:
        sinks = list(project.settings.audit_sinks)
        walker: PathWalker | None = None
        audited: bool | None = None
        for route, facts, handler, cls in handler_routes(project):
            if set(route.methods) <= _READ_METHODS:
                continue  # a write behind a GET is bookkeeping (last seen, get-or-create), not a user's change
            if walker is None:
                walker = walker_for(project)
            writes = [o for o in walker.ops(facts, handler, cls) if o.kind == "write"]
            if not writes:
                continue
            if audited is None:
                audited = self._project_audited(project, sinks)
            if audited:
                return
            if walker.calls_any(facts, handler, cls, lambda c: is_log_call(c, sinks)):
                continue
            first = writes[0]
            where = f"line {first.call.line}" + ("" if first.file == facts.path else f" of {first.file}")
            action = next((_ACTIONS[m] for m in route.methods if m in _ACTIONS), None) or _action_of(first.call)
            finding = self.finding(
                facts.path, handler,
                f"{route_label(route)} changes stored data ({first.label} at {where}) but no logging or audit "
                "call records it: log the entity and who changed it",
                function=handler.qualname, def_line=handler.line, action=action,
                entity=_entity(first.entity, first.call), actor=_actor(facts, handler, route.framework),
            )
            finding.first_line = handler.first_line
            yield finding

    def _project_audited(self, project: Project, sinks: list[str]) -> bool:
        """A project-wide change history: an audit package in use, or a logging model-signal receiver."""
        for facts in project.files.values():
            if is_test_path(facts.path):
                continue
            if any(_AUDIT_PACKAGES.match(target) for target in facts.imports.values()):
                return True
            apps = facts.assigns.get("INSTALLED_APPS")
            if apps and isinstance(apps[0], Seq) and any(
                isinstance(i, Const) and isinstance(i.value, str) and _AUDIT_PACKAGES.match(i.value)
                for i in apps[0].items
            ):
                return True
            for func in facts.all_functions():
                if _listens_to_changes(func) and any(is_log_call(c, sinks) for c in func.calls):
                    return True
        return False

    def fix(self, finding: Finding, text: str, project: Project | None):
        from backcheck.fixes.audit_log import audit_log_fix

        return audit_log_fix(self.fix_title, self.fix_applicability, text, finding.data)


def _listens_to_changes(func: FuncFacts) -> bool:
    for decorator in func.decorators:
        if isinstance(decorator, CallV) and decorator.func.rsplit(".", 1)[-1] in ("receiver", "listens_for"):
            values = [*decorator.args, *decorator.kwargs.values()]
            for value in values:
                text = value.name if isinstance(value, Ref) else value.value if isinstance(value, Const) else ""
                if isinstance(text, str) and _SIGNALS.search(text):
                    return True
    return False


def _action_of(call: CallV) -> str:
    method = call.func.rsplit(".", 1)[-1]
    if "delete" in method:
        return "delete"
    if method in ("add", "add_all", "create", "bulk_create", "get_or_create", "insert_one", "insert_many"):
        return "create"
    return "update"


def _entity(entity: str, call: CallV) -> str:
    """A readable entity name: the model (`Order`) or the variable written (`order`)."""
    if entity:
        return entity
    receiver = call.func.rpartition(".")[0].replace("()", "").replace("[]", "")
    return receiver.rsplit(".", 1)[-1] or "record"


def _actor(facts: FileFacts, handler: FuncFacts, framework: str) -> str:
    """An expression naming who made the change, or "None" when the handler has no user at hand."""
    for param in handler.params:
        annotation = param.annotation.name if isinstance(param.annotation, Ref) else ""
        if _USER_PARAM.match(param.name) or annotation.rsplit(".", 1)[-1] in ("CurrentUser", "User", "UserDep"):
            return f'getattr({param.name}, "id", None)'
    names = [p.name for p in handler.params]
    if "request" in names and framework == "django":
        return 'getattr(request.user, "pk", None)'
    if facts.imports.get("current_user", "").startswith("flask_login"):
        return 'getattr(current_user, "id", None)'
    if "g.user" in handler.reads:
        return 'getattr(g.user, "id", None)'
    return "None"
