"""## What it does
Flags a route handler that reads raw request input and never passes it through a schema: Flask's
`request.get_json()`, `request.json`, `request.form[...]`, `request.args.get(...)`, `request.values` and
`request.data`; Django's `request.POST`, `request.GET` and `json.loads(request.body)`; DRF's
`request.data` and `request.query_params`; Starlette/FastAPI's `await request.json()`, `request.form()`
and `request.body()`.

Input counts as validated when the handler, or a project function it calls (two levels deep), runs it
through a schema: a pydantic model (`Model(**data)`, `model_validate`, `parse_obj`, `TypeAdapter`),
a marshmallow schema (`load`, `validate`), a DRF serializer or a Django form (`is_valid()`), WTForms
(`validate_on_submit()`, `validate()`), jsonschema, Flask-RESTful's `parse_args()`, or a project function
whose name says it validates. A single query parameter converted on the way in (`request.args.get("page",
type=int)`, `int(request.GET["page"])`) is validated too. ORM constructors (`Product(**row)`) are not
schemas.

## Why is this bad?
Raw input has whatever shape the client chose: missing keys turn into 500s, strings arrive where numbers
were expected, extra keys flow into `Model(**data)` (mass assignment: `is_admin=true`) and nothing bounds
sizes. Every handler then re-implements partial checks by hand. A schema states the contract in one place
and rejects bad input with a clear 400/422 before any business code runs.

## Example
```python
@bp.post("/notes")
def create_note():
    payload = request.get_json()
    note = Note(title=payload["title"], body=payload.get("body", ""))
    db.session.add(note)
    db.session.commit()
    return jsonify(id=note.id), 201
```

## Use instead
```python
class NoteIn(Schema):
    title = fields.String(required=True, validate=validate.Length(1, 200))
    body = fields.String(load_default="")


@bp.post("/notes")
def create_note():
    data = NoteIn().load(request.get_json())  # raises ValidationError -> 400
    note = Note(**data)
    ...
```

## Fix safety
There is no quick fix: the schema's fields are the project's decision.

## References
- OWASP Input Validation Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/Input_Validation_Cheat_Sheet.html
- OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization (mass assignment)
- marshmallow, https://marshmallow.readthedocs.io/ ; pydantic, https://docs.pydantic.dev/ ;
  DRF serializers, https://www.django-rest-framework.org/api-guide/serializers/
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, ClassFacts, Const, FileFacts, FuncFacts, Ref
from backcheck.index.project import Project, Route
from backcheck.rules.base import Rule
from backcheck.rules.errors.paths import is_test_path
from backcheck.rules.transactions.orm import PathWalker, handler_routes, route_label, walker_for

# Attributes of a request object that hold raw client input (files are BC803's business).
_RAW_ATTRS = {"json", "form", "args", "values", "data", "POST", "GET", "query_params", "body", "get_json",
              "get_data", "stream", "query"}
# Calls on those attributes that read one value.
_RAW_GETTERS = {"get", "getlist", "to_dict", "dict", "items", "keys", "values", "lists", "copy"}
_CONVERSIONS = {"int", "float", "bool", "Decimal", "UUID", "uuid.UUID", "date.fromisoformat",
                "datetime.fromisoformat", "datetime.strptime", "parse_date", "parse_datetime", "abs", "min",
                "max", "len", "strtobool"}
_VALIDATOR_CALL = re.compile(
    r"(^|\.)(model_validate|model_validate_json|parse_obj|parse_raw|parse_obj_as|validate_python|validate_json|"
    r"is_valid|validate_on_submit|parse_args|full_clean|clean|cleaned_data|validate|validate_\w+|\w+_validate|"
    r"check_schema|structure|convert)$",
    re.IGNORECASE,
)
_SCHEMA_RECEIVER = re.compile(r"(schema|serializer|form|validator|model|adapter|parser)", re.IGNORECASE)
_VALIDATOR_BASES = re.compile(
    r"(pydantic|BaseModel|RootModel|marshmallow|Schema$|Serializer$|forms?\.Form$|ModelForm$|FlaskForm$|"
    r"wtforms|Struct$|msgspec|attrs\.define|Validator$|BaseSettings$)"
)
_SCHEMA_NAME = re.compile(r"(Schema|Serializer|Form|Payload|Request|Body|In|Input|Create|Update|Patch|DTO|Params|"
                          r"Command|Args|Query)$")


class UnvalidatedRequestInput(Rule):
    code = "BC201"
    name = "unvalidated-request-input"
    severity = "warning"
    checklist = "Input validation: request input goes through a schema"

    def check_project(self, project: Project) -> Iterable[Finding]:
        walker = walker_for(project)
        for route, facts, handler, cls in handler_routes(project):
            if is_test_path(facts.path):
                continue
            prefixes = _request_names(facts, handler, cls, route)
            if not prefixes:
                continue
            calls, names = _raw_reads(handler, prefixes)
            if not calls and not names:
                continue
            if self._validated(project, walker, facts, handler, cls, prefixes):
                continue
            what = [_label(c) for c in calls] + [n for n in sorted(names) if not any(_label(c).startswith(n) for c in calls)]
            shown = ", ".join(f"`{w}`" for w in what[:3]) + (f" and {len(what) - 3} more" if len(what) > 3 else "")
            target: Any = calls[0] if calls else handler
            finding = self.finding(
                facts.path, target,
                f"{route_label(route)} reads raw request input ({shown}) without a schema; validate it with a "
                "pydantic model, a marshmallow schema, a DRF serializer or a form before using it",
                function=handler.qualname,
            )
            if not calls:
                finding.first_line = handler.first_line
            yield finding

    # -- validation ----------------------------------------------------------------------------------

    def _validated(self, project: Project, walker: PathWalker, facts: FileFacts, handler: FuncFacts,
                   cls: ClassFacts | None, prefixes: list[str]) -> bool:
        """Whether the raw input meets a schema in the handler, or a validator runs in a function it calls."""
        raw = _raw_locals(handler, prefixes)
        for call in handler.calls:
            verdict = self._validates(project, call, strict=False)
            if verdict == "always" or verdict == "input" and _mentions_raw(call, raw, prefixes):
                return True
        for call in handler.calls:
            target = walker.callee(facts, handler, cls, call)
            if target is not None and walker.calls_any(
                target[0], target[1], target[2], lambda c: self._validates(project, c, strict=True) != "", depth=1
            ):
                return True
        return False

    def _validates(self, project: Project, call: CallV, strict: bool) -> str:
        """"always" for a call that validates what was bound earlier (`serializer.is_valid()`), "input" for
        one that validates its arguments (`Schema().load(data)`, `Model(**data)`), "" otherwise. With
        `strict`, a class only counts when its bases prove it is a schema."""
        func = call.func
        receiver, _, method = func.rpartition(".")
        if method in ("is_valid", "validate_on_submit", "parse_args", "full_clean", "cleaned_data"):
            return "always"
        if method in ("load", "loads"):
            return "input" if _SCHEMA_RECEIVER.search(receiver) and not receiver.endswith(
                ("json", "yaml", "pickle", "marshal")) else ""
        if _VALIDATOR_CALL.search(func.replace("()", "")) or "TypeAdapter" in func:
            return "input"
        # `Model(**data)` / `schemas.ItemIn(data=...)`: constructing a schema class validates
        short = func.rsplit(".", 1)[-1]
        if short[:1].isupper() and "()" not in short and (call.args or call.kwargs):
            return "input" if self._schema_class(project, short, strict) else ""
        return ""

    @staticmethod
    def _schema_class(project: Project, short: str, strict: bool) -> bool:
        for facts in (f for f in project.files.values() if short in f.classes):
            cls = facts.classes[short]
            table = cls.keywords.get("table")
            if isinstance(table, Const) and table.value is True:
                return False  # a SQLModel table: no validation on construction
            for _owner, base in project.class_mro(facts, cls):
                name = base if isinstance(base, str) else ""
                if name and _VALIDATOR_BASES.search(name):
                    return True
            return False
        return not strict and bool(_SCHEMA_NAME.search(short))


def _summary_names(value: Any, depth: int = 0) -> list[str]:
    """Every dotted name a value summary mentions (bounded)."""
    if value is None or depth > 6:
        return []
    if isinstance(value, Ref):
        return [value.name]
    if isinstance(value, CallV):
        return [value.func] + [n for v in [*value.args, *value.kwargs.values()] for n in _summary_names(v, depth + 1)]
    names = list(getattr(value, "names", []) or [])
    for attr in ("items", "keys", "values"):
        for item in getattr(value, attr, None) or []:
            names += _summary_names(item, depth + 1)
    for attr in ("value", "index"):
        inner = getattr(value, attr, None)
        if inner is not None and not isinstance(inner, (str, int, float, bool, bytes)):
            names += _summary_names(inner, depth + 1)
    return names


def _is_raw_name(name: str, prefixes: list[str]) -> bool:
    return any(name.startswith(p + ".") and name[len(p) + 1:].split(".")[0] in _RAW_ATTRS for p in prefixes)


def _raw_locals(handler: FuncFacts, prefixes: list[str]) -> set[str]:
    """Locals bound to raw input or to something built from it (two rounds)."""
    raw: set[str] = set()
    for _ in range(2):
        for name, value in handler.locals.items():
            if any(_is_raw_name(n, prefixes) or n.split(".")[0] in raw for n in _summary_names(value)):
                raw.add(name)
    return raw


def _direct_names(value: Any) -> list[str]:
    """Names an argument hands over as a whole: `data`, `request.POST`, `{"a": data}`, `request.get_json()`;
    not names buried in another call (`len(rows)` passes a number, not the rows)."""
    if isinstance(value, Ref):
        return [value.name]
    if isinstance(value, CallV):
        return [value.func]
    out: list[str] = []
    for attr in ("items", "values"):
        for item in getattr(value, attr, None) or []:
            out += _direct_names(item)
    if not out and getattr(value, "kind", "") in ("Await", "BoolOp", "IfExp", "NamedExpr"):
        out = list(value.names)  # `await request.json()`, `request.get_json() or {}`
    return out


def _mentions_raw(call: CallV, raw: set[str], prefixes: list[str]) -> bool:
    names = [n for v in [*call.args, *call.kwargs.values()] for n in _direct_names(v)]
    receiver = call.func.rpartition(".")[0]
    return any(_is_raw_name(n, prefixes) or n.split(".")[0] in raw for n in names) or receiver.split(".")[0] in raw


def _request_names(facts: FileFacts, handler: FuncFacts, cls: ClassFacts | None, route: Route) -> list[str]:
    """The names a handler reaches the request by: its `request` parameter, `self.request`, Flask's global."""
    names = []
    for param in handler.params:
        annotation = param.annotation.name if isinstance(param.annotation, Ref) else ""
        if param.name in ("request", "req") or annotation.rsplit(".", 1)[-1] in ("Request", "HttpRequest"):
            names.append(param.name)
    if cls is not None:
        names.append("self.request")
    for local, target in facts.imports.items():
        if target in ("flask.request", "quart.request", "werkzeug.local.request", "flask.globals.request"):
            names.append(local)
    return names


def _raw_reads(handler: FuncFacts, prefixes: list[str]) -> tuple[list[CallV], set[str]]:
    """Calls that read raw input (positioned) and raw input attributes read otherwise."""
    converted = set()
    for call in handler.calls:
        if call.func in _CONVERSIONS or call.func.rsplit(".", 1)[-1] in _CONVERSIONS:
            for arg in call.args:
                if isinstance(arg, CallV):
                    converted.add((arg.line, arg.col))
    calls: list[CallV] = []
    for call in sorted(handler.calls, key=lambda c: (c.line, c.col)):
        kind = _raw_call(call, prefixes)
        if kind is None or (call.line, call.col) in converted:
            continue
        if kind == "getter" and "type" in call.kwargs:
            continue  # request.args.get("page", type=int)
        calls.append(call)
    names: set[str] = set()
    for read in handler.reads:
        for prefix in prefixes:
            if read.startswith(prefix + "."):
                rest = read[len(prefix) + 1:].split(".")
                if rest[0] in _RAW_ATTRS and len(rest) == 1 and rest[0] not in ("get_json", "get_data", "body"):
                    names.add(f"{prefix}.{rest[0]}")
    # attributes only read as the receiver or the argument of a call already listed are not separate reads
    inside = {n for c in calls for v in c.args for n in _direct_names(v)}
    names = {n for n in names if n not in inside and not any(c.func.startswith(n + ".") or c.func == n for c in calls)}
    # a value read whole and handed to a call (`Form(request.POST)`) shows up in that call's arguments
    return calls, names


def _raw_call(call: CallV, prefixes: list[str]) -> str | None:
    func = call.func
    if func.rsplit(".", 1)[-1] in ("loads",) and call.args:
        arg = call.args[0]
        text = arg.name if isinstance(arg, Ref) else arg.func if isinstance(arg, CallV) else ""
        if any(text.startswith(p + ".") and text[len(p) + 1:].split(".")[0] in ("body", "data", "get_data")
               for p in prefixes):
            return "body"
        return None
    for prefix in prefixes:
        if not func.startswith(prefix + "."):
            continue
        rest = func[len(prefix) + 1:].split(".")
        if len(rest) == 1 and rest[0] in ("get_json", "json", "form", "body", "get_data"):
            return "body"
        if len(rest) == 2 and rest[0] in _RAW_ATTRS and rest[1] in _RAW_GETTERS:
            return "getter"
    return None


def _label(call: CallV) -> str:
    func = call.func
    if func.rsplit(".", 1)[-1] == "loads" and call.args:
        inner = _direct_names(call.args[0])
        return f"{func}({inner[0] if inner else '...'})"
    if func.rsplit(".", 1)[-1] in ("get", "getlist") and call.args and isinstance(call.args[0], Const):
        return f"{func}({call.args[0].value!r})"
    return f"{func}()"

