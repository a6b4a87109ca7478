"""Score backcheck against the hand-labelled real-world corpus in shared/eval.

For every label file ``OWNER__NAME.json`` in the labels folder, the script runs the installed
``backcheck`` console script on the checkout ``<repos>/OWNER__NAME`` twice::

    backcheck routes <repo> --format json
    backcheck check  <repo> --format json --exit-zero

and compares both outputs with the labels, following shared/eval/README.md. It prints a table per
repository and a table per rule (``--json`` gives the same numbers as one JSON object, ``--verbose``
lists every miss and every false alarm with the label's notes so an engineer knows what to fix).
It exits 0 whatever the scores are; 2 only when it cannot run at all (no labels, no backcheck).

Bring the repositories first (see shared/eval/README.md): ``fetch`` each source with the search
tool, ``git clone <gitdir> <repos>/OWNER__NAME`` and ``git -C <repos>/OWNER__NAME checkout <sha>``.

How each number is computed
---------------------------
Handler span. A labelled route's ``line`` is its ``def`` (or ``class``) line. Its *span* runs from
its first decorator down to that line; decorator lines are read from the checkout with ``ast``
(a text scan upwards is the fallback for files ``ast`` cannot parse). Its *scope* runs from the
first decorator to the end of the ``def``/``class`` body.

Routes left out. Routes whose notes carry the tag ``FRAMEWORK:`` or ``FRAMEWORK;`` (mounted
built-ins with no handler code in the repository) are left out of every number.

Route-discovery recall. A labelled route is found when ``backcheck routes`` lists a route in the
same file whose ``line`` lies in the handler span and whose methods are compatible: ``"*"`` on
either side matches anything, otherwise the two method sets must share at least one method (the
methods a label has but no matching discovered route has are listed by ``--verbose``).
Recall = found / labelled. Two informational columns follow: "path ok" (a matching route's mounted
path equals the labelled one after normalising ``<int:id>``, ``{id}``, ``(?P<id>...)``, regex
anchors and trailing slashes) and "auth ok" (the route's ``auth`` equals the label's ``auth``).

BC101 against R1, scored per labelled route. A BC101 finding *flags* a route when it is in the same
file and its line lies in the route's handler span. Positives are routes with ``auth == false``
and ``intentionally_public == false``; every other route is a negative; routes whose notes contain
``AMBIGUOUS-R1:`` count neither way. TP = positive flagged, FN = positive not flagged,
FP = negative flagged. BC101 findings that flag no labelled route at all are reported apart as
"unlabelled" (with ``--verbose`` they are listed): they usually mean a phantom route or a finding
reported on the wrong line, but the labels cannot say which route they belong to, so the headline
precision leaves them out; ``precision_strict`` in the JSON output counts them as false positives.

R3, R4, R5, R6 against rule codes. R3 <-> BC501 + BC502 (a label whose ``why`` starts with
``CONFIG:`` is settings-level, ``DEBUG = True``, and is matched by BC502 only), R4 <-> BC601,
R5 <-> BC801, R6 <-> BC802. A finding matches a label when both are in the same file and either
the lines are at most 3 apart or the finding lies in the label's enclosing scope: the innermost
``def``/``class`` (decorators included) that contains the label's line. Label lines point at where
the problem is built (the SQL string, the ``str(e)``), while a checker may report where it lands
(the ``execute()``, the ``return``) several lines further down in the same function; module-level
labels (settings) have no enclosing scope and use the 3-line window only. TP = labels matched by at
least one finding, FN = labels matched by none, FP = findings of the mapped codes that match no
label. Labels whose ``why`` starts with ``AMBIGUOUS`` count neither way, and findings matching
them are ignored; so are findings inside the scope of a route whose notes say ``AMBIGUOUS-Rn:``
for that rule (realworld's ``token`` in the user serializer, for instance). Several findings on
one label count once.

Precision = TP / (TP + FP), recall = TP / (TP + FN); a ratio with a zero denominator prints "-".
The per-rule table sums TP, FP and FN over all repositories before dividing (micro average) and
marks each ratio against the targets in shared/DESIGN.md.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

DEFAULT_LABELS = Path("/work/shared/eval/labels")
DEFAULT_REPOS = Path("/work/scratch/eval")

# Rule label -> backcheck codes that implement it.
RULE_CODES: dict[str, tuple[str, ...]] = {
    "R3": ("BC501", "BC502"),
    "R4": ("BC601",),
    "R5": ("BC801",),
    "R6": ("BC802",),
}
# Targets from shared/DESIGN.md ("Targets the work is measured against").
TARGETS = {"routes": 0.95, "R1": 0.9, "R3": 0.8, "R4": 0.8, "R5": 0.8, "R6": 0.8}
LINE_WINDOW = 3
FRAMEWORK_TAG = re.compile(r"FRAMEWORK[:;]")
IGNORED_METHODS = {"HEAD", "OPTIONS"}


# --------------------------------------------------------------------------- source spans


@dataclass
class Scope:
    """A def or class in a checked-out file: first decorator line, def line, last body line."""

    start: int
    line: int
    end: int


class SourceIndex:
    """Decorator spans and enclosing scopes of the files in one checkout, parsed on demand."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._scopes: dict[str, list[Scope] | None] = {}
        self._lines: dict[str, list[str]] = {}

    def _text_lines(self, rel: str) -> list[str]:
        if rel not in self._lines:
            try:
                data = (self.root / rel).read_bytes()
            except OSError:
                data = b""
            self._lines[rel] = data.decode("utf-8", "replace").splitlines()
        return self._lines[rel]

    def scopes(self, rel: str) -> list[Scope] | None:
        """Every def/class of the file, or None when ``ast`` cannot parse it."""
        if rel not in self._scopes:
            try:
                tree = ast.parse((self.root / rel).read_bytes())
            except (OSError, SyntaxError, ValueError):
                self._scopes[rel] = None
            else:
                found = []
                for node in ast.walk(tree):
                    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                        start = min([d.lineno for d in node.decorator_list] + [node.lineno])
                        end = node.end_lineno or node.lineno
                        found.append(Scope(start, node.lineno, end))
                self._scopes[rel] = found
        return self._scopes[rel]

    def handler(self, rel: str, line: int) -> Scope:
        """The def/class whose def line is ``line``; a text scan stands in when ast cannot."""
        for scope in self.scopes(rel) or ():
            if scope.line == line:
                return scope
        return Scope(self._decorator_start_by_text(rel, line), line, line)

    def enclosing(self, rel: str, line: int) -> Scope | None:
        """The innermost def/class (decorators included) that contains ``line``."""
        best = None
        for scope in self.scopes(rel) or ():
            inside = scope.start <= line <= scope.end
            if inside and (best is None or scope.end - scope.start < best.end - best.start):
                best = scope
        return best

    def _decorator_start_by_text(self, rel: str, line: int) -> int:
        lines = self._text_lines(rel)
        if not 1 <= line <= len(lines):
            return line
        indent = len(lines[line - 1]) - len(lines[line - 1].lstrip())
        start, index = line, line - 2
        while index >= 0:
            text = lines[index]
            stripped = text.strip()
            if not stripped or len(text) - len(text.lstrip()) < indent:
                break
            if stripped.endswith(":") and not stripped.startswith("@"):
                break
            if stripped.startswith("@"):
                start = index + 1
            index -= 1
        return start


# --------------------------------------------------------------------------- small helpers


def norm_file(path: str, root: Path | None = None) -> str:
    """A repository-relative posix path, whatever form backcheck or the labels used."""
    text = path.replace("\\", "/")
    if root is not None and os.path.isabs(text):
        try:
            text = Path(text).resolve().relative_to(root.resolve()).as_posix()
        except ValueError:
            pass
    text = os.path.normpath(text).replace("\\", "/")
    return text.removeprefix("./")


def norm_path(path: str) -> str:
    """A URL path with parameters, regex anchors and trailing slashes made comparable."""
    text = (path or "").strip()
    text = re.sub(r"\(\?P<[^>]+>[^)]*\)", "{}", text)
    text = re.sub(r"<[^>]*>", "{}", text)
    text = re.sub(r"\{[^}]*\}", "{}", text)
    text = text.replace("^", "").replace("$", "").replace("/?", "/")
    text = re.sub(r"/+", "/", "/" + text)
    return text.rstrip("/") or "/"


def methods_of(value: Any) -> set[str]:
    """Upper-case HTTP methods; ``"*"`` stands for any method."""
    if isinstance(value, str):
        value = [value]
    result = {str(m).upper() for m in value or []}
    return {"*" if m in {"ANY", "ALL"} else m for m in result}


def methods_compatible(labelled: set[str], discovered: set[str]) -> bool:
    """True when the two method sets can describe the same route."""
    if not discovered or "*" in labelled or "*" in discovered:
        return True
    return bool(labelled & discovered)


def ratio(num: int, den: int) -> float | None:
    return num / den if den else None


def fmt_ratio(value: float | None) -> str:
    return "-" if value is None else f"{value:.2f}"


def is_framework(route: dict) -> bool:
    return bool(FRAMEWORK_TAG.search(route.get("notes", "")))


def is_ambiguous_r1(route: dict) -> bool:
    return "AMBIGUOUS-R1:" in route.get("notes", "")


def is_r1_positive(route: dict) -> bool:
    return not route.get("auth") and not route.get("intentionally_public")


def where(item: dict) -> str:
    return f"{item.get('file')}:{item.get('line')}"


# --------------------------------------------------------------------------- running backcheck


def default_backcheck() -> Path:
    """The ``backcheck`` console script installed next to the running interpreter."""
    name = "backcheck.exe" if os.name == "nt" else "backcheck"
    return Path(sys.executable).parent / name


def run_json(command: list[str], timeout: float) -> tuple[dict | None, str]:
    """Run one backcheck command; return its JSON output or an error a person can act on."""
    try:
        proc = subprocess.run(command, check=False, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None, f"`{' '.join(command)}` took longer than {timeout:.0f} s"
    except OSError as exc:
        return None, f"cannot run `{command[0]}`: {exc}"
    text = proc.stdout.strip()
    try:
        return json.loads(text), ""
    except json.JSONDecodeError:
        start = text.find("{")
        if start > 0:
            try:
                return json.loads(text[start:]), ""
            except json.JSONDecodeError:
                pass
    tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
    return None, (
        f"`{' '.join(command)}` exited {proc.returncode} without JSON output: " + " | ".join(tail)
    )


# --------------------------------------------------------------------------- scoring


@dataclass
class RuleScore:
    """TP/FP/FN of one rule, plus the items behind them for --verbose."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    ignored: int = 0
    unlabelled: int = 0
    fn_items: list[dict] = field(default_factory=list)
    fp_items: list[dict] = field(default_factory=list)
    unlabelled_items: list[dict] = field(default_factory=list)

    def add(self, other: RuleScore) -> None:
        self.tp += other.tp
        self.fp += other.fp
        self.fn += other.fn
        self.ignored += other.ignored
        self.unlabelled += other.unlabelled

    def as_dict(self, items: bool = True) -> dict:
        data: dict[str, Any] = {
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "ignored": self.ignored,
            "precision": ratio(self.tp, self.tp + self.fp),
            "recall": ratio(self.tp, self.tp + self.fn),
        }
        if self.unlabelled or self.unlabelled_items:
            data["unlabelled"] = self.unlabelled
            data["precision_strict"] = ratio(self.tp, self.tp + self.fp + self.unlabelled)
        if items:
            data["false_negatives"] = self.fn_items
            data["false_positives"] = self.fp_items
            if self.unlabelled_items:
                data["unlabelled_findings"] = self.unlabelled_items
        return data


def score_routes(labels: dict, discovered: list[dict], src: SourceIndex, root: Path) -> dict:
    """Route-discovery recall plus the informational path and auth agreement."""
    by_file: dict[str, list[dict]] = {}
    for route in discovered:
        by_file.setdefault(norm_file(str(route.get("file", "")), root), []).append(route)
    found, path_ok, auth_ok, missed, partial, auth_diff, path_diff = 0, 0, 0, [], [], [], []
    scored = [r for r in labels["routes"] if not is_framework(r)]
    for label in scored:
        span = src.handler(label["file"], label["line"])
        want = methods_of(label.get("methods"))
        hits = [
            r
            for r in by_file.get(norm_file(label["file"]), [])
            if isinstance(r.get("line"), int)
            and span.start <= r["line"] <= span.line
            and methods_compatible(want, methods_of(r.get("methods")))
        ]
        if not hits:
            missed.append(_route_item(label))
            continue
        found += 1
        union = set().union(*(methods_of(r.get("methods")) for r in hits))
        lacking = sorted(want - union - IGNORED_METHODS) if "*" not in union | want else []
        if lacking:
            partial.append({**_route_item(label), "methods_missing": lacking})
        label_paths = {norm_path(p) for p in re.split(r",\s*", label.get("path", "")) if p}
        if any(norm_path(str(r.get("path", ""))) in label_paths for r in hits):
            path_ok += 1
        else:
            path_diff.append({**_route_item(label), "found_paths": [r.get("path") for r in hits]})
        if any(bool(r.get("auth")) == bool(label.get("auth")) for r in hits):
            auth_ok += 1
        else:
            auth_diff.append(
                {
                    **_route_item(label),
                    "found_auth_via": [r.get("auth_via") for r in hits],
                }
            )
    return {
        "labelled": len(scored),
        "found": found,
        "recall": ratio(found, len(scored)),
        "path_ok": path_ok,
        "auth_ok": auth_ok,
        "discovered": len(discovered),
        "missed": missed,
        "methods_partly_missing": partial,
        "path_mismatch": path_diff,
        "auth_mismatch": auth_diff,
    }


def _route_item(label: dict) -> dict:
    return {
        "file": label["file"],
        "line": label["line"],
        "function": label.get("function"),
        "methods": label.get("methods"),
        "path": label.get("path"),
        "auth": label.get("auth"),
        "intentionally_public": label.get("intentionally_public"),
        "auth_via": label.get("auth_via"),
        "notes": label.get("notes"),
    }


def _finding_item(diag: dict, root: Path) -> dict:
    return {
        "file": norm_file(str(diag.get("file", "")), root),
        "line": diag.get("line"),
        "code": diag.get("code"),
        "message": diag.get("message"),
    }


def score_bc101(labels: dict, diags: list[dict], src: SourceIndex, root: Path) -> RuleScore:
    """BC101 against R1, one verdict per labelled route (see the module docstring)."""
    score = RuleScore()
    routes = labels["routes"]
    spans = [(r, src.handler(r["file"], r["line"])) for r in routes]
    flagged: dict[int, list[dict]] = {}
    for diag in diags:
        if diag.get("code") != "BC101":
            continue
        file = norm_file(str(diag.get("file", "")), root)
        line = diag.get("line")
        hit = [
            i
            for i, (r, span) in enumerate(spans)
            if norm_file(r["file"]) == file
            and isinstance(line, int)
            and span.start <= line <= span.line
        ]
        if not hit:
            score.unlabelled += 1
            score.unlabelled_items.append(_finding_item(diag, root))
        for i in hit:
            flagged.setdefault(i, []).append(diag)
    for i, (route, _span) in enumerate(spans):
        if is_framework(route):
            continue
        if is_ambiguous_r1(route):
            score.ignored += 1 if i in flagged else 0
            continue
        if is_r1_positive(route):
            if i in flagged:
                score.tp += 1
            else:
                score.fn += 1
                score.fn_items.append(_route_item(route))
        elif i in flagged:
            score.fp += 1
            item = _route_item(route)
            item["finding"] = flagged[i][0].get("message")
            score.fp_items.append(item)
    return score


def _label_matches(label: dict, file: str, line: int, src: SourceIndex) -> bool:
    if norm_file(label["file"]) != file:
        return False
    if abs(line - int(label["line"])) <= LINE_WINDOW:
        return True
    scope = src.enclosing(label["file"], int(label["line"]))
    return scope is not None and scope.start <= line <= scope.end


def score_rule(
    rule: str, labels: dict, diags: list[dict], src: SourceIndex, root: Path
) -> RuleScore:
    """One of R3..R6 against its backcheck codes (see the module docstring)."""
    score = RuleScore()
    codes = set(RULE_CODES[rule])
    own = [f for f in labels.get("findings", []) if f.get("rule") == rule]
    scored = [f for f in own if not f.get("why", "").startswith("AMBIGUOUS")]
    ambiguous = [f for f in own if f.get("why", "").startswith("AMBIGUOUS")]
    tag = f"AMBIGUOUS-{rule}:"
    ambiguous_routes = [
        src.handler(r["file"], r["line"]) for r in labels["routes"] if tag in r.get("notes", "")
    ]
    ambiguous_route_files = [
        norm_file(r["file"]) for r in labels["routes"] if tag in r.get("notes", "")
    ]
    matched: set[int] = set()
    for diag in diags:
        code = diag.get("code")
        line = diag.get("line")
        if code not in codes or not isinstance(line, int):
            continue
        file = norm_file(str(diag.get("file", "")), root)
        hits = [
            i
            for i, lab in enumerate(scored)
            if _label_matches(lab, file, line, src)
            and (code == "BC502" or not lab.get("why", "").startswith("CONFIG:"))
        ]
        if hits:
            matched.update(hits)
            continue
        in_ambiguous_route = any(
            f == file and span.start <= line <= span.end
            for f, span in zip(ambiguous_route_files, ambiguous_routes)
        )
        if in_ambiguous_route or any(_label_matches(a, file, line, src) for a in ambiguous):
            score.ignored += 1
            continue
        score.fp += 1
        score.fp_items.append(_finding_item(diag, root))
    for i, lab in enumerate(scored):
        if i in matched:
            score.tp += 1
        else:
            score.fn += 1
            score.fn_items.append(
                {
                    "file": lab["file"],
                    "line": lab["line"],
                    "rule": rule,
                    "why": lab.get("why"),
                }
            )
    return score


# --------------------------------------------------------------------------- one repository


def evaluate_repo(label_file: Path, repos: Path, backcheck: str, timeout: float) -> dict:
    """Run backcheck on one checkout and score it; problems are recorded, never raised."""
    labels = json.loads(label_file.read_text(encoding="utf-8"))
    name = label_file.stem
    root = repos / name
    result: dict[str, Any] = {"repo": labels.get("repo", name), "name": name, "problems": []}
    if not root.is_dir():
        result["problems"].append(
            f"no checkout at {root}: fetch github:{labels.get('repo')} with the search tool, "
            f"clone the git dir it returns to {root} and check out {labels.get('commit')}"
        )
        result["skipped"] = True
        return result
    head = _git_head(root)
    if head and labels.get("commit") and head != labels["commit"]:
        result["problems"].append(
            f"checkout is at {head[:12]}, labels are for {labels['commit'][:12]}: "
            f"run git -C {root} checkout {labels['commit']}"
        )
    started = time.perf_counter()
    routes_out, err = run_json([backcheck, "routes", str(root), "--format", "json"], timeout)
    if err:
        result["problems"].append(err)
    routes_seconds = time.perf_counter() - started
    started = time.perf_counter()
    check_out, err = run_json(
        [backcheck, "check", str(root), "--format", "json", "--exit-zero"], timeout
    )
    if err:
        result["problems"].append(err)
    check_seconds = time.perf_counter() - started

    discovered = list((routes_out or {}).get("routes") or [])
    diags = list((check_out or {}).get("diagnostics") or [])
    src = SourceIndex(root)
    result["seconds"] = {"routes": round(routes_seconds, 2), "check": round(check_seconds, 2)}
    result["backcheck_errors"] = list((check_out or {}).get("errors") or [])
    result["routes"] = score_routes(labels, discovered, src, root)
    result["rules"] = {"R1": score_bc101(labels, diags, src, root).as_dict()}
    for rule in RULE_CODES:
        result["rules"][rule] = score_rule(rule, labels, diags, src, root).as_dict()
    counts: dict[str, int] = {}
    for diag in diags:
        counts[str(diag.get("code"))] = counts.get(str(diag.get("code")), 0) + 1
    result["finding_counts"] = dict(sorted(counts.items()))
    return result


def _git_head(root: Path) -> str:
    try:
        proc = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "HEAD"],
            check=False,
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.TimeoutExpired):
        return ""
    return proc.stdout.strip() if proc.returncode == 0 else ""


# --------------------------------------------------------------------------- report


def summarise(results: list[dict]) -> dict:
    """Corpus-wide totals: routes, and TP/FP/FN per rule summed over repositories."""
    scored = [r for r in results if not r.get("skipped")]
    labelled = sum(r["routes"]["labelled"] for r in scored)
    found = sum(r["routes"]["found"] for r in scored)
    rules: dict[str, dict] = {}
    for rule in ["R1", *RULE_CODES]:
        total = RuleScore()
        for r in scored:
            data = r["rules"][rule]
            total.add(
                RuleScore(
                    tp=data["tp"],
                    fp=data["fp"],
                    fn=data["fn"],
                    ignored=data["ignored"],
                    unlabelled=data.get("unlabelled", 0),
                )
            )
        entry = total.as_dict(items=False)
        entry["codes"] = ["BC101"] if rule == "R1" else list(RULE_CODES[rule])
        entry["target"] = TARGETS[rule]
        entry["meets_target"] = all(
            v is not None and v >= TARGETS[rule] for v in (entry["precision"], entry["recall"])
        )
        rules[rule] = entry
    others = RuleScore()
    for rule in RULE_CODES:
        others.add(
            RuleScore(
                tp=rules[rule]["tp"],
                fp=rules[rule]["fp"],
                fn=rules[rule]["fn"],
                ignored=rules[rule]["ignored"],
            )
        )
    route_recall = ratio(found, labelled)
    return {
        "routes": {
            "labelled": labelled,
            "found": found,
            "recall": route_recall,
            "target": TARGETS["routes"],
            "meets_target": route_recall is not None and route_recall >= TARGETS["routes"],
        },
        "rules": rules,
        "R3-R6": others.as_dict(items=False),
        "repos_scored": len(scored),
        "repos_skipped": [r["name"] for r in results if r.get("skipped")],
    }


def _table(rows: list[list[str]]) -> str:
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = []
    for n, row in enumerate(rows):
        cells = [c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(row, widths))]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def render_text(results: list[dict], summary: dict, verbose: bool) -> str:
    """The two tables (and with ``verbose`` every miss and false alarm)."""
    out = []
    rows = [
        [
            "repository",
            "routes",
            "recall",
            "path ok",
            "auth ok",
            "BC101 TP",
            "FP",
            "FN",
            "P",
            "R",
            "unlabelled",
            "other TP/FP/FN",
            "errors",
            "time s",
        ]
    ]
    tot = {"tp": 0, "fp": 0, "fn": 0, "un": 0, "otp": 0, "ofp": 0, "ofn": 0, "path": 0, "auth": 0}
    for r in results:
        if r.get("skipped"):
            rows.append([r["name"], "skipped"] + [""] * 12)
            continue
        routes, r1 = r["routes"], r["rules"]["R1"]
        other = [sum(r["rules"][k][m] for k in RULE_CODES) for m in ("tp", "fp", "fn")]
        tot["tp"] += r1["tp"]
        tot["fp"] += r1["fp"]
        tot["fn"] += r1["fn"]
        tot["un"] += r1.get("unlabelled", 0)
        tot["otp"], tot["ofp"], tot["ofn"] = (
            tot["otp"] + other[0],
            tot["ofp"] + other[1],
            tot["ofn"] + other[2],
        )
        tot["path"] += routes["path_ok"]
        tot["auth"] += routes["auth_ok"]
        rows.append(
            [
                r["name"],
                f"{routes['found']}/{routes['labelled']}",
                fmt_ratio(routes["recall"]),
                str(routes["path_ok"]),
                str(routes["auth_ok"]),
                str(r1["tp"]),
                str(r1["fp"]),
                str(r1["fn"]),
                fmt_ratio(r1["precision"]),
                fmt_ratio(r1["recall"]),
                str(r1.get("unlabelled", 0)),
                "/".join(map(str, other)),
                str(len(r.get("backcheck_errors", [])) + len(r["problems"])),
                f"{sum(r.get('seconds', {}).values()):.1f}",
            ]
        )
    s_routes, s_r1 = summary["routes"], summary["rules"]["R1"]
    rows.append(
        [
            "TOTAL",
            f"{s_routes['found']}/{s_routes['labelled']}",
            fmt_ratio(s_routes["recall"]),
            str(tot["path"]),
            str(tot["auth"]),
            str(tot["tp"]),
            str(tot["fp"]),
            str(tot["fn"]),
            fmt_ratio(s_r1["precision"]),
            fmt_ratio(s_r1["recall"]),
            str(tot["un"]),
            f"{tot['otp']}/{tot['ofp']}/{tot['ofn']}",
            "",
            "",
        ]
    )
    out.append("Per repository (routes: found/labelled, FRAMEWORK routes left out)")
    out.append(_table(rows))
    out.append("")

    rows = [["rule", "codes", "TP", "FP", "FN", "ignored", "P", "R", "target", "status"]]
    rows.append(
        [
            "routes",
            "routes json",
            str(s_routes["found"]),
            "",
            str(s_routes["labelled"] - s_routes["found"]),
            "",
            "",
            fmt_ratio(s_routes["recall"]),
            f">={s_routes['target']}",
            "ok" if s_routes["meets_target"] else "BELOW",
        ]
    )
    for rule, data in summary["rules"].items():
        rows.append(
            [
                rule,
                "+".join(data["codes"]),
                str(data["tp"]),
                str(data["fp"]),
                str(data["fn"]),
                str(data["ignored"]),
                fmt_ratio(data["precision"]),
                fmt_ratio(data["recall"]),
                f">={data['target']}",
                "ok" if data["meets_target"] else "BELOW",
            ]
        )
    o = summary["R3-R6"]
    rows.append(
        [
            "R3-R6",
            "all",
            str(o["tp"]),
            str(o["fp"]),
            str(o["fn"]),
            str(o["ignored"]),
            fmt_ratio(o["precision"]),
            fmt_ratio(o["recall"]),
            "",
            "",
        ]
    )
    out.append("Per rule, all repositories (micro average; ignored = AMBIGUOUS, neither way)")
    out.append(_table(rows))

    for r in results:
        if r["problems"]:
            out.append("")
            out.append(f"{r['name']}: problems")
            out.extend(f"  ! {p}" for p in r["problems"])
    if verbose:
        out.extend(_verbose_lines(results))
    return "\n".join(out)


def _verbose_lines(results: list[dict]) -> list[str]:
    out: list[str] = []
    for r in results:
        if r.get("skipped"):
            continue
        out += ["", f"== {r['name']} ({r['repo']})", f"  finding counts: {r['finding_counts']}"]
        routes = r["routes"]
        for item in routes["missed"]:
            out.append(
                f"  route MISSED   {where(item)} {item['function']} {item['methods']} "
                f"{item['path']}  -- {item['notes'] or item['auth_via']}"
            )
        for item in routes["methods_partly_missing"]:
            out.append(
                f"  route methods  {where(item)} {item['function']} lacks "
                f"{item['methods_missing']} of {item['methods']}"
            )
        for item in routes["path_mismatch"]:
            out.append(
                f"  route path     {where(item)} {item['function']} labelled {item['path']!r}, "
                f"found {item['found_paths']}"
            )
        for item in routes["auth_mismatch"]:
            out.append(
                f"  route auth     {where(item)} {item['function']} labelled auth="
                f"{item['auth']} via {item['auth_via']!r}; found {item['found_auth_via']}"
            )
        r1 = r["rules"]["R1"]
        for item in r1["false_negatives"]:
            out.append(
                f"  BC101 FN       {where(item)} {item['function']} {item['path']}  -- "
                f"{item['notes'] or item['auth_via']}"
            )
        for item in r1["false_positives"]:
            why = "intentionally public" if item["intentionally_public"] else item["auth_via"]
            out.append(
                f"  BC101 FP       {where(item)} {item['function']} {item['path']}  -- label: "
                f"{why}; notes: {item['notes']}"
            )
        for item in r1.get("unlabelled_findings", []):
            out.append(f"  BC101 unlabelled {where(item)}  {item['message']}")
        for rule in RULE_CODES:
            data = r["rules"][rule]
            for item in data["false_negatives"]:
                out.append(f"  {rule} FN          {where(item)}  -- {item['why']}")
            for item in data["false_positives"]:
                out.append(f"  {rule} FP {item['code']}    {where(item)}  {item['message']}")
        for err in r.get("backcheck_errors", []):
            out.append(f"  backcheck error {err.get('file')}: {err.get('message')}")
    return out


# --------------------------------------------------------------------------- entry point


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Score backcheck routes/check against the labelled corpus in shared/eval.",
    )
    parser.add_argument(
        "--labels",
        type=Path,
        default=DEFAULT_LABELS,
        help=f"folder of OWNER__NAME.json label files (default {DEFAULT_LABELS})",
    )
    parser.add_argument(
        "--repos",
        type=Path,
        default=DEFAULT_REPOS,
        help=f"folder holding the OWNER__NAME checkouts (default {DEFAULT_REPOS})",
    )
    parser.add_argument(
        "--backcheck",
        default=None,
        help="backcheck executable (default: the console script next to python)",
    )
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        help="score only repositories whose name contains this text (repeatable)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900.0,
        help="seconds allowed per backcheck command (default 900)",
    )
    parser.add_argument("--json", action="store_true", help="print one JSON object instead")
    parser.add_argument(
        "--verbose",
        "-v",
        action="store_true",
        help="list every missed route, false negative and false positive",
    )
    args = parser.parse_args(argv)

    label_files = sorted(args.labels.glob("*.json"))
    if args.only:
        label_files = [p for p in label_files if any(o in p.stem for o in args.only)]
    if not label_files:
        print(
            f"eval_corpus: no label files in {args.labels} (check --labels and --only)",
            file=sys.stderr,
        )
        return 2
    backcheck = args.backcheck or str(default_backcheck())
    if not Path(backcheck).exists() and os.sep in backcheck:
        print(
            f"eval_corpus: {backcheck} does not exist; install the project "
            "(make dev) or pass --backcheck",
            file=sys.stderr,
        )
        return 2

    results = [evaluate_repo(p, args.repos, backcheck, args.timeout) for p in label_files]
    summary = summarise(results)
    if summary["repos_scored"] == 0:
        for r in results:
            for problem in r["problems"]:
                print(f"eval_corpus: {problem}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"summary": summary, "repos": results}, indent=2))
    else:
        print(render_text(results, summary, args.verbose))
    return 0


if __name__ == "__main__":
    sys.exit(main())
