"""The `backcheck` command: check, routes, rules, rule, serve, tui, test, agent.

Exit codes follow linters: 0 no findings, 1 findings, 2 usage or internal error (message on stderr).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from backcheck import __version__

EPILOG = """\
examples:
  backcheck check .                      check the project in the current folder
  backcheck check app/ --format json     machine-readable findings (sarif for code scanning)
  backcheck check . --select BC1 --ignore BC102
  backcheck routes .                     every route, its methods, full path and how it is authenticated
  backcheck routes . --explain           ... and the auth candidates examined for each, with why
  backcheck rule BC101                   why a rule matters and what to write instead
  backcheck serve                        the language server (stdio), for VS Code and Neovim
  backcheck tui                          the companion beside your editor

Configuration lives in pyproject.toml under [tool.backcheck]; `backcheck rules` lists every rule.
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="backcheck",
        description="A senior backend engineer's checklist for Python web backends "
        "(FastAPI, Flask, Django/DRF, SQLAlchemy, Alembic).",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"backcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    check = sub.add_parser("check", help="report checklist violations", description="Report checklist violations.")
    check.add_argument("paths", nargs="*", type=Path, default=[Path(".")], metavar="PATH")
    check.add_argument("--format", choices=["text", "json", "sarif"], default="text")
    check.add_argument("--select", default="", help="comma-separated codes or prefixes to run (e.g. BC1,BC501)")
    check.add_argument("--ignore", default="", help="comma-separated codes or prefixes to skip")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when there are findings")
    check.add_argument("--no-fixes", action="store_true", help="leave out quick fixes from json output (faster)")
    check.add_argument("--no-cache", action="store_true", help="ignore and do not write .backcheck/cache")
    check.add_argument("--statistics", action="store_true", help="print lines and files checked per second to stderr")

    routes = sub.add_parser("routes", help="list every route and its authentication",
                            description="List every route the index found, with how it is authenticated.")
    routes.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")
    routes.add_argument("--format", choices=["table", "json"], default="table")
    routes.add_argument("--explain", action="store_true",
                        help="after each route, the auth candidates examined: "
                        "kind, name, where, verdict, reason")
    routes.add_argument("--no-cache", action="store_true")

    sub.add_parser("rules", help="list every rule", description="List every rule with its code and checklist item.")
    rule = sub.add_parser("rule", help="print a rule's documentation", description="Print a rule's documentation.")
    rule.add_argument("code", metavar="CODE", help="a code such as BC101 or a name such as route-without-auth")

    serve = sub.add_parser("serve", help="run the language server (stdio)", description="Run the language server.")
    serve.add_argument("--tcp", metavar="HOST:PORT", help="listen on TCP instead of stdio (debugging)")
    serve.add_argument("--stdio", action="store_true", help="use stdio (the default; accepted for editors)")
    serve.add_argument("--log-file", type=Path, help="write the server log here as well as stderr")

    tui = sub.add_parser("tui", help="open the companion TUI", description="Open the companion TUI beside your editor.")
    tui.add_argument("path", nargs="?", type=Path, default=Path("."), metavar="PATH")

    test = sub.add_parser("test", help="run the project's tests and store the results", add_help=False)
    test.add_argument("rest", nargs=argparse.REMAINDER)
    agent = sub.add_parser("agent", help="run an agent task (ten-phase workflow)", add_help=False)
    agent.add_argument("rest", nargs=argparse.REMAINDER)
    return parser


def _codes(text: str) -> list[str]:
    return [c.strip().upper() for c in text.split(",") if c.strip()]


def _settings_for(root: Path, select: str = "", ignore: str = ""):
    from backcheck import config

    overrides = {}
    if select:
        overrides["select"] = _codes(select)
    if ignore:
        overrides["ignore"] = _codes(ignore)
    settings, problems = config.load(root)
    if overrides:
        settings, more = config.resolve(
            {k: v for k, v in vars(settings).items() if k != "agent"}, overrides
        )
        problems += more
    for problem in problems:
        print(f"backcheck: config: {problem}", file=sys.stderr)
    return settings


def cmd_check(args: argparse.Namespace) -> int:
    import time

    from backcheck.engine import Engine
    from backcheck.report.render import render_json, render_sarif, render_text

    for path in args.paths:
        if not path.exists():
            print(f"backcheck: {path}: no such file or folder", file=sys.stderr)
            return 2
    first = args.paths[0].resolve()
    root = first if first.is_dir() else first.parent
    settings = _settings_for(root, args.select, args.ignore)
    unknown = [c for c in settings.select + settings.ignore if not c.startswith("BC")]
    if unknown:
        print(f"backcheck: unknown rule code(s) {', '.join(unknown)}; run `backcheck rules`", file=sys.stderr)
        return 2
    started = time.process_time()
    engine = Engine(root, settings, use_cache=not args.no_cache)
    result = engine.scan(args.paths)
    elapsed = time.process_time() - started
    if args.format == "json":
        print(render_json(result, root, with_fix=not args.no_fixes))
    elif args.format == "sarif":
        print(render_sarif(result, root, settings.docs_url))
    else:
        print(render_text(result, root, color=sys.stdout.isatty() and not os.environ.get("NO_COLOR")))
    if args.statistics:
        rate = result.lines_checked / elapsed if elapsed else 0
        print(f"backcheck: {result.files_checked} files, {result.lines_checked} lines in {elapsed:.2f} CPU-s "
              f"({rate:,.0f} lines/CPU-s)", file=sys.stderr)
    if result.findings and not args.exit_zero:
        return 1
    return 0


def cmd_routes(args: argparse.Namespace) -> int:
    from backcheck.engine import Engine

    if not args.path.exists():
        print(f"backcheck: {args.path}: no such file or folder", file=sys.stderr)
        return 2
    root = args.path.resolve()
    root = root if root.is_dir() else root.parent
    engine = Engine(root, _settings_for(root), use_cache=not args.no_cache)
    result = engine.scan([args.path])
    routes = result.project.routes
    if args.format == "json":
        print(json.dumps({"routes": [r.as_json() for r in routes]}, indent=2))
        return 0
    if not routes:
        print("No routes found. backcheck looks for FastAPI, Flask and Django/DRF routes.")
        return 0
    if args.explain:
        _print_explained(routes)
    else:
        _print_table(routes)
    conditional = sum(1 for r in routes if r.auth_state == "conditional" and not r.public)
    open_routes = sum(1 for r in routes if r.auth_state == "open" and not r.public)
    print(f"\n{len(routes)} routes; {sum(r.auth for r in routes)} authenticated, "
          f"{sum(1 for r in routes if r.public and not r.auth)} declared public, "
          + (f"{conditional} conditional, " if conditional else "")
          + f"{open_routes} open to anonymous requests.")
    return 0


def _auth_cells(route) -> tuple[str, str]:
    """(AUTH, HOW) of a route in the table."""
    from backcheck.rules.auth.explain import open_when

    if route.auth:
        return "yes", "; ".join(route.auth_via)
    if route.public:
        return "public", route.public_via
    if route.auth_condition:
        return "conditional", f"({open_when(route.auth_condition)})"
    return "NO", ""


def _print_table(routes) -> None:
    rows = [("METHODS", "PATH", "AUTH", "HANDLER", "HOW")]
    for r in routes:
        auth, how = _auth_cells(r)
        rows.append((",".join(r.methods), r.path, auth, f"{r.file}:{r.line} {r.function}", how))
    widths = [min(max(len(row[i]) for row in rows), 60) for i in range(4)]
    for row in rows:
        cells = [row[i][: widths[i]].ljust(widths[i]) for i in range(4)]
        how = row[4] if len(row[4]) <= 90 else row[4][:87] + "..."
        print("  ".join(cells) + ("  " + how if how else ""))


def _print_explained(routes) -> None:
    """Each route, then its chain: one line per candidate examined, then the verdict."""
    from backcheck.rules.auth import explain

    for number, r in enumerate(routes):
        auth, how = _auth_cells(r)
        label = f"{auth} {how}" if auth == "conditional" else auth
        head = f"{','.join(r.methods)} {r.path}  {r.file}:{r.line} {r.function}  auth: {label}"
        print(("\n" if number else "") + head)
        steps = explain.chain(r)
        rows = [(s.kind or "-", s.name, explain.where_text(s), s.verdict, s.reason)
                for s in steps if s.name]
        widths = [max((len(row[i]) for row in rows), default=0) for i in range(4)]
        for step in steps:
            if not step.name:  # nothing was examined: the reason says so
                print(f"    {step.reason or step.verdict}")
                continue
            row = rows.pop(0)
            cells = "  ".join(row[i].ljust(widths[i]) for i in range(4))
            print(f"    {cells}  {row[4]}".rstrip())
        print(f"    => {explain.verdict(r)}")


def cmd_rules(_: argparse.Namespace) -> int:
    from backcheck.rules import registry

    for code, rule in registry().items():
        fix = "fix" if rule.fix_title else "   "
        print(f"{code}  {rule.name:<40} {rule.severity:<8} {fix}  {rule.checklist}")
    return 0


def cmd_rule(args: argparse.Namespace) -> int:
    from backcheck.rules import lookup, registry

    rule = lookup(args.code)
    if rule is None:
        print(f"backcheck: no rule {args.code!r}; known codes: {', '.join(registry())}", file=sys.stderr)
        return 2
    print(f"# {rule.code} {rule.name}\n")
    print(f"Severity: {rule.severity}. Checklist: {rule.checklist}. "
          f"Quick fix: {rule.fix_title + ' (' + rule.fix_applicability + ')' if rule.fix_title else 'none'}.\n")
    print(rule.documentation())
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    try:
        from backcheck.lsp.server import main as serve_main
    except ImportError as exc:
        print(f"backcheck: the language server is not available: {exc}", file=sys.stderr)
        return 2
    return serve_main(tcp=args.tcp, log_file=args.log_file) or 0


def cmd_tui(args: argparse.Namespace) -> int:
    # The core never imports the TUI; it runs as its own module in this interpreter.
    path = str(args.path.resolve())
    try:
        os.execv(sys.executable, [sys.executable, "-m", "backcheck_tui", path])
    except OSError as exc:
        print(f"backcheck: cannot start the TUI: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_test(args: argparse.Namespace) -> int:
    from backcheck.testrun import cli_main

    return cli_main(args.rest)


def cmd_agent(args: argparse.Namespace) -> int:
    from backcheck.agent import cli_main

    return cli_main(args.rest)


COMMANDS = {
    "check": cmd_check, "routes": cmd_routes, "rules": cmd_rules, "rule": cmd_rule, "serve": cmd_serve,
    "tui": cmd_tui, "test": cmd_test, "agent": cmd_agent,
}


def _quiet_logs() -> None:
    """Library logs stay out of the CLI's output unless BACKCHECK_DEBUG is set; failures are reported as errors."""
    import logging

    logger = logging.getLogger("backcheck")
    if os.environ.get("BACKCHECK_DEBUG"):
        logging.basicConfig(level=logging.DEBUG, stream=sys.stderr)
    else:
        logger.addHandler(logging.NullHandler())
        logger.propagate = False


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in ("test", "agent"):
        # these pass their own options through (pytest's, the agent's); argparse would eat them
        _quiet_logs()
        args = argparse.Namespace(command=argv[0], rest=argv[1:])
        try:
            return COMMANDS[argv[0]](args)
        except KeyboardInterrupt:
            print("backcheck: interrupted", file=sys.stderr)
            return 130
    parser = _parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return 2
    if args.command != "serve":
        _quiet_logs()
    try:
        return COMMANDS[args.command](args)
    except KeyboardInterrupt:
        print("backcheck: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except Exception as exc:  # the last line of defence: a message, never a traceback dump
        import traceback

        print(f"backcheck: internal error: {type(exc).__name__}: {exc}", file=sys.stderr)
        if os.environ.get("BACKCHECK_DEBUG"):
            traceback.print_exc()
        else:
            print("backcheck: set BACKCHECK_DEBUG=1 for the traceback, and please report it", file=sys.stderr)
        return 2
