"""Speed and memory of backcheck as ratios to bandit and ruff, measured in the same run.

For each real backend checkout (default: every folder under /work/scratch/bench; bring them with the
search tool's `fetch`, e.g. saleor/saleor, netbox-community/netbox, Netflix/dispatch), it runs:

- bandit -r (every plugin), the peer the cold-scan target is set against;
- ruff check --select S --no-cache, the peer the warm-scan target is set against;
- backcheck check, cold (no .backcheck cache), then warm (unchanged tree, content-hash cache);
- backcheck check after one file changed (the re-check most editors trigger).

Each command is a child process; its CPU time (user + system) and peak RSS come from `os.wait4`.
Lines are the Python lines of the tree (the same count for every tool). Nothing here is asserted: the
figures are printed (and written as JSON with --json) for the README and the closing notes.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

BIN = Path(sys.executable).parent


def python_lines(root: Path) -> int:
    total = 0
    for path in root.rglob("*.py"):
        if any(part in {".venv", "venv", "node_modules", ".backcheck", ".git"} for part in path.parts):
            continue
        try:
            with path.open("rb") as handle:
                total += sum(1 for _ in handle)
        except OSError:
            continue
    return total


def measure(argv: list[str], cwd: Path) -> dict:
    """CPU seconds, wall seconds and peak RSS (MB) of one child process."""
    started = time.perf_counter()
    child = subprocess.Popen(argv, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return {
        "cpu": usage.ru_utime + usage.ru_stime,
        "wall": time.perf_counter() - started,
        "rss_mb": usage.ru_maxrss / 1024,
        "exit": child.returncode,
    }


def bench_repo(root: Path, repeat: int) -> dict:
    lines = python_lines(root)
    cache = root / ".backcheck"
    runs: dict[str, list[dict]] = {"bandit": [], "ruff_S": [], "backcheck_cold": [], "backcheck_warm": [],
                                   "backcheck_one_edit": []}
    backcheck = [str(BIN / "backcheck"), "check", ".", "--exit-zero"]
    touched = next((p for p in sorted(root.rglob("*.py")) if ".backcheck" not in p.parts), None)
    for _ in range(repeat):
        runs["bandit"].append(measure([str(BIN / "bandit"), "-r", ".", "-q", "-f", "json", "-o", os.devnull], root))
        runs["ruff_S"].append(measure([str(BIN / "ruff"), "check", "--select", "S", "--no-cache", "--exit-zero",
                                       "-q", "."], root))
        shutil.rmtree(cache, ignore_errors=True)
        runs["backcheck_cold"].append(measure(backcheck, root))
        runs["backcheck_warm"].append(measure(backcheck, root))
        if touched is not None:
            original = touched.read_bytes()
            try:
                touched.write_bytes(original + b"\n# benchmark edit\n")
                runs["backcheck_one_edit"].append(measure(backcheck, root))
            finally:
                touched.write_bytes(original)
    shutil.rmtree(cache, ignore_errors=True)
    best = {name: min(r, key=lambda x: x["cpu"]) for name, r in runs.items() if r}
    rates = {name: lines / r["cpu"] if r["cpu"] else float("inf") for name, r in best.items()}
    return {
        "repo": root.name,
        "lines": lines,
        "best": best,
        "lines_per_cpu_s": rates,
        "ratios": {
            "cold_vs_bandit": rates["backcheck_cold"] / rates["bandit"],
            "warm_vs_ruff_S_cold": rates["backcheck_warm"] / rates["ruff_S"],
            "rss_vs_bandit": best["backcheck_cold"]["rss_mb"] / best["bandit"]["rss_mb"],
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("repos", nargs="*", type=Path, help="checkouts to measure")
    parser.add_argument("--root", type=Path, default=Path("/work/scratch/bench"),
                        help="folder whose subfolders are measured when no repos are given")
    parser.add_argument("--repeat", type=int, default=1, help="runs per tool; the lowest CPU time is kept")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    repos = args.repos or sorted(p for p in args.root.iterdir() if p.is_dir()) if args.root.exists() else args.repos
    if not repos:
        print(f"no checkouts to measure: pass paths or fill {args.root}", file=sys.stderr)
        return 2
    results = [bench_repo(repo.resolve(), args.repeat) for repo in repos]
    if args.json:
        print(json.dumps(results, indent=2))
        return 0
    header = (f"{'repo':<12} {'lines':>8} {'bandit l/s':>11} {'ruff S l/s':>11} {'cold l/s':>10} "
              f"{'warm l/s':>11} {'1-edit s':>9} {'cold/bandit':>12} {'warm/ruff':>10} {'RSS MB bc/bandit':>17}")
    print(header)
    print("-" * len(header))
    for r in results:
        rate, best, ratio = r["lines_per_cpu_s"], r["best"], r["ratios"]
        edit = best.get("backcheck_one_edit", {}).get("cpu", float("nan"))
        print(f"{r['repo']:<12} {r['lines']:>8} {rate['bandit']:>11,.0f} {rate['ruff_S']:>11,.0f} "
              f"{rate['backcheck_cold']:>10,.0f} {rate['backcheck_warm']:>11,.0f} {edit:>9.2f} "
              f"{ratio['cold_vs_bandit']:>11.1f}x {ratio['warm_vs_ruff_S_cold']:>9.2f}x "
              f"{best['backcheck_cold']['rss_mb']:>8.0f}/{best['bandit']['rss_mb']:<8.0f}")
    print("\ntargets: cold >= 4x bandit; warm >= 1x ruff --select S cold; RSS <= bandit")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
