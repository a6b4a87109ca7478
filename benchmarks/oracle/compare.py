"""Compare `backcheck routes` with what a running backend says about its own routes.

Each oracle file is written by one of the enumerators next to this script (``fastapi_routes.py``,
``flask_routes.py``, ``django_routes.py``), run inside the app's own virtualenv. It lists every URL
pattern the running app serves, the file and ``def`` line of the code that handles it and whether an
anonymous request gets through (``auth``: true, false or null when it could not be told).

For each oracle file this script runs ``backcheck routes <root> --format json --no-cache`` (or reads
``--routes``), then scores:

Endpoint recall
    An endpoint is one HTTP method of one oracle path. It is found when backcheck lists a route in
    the same file whose line is the oracle's ``line`` (or one of its ``alt`` pairs) and whose methods
    include that method (``*`` on either side matches any). HEAD and OPTIONS are left out, and so are
    records marked ``library`` (handlers whose code is not in the repository). The unique
    (file, line, method) keys behind the endpoints are scored too.
Auth agreement
    Over found endpoints whose oracle auth is true or false: backcheck "authenticated" agrees with
    true; "open" and "conditional" agree with false. The confusion matrix has the oracle's answer in
    rows and backcheck's three states in columns; ``--verbose`` lists each disagreement (one line per
    handler and method) with what each side based its answer on.

It exits 0 whatever the scores are, and 2 when it cannot run (no oracle file, no backcheck).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

SKIPPED_METHODS = {"HEAD", "OPTIONS"}
STATES = ("authenticated", "conditional", "open")


@dataclass
class Endpoint:
    file: str
    line: int
    method: str
    path: str
    function: str
    auth: bool | None
    auth_via: list[str]
    notes: str
    places: list[tuple[str, int]]


@dataclass
class Score:
    app: str
    endpoints: int = 0
    found: int = 0
    keys: int = 0
    keys_found: int = 0
    matrix: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))
    missed: list[Endpoint] = field(default_factory=list)
    disagreements: list[tuple[Endpoint, dict]] = field(default_factory=list)
    unmatched_backcheck: int = 0

    @property
    def recall(self) -> float:
        return self.found / self.endpoints if self.endpoints else 1.0

    @property
    def key_recall(self) -> float:
        return self.keys_found / self.keys if self.keys else 1.0

    @property
    def judged(self) -> int:
        return sum(self.matrix.values())

    @property
    def agreement(self) -> float:
        agree = self.matrix["true", "authenticated"] + sum(
            self.matrix["false", state] for state in ("conditional", "open")
        )
        return agree / self.judged if self.judged else 1.0


def endpoints(oracle: dict) -> list[Endpoint]:
    """The oracle's records expanded to one endpoint per method, library handlers left out."""
    out = []
    for record in oracle.get("routes", []):
        if record.get("library"):
            continue
        places = [(record["file"], int(record["line"]))]
        places += [(str(f), int(n)) for f, n in record.get("alt") or []]
        for method in record.get("methods") or ["*"]:
            method = method.upper()
            if method in SKIPPED_METHODS:
                continue
            out.append(Endpoint(
                file=record["file"], line=int(record["line"]), method=method,
                path=record.get("path", ""), function=record.get("function", ""),
                auth=record.get("auth"), auth_via=list(record.get("auth_via") or []),
                notes=record.get("notes", ""), places=places,
            ))
    return out


def _methods_match(method: str, methods: list[str]) -> bool:
    upper = {m.upper() for m in methods}
    return method == "*" or "*" in upper or method in upper


def score(app: str, oracle_endpoints: list[Endpoint], routes: list[dict]) -> Score:
    by_place: dict[tuple[str, int], list[dict]] = defaultdict(list)
    for route in routes:
        by_place[route["file"], int(route["line"])].append(route)
    result = Score(app)
    used: set[tuple[str, int]] = set()
    keys: dict[tuple[str, int, str], bool] = {}
    judged: dict[tuple[str, int, str], tuple[Endpoint, dict]] = {}
    for endpoint in oracle_endpoints:
        result.endpoints += 1
        match = None
        for place in endpoint.places:
            for route in by_place.get(place, []):
                if _methods_match(endpoint.method, route.get("methods") or ["*"]):
                    match = route
                    used.add(place)
                    break
            if match:
                break
        key = (endpoint.file, endpoint.line, endpoint.method)
        keys[key] = keys.get(key, False) or match is not None
        if match is None:
            result.missed.append(endpoint)
            continue
        result.found += 1
        if endpoint.auth is None:
            continue
        state = match.get("auth_state") or ("authenticated" if match.get("auth") else "open")
        result.matrix["true" if endpoint.auth else "false", state] += 1
        agrees = (state == "authenticated") == bool(endpoint.auth)
        if not agrees and key not in judged:
            judged[key] = (endpoint, match)
    result.keys = len(keys)
    result.keys_found = sum(keys.values())
    result.disagreements = list(judged.values())
    result.unmatched_backcheck = sum(
        1 for route in routes if (route["file"], int(route["line"])) not in used
    )
    return result


def _backcheck_command(explicit: str | None) -> list[str]:
    if explicit:
        return [explicit]
    beside = Path(sys.executable).with_name("backcheck")
    if beside.exists():
        return [str(beside)]
    found = shutil.which("backcheck")
    return [found] if found else [sys.executable, "-m", "backcheck"]


def backcheck_routes(root: Path, path: Path, command: list[str]) -> list[dict]:
    """`backcheck routes` on `path`, with files made relative to the oracle's root."""
    proc = subprocess.run(
        [*command, "routes", str(path), "--format", "json", "--no-cache"],
        capture_output=True, text=True, check=False,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"backcheck routes {path} failed ({proc.returncode}): {proc.stderr.strip()}")
    routes = json.loads(proc.stdout)["routes"]
    if path.resolve() != root.resolve():
        for route in routes:
            route["file"] = os.path.relpath(path / route["file"], root)
    return routes


def report(result: Score, verbose: bool) -> str:
    lines = [
        f"== {result.app}",
        (
            f"endpoint recall  {result.found}/{result.endpoints} = {result.recall:.3f}"
            f"   (file+line+method keys {result.keys_found}/{result.keys} = {result.key_recall:.3f})"
        ),
        f"auth agreement   {result.agreement:.3f} over {result.judged} judged endpoints",
        f"{'oracle / backcheck':<20}" + "".join(f"{s:>15}" for s in STATES),
    ]
    for row in ("true", "false"):
        lines.append(f"{'auth ' + row:<20}" + "".join(f"{result.matrix[row, s]:>15}" for s in STATES))
    lines.append(f"backcheck routes matching no oracle handler: {result.unmatched_backcheck}")
    if verbose:
        if result.missed:
            lines.append("-- missed endpoints")
            for e in result.missed:
                lines.append(f"   {e.method:<6} {e.path}  {e.file}:{e.line} {e.function}")
        if result.disagreements:
            lines.append("-- auth disagreements (one per handler and method)")
            for e, route in result.disagreements:
                state = route.get("auth_state", "authenticated" if route.get("auth") else "open")
                lines.append(
                    f"   {e.method:<6} {e.path}  {e.file}:{e.line} {e.function}: oracle "
                    f"{'auth' if e.auth else 'open'} ({', '.join(e.auth_via) or '-'}; {e.notes or '-'})"
                    f" / backcheck {state} ({', '.join(route.get('auth_via') or []) or '-'}"
                    f"{'; ' + route['auth_condition'] if route.get('auth_condition') else ''})"
                )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Score `backcheck routes` against runtime route oracles (see benchmarks/oracle/README.md).",
    )
    parser.add_argument("oracles", nargs="+", type=Path, help="oracle JSON files written by the enumerators")
    parser.add_argument("--routes", type=Path, help="a saved `backcheck routes --format json` output "
                        "(only with one oracle file)")
    parser.add_argument("--path", type=Path, help="folder to run backcheck on (default: the oracle's root)")
    parser.add_argument("--backcheck", help="backcheck executable (default: the console script next to python)")
    parser.add_argument("--json", action="store_true", help="print the scores as one JSON object")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed endpoints and disagreements")
    args = parser.parse_args(argv)
    if args.routes and len(args.oracles) != 1:
        parser.error("--routes goes with exactly one oracle file")

    command = _backcheck_command(args.backcheck)
    results = []
    for oracle_file in args.oracles:
        try:
            oracle = json.loads(oracle_file.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            print(f"cannot read oracle {oracle_file}: {exc}", file=sys.stderr)
            return 2
        root = Path(oracle["root"])
        try:
            if args.routes:
                routes = json.loads(args.routes.read_text(encoding="utf-8"))["routes"]
            else:
                routes = backcheck_routes(root, args.path or root, command)
        except (OSError, ValueError, RuntimeError) as exc:
            print(f"{oracle.get('app', oracle_file.stem)}: {exc}", file=sys.stderr)
            return 2
        results.append(score(oracle.get("app", oracle_file.stem), endpoints(oracle), routes))

    if args.json:
        print(json.dumps({r.app: {
            "endpoints": r.endpoints, "found": r.found, "recall": round(r.recall, 4),
            "keys": r.keys, "keys_found": r.keys_found, "judged": r.judged,
            "agreement": round(r.agreement, 4),
            "matrix": {f"{o}/{s}": r.matrix[o, s] for o in ("true", "false") for s in STATES},
            "disagreements": len(r.disagreements), "missed": len(r.missed),
        } for r in results}, indent=2))
        return 0
    for r in results:
        print(report(r, args.verbose))
        print()
    if len(results) > 1:
        print(f"{'app':<22}{'endpoints':>10}{'recall':>9}{'judged':>8}{'agreement':>11}")
        for r in results:
            print(f"{r.app:<22}{r.endpoints:>10}{r.recall:>9.3f}{r.judged:>8}{r.agreement:>11.3f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
