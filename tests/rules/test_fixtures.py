"""One parametrized test over every rule and its fixtures.

A fixture is a file (or a folder, for cross-file cases) under `fixtures/<CODE>/`. A line that should be
flagged carries `# expect: CODE` (several codes separated by commas); every other line must stay quiet.
The engine runs with only that rule selected, so a fixture can mark other codes without effect.
Every fixture's quick fixes are applied and must parse and remove the finding they fix.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from backcheck.config import Settings, resolve
from backcheck.engine import Engine
from backcheck.fixes import apply_edits
from backcheck.rules import registry

FIXTURES = Path(__file__).parent / "fixtures"
MARK = re.compile(r"#\s*expect:\s*([A-Z0-9_,\s]+)")


def _cases():
    for code in registry():
        folder = FIXTURES / code
        for fixture in sorted(folder.iterdir()) if folder.is_dir() else []:
            if fixture.name.startswith(("_", ".")) or fixture.suffix not in ("", ".py"):
                continue
            yield pytest.param(code, fixture, id=f"{code}-{fixture.name}")


def _expected(root: Path, code: str) -> set[tuple[str, int]]:
    found = set()
    for path in sorted(root.rglob("*.py")):
        for number, line in enumerate(path.read_text("utf-8").splitlines(), start=1):
            match = MARK.search(line)
            if match and code in {c.strip() for c in match.group(1).split(",")}:
                found.add((path.relative_to(root).as_posix(), number))
    return found


def _copy(fixture: Path, tmp_path: Path) -> Path:
    root = tmp_path / "project"
    if fixture.is_dir():
        shutil.copytree(fixture, root)
    else:
        root.mkdir()
        shutil.copy(fixture, root / fixture.name)
    return root


def _settings(root: Path, code: str) -> Settings:
    from backcheck import config

    raw, _ = config.read_pyproject(root / "pyproject.toml" if (root / "pyproject.toml").exists() else None)
    settings, errors = resolve(raw, {"select": [code]})
    assert not errors, errors
    return settings


@pytest.mark.parametrize(("code", "fixture"), list(_cases()))
def test_rule_fixture(code: str, fixture: Path, tmp_path: Path) -> None:
    root = _copy(fixture, tmp_path)
    engine = Engine(root, _settings(root, code), use_cache=False)
    result = engine.scan()
    assert not [e for e in result.errors if "failed" in e.message], result.errors
    got = {(f.path, f.line) for f in result.findings if f.code == code}
    assert got == _expected(root, code), "\n".join(f"{f.path}:{f.line} {f.message}" for f in result.findings)

    rule = registry()[code]
    for finding in [f for f in result.findings if f.code == code]:
        path = root / finding.path
        text = path.read_text("utf-8")
        fix = rule.fix(finding, text, result.project)
        if fix is None:
            continue
        fixed = apply_edits(text, fix.edits)
        compile(fixed, finding.path, "exec")
        path.write_text(fixed, "utf-8")
        for rel, content in fix.new_files.items():
            (root / rel).parent.mkdir(parents=True, exist_ok=True)
            (root / rel).write_text(content, "utf-8")
        after = Engine(root, engine.settings, use_cache=False).scan()
        still = [f for f in after.findings if f.code == code and f.path == finding.path
                 and f.data.get("function", "") == finding.data.get("function", "") and f.line >= finding.first_line - 1
                 and f.message == finding.message]
        assert not still, f"the fix for {finding.path}:{finding.line} did not remove it: {fixed}"
        path.write_text(text, "utf-8")
        for rel in fix.new_files:
            (root / rel).unlink()


def test_every_rule_has_a_fixture() -> None:
    missing = [code for code in registry() if not any(_c.values[0] == code for _c in _cases())]
    assert not missing, f"rules without fixtures: {missing}"


def test_every_rule_documents_itself() -> None:
    headings = ["What it does", "Why is this bad?", "Example", "Use instead", "Fix safety", "References"]
    for code, rule in registry().items():
        doc = rule.documentation()
        for heading in headings:
            assert f"## {heading}" in doc, f"{code} lacks the '{heading}' section"
