"""Text, JSON and SARIF renderings of a scan."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from backcheck import __version__
from backcheck.diagnostics import Finding, byte_to_char
from backcheck.engine import ScanResult
from backcheck.rules import registry


class LineReader:
    """Reads a file's lines once, to turn byte columns into character columns."""

    def __init__(self, root: Path):
        self.root = root
        self._lines: dict[str, list[str]] = {}

    def lines(self, rel: str) -> list[str]:
        if rel not in self._lines:
            try:
                self._lines[rel] = (self.root / rel).read_text("utf-8", errors="replace").splitlines()
            except OSError:
                self._lines[rel] = []
        return self._lines[rel]

    def text(self, rel: str) -> str | None:
        try:
            return (self.root / rel).read_text("utf-8")
        except (OSError, UnicodeDecodeError):
            return None

    def columns(self, finding: Finding) -> tuple[int, int]:
        """1-based character columns of a finding's start and end."""
        lines = self.lines(finding.path)
        start = lines[finding.line - 1] if 0 < finding.line <= len(lines) else ""
        end = lines[finding.end_line - 1] if 0 < finding.end_line <= len(lines) else ""
        return byte_to_char(start, finding.col) + 1, byte_to_char(end, finding.end_col) + 1


def render_text(result: ScanResult, root: Path, color: bool = False) -> str:
    rules = registry()
    reader = LineReader(root)
    out: list[str] = []
    for f in result.findings:
        rule = rules.get(f.code)
        col, _ = reader.columns(f)
        severity = f.severity_or(rule.severity if rule else "warning")
        code = f"\033[1;31m{f.code}\033[0m" if color and severity == "error" else (
            f"\033[1;33m{f.code}\033[0m" if color else f.code)
        out.append(f"{f.path}:{f.line}:{col}: {code} {f.message} ({rule.name if rule else ''})")
    for error in result.errors:
        out.append(f"{error.path}: cannot check: {error.message}")
    counts: dict[str, int] = {}
    for f in result.findings:
        counts[f.code] = counts.get(f.code, 0) + 1
    if result.findings:
        by_code = ", ".join(f"{n} {c}" for c, n in sorted(counts.items()))
        out.append("")
        out.append(f"Found {len(result.findings)} finding{'s' if len(result.findings) != 1 else ''} "
                   f"({by_code}) in {result.files_checked} files.")
        fixable = sorted(c for c in counts if (r := rules.get(c)) is not None and r.fix_title)
        if fixable:
            out.append(f"Quick fixes in the editor (or `--format json`) for {', '.join(fixable)} where one applies.")
        out.append("Run `backcheck rule CODE` to read why a rule matters and what to write instead.")
    else:
        out.append(f"All clear: no findings in {result.files_checked} files.")
    if result.errors:
        out.append(f"{len(result.errors)} file{'s' if len(result.errors) != 1 else ''} could not be checked "
                   "(see above); the rest were.")
    return "\n".join(out)


def finding_json(f: Finding, reader: LineReader, with_fix: bool, project: Any) -> dict[str, Any]:
    rule = registry().get(f.code)
    col, end_col = reader.columns(f)
    fix = None
    if with_fix and rule is not None and rule.fix_title:
        text = reader.text(f.path)
        if text is not None:
            try:
                built = rule.fix(f, text, project)
            except Exception:  # a fix builder failing only means no fix is offered
                built = None
            fix = built.as_json() if built else None
    return {
        "code": f.code,
        "name": rule.name if rule else "",
        "severity": f.severity_or(rule.severity if rule else "warning"),
        "message": f.message,
        "file": f.path,
        "line": f.line,
        "column": col,
        "end_line": f.end_line,
        "end_column": end_col,
        "fix": fix,
        "related": [{"file": r.path, "line": r.line, "message": r.message} for r in f.related],
    }


def render_json(result: ScanResult, root: Path, with_fix: bool = True) -> str:
    reader = LineReader(root)
    payload = {
        "version": __version__,
        "diagnostics": [finding_json(f, reader, with_fix, result.project) for f in result.findings],
        "errors": [{"file": e.path, "message": e.message} for e in result.errors],
    }
    return json.dumps(payload, indent=2)


_SARIF_LEVEL = {"error": "error", "warning": "warning", "info": "note"}


def render_sarif(result: ScanResult, root: Path, docs_url: str) -> str:
    rules = registry()
    reader = LineReader(root)
    used = sorted({f.code for f in result.findings} | set(rules))
    index = {code: i for i, code in enumerate(used)}
    driver_rules = []
    for code in used:
        rule = rules[code]
        driver_rules.append({
            "id": code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary()},
            "fullDescription": {"text": rule.documentation()},
            "helpUri": docs_url.format(code=code),
            "defaultConfiguration": {"level": _SARIF_LEVEL[rule.severity]},
            "properties": {"checklist": rule.checklist},
        })
    results = []
    for f in result.findings:
        col, end_col = reader.columns(f)
        rule = rules.get(f.code)
        entry = {
            "ruleId": f.code,
            "ruleIndex": index[f.code],
            "level": _SARIF_LEVEL[f.severity_or(rule.severity if rule else "warning")],
            "message": {"text": f.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": f.path, "uriBaseId": "SRCROOT"},
                "region": {"startLine": f.line, "startColumn": col, "endLine": f.end_line, "endColumn": end_col},
            }}],
        }
        if f.related:
            entry["relatedLocations"] = [
                {"id": number, "message": {"text": r.message}, "physicalLocation": {
                    "artifactLocation": {"uri": r.path, "uriBaseId": "SRCROOT"},
                    "region": {"startLine": max(r.line, 1)},
                }}
                for number, r in enumerate(f.related)
            ]
        results.append(entry)
    notifications = [
        {"level": "warning", "message": {"text": e.message},
         "locations": [{"physicalLocation": {"artifactLocation": {"uri": e.path, "uriBaseId": "SRCROOT"}}}]}
        for e in result.errors
    ]
    log = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "backcheck", "version": __version__,
                                "informationUri": "https://backcheck.dev", "rules": driver_rules}},
            "originalUriBaseIds": {"SRCROOT": {"uri": root.resolve().as_uri() + "/"}},
            "results": results,
            "invocations": [{"executionSuccessful": True, "toolExecutionNotifications": notifications}],
        }],
    }
    return json.dumps(log, indent=2)
