"""What backcheck, ruff's S rules, bandit and semgrep's public rules flag on the example backends.

For each example backend under examples/ (shop_api, flask_notes, django_library) it runs

- ``backcheck check . --format json --no-cache --exit-zero``
- ``ruff check . --select S --output-format json --no-cache --exit-zero``
- ``bandit -r . -f json -q``
- ``semgrep scan --config <semgrep-rules>/python --json --metrics=off`` (offline, only when a semgrep
  executable and a local copy of github.com/semgrep/semgrep-rules exist; otherwise it says how to get
  them and the semgrep column reads "n/a")

then maps every finding to one item of the checklist (the explicit tables below: ``BACKCHECK_ITEMS``,
``RUFF_ITEMS``, ``BANDIT_ITEMS``, ``SEMGREP_KEYWORDS``; anything not listed is "other") and prints,
per app and in total, checklist item x tool -> number of findings, plus which deliberate violations of
examples/expected.json each tool caught. A finding catches a violation when it maps to the same
checklist item (backcheck: the same code), is in the violation's file (or one of its ``also`` files)
and its line lies inside the violation's symbol (decorators included) or within 3 lines of the
violation's line. Peer findings that sit on a violation but map to another item are listed apart.

Usage:
    .venv/bin/python benchmarks/compare_tools.py [--markdown] [--json OUT] [--apps shop_api,...]
        [--semgrep PATH] [--semgrep-rules DIR] [--no-semgrep]
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
BIN = Path(sys.executable).parent
APPS = ("shop_api", "flask_notes", "django_library")
TOOLS = ("backcheck", "ruff S", "bandit", "semgrep")
DEFAULT_SEMGREP = Path(
    os.environ.get("BACKCHECK_SEMGREP", "/work/scratch/semgrep-venv/bin/semgrep")
)
DEFAULT_RULES = Path(os.environ.get("BACKCHECK_SEMGREP_RULES", "/work/scratch/semgrep-rules"))
NEAR = 3

# Checklist items in the order of the checklist, with the short label used in the tables.
ITEMS = {
    "auth": "auth on every route",
    "ratelimit": "rate limits on auth endpoints",
    "jwt": "JWT verification",
    "validation": "input validation",
    "transactions": "transactions",
    "service": "service layer",
    "audit": "audit logging",
    "errors": "error responses leak nothing / debug mode",
    "exposure": "sensitive data in responses",
    "indexes": "indexes",
    "migrations": "reversible / safe migrations",
    "pagination": "pagination",
    "sql": "SQL from strings",
    "uploads": "upload limits",
    "types": "typed API contracts",
    "tests": "tests for routes",
    "other": "other (outside the checklist)",
}

# backcheck's codes: the rule catalog of shared/DESIGN.md.
BACKCHECK_ITEMS = {
    "BC101": "auth",
    "BC102": "ratelimit",
    "BC103": "jwt",
    "BC201": "validation",
    "BC202": "validation",
    "BC301": "transactions",
    "BC302": "service",
    "BC401": "audit",
    "BC501": "errors",
    "BC502": "errors",
    "BC601": "exposure",
    "BC602": "exposure",
    "BC701": "indexes",
    "BC702": "migrations",
    "BC703": "migrations",
    "BC801": "pagination",
    "BC802": "sql",
    "BC803": "uploads",
    "BC804": "types",
    "BC901": "tests",
}

# ruff's flake8-bandit (S) rules that touch a checklist item; every other S rule (S101 assert,
# S104 bind-all, S105-S107 hard-coded passwords, S108 tmp paths, S113 no timeout, ...) is "other".
RUFF_ITEMS = {
    "S201": "errors",  # flask-debug-true
    "S608": "sql",  # hardcoded-sql-expression
    "S610": "sql",  # django-extra
    "S611": "sql",  # django-raw-sql
}

# bandit's plugins that touch a checklist item; the rest (B101 assert, B105-B107, B110, ...) is "other".
BANDIT_ITEMS = {
    "B201": "errors",  # flask_debug_true
    "B608": "sql",  # hardcoded_sql_expressions
    "B610": "sql",  # django_extra_used
    "B611": "sql",  # django_rawsql_used
}

# semgrep-rules ids by keyword, tried in order on the rule's id (its last dotted part); first match wins.
SEMGREP_KEYWORDS = (
    (("unverified-jwt", "jwt-python-none-alg"), "jwt"),
    (("throttle",), "ratelimit"),
    (("sqli", "sql", "raw-query", "query-set-extra", "extra-where"), "sql"),
    (("debug-enabled", "hardcoded_config_debug", "debug-template-tag"), "errors"),
    (("mass-assignment", "request-post-after-is-valid"), "validation"),
    (("upload",), "uploads"),
)


@dataclass
class Finding:
    """One finding of one tool, with its path relative to the app folder."""

    tool: str
    rule: str
    item: str
    file: str
    line: int
    message: str = ""


@dataclass
class ToolRun:
    """What one tool reported on one app (or why it could not run)."""

    tool: str
    argv: list[str]
    findings: list[Finding] = field(default_factory=list)
    seconds: float = 0.0
    error: str | None = None


def semgrep_item(check_id: str) -> str:
    """The checklist item of a semgrep-rules id, by the keywords of SEMGREP_KEYWORDS."""
    name = check_id.rsplit(".", 1)[-1].lower()
    for keywords, item in SEMGREP_KEYWORDS:
        if any(keyword in name for keyword in keywords):
            return item
    return "other"


def semgrep_rule_id(check_id: str) -> str:
    """The rule id from semgrep-rules' folder onward (semgrep prefixes it with the config's path)."""
    parts = check_id.split(".")
    return ".".join(parts[parts.index("python") :]) if "python" in parts else check_id


def relative(path: str, app_dir: Path) -> str:
    """A tool's path for a file, made relative to the app folder."""
    candidate = Path(path)
    if not candidate.is_absolute():
        candidate = app_dir / candidate
    return os.path.relpath(candidate.resolve(), app_dir.resolve())


def run_json(argv: list[str], cwd: Path) -> tuple[object | None, float, str | None]:
    """Run one tool, parse its stdout as JSON; returns (data, wall seconds, error text)."""
    started = time.perf_counter()
    try:
        proc = subprocess.run(
            argv, check=False, cwd=cwd, capture_output=True, text=True, timeout=1800
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        return None, time.perf_counter() - started, str(exc)
    seconds = time.perf_counter() - started
    try:
        return json.loads(proc.stdout), seconds, None
    except json.JSONDecodeError:
        return (
            None,
            seconds,
            f"exit {proc.returncode}, no JSON on stdout: {proc.stderr.strip()[-400:]}",
        )


def run_backcheck(app_dir: Path) -> ToolRun:
    argv = [str(BIN / "backcheck"), "check", ".", "--format", "json", "--no-cache", "--exit-zero"]
    run = ToolRun("backcheck", argv)
    data, run.seconds, run.error = run_json(argv, app_dir)
    for diag in (data or {}).get("diagnostics", []):
        run.findings.append(
            Finding(
                "backcheck",
                diag["code"],
                BACKCHECK_ITEMS.get(diag["code"], "other"),
                relative(diag["file"], app_dir),
                diag["line"],
                diag.get("message", ""),
            )
        )
    return run


def run_ruff(app_dir: Path) -> ToolRun:
    argv = [
        str(BIN / "ruff"),
        "check",
        ".",
        "--select",
        "S",
        "--output-format",
        "json",
        "--no-cache",
        "--exit-zero",
    ]
    run = ToolRun("ruff S", argv)
    data, run.seconds, run.error = run_json(argv, app_dir)
    for item in data or []:
        run.findings.append(
            Finding(
                "ruff S",
                item["code"],
                RUFF_ITEMS.get(item["code"], "other"),
                relative(item["filename"], app_dir),
                item["location"]["row"],
                item.get("message", ""),
            )
        )
    return run


def run_bandit(app_dir: Path) -> ToolRun:
    argv = [str(BIN / "bandit"), "-r", ".", "-f", "json", "-q"]
    run = ToolRun("bandit", argv)
    data, run.seconds, run.error = run_json(argv, app_dir)
    for item in (data or {}).get("results", []):
        run.findings.append(
            Finding(
                "bandit",
                item["test_id"],
                BANDIT_ITEMS.get(item["test_id"], "other"),
                relative(item["filename"], app_dir),
                item["line_number"],
                item.get("issue_text", ""),
            )
        )
    return run


def semgrep_setup_hint(semgrep: Path, rules: Path) -> str:
    return (
        f"semgrep not measured: need {semgrep} and {rules}/python. Get them with:\n"
        f"  python3 -m venv {DEFAULT_SEMGREP.parent.parent} && {DEFAULT_SEMGREP.parent}/pip install semgrep\n"
        f"  git clone https://github.com/semgrep/semgrep-rules {rules}\n"
        "(or pass --semgrep / --semgrep-rules; set --no-semgrep to skip it quietly)"
    )


def run_semgrep(apps: list[str], semgrep: Path, rules: Path) -> dict[str, ToolRun]:
    """One semgrep run over every app (its rule loading dominates), split back per app."""
    argv = [
        str(semgrep),
        "scan",
        "--config",
        str(rules / "python"),
        "--json",
        "--metrics=off",
        "--disable-version-check",
        "--quiet",
        *apps,
    ]
    data, seconds, error = run_json(argv, EXAMPLES)
    runs = {app: ToolRun("semgrep", argv, seconds=seconds, error=error) for app in apps}
    if data is not None and data.get("errors"):
        messages = "; ".join(str(err.get("message", err))[:200] for err in data["errors"][:3])
        for run in runs.values():
            run.error = f"{len(data['errors'])} semgrep errors: {messages}"
    for item in (data or {}).get("results", []):
        app, _, rest = item["path"].partition("/")
        if app in runs:
            rule = semgrep_rule_id(item["check_id"])
            runs[app].findings.append(
                Finding(
                    "semgrep",
                    rule,
                    semgrep_item(rule),
                    rest,
                    item["start"]["line"],
                    item.get("extra", {}).get("message", ""),
                )
            )
    return runs


def symbol_span(path: Path, symbol: str) -> tuple[int, int] | None:
    """First line (decorators included) and last line of a function or class, `Class.method` allowed."""
    if symbol == "module" or not path.exists():
        return None
    try:
        body = ast.parse(path.read_text(encoding="utf-8")).body
    except SyntaxError:
        return None
    node = None
    for part in symbol.split("."):
        node = next(
            (
                child
                for child in body
                if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                and child.name == part
            ),
            None,
        )
        if node is None:
            return None
        body = node.body
    start = min([node.lineno, *(decorator.lineno for decorator in node.decorator_list)])
    return start, node.end_lineno or node.lineno


def places(violation: dict, app_dir: Path) -> list[tuple[str, int, int]]:
    """(file, first line, last line) where a finding counts as catching the violation."""
    result = [(violation["file"], violation["line"] - NEAR, violation["line"] + NEAR)]
    for place in [violation, *violation.get("also", [])]:
        span = symbol_span(app_dir / place["file"], place["symbol"])
        if span:
            result.append((place["file"], *span))
    return result


def catches(
    finding: Finding, violation: dict, spans: list[tuple[str, int, int]], same_item: bool
) -> bool:
    if same_item:
        if finding.tool == "backcheck" and finding.rule != violation["code"]:
            return False
        if finding.item != BACKCHECK_ITEMS[violation["code"]]:
            return False
    return any(
        finding.file == file and first <= finding.line <= last for file, first, last in spans
    )


def tool_version(argv: list[str]) -> str:
    try:
        out = subprocess.run(argv, check=False, capture_output=True, text=True, timeout=120)
    except (OSError, subprocess.TimeoutExpired):
        return "unavailable"
    return (
        (out.stdout or out.stderr).strip().splitlines()[0]
        if (out.stdout or out.stderr).strip()
        else "?"
    )


def git(args: list[str], cwd: Path) -> str:
    try:
        return subprocess.run(
            ["git", *args], check=False, cwd=cwd, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        return ""


def measure(apps: list[str], semgrep: Path | None, rules: Path) -> dict:
    """Run every tool on every app and compare against examples/expected.json."""
    expected = json.loads((EXAMPLES / "expected.json").read_text(encoding="utf-8"))
    semgrep_runs = run_semgrep(apps, semgrep, rules) if semgrep else {}
    result: dict = {"apps": {}}
    for app in apps:
        app_dir = EXAMPLES / app
        runs = {
            "backcheck": run_backcheck(app_dir),
            "ruff S": run_ruff(app_dir),
            "bandit": run_bandit(app_dir),
        }
        if app in semgrep_runs:
            runs["semgrep"] = semgrep_runs[app]
        violations = []
        matched: set[int] = set()
        for violation in (v for v in expected["violations"] if v["app"] == app):
            spans = places(violation, app_dir)
            matched |= {
                id(f)
                for run in runs.values()
                for f in run.findings
                if catches(f, violation, spans, True)
            }
            row = {key: violation.get(key) for key in ("file", "code", "symbol", "line")}
            row["item"] = BACKCHECK_ITEMS[violation["code"]]
            row["required"] = violation.get("required", True)
            row["caught"] = {
                tool: sorted({f.rule for f in run.findings if catches(f, violation, spans, True)})
                for tool, run in runs.items()
            }
            row["nearby_other_item"] = {
                tool: sorted(
                    {
                        f.rule
                        for f in run.findings
                        if tool != "backcheck"
                        and catches(f, violation, spans, False)
                        and not catches(f, violation, spans, True)
                    }
                )
                for tool, run in runs.items()
            }
            violations.append(row)
        result["apps"][app] = {
            "runs": {
                tool: {
                    "argv": run.argv,
                    "seconds": round(run.seconds, 2),
                    "error": run.error,
                    "findings": [
                        {**vars(f), "matches_violation": id(f) in matched} for f in run.findings
                    ],
                }
                for tool, run in runs.items()
            },
            "violations": violations,
        }
    result["versions"] = {
        "backcheck": tool_version([str(BIN / "backcheck"), "--version"]),
        "ruff S": tool_version([str(BIN / "ruff"), "--version"]),
        "bandit": tool_version([str(BIN / "bandit"), "--version"]),
    }
    if semgrep:
        result["versions"]["semgrep"] = "semgrep " + tool_version([str(semgrep), "--version"])
        result["semgrep_rules_commit"] = git(["rev-parse", "HEAD"], rules) or "unknown"
    result["commit"] = git(["rev-parse", "HEAD"], ROOT)
    result["uncommitted_server_files"] = len(
        git(["status", "--porcelain", "server/"], ROOT).splitlines()
    )
    return result


def counts(app_results: list[dict], tool: str) -> dict[str, tuple[int, int]]:
    """(findings, findings matching no deliberate violation) per checklist item of one tool."""
    tally = {item: [0, 0] for item in ITEMS}
    for app in app_results:
        for finding in app["runs"].get(tool, {}).get("findings", []):
            tally[finding["item"]][0] += 1
            tally[finding["item"]][1] += not finding["matches_violation"]
    return {item: (found, elsewhere) for item, (found, elsewhere) in tally.items()}


def caught(app_results: list[dict], tool: str) -> dict[str, tuple[int, int]]:
    """(caught, deliberate) violations per checklist item of one tool over some apps."""
    tally = {item: [0, 0] for item in ITEMS}
    for app in app_results:
        for row in app["violations"]:
            tally[row["item"]][1] += 1
            tally[row["item"]][0] += bool(row["caught"].get(tool))
    return {item: (hit, total) for item, (hit, total) in tally.items()}


def table(app_results: list[dict], tools: list[str], markdown: bool) -> list[str]:
    """Checklist item x tool: 'findings (caught/deliberate, N elsewhere)'."""
    header = ["checklist item", "deliberate", *tools]
    rows = []
    per_tool = {tool: (counts(app_results, tool), caught(app_results, tool)) for tool in tools}
    for item, label in ITEMS.items():
        total = per_tool[tools[0]][1][item][1]
        cells = []
        for tool in tools:
            (found, elsewhere), hits = per_tool[tool][0][item], per_tool[tool][1][item][0]
            cells.append(cell(found, hits, total, elsewhere if item != "other" else 0))
        rows.append([label, str(total) if total else "-", *cells])
    totals = ["total", str(sum(r["item"] != "other" for a in app_results for r in a["violations"]))]
    for tool in tools:
        found = sum(found for found, _ in per_tool[tool][0].values())
        elsewhere = sum(off for item, (_, off) in per_tool[tool][0].items() if item != "other")
        hits = sum(hit for hit, _ in per_tool[tool][1].values())
        totals.append(cell(found, hits, int(totals[1]), elsewhere))
    rows.append(totals)
    return render(header, rows, markdown)


def cell(found: int, hits: int, total: int, elsewhere: int) -> str:
    """'5 (3/3, 2 elsewhere)': findings, violations caught of those planted, findings matching none."""
    details = [f"{hits}/{total}"] if total else []
    if elsewhere:
        details.append(f"{elsewhere} elsewhere")
    return f"{found} ({', '.join(details)})" if details else str(found)


def render(header: list[str], rows: list[list[str]], markdown: bool) -> list[str]:
    if markdown:
        lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
        return lines + ["| " + " | ".join(row) + " |" for row in rows]
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    return [
        "  ".join(str(cell).ljust(width) for cell, width in zip(row, widths))
        for row in [header, *rows]
    ]


def violation_lines(app: str, app_result: dict, tools: list[str], markdown: bool) -> list[str]:
    """One row per deliberate violation: which rule of each tool caught it."""
    header = ["violation", *tools]
    rows = []
    for row in app_result["violations"]:
        name = f"{row['code']} {row['file']}:{row['line']} {row['symbol']}"
        if not row["required"]:
            name += " (optional)"
        cells = []
        for tool in tools:
            rules = row["caught"].get(tool) or []
            near = row["nearby_other_item"].get(tool) or []
            cell = ", ".join(rules) if rules else "-"
            if near:
                cell += f" [on the spot, other item: {', '.join(near)}]"
            cells.append(cell)
        rows.append([name, *cells])
    return render(header, rows, markdown)


def other_breakdown(app_results: list[dict], tools: list[str]) -> list[str]:
    """Which rules make up each tool's 'other' count."""
    lines = []
    for tool in tools:
        tally: dict[str, int] = {}
        in_tests = 0
        for app in app_results:
            for finding in app["runs"].get(tool, {}).get("findings", []):
                if finding["item"] == "other":
                    tally[finding["rule"]] = tally.get(finding["rule"], 0) + 1
                    in_tests += Path(finding["file"]).parts[0] in {"tests", "test"}
        if tally:
            parts = ", ".join(
                f"{rule} x{n}" for rule, n in sorted(tally.items(), key=lambda kv: (-kv[1], kv[0]))
            )
            lines.append(f"- {tool}: {parts} ({in_tests} of {sum(tally.values())} in tests/)")
    return lines


def report(result: dict, markdown: bool) -> str:
    apps = list(result["apps"])
    tools = [tool for tool in TOOLS if any(tool in a["runs"] for a in result["apps"].values())]
    title = (lambda text: f"### {text}") if markdown else (lambda text: f"== {text}")
    out = [
        (
            f"measured at commit {result['commit'][:12]} ({result['uncommitted_server_files']} "
            "uncommitted files under server/)"
        ),
        (
            "cells: findings (deliberate violations caught / planted; findings of that item matching"
            " no planted violation: 'elsewhere')"
        ),
        "versions: " + "; ".join(result["versions"].values()),
    ]
    if "semgrep_rules_commit" in result:
        out.append(f"semgrep-rules commit {result['semgrep_rules_commit'][:12]}")
    out.append("")
    for app in apps:
        runs = result["apps"][app]["runs"]
        errors = [f"{tool}: {run['error']}" for tool, run in runs.items() if run["error"]]
        out += [title(app), "", *table([result["apps"][app]], tools, markdown), ""]
        out += [f"tool error: {error}" for error in errors]
    if len(apps) > 1:
        out += [
            title("all examples"),
            "",
            *table(list(result["apps"].values()), tools, markdown),
            "",
        ]
    out += [title("deliberate violations and the rules that caught them"), ""]
    for app in apps:
        out += [
            f"**{app}**" if markdown else app,
            "",
            *violation_lines(app, result["apps"][app], tools, markdown),
            "",
        ]
    out += [
        title("what 'other' is made of"),
        "",
        *other_breakdown(list(result["apps"].values()), tools),
        "",
    ]
    seconds = "; ".join(
        f"{tool} " + "/".join(f"{result['apps'][a]['runs'][tool]['seconds']}" for a in apps)
        for tool in tools
    )
    out.append(f"wall seconds per app ({', '.join(apps)}; semgrep is one run over all): {seconds}")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--apps", default=",".join(APPS), help="comma-separated example folders")
    parser.add_argument("--markdown", action="store_true", help="print markdown tables")
    parser.add_argument("--json", type=Path, help="also write every finding and match as JSON here")
    parser.add_argument("--semgrep", type=Path, default=DEFAULT_SEMGREP, help="semgrep executable")
    parser.add_argument(
        "--semgrep-rules", type=Path, default=DEFAULT_RULES, help="semgrep-rules checkout"
    )
    parser.add_argument("--no-semgrep", action="store_true", help="skip semgrep")
    args = parser.parse_args(argv)
    apps = [app.strip() for app in args.apps.split(",") if app.strip()]
    unknown = [app for app in apps if not (EXAMPLES / app).is_dir()]
    if unknown:
        print(f"no such example under {EXAMPLES}: {', '.join(unknown)}", file=sys.stderr)
        return 2
    semgrep = None
    if not args.no_semgrep:
        found = args.semgrep if args.semgrep.exists() else shutil.which("semgrep")
        if found and (args.semgrep_rules / "python").is_dir():
            semgrep = Path(found)
        else:
            print(semgrep_setup_hint(args.semgrep, args.semgrep_rules), file=sys.stderr)
    result = measure(apps, semgrep, args.semgrep_rules)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2), encoding="utf-8")
    print(report(result, args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
