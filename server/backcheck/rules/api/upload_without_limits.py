"""## What it does
Flags a route that saves or reads an uploaded file without checking both its size and its type:

- uploads are FastAPI `UploadFile` / `File()` parameters, Flask `request.files[...]` and Django
  `request.FILES[...]` (also in loops over `getlist()`);
- using one means saving it (`.save()`, `shutil.copyfileobj(file.file, ...)`, a storage backend),
  reading it (`.read()`, `.chunks()`, `.stream`) or handing it to a project function that does;
- a size check is a bounded `read(n)`, a comparison with `len(...)`, `.size`, `content_length` or a
  `MAX_*` / `*_limit` setting, or Flask's app-wide `MAX_CONTENT_LENGTH`;
- a type check compares `content_type` / `mimetype` / the file name's extension, calls an allow-list
  helper (`allowed_file()`), or sniffs the content (`mimetypes`, `magic`, `filetype`, `imghdr`, Pillow).

Files passed to a Django form or DRF serializer are left to their validators.

## Why is this bad?
An upload is the largest and least trusted input an API takes. With no size limit one request can fill
the disk or the memory of a worker. With no type check the server stores whatever arrives: an HTML page or
SVG with script served back from your domain, an executable, a zip bomb handed to the next tool that
opens it.

## Example
```python
@router.post("/avatar")
def upload_avatar(file: UploadFile, user: CurrentUser):
    with (UPLOADS / f"{user.id}-{file.filename}").open("wb") as out:
        shutil.copyfileobj(file.file, out)
```

## Use instead
```python
@router.post("/avatar")
async def upload_avatar(file: UploadFile, user: CurrentUser):
    if file.content_type not in {"image/png", "image/jpeg"}:
        raise HTTPException(415, "Only PNG or JPEG images")
    data = await file.read(MAX_AVATAR_BYTES + 1)
    if len(data) > MAX_AVATAR_BYTES:
        raise HTTPException(413, "Image too large")
    (UPLOADS / f"{user.id}-{uuid4().hex}.img").write_bytes(data)
```

## Fix safety
There is no quick fix: the limits and the accepted types belong to the feature.

## References
- OWASP File Upload Cheat Sheet, https://cheatsheetseries.owasp.org/cheatsheets/File_Upload_Cheat_Sheet.html
- CWE-434: Unrestricted Upload of File with Dangerous Type
- Flask: Uploading Files, https://flask.palletsprojects.com/en/stable/patterns/fileuploads/
- FastAPI: Request Files, https://fastapi.tiangolo.com/tutorial/request-files/
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.project import Project
from backcheck.rules.api.textscan import PerFile, match_lines, spans
from backcheck.rules.base import FileContext, Rule

_UPLOAD_WORDS = ("File", "FILES", "request.files", "MAX_CONTENT_LENGTH")
_UPLOAD_TEXT = re.compile(r"UploadFile|request\.files|request\.FILES|\bFile\(|MAX_CONTENT_LENGTH")
_SIZE_NAME = re.compile(r"(^|_|\.)(size|length|content_length|st_size|bytes)$|max_|_max|limit|MAX|LIMIT", re.IGNORECASE)
_TYPE_NAME = re.compile(r"content_type|mimetype|mime|extension|suffix|allowed|ALLOWED|whitelist|allowlist|accept|"
                        r"permitted|valid_types|image_types|file_types", re.IGNORECASE)
_TYPE_CALLS = re.compile(r"(guess_type|guess_extension|from_buffer|from_file|magic|filetype|imghdr|what|verify|"
                         r"splitext|endswith|allowed\w*|is_allowed\w*|validate_(file|type|extension|image)\w*|"
                         r"check_(file|type|extension)\w*)$")
_SAVES = {"save", "read", "chunks", "write", "stream", "file", "readlines", "seek", "copyfileobj", "open", "upload",
          "upload_fileobj", "put_object", "write_bytes", "extractall"}


# Calls that only look at a value: handing the upload to them neither stores nor reads it.
_INERT = {"len", "print", "str", "repr", "bool", "isinstance", "type", "id", "hash", "getattr", "hasattr", "jsonify",
          "dict", "list", "sorted", "enumerate", "zip"}


def _root(node: ast.AST) -> str:
    """The name at the base of an attribute/call/subscript chain."""
    while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
        node = node.func if isinstance(node, ast.Call) else node.value
    return node.id if isinstance(node, ast.Name) else ""


def _text(node: ast.AST) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001 - a node ast cannot print back has nothing to tell
        return ""


def _is_files(node: ast.AST) -> bool:
    """`request.files[...]`, `request.files.get(...)`, `request.FILES.getlist(...)`."""
    text = _text(node)
    return text.startswith(("request.files", "request.FILES", "self.request.FILES", "self.request.files"))


def _upload_annotation(annotation: ast.AST | None, default: ast.AST | None) -> bool:
    text = _text(annotation) if annotation is not None else ""
    if "UploadFile" in text or re.search(r"\bFile\(", text):
        return True
    return isinstance(default, ast.Call) and _text(default.func).rsplit(".", 1)[-1] == "File"


class _Upload:
    """What one function does with uploaded files."""

    def __init__(self, func: ast.FunctionDef | ast.AsyncFunctionDef):
        self.names: set[str] = set()
        self.params: list[str] = [a.arg for a in [*func.args.posonlyargs, *func.args.args, *func.args.kwonlyargs]]
        self.used: tuple[int, int, int, int] | None = None
        self.size = False
        self.kind = False
        self.delegated = False
        self.passed: list[tuple[str, int]] = []  # (callee name, argument position) the upload goes to
        args = func.args
        positional = [*args.posonlyargs, *args.args]
        defaults = [None] * (len(positional) - len(args.defaults)) + list(args.defaults)
        for arg, default in [*zip(positional, defaults), *zip(args.kwonlyargs, args.kw_defaults)]:
            if _upload_annotation(arg.annotation, default):
                self.names.add(arg.arg)
        body = list(ast.walk(func))
        # uploads bound from the request, and loop variables over them
        for node in body:
            if isinstance(node, ast.Assign) and _is_files(node.value):
                self.names.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, (ast.For, ast.AsyncFor)) and (_is_files(node.iter) or _root(node.iter) in self.names):
                self.names.update(n.id for n in ast.walk(node.target) if isinstance(n, ast.Name))
        for node in body:
            if isinstance(node, ast.Call):
                self._call(node)
            elif isinstance(node, ast.Compare):
                self._compare(node)
            elif isinstance(node, ast.Constant) and node.value == "MAX_CONTENT_LENGTH":
                self.size = True  # app.config["MAX_CONTENT_LENGTH"] = ...: Flask refuses larger bodies

    def _mentions(self, node: ast.AST) -> bool:
        return _root(node) in self.names or _is_files(node)

    def _handed(self, node: ast.AST) -> bool:
        """The upload itself (or its file object) as an argument; `file.filename` is only metadata."""
        if isinstance(node, ast.Name):
            return node.id in self.names
        if isinstance(node, ast.Attribute) and node.attr in ("file", "stream", "_file"):
            return _root(node) in self.names
        return _is_files(node)

    def _call(self, node: ast.Call) -> None:
        func = _text(node.func)
        last = func.rsplit(".", 1)[-1]
        if self._mentions(node.func) and (last in _SAVES or ".file." in f".{func}." or ".stream" in func):
            self._use(node)
            if last == "read" and (node.args or node.keywords):
                self.size = True
        for position, arg in enumerate([*node.args, *(k.value for k in node.keywords)]):
            if not self._handed(arg):
                continue
            if last[:1].isupper() or "serializer" in func.lower() or "form" in func.lower():
                self.delegated = True  # a Form / Serializer validates its own fields
            elif last in _SAVES or "storage" in func or "save" in last or "upload" in last or "write" in last:
                self._use(node)
            elif func not in _INERT and func.split(".")[0] not in ("os", "logger", "log", "logging"):
                self.passed.append((func, position))
                self._use(node)
        if _TYPE_CALLS.search(last) and any(self._mentions(a) or _TYPE_NAME.search(_text(a)) for a in node.args) or \
                last.startswith("allowed") or _TYPE_CALLS.search(last) and self._mentions(node.func):
            self.kind = True
        if last in ("guess_type", "from_buffer", "what", "verify", "guess") or func.startswith(("magic.", "filetype.")):
            self.kind = True

    def _compare(self, node: ast.Compare) -> None:
        parts = [node.left, *node.comparators]
        texts = [_text(p) for p in parts]
        if any(re.search(r"\blen\(|\.size\b|content_length|st_size|getsize", t) for t in texts) or any(
                _SIZE_NAME.search(t.rsplit(".", 1)[-1]) for t in texts if t and not t[0].isdigit()):
            self.size = True
        if any(_TYPE_NAME.search(t) for t in texts) or any(
                isinstance(op, (ast.In, ast.NotIn)) for op in node.ops) and any(".filename" in t for t in texts):
            self.kind = True

    def _use(self, node: ast.Call) -> None:
        where = (node.lineno, node.col_offset, node.end_lineno or node.lineno, node.end_col_offset or 0)
        if self.used is None or where < self.used:
            self.used = where  # the first use in source order


class UploadWithoutLimits(Rule):
    code = "BC803"
    name = "upload-without-limits"
    severity = "warning"
    checklist = "Secure file uploads: size and type are checked"
    node_types = (ast.FunctionDef, ast.AsyncFunctionDef)

    def __init__(self) -> None:
        self._lines = PerFile(self._upload_lines)

    def _upload_lines(self, ctx: FileContext) -> list[int]:
        text = ctx.text
        lines = match_lines(text, _UPLOAD_TEXT) if any(w in text for w in _UPLOAD_WORDS) else []
        if lines and re.search(r"""\[\s*["']MAX_CONTENT_LENGTH["']\s*\]\s*=""", text):
            ctx.remember(self, (0, [], [], [], True, False, False, []))  # an app-wide body size limit
        return lines

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        assert isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        if ctx.func is not None:
            return
        lines = self._lines.get(ctx)
        if not lines or not spans(lines, node.lineno, node.end_lineno or node.lineno):
            return
        upload = _Upload(node)
        if not upload.names and not (upload.size or upload.kind) or not upload.names and not upload.params:
            return
        ctx.remember(self, (node.lineno, sorted(upload.names), upload.params, list(upload.used or ()),
                            upload.size, upload.kind, upload.delegated, upload.passed))

    def check_project(self, project: Project) -> Iterable[Finding]:
        global_size = _flask_global_limit(project)
        seen: set[tuple[str, int]] = set()
        for route in project.routes:
            handler = route.handler
            if handler is None or (route.file, handler.line) in seen:
                continue
            seen.add((route.file, handler.line))
            facts = project.files.get(route.file)
            entry = _entry(facts, self.code, handler.line) if facts is not None else None
            if entry is None:
                continue
            _line, names, _params, used, size, kind, delegated, passed = entry
            if not names or not used or delegated:
                continue
            size = size or (route.framework == "flask" and global_size)
            for callee, position in passed:
                found = project.resolve(facts, callee) if callee.split(".")[0] in facts.imports or \
                    callee.split(".")[0] in facts.functions else None
                if found is None or found[1] != "function":
                    continue
                inner = _entry(found[0], self.code, found[2].line)
                if inner is None:
                    size = kind = True  # a helper we cannot see into: give it the benefit of the doubt
                    continue
                size, kind = size or inner[4], kind or inner[5]
                if inner[6]:
                    size = kind = True
            if size and kind:
                continue
            missing = " and ".join(x for x, ok in (("no size limit", size), ("no type check", kind)) if not ok)
            where = tuple(used) if used else handler
            finding = self.finding(
                route.file, where,
                f"{'/'.join(route.methods)} {route.path} stores or reads the uploaded `{names[0]}` with {missing}: "
                "cap its size and allow only the types the feature needs",
                function=handler.qualname, size=size, type=kind,
            )
            finding.first_line = handler.first_line
            yield finding


def _entry(facts, code: str, line: int):
    for entry in facts.rule_data.get(code, ()):
        if entry[0] == line:
            return entry
    return None


def _flask_global_limit(project: Project) -> bool:
    """Flask's MAX_CONTENT_LENGTH set anywhere (a config class, `from_mapping`, `config.update`, a hook)."""
    for facts in project.files.values():
        if "MAX_CONTENT_LENGTH" in facts.assigns:
            return True
        if any("MAX_CONTENT_LENGTH" in c.attrs for c in facts.classes.values()):
            return True
        if any(entry[0] == 0 for entry in facts.rule_data.get("BC803", ())):
            return True
    for _facts, call in project.all_calls():
        if "MAX_CONTENT_LENGTH" in call.kwargs:
            return True
    return False
