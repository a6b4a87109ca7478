"""## What it does
Flags JSON Web Tokens decoded in a way that does not prove who issued them, with PyJWT or python-jose:

- signature checking switched off: `options={"verify_signature": False}` (also through a variable),
  `verify=False` (PyJWT 1), or python-jose's `jwt.get_unverified_claims(token)` used as the claims;
- no `algorithms=` list pinned on `jwt.decode` (or `algorithms=None`), so the token's own header picks
  the algorithm;
- `"none"` among the allowed algorithms, or the algorithm list read from the unverified token header.

Authlib, whose `jwt.decode` always verifies, and `jwt.get_unverified_header` (commonly used to find the
signing key id before verifying) are not flagged.

## Why is this bad?
A token whose signature is not checked is just JSON the client wrote: anyone can put any user id or role
in it. Letting the token choose its algorithm is almost as bad: `"none"` skips the signature, and a token
signed with HMAC using the server's public RSA key as the secret passes an RS256 check that trusts the
header (algorithm confusion).

## Example
```python
payload = jwt.decode(token, options={"verify_signature": False})
user_id = payload["sub"]
```

## Use instead
```python
payload = jwt.decode(token, settings.JWT_SECRET, algorithms=["HS256"])
user_id = payload["sub"]
```

## Fix safety
There is no quick fix: the right key and algorithm are the project's decision.

## References
- PyJWT: Usage, https://pyjwt.readthedocs.io/en/stable/usage.html
- RFC 8725, JSON Web Token Best Current Practices, section 3.1 (algorithm verification)
- OWASP API Security Top 10 2023, API2: Broken Authentication
- CWE-347: Improper Verification of Cryptographic Signature
"""

from __future__ import annotations

import ast
from collections.abc import Iterable

from backcheck.diagnostics import Finding
from backcheck.index.facts import CallV, Const, FileFacts, Map, Ref, Seq, dotted
from backcheck.index.project import Project
from backcheck.rules.base import FileContext, Rule
from backcheck.rules.errors.paths import is_test_path

_LIBRARIES = {"jwt", "jose.jwt", "jwt.api_jwt", "jose"}
_UNVERIFIED = "skips signature verification"
_FUNCTIONS = frozenset({"decode", "decode_complete", "get_unverified_claims"})


def _library_call(name: str, imports: dict[str, str]) -> str | None:
    """The fully qualified callee when a call goes to PyJWT or python-jose, else None."""
    head, _, rest = name.partition(".")
    target = imports.get(head)
    if target is None:
        return None
    qualified = f"{target}.{rest}" if rest else target
    module, _, function = qualified.rpartition(".")
    if module in _LIBRARIES or module.startswith("jose.jwt"):
        return qualified if function in ("decode", "decode_complete", "get_unverified_claims") else None
    return None


class JwtDecodedWithoutVerification(Rule):
    code = "BC103"
    name = "jwt-decoded-without-verification"
    severity = "error"
    checklist = "Security best practices: tokens are verified"
    node_types = (ast.Call,)

    def visit(self, node: ast.AST, ctx: FileContext) -> None:
        func = node.func  # type: ignore[attr-defined]
        if func.__class__ is ast.Attribute:
            if func.attr not in _FUNCTIONS:
                return
        elif func.__class__ is ast.Name:
            target = ctx.facts.imports.get(func.id)
            if target is None or target.rpartition(".")[2] not in _FUNCTIONS:
                return
        else:
            return
        if is_test_path(ctx.path):
            return
        qualified = _library_call(dotted(func) or "", ctx.facts.imports)
        if qualified is None:
            return
        problem = self._problem(node, qualified, ctx)
        if not problem:
            return
        message = f"{dotted(func)}(...) {problem}"
        if problem.startswith(_UNVERIFIED) and ctx.func is not None:
            # reading claims unverified to pick the key, then verifying, is fine: decided once the whole
            # function is known
            ctx.remember(self, (ctx.func.qualname, [func.lineno, func.col_offset, func.end_lineno,
                                                    func.end_col_offset], message))
            return
        ctx.report(self, func, message, function=ctx.func.qualname if ctx.func else "")

    def check_project(self, project: Project) -> Iterable[Finding]:
        for facts in project.files.values():
            entries = facts.rule_data.get(self.code)
            if not entries:
                continue
            functions = {f.qualname: f for f in facts.all_functions()}
            for qualname, pos, message in entries:
                func = functions.get(qualname)
                if func is not None and any(_verifying_decode(c, facts) for c in func.calls
                                            if (c.line, c.col) != (pos[0], pos[1])):
                    continue
                yield self.finding(facts.path, tuple(pos), message, function=qualname)

    def _problem(self, node: ast.Call, qualified: str, ctx: FileContext) -> str | None:
        if qualified.endswith("get_unverified_claims"):
            return f"{_UNVERIFIED} (it reads the claims without checking the signature); decode with the key and `algorithms=`"
        keywords = {k.arg: k.value for k in node.keywords if k.arg}
        verify = keywords.get("verify")
        if isinstance(verify, ast.Constant) and verify.value is False:
            return f"{_UNVERIFIED} (verify=False): anyone can forge the claims"
        options = self._value(keywords.get("options"), ctx)
        if isinstance(options, Map):
            for key, value in zip(options.keys, options.values):
                value = self._resolve(value, ctx)
                if isinstance(key, Const) and key.value == "verify_signature" and isinstance(value, Const) \
                        and value.value is False:
                    return (f"{_UNVERIFIED} (verify_signature is off): anyone can forge the claims; pass the "
                            "key and `algorithms=`")
        if any(k.arg is None for k in node.keywords):
            return None  # **kwargs may carry the algorithms
        algorithms = keywords.get("algorithms")
        if algorithms is None and len(node.args) >= 3:
            algorithms = node.args[2]
        if algorithms is None or isinstance(algorithms, ast.Constant) and algorithms.value is None:
            return ("does not pin `algorithms=`: the token's header chooses the algorithm ('none', or HMAC "
                    "with a public key); pass the list you issue")
        pinned = self._value(algorithms, ctx)
        items = pinned.items if isinstance(pinned, Seq) else [pinned]
        if any(isinstance(i, Const) and isinstance(i.value, str) and i.value.lower() == "none" for i in items):
            return "allows the 'none' algorithm: unsigned tokens are accepted"
        if any("get_unverified_header" in (dotted(n.func) or "") for n in ast.walk(algorithms)
               if isinstance(n, ast.Call)):
            return "takes the algorithm from the unverified token header: pin the algorithms you issue"
        return None

    @staticmethod
    def _value(node: ast.AST | None, ctx: FileContext):
        """A summary of an argument, following a local or module-level name to what it was bound to."""
        from backcheck.index.facts import summarize

        return JwtDecodedWithoutVerification._resolve(summarize(node) if node is not None else None, ctx)

    @staticmethod
    def _resolve(value, ctx: FileContext):
        if isinstance(value, Ref):
            if ctx.func is not None and value.name in ctx.func.locals:
                return ctx.func.locals[value.name]
            if value.name in ctx.facts.assigns:
                return ctx.facts.assigns[value.name][0]
        return value


def _verifying_decode(call: CallV, facts: FileFacts) -> bool:
    """A later `jwt.decode(token, key, algorithms=[...])` in the same function: the real check."""
    if call.func.rsplit(".", 1)[-1] not in ("decode", "decode_complete"):
        return False
    if _library_call(call.func, facts.imports) is None:
        return False
    options = call.kwargs.get("options")
    if options is not None and not (isinstance(options, Map) and not any(
            isinstance(k, Const) and k.value == "verify_signature" for k in options.keys)):
        return False  # options that touch verify_signature, or that we cannot read
    return "algorithms" in call.kwargs or len(call.args) >= 3
