"""Code actions end to end: the rule's quick fix and "suppress on this line" are offered for a BC101
diagnostic, applied the way an editor applies them (edits, then didChange), and the file is re-checked;
"fix all" is offered only when a safe fix exists, and its edits combine without overlapping."""

from __future__ import annotations

import ast
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
from backcheck.diagnostics import Finding
from backcheck.engine import Engine
from backcheck.fixes import Edit, Fix, apply_edits
from backcheck.lsp import code_actions
from backcheck.rules import registry
from backcheck.rules.base import Rule
from lsp_harness import (
    PROFILES,
    PULL,
    apply_text_edits,
    as_changes,
    change_file,
    diagnostics_at,
    encoding_of,
    lsp_session,
    open_file,
    text_edits,
)
from lsprotocol import types


def _has_fix(code: str) -> bool:
    rule = registry().get(code)
    return rule is not None and type(rule).fix is not Rule.fix


async def _actions(client, doc: str, diagnostic: types.Diagnostic, only=None) -> list[types.CodeAction]:
    result = await client.text_document_code_action_async(types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=doc),
        range=diagnostic.range,
        context=types.CodeActionContext(diagnostics=[diagnostic], only=only),
    ))
    return list(result or [])


@pytest.mark.parametrize("profile", PROFILES + [PULL])
async def test_suppress_and_quick_fix_apply_and_the_file_is_rechecked(project, profile):
    encoding = encoding_of(profile)
    async with lsp_session(profile, project) as client:
        main = project / "app" / "main.py"
        original = main.read_text()
        doc = open_file(client, main)
        stats = next(d for d in await diagnostics_at(client, doc, 1) if d.code == "BC101")

        actions = await _actions(client, doc, stats)
        titles = [a.title for a in actions]
        assert "Suppress BC101 on this line" in titles
        assert all(a.kind == types.CodeActionKind.QuickFix for a in actions)
        assert all(not a.is_preferred for a in actions if a.title.startswith("Suppress"))

        # Suppress: the comment lands on the def line and the finding goes away after the re-check.
        suppress = next(a for a in actions if a.title == "Suppress BC101 on this line")
        edits = text_edits(suppress.edit, doc)
        suppressed = apply_text_edits(original, edits, encoding)
        assert suppressed.splitlines()[16] == "def stats() -> dict:  # backcheck: ignore[BC101]"
        change_file(client, doc, 2, as_changes(edits))
        assert [d for d in await diagnostics_at(client, doc, 2) if d.code == "BC101"] == []

        # Back to the original text: the finding returns.
        change_file(client, doc, 3, [types.TextDocumentContentChangeWholeDocument(text=original)])
        stats = next(d for d in await diagnostics_at(client, doc, 3) if d.code == "BC101")
        if not _has_fix("BC101"):
            pytest.xfail("BC101 has no quick fix in the registry yet; only the suppression was exercised")

        fixes = [a for a in await _actions(client, doc, stats) if a.title.endswith("(BC101)")
                 and not a.title.startswith(("Suppress", "Ask the agent"))]
        assert fixes, "BC101 declares a quick fix but none was offered for /stats"
        fix = fixes[0]
        assert fix.is_preferred == (registry()["BC101"].fix_applicability == "safe")
        edits = text_edits(fix.edit, doc)
        fixed = apply_text_edits(original, edits, encoding)
        ast.parse(fixed)
        change_file(client, doc, 4, as_changes(edits))
        remaining = [d for d in await diagnostics_at(client, doc, 4) if d.code == "BC101"]
        assert remaining == [], f"the quick fix left BC101 in place:\n{fixed}"


async def test_agent_action_and_fix_all_are_offered_only_when_they_can_run(project):
    async with lsp_session("visual-studio-code", project) as client:
        doc = open_file(client, project / "app" / "main.py")
        shown = await diagnostics_at(client, doc, 1)
        stats = next(d for d in shown if d.code == "BC101")
        actions = await _actions(client, doc, stats)
        agent = [a for a in actions if a.title == "Ask the agent to fix this (BC101)"]
        assert len(agent) == (1 if code_actions.agent_available() else 0)
        if agent:
            assert agent[0].command.command == "backcheck.runTask"
            assert "BC101" in agent[0].command.arguments[0]["task"]
        fix_all = await _actions(client, doc, stats, only=[types.CodeActionKind.SourceFixAll])
        rules = registry()
        safe = any(rules[d.code].fix_title and rules[d.code].fix_applicability == "safe"
                   for d in shown if d.code in rules)
        assert bool(fix_all) == safe


class _SafeRule(Rule):
    """A stand-in rule whose fixes are safe, to exercise "fix all" while no real rule has one."""

    code = "BC999"
    name = "stand-in"
    fix_title = "Rename"
    fix_applicability = "safe"

    def fix(self, finding, text, project):
        if finding.data.get("broken"):
            return Fix("Break", "safe", [Edit(finding.line, 0, finding.line, 0, "def (")])
        old, new = finding.data["old"], finding.data["new"]
        line = text.splitlines()[finding.line - 1]
        col = line.index(old)
        return Fix("Rename", "safe", [Edit(finding.line, col, finding.line, col + len(old), new)])


def test_fix_all_combines_safe_fixes_and_drops_overlaps_and_breakage(monkeypatch):
    rule = _SafeRule()
    monkeypatch.setattr(code_actions, "registry", lambda: {"BC999": rule})
    text = "alpha = 1\nbeta = 2\ngamma = 3\n"
    findings = [
        Finding("BC999", "m", "a.py", 1, 0, 1, 5, data={"old": "alpha", "new": "a"}),
        Finding("BC999", "m", "a.py", 1, 0, 1, 5, data={"old": "alpha", "new": "b"}),  # overlaps the first
        Finding("BC999", "m", "a.py", 2, 0, 2, 4, data={"broken": True}),  # would not parse
        Finding("BC999", "m", "a.py", 3, 0, 3, 5, data={"old": "gamma", "new": "g"}),
    ]
    root = SimpleNamespace(snapshot=None)
    edits = code_actions._fix_all(root, findings, text)
    assert apply_edits(text, edits) == "a = 1\nbeta = 2\ng = 3\n"


FIXTURES = Path(__file__).resolve().parents[1] / "rules" / "fixtures"


def _safe_fix_case(tmp: Path) -> tuple[str, Path, str] | None:
    """(code, project copy, file) for the first rule fixture with a finding that has a safe fix."""
    rules = registry()
    for code, rule in rules.items():
        if not (rule.fix_title and rule.fix_applicability == "safe" and _has_fix(code)):
            continue
        for fixture in sorted((FIXTURES / code).iterdir()) if (FIXTURES / code).is_dir() else []:
            if fixture.name.startswith(("_", ".")):
                continue
            copy = tmp / f"{code}-{fixture.stem}"
            if fixture.is_dir():
                shutil.copytree(fixture, copy)
            elif fixture.suffix == ".py":
                copy.mkdir()
                shutil.copy(fixture, copy / fixture.name)
            else:
                continue
            result = Engine(copy, use_cache=False).scan()
            for finding in result.findings:
                if finding.code != code:
                    continue
                fix = rule.fix(finding, (copy / finding.path).read_text(), result.project)
                if fix is not None and fix.applicability == "safe" and not fix.new_files:
                    return code, copy, finding.path
    return None


@pytest.mark.parametrize("profile", PROFILES)
async def test_fix_all_applies_every_safe_fix_in_the_file(tmp_path, profile):
    case = _safe_fix_case(tmp_path)
    if case is None:
        pytest.skip("no rule has a safe quick fix yet, so there is nothing for fix-all to apply")
    code, project, rel = case
    async with lsp_session(profile, project) as client:
        path = project / rel
        original = path.read_text()
        doc = open_file(client, path)
        before = [d for d in await diagnostics_at(client, doc, 1) if d.code == code]
        assert before
        whole = types.Range(types.Position(0, 0), types.Position(len(original.splitlines()) + 1, 0))
        result = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc), range=whole,
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.SourceFixAll])))
        assert [a.kind for a in result] == [code_actions.FIX_ALL]
        edits = text_edits(result[0].edit, doc)
        ast.parse(apply_text_edits(original, edits, encoding_of(profile)))

        # Without an `only` filter (a lightbulb), fix-all comes unresolved and is built on resolve.
        listed = await client.text_document_code_action_async(types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=doc), range=whole,
            context=types.CodeActionContext(diagnostics=[])))
        lazy = next(a for a in listed if a.kind == code_actions.FIX_ALL)
        assert lazy.edit is None and lazy.data
        resolved = await client.code_action_resolve_async(lazy)
        assert text_edits(resolved.edit, doc) == edits
        change_file(client, doc, 2, as_changes(edits))
        after = [d for d in await diagnostics_at(client, doc, 2) if d.code == code]
        assert len(after) < len(before), f"fix-all left every {code} finding in place"
