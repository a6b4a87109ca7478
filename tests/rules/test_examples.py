"""Every rule on the bundled example backends: it fires on each deliberate violation listed in
examples/expected.json and nowhere else (a finding that matches no violation is a false positive)."""

from __future__ import annotations

import ast
import json
from functools import lru_cache
from pathlib import Path

import pytest

from backcheck.config import load
from backcheck.engine import Engine
from backcheck.rules import registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
EXPECTED = json.loads((EXAMPLES / "expected.json").read_text())
APPS = sorted({v["app"] for v in EXPECTED["violations"]} | {r["app"] for r in EXPECTED["routes"]})


@lru_cache(maxsize=None)
def findings(app: str):
    root = EXAMPLES / app
    settings, _ = load(root)
    return Engine(root, settings, use_cache=False).scan().findings


@lru_cache(maxsize=None)
def spans(app: str, rel: str) -> list[tuple[int, int, str]]:
    """(first line, last line, qualified name) of every def and class in a file."""
    tree = ast.parse((EXAMPLES / app / rel).read_text("utf-8"))
    out: list[tuple[int, int, str]] = []

    def walk(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                name = f"{prefix}{child.name}"
                first = min([d.lineno for d in child.decorator_list] + [child.lineno])
                out.append((first, child.end_lineno or child.lineno, name))
                walk(child, f"{name}.")
            else:
                walk(child, prefix)

    walk(tree, "")
    return out


def symbol_of(app: str, rel: str, line: int) -> str:
    inside = [s for s in spans(app, rel) if s[0] <= line <= s[1]]
    return max(inside, key=lambda s: s[0])[2] if inside else "module"


def places(violation: dict) -> set[tuple[str, str]]:
    return {(violation["file"], violation["symbol"])} | {(a["file"], a["symbol"]) for a in violation.get("also", [])}


def _cases():
    for app in APPS:
        for code in registry():
            yield pytest.param(app, code, id=f"{app}-{code}")


@pytest.mark.parametrize(("app", "code"), list(_cases()))
def test_rule_on_example(app: str, code: str) -> None:
    violations = [v for v in EXPECTED["violations"] if v["app"] == app and v["code"] == code]
    got = {(f.path, symbol_of(app, f.path, f.line)): f for f in findings(app) if f.code == code}

    def matches(where: tuple[str, str], place: tuple[str, str]) -> bool:
        # a finding on a method also matches its class (class-based views list the class)
        return where[0] == place[0] and (where[1] == place[1] or where[1].startswith(place[1] + "."))

    missing = [v for v in violations if v.get("required", True)
               and not any(matches(w, p) for w in got for p in places(v))]
    allowed = set().union(*(places(v) for v in violations)) if violations else set()
    extra = [f"{f.path}:{f.line} ({where[1]}) {f.message}" for where, f in got.items()
             if not any(matches(where, p) for p in allowed)]
    assert not missing, f"{code} missed: " + "; ".join(f"{v['file']} {v['symbol']}: {v['note']}" for v in missing)
    assert not extra, f"{code} false positives: " + "; ".join(extra)
