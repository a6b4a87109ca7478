"""## What it does
Flags secrets that reach a response: fields or keys named like passwords, password hashes, secrets, API
keys, private keys, salts, SSNs or card numbers (the fragments in `[tool.backcheck] sensitive_fields`).
It looks at

- FastAPI response models: the `response_model` or return annotation of a route and the models nested in
  it (fields excluded with `Field(exclude=True)`, typed `SecretStr`, or left out by
  `response_model_exclude` are fine);
- DRF serializers: declared fields, and model fields reached through `fields = "__all__"`, `exclude` or
  an explicit list, unless they are `write_only`;
- dicts a handler sends back (returned, passed to `jsonify`/`JsonResponse`/`Response`, appended to a
  returned list in a loop), values read from a sensitive attribute, and flash messages;
- wholesale dumps: `dict(os.environ)`, `app.config`, `obj.__dict__`, `vars(obj)`, `model_to_dict(obj)`,
  `.values()` of a model with secret columns, and FastAPI routes returning such ORM objects unfiltered.

Tokens are different: sign-in, sign-up and refresh endpoints hand out access tokens on purpose, so a token
is flagged only in password-reset, verification, confirmation or invitation flows (or when its name says
it is such a token), where showing it to the requester skips the proof the flow exists for. Template
contexts are not responses: the template decides what it shows.

## Why is this bad?
Responses are logged by proxies, cached by browsers and read by whoever calls the endpoint. A password
hash there can be cracked offline; an API key or environment variable gives its holder the server's own
access; a reset token in the response lets anyone take over the account whose email they typed.

## Example
```python
class AdminUserDetail(UserOut):
    created_at: datetime
    password_hash: str


@router.get("/users/{user_id}", response_model=AdminUserDetail)
def get_user_detail(user_id: int, db: DbSession):
    return users.get_user(db, user_id)
```

## Use instead
```python
class AdminUserDetail(UserOut):
    created_at: datetime
```
In DRF list the fields a client may see (`fields = ["id", "name"]`) and mark secrets `write_only=True`.

## Fix safety
There is no quick fix: whether a client still needs the value (and gets it another way) is a product
decision.

## References
- OWASP API Security Top 10 2023, API3: Broken Object Property Level Authorization
- OWASP Top 10 2021, A02: Cryptographic Failures (sensitive data exposure)
- FastAPI: Response Model, https://fastapi.tiangolo.com/tutorial/response-model/
- Django REST framework: ModelSerializer, https://www.django-rest-framework.org/api-guide/serializers/#modelserializer
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from typing import Any

from backcheck.diagnostics import Finding
from backcheck.index.facts import (
    CallV,
    ClassFacts,
    Const,
    FileFacts,
    FStr,
    FuncFacts,
    Map,
    Other,
    Ref,
    Seq,
    Sub,
)
from backcheck.index.project import Project, Route
from backcheck.rules.api.flow import loop_bindings, returned, short
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.exposure.names import Sensitive, reset_flow, sensitive_for, words
from backcheck.rules.schema.models import Model, Models, models_of, value_model

_TEMPLATES = frozenset({"render", "render_template", "render_to_response", "TemplateResponse", "render_to_string",
                        "render_template_string"})
_DICT_CALLS = {"jsonify", "dict"}
_MASKS = re.compile(r"(mask|redact|obfuscat|censor|hash|digest|truncate|last4|partial)", re.IGNORECASE)
_MESSAGES = re.compile(r"(^|\.)(flash|messages\.(success|info|warning|error|debug|add_message))$")
_DUMPERS = {"vars", "model_to_dict", "asdict", "jsonable_encoder"}
_ENV = {"os.environ", "environ", "app.config", "current_app.config", "settings.__dict__", "os.environ.copy",
        "os.environ.items", "dict(os.environ)"}
_SECRET_TYPES = {"SecretStr", "SecretBytes"}
# Annotation names that are never project schemas: no need to resolve them.
_PLAIN_TYPES = {"str", "int", "float", "bool", "bytes", "list", "dict", "set", "tuple", "List", "Dict", "Set",
                "Tuple", "Optional", "Union", "Any", "None", "datetime", "date", "time", "UUID", "Decimal",
                "Literal", "Annotated", "Sequence", "Mapping", "EmailStr", "HttpUrl", "AnyUrl", "Field"}
_SCHEMA_BASE = re.compile(r"(Serializer|Schema)$")
_MA_BASE = re.compile(r"(^|\.)ma\.(Schema|ModelSchema|SQLAlchemySchema|SQLAlchemyAutoSchema)$")
_MA_FIELDS = re.compile(r"(^|\.)fields\.\w+$|^(field_for|auto_field|Nested|Method|Function|Pluck)$")


def _declares_field(value: CallV) -> bool:
    """A class attribute that declares a serializer/schema field."""
    name = short(value.func)
    return name.endswith(("Field", "Serializer")) or ".serializers." in f".{value.func}" or bool(
        _MA_FIELDS.search(value.func.replace("()", "")))


def _masked(value: Any) -> bool:
    if isinstance(value, Const):
        return True  # "********", None, True: a placeholder or a flag, not the secret
    if isinstance(value, CallV):
        return bool(_MASKS.search(short(value.func))) or short(value.func) in ("bool", "len")
    return False


def _names_in(value: Any, out: list[str], depth: int = 0) -> list[str]:
    """Dotted names a type summary mentions (`list[UserOut]` -> list, UserOut)."""
    if value is None or depth > 8:
        return out
    if isinstance(value, Ref):
        out.append(value.name)
    elif isinstance(value, Const) and isinstance(value.value, str):
        out.extend(n.strip() for n in re.split(r"[\[\],|]", value.value) if n.strip())
    elif isinstance(value, Sub):
        _names_in(value.value, out, depth + 1)
        _names_in(value.index, out, depth + 1)
    elif isinstance(value, Seq):
        for item in value.items:
            _names_in(item, out, depth + 1)
    elif isinstance(value, Other):
        out.extend(value.names)
    return out


class SensitiveFieldInResponse(Rule):
    code = "BC601"
    name = "sensitive-field-in-response"
    severity = "error"
    checklist = "Never expose sensitive data"
    node_types = (ast.ClassDef, ast.Dict)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        matcher = sensitive_for(tuple(ctx.settings.sensitive_fields))
        if isinstance(node, ast.Dict):
            if ctx.func is None:
                return
            keys = [k.value for k in node.keys if isinstance(k, ast.Constant) and isinstance(k.value, str)
                    and matcher.match(k.value)]
            if keys:
                ctx.remember(self, ("dict", ctx.func.line, keys,
                                    [node.lineno, node.col_offset, node.end_lineno, node.end_col_offset]))
            return
        assert isinstance(node, ast.ClassDef)
        if ctx.func is not None:
            return
        qualname = f"{ctx.cls.qualname}.{node.name}" if ctx.cls is not None else node.name
        for statement in node.body:
            targets = statement.targets if isinstance(statement, ast.Assign) else \
                [statement.target] if isinstance(statement, ast.AnnAssign) else []
            for target in targets:
                if isinstance(target, ast.Name) and matcher.match(target.id):
                    ctx.remember(self, ("field", qualname, target.id,
                                        [target.lineno, target.col_offset, target.end_lineno, target.end_col_offset]))

    # -- project pass --------------------------------------------------------------------------------

    def check_project(self, project: Project) -> Iterable[Finding]:
        check = _Check(self, project)
        check.response_models()
        check.serializers()
        check.handlers()
        return check.findings


class _Check:
    def __init__(self, rule: Rule, project: Project):
        self.rule = rule
        self.project = project
        self.matcher: Sensitive = sensitive_for(tuple(project.settings.sensitive_fields))
        self.models: Models = models_of(project)
        self.findings: list[Finding] = []
        self._seen: set[tuple[str, int, int]] = set()
        self._schema_memo: dict[tuple[str, str, bool], list[tuple]] = {}

    # -- helpers -------------------------------------------------------------------------------------

    def report(self, file: str, where: Any, message: str, first_line: int | None = None, **data: Any) -> None:
        finding = self.rule.finding(file, where, message, **data)
        key = (finding.path, finding.line, finding.col)
        if key in self._seen:
            return
        self._seen.add(key)
        if first_line is not None:
            finding.first_line = first_line
        self.findings.append(finding)

    def field_position(self, facts: FileFacts, cls: ClassFacts, name: str) -> Any:
        for entry in facts.rule_data.get(self.rule.code, ()):
            if entry[0] == "field" and entry[1] == cls.qualname and entry[2] == name:
                return tuple(entry[3])
        return cls

    def kind(self, name: str, reset: bool) -> str | None:
        """The fragment a name matches when it is a secret here (tokens only in reset flows)."""
        strong = self.matcher.strong(name)
        if strong:
            return strong
        weak = self.matcher.weak(name)
        if weak and (reset or reset_flow(name)):
            return weak
        return None

    def model_secrets(self, model: Model | None) -> list[str]:
        """Secret columns of a model (Django's built-in user when model is None)."""
        names = ["password"] if model is None else list(model.fields)
        return [n for n in names if self.matcher.strong(n)]

    # -- FastAPI response models ---------------------------------------------------------------------

    def response_models(self) -> None:
        for route in self.project.routes:
            if route.framework != "fastapi" or route.handler is None:
                continue
            facts = self.project.files.get(route.file)
            if facts is None:
                continue
            declared = route.extra.get("response_model")
            if isinstance(declared, Const) and declared.value is None:
                continue
            target = declared if declared is not None else route.handler.returns
            if target is None:
                continue
            decorator = route.extra.get("decorator")
            excluded = _const_names(decorator.kwargs.get("response_model_exclude")) if isinstance(decorator, CallV) \
                else set()
            included = _const_names(decorator.kwargs.get("response_model_include")) if isinstance(decorator, CallV) \
                else set()
            reset = reset_flow(route.path, route.function)
            for name in _names_in(target, []):
                found = self.project.resolve(facts, name)
                if found and found[1] == "class":
                    self._model_fields(route, found[0], found[2], reset, excluded, included, set(), 0)

    def _model_fields(self, route: Route, facts: FileFacts, cls: ClassFacts, reset: bool, excluded: set[str],
                      included: set[str], seen: set[tuple[str, str]], depth: int) -> None:
        for owner_facts, owner, name, fragment, top in self._secrets_of(facts, cls, reset):
            if top and (name in excluded or included and name not in included):
                continue
            self.report(
                owner_facts.path, self.field_position(owner_facts, owner, name),
                f"`{name}` of {owner.name} is sent to clients: it is in the response model of "
                f"{'/'.join(route.methods)} {route.path}; drop it from the model or mark it Field(exclude=True)",
                field=name, model=owner.name, route=route.path, fragment=fragment,
            )

    def _secrets_of(self, facts: FileFacts, cls: ClassFacts, reset: bool) -> list[tuple]:
        """Secret fields a schema class sends, nested schemas included (memoised per class):
        (owner facts, owner class, field, fragment, whether it is a field of `cls` itself)."""
        key = (facts.path, cls.qualname, reset)
        known = self._schema_memo.get(key)
        if known is not None:
            return known
        self._schema_memo[key] = []  # a schema nesting itself stops here
        model = self.models.by_key.get((facts.path, cls.name))
        if model is not None and model.kind in ("sqlalchemy", "django"):
            return []  # an ORM class is not a response schema (FastAPI refuses it)
        out: list[tuple] = []
        for name, (owner_facts, owner, raw) in _schema_fields(self.project, facts, cls).items():
            annotation, value = raw[1], raw[2]
            if _excluded_field(annotation, value):
                continue
            fragment = self.kind(name, reset)
            if fragment:
                out.append((owner_facts, owner, name, fragment, True))
            for inner in _names_in(annotation, []):
                if inner.rsplit(".", 1)[-1] in _PLAIN_TYPES:
                    continue
                found = self.project.resolve(owner_facts, inner)
                if found and found[1] == "class":
                    out.extend((*entry[:4], False) for entry in self._secrets_of(found[0], found[2], reset))
        self._schema_memo[key] = out
        return out

    # -- DRF serializers -----------------------------------------------------------------------------

    def serializers(self) -> None:
        for facts in self.project.files.values():
            for cls in facts.classes.values():
                if cls.bases and any(_SCHEMA_BASE.search(b) for b in cls.bases):
                    self._serializer(facts, cls)

    def _serializer(self, facts: FileFacts, cls: ClassFacts) -> None:
        """DRF serializers and marshmallow schemas: the fields they write out."""
        mro = list(self.project.class_mro(facts, cls))
        library = [o for _f, o in mro if isinstance(o, str)]
        if any(o.startswith("rest_framework") and o.endswith("Serializer") for o in library):
            flavor = "drf"
        elif any(o.startswith(("marshmallow", "flask_marshmallow")) or _MA_BASE.search(o) for o in library):
            flavor = "marshmallow"
        else:
            return
        declared: dict[str, tuple[FileFacts, ClassFacts, CallV]] = {}
        meta: ClassFacts | None = None
        meta_facts = facts
        for owner_facts, owner in reversed(mro):
            if not isinstance(owner, ClassFacts):
                continue
            for name, value in owner.attrs.items():
                if isinstance(value, CallV) and _declares_field(value):
                    declared[name] = (owner_facts, owner, value)
            if isinstance(owner.attrs.get("Meta"), ClassFacts):
                meta, meta_facts = owner.attrs["Meta"], owner_facts
        hidden_flag = "write_only" if flavor == "drf" else "load_only"
        write_only: set[str] = set()
        for name, (_f, _o, value) in declared.items():
            flag = value.kwargs.get(hidden_flag)
            if isinstance(flag, Const) and flag.value is True:
                write_only.add(name)
        model_fields: list[str] = []
        how = ""
        if meta is not None:
            extra = meta.attrs.get("extra_kwargs")
            if isinstance(extra, Map):
                for key, options in zip(extra.keys, extra.values):
                    if isinstance(key, Const) and isinstance(options, Map) and any(
                            isinstance(k, Const) and k.value == "write_only" and isinstance(v, Const) and v.value
                            for k, v in zip(options.keys, options.values)):
                        write_only.add(str(key.value))
            write_only |= _const_names(meta.attrs.get("load_only"))
            # a marshmallow schema that picks its fields when built (`only=` from a view name) is read there
            auto = flavor == "drf" or any(re.search(r"(ModelSchema|AutoSchema)$", o) for o in library) and \
                self.project.find_method(facts, cls, "__init__") is None
            model_fields, how = self._meta_fields(meta_facts, meta, auto)
        for name in model_fields:
            if name in write_only or name in declared:
                continue
            if self.matcher.strong(name):
                self.report(
                    facts.path, cls,
                    f"{cls.name} sends `{name}` to clients ({how}); list the fields clients may see, or mark "
                    f"`{name}` {hidden_flag}",
                    field=name, serializer=cls.name,
                )
        for name, (owner_facts, owner, value) in declared.items():
            if name in write_only or not self.matcher.strong(name) or short(value.func) == "HiddenField":
                continue
            self.report(
                owner_facts.path, self.field_position(owner_facts, owner, name),
                f"{owner.name} declares `{name}` as a readable field: clients receive it; make it {hidden_flag}=True",
                field=name, serializer=owner.name,
            )

    def _meta_fields(self, facts: FileFacts, meta: ClassFacts, auto: bool) -> tuple[list[str], str]:
        """Model fields a serializer's Meta sends out, and how they were chosen."""
        fields = meta.attrs.get("fields")
        exclude = meta.attrs.get("exclude")
        target = meta.attrs.get("model") if auto else None
        if target is None and auto:
            target = meta.attrs.get("sqla_model")
        model: Model | None = None
        builtin_user = False
        if isinstance(target, Ref):
            model = self.models.model_named(facts, target.name)
            if model is None:
                qualified = self.project.qualify(facts, target.name)
                builtin_user = qualified in ("django.contrib.auth.models.User", "django.contrib.auth.get_user_model")
        elif isinstance(target, CallV) and short(target.func) == "get_user_model":
            model = self.models.user_model()
            builtin_user = model is None
        available = list(model.fields) if model is not None else (["password", "last_login"] if builtin_user else [])
        if isinstance(fields, Const) and fields.value == "__all__":
            return available, f'fields = "__all__" on {model.name if model else "User"}'
        if isinstance(fields, Seq):
            listed = [i.value for i in fields.items if isinstance(i, Const) and isinstance(i.value, str)]
            return listed, "listed in Meta.fields"
        if isinstance(exclude, Seq):
            left_out = {i.value for i in exclude.items if isinstance(i, Const)}
            return [f for f in available if f not in left_out], "not in Meta.exclude"
        if auto and model is not None and "fields" not in meta.attrs:
            return available, f"every column of {model.name}"
        return [], ""

    # -- what handlers send back ---------------------------------------------------------------------

    def handlers(self) -> None:
        seen: set[tuple[str, int]] = set()
        for route in self.project.routes:
            handler = route.handler
            if handler is None or (route.file, handler.line) in seen:
                continue
            seen.add((route.file, handler.line))
            facts = self.project.files.get(route.file)
            if facts is not None:
                self._handler(route, facts, handler)

    def _handler(self, route: Route, facts: FileFacts, handler: FuncFacts) -> None:
        reset = reset_flow(route.path, route.function)
        label = f"{'/'.join(m for m in route.methods if m != '*') or 'any method on'} {route.path}"
        reach = returned(handler, loop_bindings(facts, handler), opaque=_TEMPLATES)
        dict_positions = [e for e in facts.rule_data.get(self.rule.code, ()) if e[0] == "dict" and e[1] == handler.line]

        def where_key(key: str) -> Any:
            for entry in dict_positions:
                if key in entry[2]:
                    return tuple(entry[3])
            return handler

        dumped: set[str] = set()
        for value in reach.values:
            if isinstance(value, Map):
                for key, item in zip(value.keys, value.values):
                    if key is None:
                        self._dump(route, facts, handler, item, label)
                        continue
                    if isinstance(key, Const) and isinstance(key.value, str):
                        fragment = self.kind(key.value, reset)
                        if fragment and not _masked(item):
                            self.report(route.file, where_key(key.value),
                                        f"the response of {label} carries `{key.value}` ({fragment}): secrets must "
                                        "never be sent to clients", handler.first_line if where_key(key.value) is handler
                                        else None, key=key.value, function=handler.qualname)
                            continue
                    if isinstance(item, Ref) and "." in item.name and self.matcher.strong(item.name):
                        self.report(route.file, where_key(str(getattr(key, "value", ""))) if key else handler,
                                    f"the response of {label} carries `{item.name}`, a secret value",
                                    key=item.name, function=handler.qualname)
                    self._dump(route, facts, handler, item, label)
            elif isinstance(value, CallV):
                if short(value.func) in _DICT_CALLS:
                    for key, item in value.kwargs.items():
                        fragment = self.kind(key, reset)
                        if fragment and not _masked(item):
                            self.report(route.file, value, f"the response of {label} carries `{key}` ({fragment}): "
                                        "secrets must never be sent to clients", key=key, function=handler.qualname)
                if not self._dump(route, facts, handler, value, label):
                    for arg in value.args[:1]:
                        self._dump(route, facts, handler, arg, label)
                self._dumper_call(route, facts, handler, value, label)
                for arg in [*value.args, *value.kwargs.values()]:
                    if isinstance(arg, Ref) and arg.name.endswith(".__dict__"):
                        dumped.add(arg.name)
                        self._instance(route, facts, handler, Ref(arg.name[: -len(".__dict__")]), value, label,
                                       "__dict__")
        for name in reach.names:
            if name.endswith(".__dict__") and name not in dumped:
                self._instance(route, facts, handler, Ref(name[: -len(".__dict__")]), handler, label, "__dict__")
        for local in reach.locals:
            bound = handler.locals.get(local)
            if isinstance(bound, (Ref, CallV)):
                self._dump(route, facts, handler, bound, label)
        self._messages(route, handler, reset, label)
        for value in handler.return_values:
            if isinstance(value, FStr):
                for name in value.names:
                    fragment = self.kind(name.rsplit(".", 1)[-1], reset)
                    if fragment:
                        self.report(route.file, handler, f"the response of {label} embeds `{name}` ({fragment}): "
                                    "secrets must never be sent to clients", handler.first_line, key=name,
                                    function=handler.qualname)
        if route.framework == "fastapi" and route.extra.get("response_model") is None and handler.returns is None:
            for value in handler.return_values:
                self._instance(route, facts, handler, value, handler, label, "returned without a response_model")
                if isinstance(value, Map):  # {"user": user}: jsonable_encoder sends every column too
                    for item in value.values:
                        self._instance(route, facts, handler, item, handler, label,
                                       "in a returned dict without a response_model")

    def _messages(self, route: Route, handler: FuncFacts, reset: bool, label: str) -> None:
        for call in handler.calls:
            if not _MESSAGES.search(call.func):
                continue
            for arg in call.args[:2]:
                names = arg.names if isinstance(arg, (FStr, Other)) else [arg.name] if isinstance(arg, Ref) else []
                for name in names:
                    fragment = self.kind(name.rsplit(".", 1)[-1], reset)
                    if fragment:
                        self.report(route.file, call, f"{label} shows `{name}` ({fragment}) to the requester in a "
                                    "message: secrets must never be sent to clients", key=name, function=handler.qualname)

    def _dump(self, route: Route, facts: FileFacts, handler: FuncFacts, value: Any, label: str) -> bool:
        """`dict(os.environ)`, `app.config`, `{**os.environ}`: everything the process knows."""
        name = value.name if isinstance(value, Ref) else ""
        if isinstance(value, CallV):
            if value.func in ("os.environ.copy", "os.environ.items") or (
                    short(value.func) in ("dict", "list", "sorted", "jsonify", "JsonResponse")
                    and any(isinstance(a, Ref) and a.name in _ENV for a in value.args)):
                name = next((a.name for a in value.args if isinstance(a, Ref) and a.name in _ENV),
                            value.func.rpartition(".")[0])
                where: Any = value
            else:
                return False
        elif name in _ENV:
            where = handler
        else:
            return False
        self.report(route.file, where, f"the response of {label} includes `{name}`: environment variables and "
                    "app settings hold credentials; send only the values clients need", handler.first_line
                    if where is handler else None, key=name, function=handler.qualname)
        return True

    def _dumper_call(self, route: Route, facts: FileFacts, handler: FuncFacts, call: CallV, label: str) -> None:
        method = short(call.func)
        if method in _DUMPERS and call.args:
            self._instance(route, facts, handler, call.args[0], call, label, f"{method}()")
        elif method == "values" and not call.args and ".objects" in call.func:
            self._instance(route, facts, handler, call, call, label, ".values()")
        elif "." in call.func and "()" not in call.func:
            self._model_method(route, facts, handler, call, label)

    def _model_method(self, route: Route, facts: FileFacts, handler: FuncFacts, call: CallV, label: str) -> None:
        """A project function or model method whose returned dict holds a secret: `user.to_dict()`,
        `User.get_all_users_debug()` (followed two calls deep)."""
        receiver, _, method = call.func.rpartition(".")
        target: tuple[FileFacts, FuncFacts] | None = None
        found = value_model(self.project, self.models, facts, handler, Ref(receiver))
        if found is not None and found[0] is not None:
            owner = self.project.find_method(found[0].facts, found[0].cls, method)
            target = (owner[0], owner[2]) if owner else None
        if target is None and receiver.split(".")[0] in facts.imports or receiver in facts.classes:
            resolved = self.project.resolve(facts, call.func)
            target = (resolved[0], resolved[2]) if resolved and resolved[1] == "function" else None
        if target is None:
            return
        secret = self._returns_secret(target[0], target[1], 0, set())
        if secret is not None:
            key, where = secret
            self.report(route.file, call, f"{label} returns {call.func}(), whose result includes `{key}` "
                        f"({where}); leave secrets out of what it returns", key=key, function=handler.qualname)

    def _returns_secret(self, facts: FileFacts, func: FuncFacts, depth: int,
                        seen: set[tuple[str, str]]) -> tuple[str, str] | None:
        """(key, where) of a secret key in a dict a function returns, itself or through its own calls."""
        ident = (facts.path, func.qualname)
        if ident in seen or depth > 2:
            return None
        seen.add(ident)
        reach = returned(func, opaque=_TEMPLATES)
        for value in reach.values:
            if isinstance(value, Map):
                for key, item in zip(value.keys, value.values):
                    if isinstance(key, Const) and isinstance(key.value, str) and self.matcher.strong(key.value) \
                            and not _masked(item):
                        return key.value, f"{func.qualname}() in {facts.path}"
        owner_class = facts.classes.get(func.qualname.split(".")[0]) if "." in func.qualname else None
        for name in sorted(reach.names):
            plain = name.replace("()", "")
            head, _, attr = plain.rpartition(".")
            callee = None
            if head == "self" and owner_class is not None:
                found = self.project.find_method(facts, owner_class, attr)
                callee = (found[0], found[2]) if found else None
            elif head and (head.split(".")[0] in facts.imports or head in facts.classes):
                found = self.project.resolve(facts, plain)
                callee = (found[0], found[2]) if found and found[1] == "function" else None
            if callee is not None:
                inner = self._returns_secret(callee[0], callee[1], depth + 1, seen)
                if inner is not None:
                    return inner
        return None

    def _instance(self, route: Route, facts: FileFacts, handler: FuncFacts, value: Any, where: Any, label: str,
                  how: str) -> None:
        found = value_model(self.project, self.models, facts, handler, value)
        if found is None:
            return
        model, _many, source = found
        secrets = self.model_secrets(model)
        if not secrets:
            return
        shown = ", ".join(f"`{s}`" for s in secrets[:3])
        self.report(route.file, where, f"{label} sends every column of {model.name if model else 'User'} "
                    f"({source}, {how}), including {shown}; return a schema that lists the fields clients may see",
                    handler.first_line if where is handler else None, key=secrets[0], function=handler.qualname)


def _const_names(value: Any) -> set[str]:
    if isinstance(value, Seq):
        return {i.value for i in value.items if isinstance(i, Const) and isinstance(i.value, str)}
    if isinstance(value, Map):
        return {k.value for k in value.keys if isinstance(k, Const) and isinstance(k.value, str)}
    return set()


def _schema_fields(project: Project, facts: FileFacts, cls: ClassFacts) -> dict[str, tuple[FileFacts, ClassFacts, Any]]:
    """Typed attributes of a schema class and its project bases (pydantic fields, dataclass fields)."""
    out: dict[str, tuple[FileFacts, ClassFacts, Any]] = {}
    for owner_facts, owner in reversed(list(project.class_mro(facts, cls))):
        if not isinstance(owner, ClassFacts):
            continue
        for name, raw in owner.attrs.items():
            if isinstance(raw, tuple) and raw and raw[0] == "annotated" and not name.startswith("_") and \
                    name != "model_config":
                out[name] = (owner_facts, owner, raw)
    return out


def _excluded_field(annotation: Any, value: Any) -> bool:
    names = _names_in(annotation, [])
    if any(n.rsplit(".", 1)[-1] in _SECRET_TYPES or n.rsplit(".", 1)[-1] == "ClassVar" for n in names):
        return True
    if isinstance(value, CallV) and short(value.func) in ("Field", "field"):
        for flag in ("exclude", "write_only"):
            setting = value.kwargs.get(flag)
            if isinstance(setting, Const) and setting.value is True:
                return True
        repr_flag = value.kwargs.get("repr")
        if short(value.func) == "field" and isinstance(repr_flag, Const) and repr_flag.value is False:
            return False
    return False


__all__ = ["SensitiveFieldInResponse", "words"]
