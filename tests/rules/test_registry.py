"""The registry discovers rules, refuses duplicates and isolates failures."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from backcheck.engine import Engine
from backcheck.rules import RegistryError, build_registry, registry
from backcheck.rules.base import Rule


def test_codes_are_unique_and_well_formed() -> None:
    rules = registry()
    assert "BC101" in rules
    for code, rule in rules.items():
        assert code.startswith("BC") and len(code) == 5
        assert rule.name and rule.name == rule.name.lower()


def test_duplicate_code_is_refused() -> None:
    class A(Rule):
        code, name = "BC999", "a-rule"

    class B(Rule):
        code, name = "BC999", "b-rule"

    with pytest.raises(RegistryError, match="BC999"):
        build_registry([A, B])


def test_a_crashing_rule_does_not_silence_the_others(tmp_path: Path) -> None:
    class Boom(Rule):
        code, name = "BC998", "boom"
        node_types = (ast.Call,)

        def visit(self, node, ctx):
            raise RuntimeError("kaboom")

    (tmp_path / "app.py").write_text(
        "from fastapi import FastAPI\napp = FastAPI()\n@app.get('/orders')\ndef orders():\n    return []\n"
    )
    rules = dict(registry())
    rules["BC998"] = Boom()
    result = Engine(tmp_path, rules=rules, use_cache=False).scan()
    assert any(f.code == "BC101" for f in result.findings)
    assert any("BC998" in e.message and "kaboom" in e.message for e in result.errors)
