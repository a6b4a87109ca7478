"""The engine: files -> per-file facts and findings (one parse, one walk, cached by content hash) ->
project model -> project-level rules -> suppressed, selected, sorted findings.

The CLI, the language server, the agent and the TUI all go through `Engine`.
"""

from __future__ import annotations

import fnmatch
import hashlib
import logging
import os
import pickle
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from backcheck import __version__
from backcheck.config import Settings
from backcheck.diagnostics import FileError, Finding
from backcheck.index.facts import FileFacts
from backcheck.index.project import Project
from backcheck.index.source import SourceError, decode, parse
from backcheck.index.walk import Walker, new_facts
from backcheck.rules import registry
from backcheck.rules.base import FileContext, Rule

log = logging.getLogger("backcheck.engine")

CACHE_FORMAT = 51


@dataclass(slots=True)
class FileResult:
    """What indexing one file produced."""

    facts: FileFacts | None
    findings: list[Finding]
    error: str | None = None
    rule_errors: list[tuple[str, str]] = field(default_factory=list)


class ScanResult:
    """Findings and errors of a scan; the project model is built only if someone asks for it."""

    def __init__(self, findings: list[Finding], errors: list[FileError], project: Project | Callable[[], Project],
                 files_checked: int = 0, lines_checked: int = 0):
        self.findings = findings
        self.errors = errors
        self._project = project
        self.files_checked = files_checked
        self.lines_checked = lines_checked

    @property
    def project(self) -> Project:
        if callable(self._project):
            self._project = self._project()
        return self._project


class Engine:
    """Checks one project root; keeps per-file results so a re-check after an edit is cheap."""

    def __init__(self, root: Path, settings: Settings | None = None, rules: dict[str, Rule] | None = None,
                 use_cache: bool = True):
        self.root = root.resolve()
        self.settings = settings or Settings()
        self._rules = rules
        self.use_cache = use_cache
        self.results: dict[str, FileResult] = {}
        self._hashes: dict[str, str] = {}
        self._cache: dict[str, FileResult] = {}
        self._cache_loaded = not use_cache
        self._cache_dirty = False
        self._dispatch_table: dict[type, list[Rule]] | None = None
        rules_id = ",".join(rules) if rules is not None else _rule_sources_digest()
        self._salt = f"{__version__}:{CACHE_FORMAT}:{self.settings.digest()}:{rules_id}"
        self._project: Project | None = None

    # -- set-up --------------------------------------------------------------------------------------

    @property
    def rules(self) -> dict[str, Rule]:
        """The rules, imported on first use (a warm scan answered from the cache never needs them)."""
        if self._rules is None:
            self._rules = registry()
        return self._rules

    @property
    def _dispatch(self) -> dict[type, list[Rule]]:
        if self._dispatch_table is None:
            self._dispatch_table = self._build_dispatch()
        return self._dispatch_table

    def _build_dispatch(self) -> dict[type, list[Rule]]:
        """One table from node type to the rules that want it, so each tree is walked once."""
        table: dict[type, list[Rule]] = {}
        for rule in self.rules.values():
            for node_type in rule.node_types:
                table.setdefault(node_type, []).append(rule)
        return table

    def _cache_path(self) -> Path:
        return self.root / ".backcheck" / "cache" / f"facts-{CACHE_FORMAT}.pickle"

    def _load_cache(self) -> None:
        self._cache_loaded = True
        path = self._cache_path()
        try:
            with path.open("rb") as handle:
                salt, entries = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            return
        if salt == self._salt:
            entries.update(self._cache)
            self._cache = entries

    def _cached(self, digest: str) -> FileResult | None:
        """A cached file result; entries loaded from disk stay pickled until first used."""
        entry = self._cache.get(digest)
        if isinstance(entry, bytes):
            try:
                entry = pickle.loads(entry)
            except Exception:  # a damaged entry is just a cache miss
                entry = None
            if entry is None:
                self._cache.pop(digest, None)
            else:
                self._cache[digest] = entry
        return entry

    def save_cache(self) -> None:
        """Persist per-file results by content hash under .backcheck/cache (best effort)."""
        if not self.use_cache or not self._cache_dirty:
            return
        path = self._cache_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            ignore = self.root / ".backcheck" / ".gitignore"
            if not ignore.exists():
                ignore.write_text("*\n")
            # one small pickle per file keeps the peak memory of writing low and lets reads be lazy
            live = {}
            for rel, result in self.results.items():
                digest = self._hashes.get(rel)
                if digest is not None:
                    raw = self._cache.get(digest)
                    live[digest] = raw if isinstance(raw, bytes) else pickle.dumps(
                        result, protocol=pickle.HIGHEST_PROTOCOL)
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                pickle.dump((self._salt, live), handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            self._cache_dirty = False
        except OSError as exc:
            log.warning("cannot write the cache at %s: %s", path, exc)

    # -- files ---------------------------------------------------------------------------------------

    def _exclusions(self) -> tuple[frozenset[str], list]:
        """Plain folder names (set lookups) and compiled glob patterns, built once."""
        if not hasattr(self, "_excl"):
            patterns = [*self.settings.exclude, *self.settings.extend_exclude]
            names = frozenset(p for p in patterns if not any(c in p for c in "*?[/"))
            globs = [re.compile(fnmatch.translate(p)) for p in patterns if p not in names]
            self._excl = (names, globs)
        return self._excl

    def excluded(self, rel: str) -> bool:
        names, globs = self._exclusions()
        parts = rel.split("/")
        if names and not names.isdisjoint(parts[:-1]):
            return True
        for pattern in globs:
            if pattern.match(rel) or any(pattern.match(part) for part in parts[:-1]):
                return True
        return False

    def discover(self, paths: Iterable[Path] | None = None) -> list[str]:
        """Python files under the given paths (default: the root), relative to the root."""
        found: list[str] = []
        for start in paths or [self.root]:
            start = start.resolve()
            if start.is_file():
                found.append(self.rel(start))
                continue
            for folder, dirs, files in os.walk(start):
                rel_folder = self.rel(Path(folder))
                dirs[:] = sorted(
                    d for d in dirs
                    if not self.excluded(f"{rel_folder}/{d}/x" if rel_folder != "." else f"{d}/x")
                    and not d.startswith(".")
                )
                for name in sorted(files):
                    if name.endswith(".py"):
                        rel = f"{rel_folder}/{name}" if rel_folder != "." else name
                        if not self.excluded(rel):
                            found.append(rel)
        return sorted(dict.fromkeys(found))

    def rel(self, path: Path) -> str:
        try:
            return path.resolve().relative_to(self.root).as_posix()
        except ValueError:
            return path.resolve().as_posix()

    def index_text(self, rel: str, text: str) -> FileResult:
        """Index one file's text: parse, walk once with every rule's hooks, collect facts and findings."""
        try:
            parsed = parse(text, rel)
        except SourceError as exc:
            return FileResult(None, [], str(exc))
        facts = new_facts(rel, text, parsed.downgraded)
        ctx = FileContext(facts, text, self.settings)
        try:
            Walker(facts, self._dispatch, ctx).run(parsed.tree)
        except RecursionError:
            return FileResult(None, [], "skipped: the file nests too deeply to analyse")
        return FileResult(facts, ctx.findings, None, ctx.rule_errors)

    def index_bytes(self, rel: str, data: bytes, digest: str | None = None) -> FileResult:
        digest = digest or hashlib.blake2b(data, digest_size=16).hexdigest()
        self._hashes[rel] = digest
        if not self._cache_loaded:
            self._load_cache()
        cached = self._cached(digest)
        if cached is not None and (cached.facts is None or cached.facts.path == rel):
            return cached
        try:
            text = decode(data, self.settings.max_file_bytes)
        except SourceError as exc:
            result = FileResult(None, [], str(exc))
        else:
            result = self.index_text(rel, text)
        self._cache[digest] = result
        self._cache_dirty = True
        return result

    def update(self, rel: str, data: bytes | None) -> FileResult | None:
        """Re-index one file from its bytes (None: the file is gone)."""
        self._project = None
        if data is None:
            self.results.pop(rel, None)
            self._hashes.pop(rel, None)
            return None
        self._forget(rel, hashlib.blake2b(data, digest_size=16).hexdigest())
        result = self.index_bytes(rel, data)
        self.results[rel] = result
        return result

    def _forget(self, rel: str, digest: str) -> None:
        """Drop the cached result of a file's previous content, so a day of edits does not pile up."""
        old = self._hashes.get(rel)
        if old and old != digest and old not in (d for p, d in self._hashes.items() if p != rel):
            self._cache.pop(old, None)

    def update_text(self, rel: str, text: str) -> FileResult:
        """Re-index an editor buffer's text (no size or encoding checks needed)."""
        self._project = None
        data = text.encode("utf-8", errors="surrogatepass")
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        self._forget(rel, digest)
        self._hashes[rel] = digest
        result = self._cached(digest)
        if result is None or (result.facts is not None and result.facts.path != rel):
            result = self.index_text(rel, text)
            self._cache[digest] = result
        self.results[rel] = result
        return result

    # -- project -------------------------------------------------------------------------------------

    @property
    def project(self) -> Project:
        if self._project is None:
            files = {p: r.facts for p, r in self.results.items() if r.facts is not None}
            self._project = Project(str(self.root), self.settings, files)
        return self._project

    def scan(self, paths: Iterable[Path] | None = None,
             progress: Callable[[int, int, str], None] | None = None) -> ScanResult:
        """Index every file under the paths, then run the project-level rules."""
        files = self.discover(paths)
        total = len(files)
        contents: list[tuple[str, bytes | None, str]] = []
        for rel in files:
            try:
                data = (self.root / rel).read_bytes()
            except OSError as exc:
                contents.append((rel, None, f"cannot read: {exc.strerror or exc}"))
                continue
            contents.append((rel, data, hashlib.blake2b(data, digest_size=16).hexdigest()))
        key = hashlib.blake2b(
            "\n".join([self._salt, *(f"{rel}:{digest}" for rel, _, digest in contents)]).encode(),
            digest_size=16,
        ).hexdigest()
        if self.use_cache and not self.results:
            remembered = self._load_scan(key)
            if remembered is not None:
                if progress is not None:
                    progress(total, total, "")
                return remembered
        # biggest files first: their syntax trees are the largest transient memory, so peak memory is
        # lowest when they are parsed before the facts of the rest have accumulated
        contents.sort(key=lambda item: -len(item[1] or b""))
        for number, (rel, data, digest) in enumerate(contents, start=1):
            if data is None:
                self.results[rel] = FileResult(None, [], digest)
                continue
            self.results[rel] = self.index_bytes(rel, data, digest)
            if progress is not None:
                progress(number, total, rel)
        self._project = None
        self.save_cache()
        result = self.collect()
        self._save_scan(key, result)
        return result

    def _scan_path(self) -> Path:
        return self.root / ".backcheck" / "cache" / f"scan-{CACHE_FORMAT}.pickle"

    def _load_scan(self, key: str) -> ScanResult | None:
        """A whole scan remembered for exactly these file contents and settings: the warm path."""
        try:
            with self._scan_path().open("rb") as handle:
                stored_key, findings, errors, files, lines = pickle.load(handle)
        except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError, AttributeError, ImportError):
            return None
        if stored_key != key:
            return None
        return ScanResult(findings, errors, self._project_from_cache, files, lines)

    def _project_from_cache(self) -> Project:
        for rel in self.discover():
            try:
                self.results[rel] = self.index_bytes(rel, (self.root / rel).read_bytes())
            except OSError:
                continue
        return self.project

    def _save_scan(self, key: str, result: ScanResult) -> None:
        if not self.use_cache:
            return
        try:
            path = self._scan_path()
            tmp = path.with_suffix(".tmp")
            with tmp.open("wb") as handle:
                pickle.dump((key, result.findings, result.errors, result.files_checked, result.lines_checked),
                            handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
        except OSError as exc:
            log.warning("cannot write the scan cache: %s", exc)

    def collect(self, only: set[str] | None = None) -> ScanResult:
        """Findings of every indexed file (or just `only`) after project rules and suppressions."""
        project = self.project
        findings: list[Finding] = []
        errors: list[FileError] = []
        lines = 0
        for rel, result in self.results.items():
            if result.error:
                errors.append(FileError(rel, result.error))
            if result.facts is not None:
                lines += result.facts.lines
            findings.extend(result.findings)
            for code, message in result.rule_errors:
                errors.append(FileError(rel, f"rule {code} failed here and was skipped: {message}"))
        for rule in self.rules.values():
            if not self.settings.selects(rule.code):
                continue
            try:
                findings.extend(rule.check_project(project))
            except Exception as exc:  # isolation: report the broken rule, keep the others
                log.exception("rule %s failed in its project pass", rule.code)
                errors.append(FileError(".", f"rule {rule.code} failed and was skipped: {type(exc).__name__}: {exc}"))
        kept = [f for f in findings if self._keeps(f, project) and (only is None or f.path in only)]
        kept.sort(key=Finding.sort_key)
        errors.sort(key=lambda e: e.path)
        return ScanResult(kept, errors, project, len(self.results), lines)

    def _keeps(self, finding: Finding, project: Project) -> bool:
        if not self.settings.selects(finding.code):
            return False
        facts = project.files.get(finding.path)
        if facts is None or not facts.suppressions:
            return True
        first = finding.first_line or finding.line
        for line in range(min(first, finding.line), finding.line + 1):
            codes = facts.suppressions.get(line)
            if codes and ("*" in codes or finding.code in codes):
                return False
        return True


def _rule_sources_digest() -> str:
    """Identity of the installed engine sources (names, sizes, mtimes), so caches follow code changes."""
    package = Path(__file__).parent
    parts = []
    for folder in (package / "rules", package / "index"):
        for entry in sorted(folder.rglob("*.py")):
            stat = entry.stat()
            parts.append(f"{entry.relative_to(package)}:{stat.st_size}:{stat.st_mtime_ns}")
    return hashlib.blake2b("|".join(parts).encode(), digest_size=8).hexdigest()


def check_paths(paths: list[Path], settings: Settings | None = None, root: Path | None = None,
                use_cache: bool = True) -> ScanResult:
    """Check files and folders; the root (for relative paths and config) is the first path's folder."""
    from backcheck import config

    first = paths[0].resolve()
    root = (root or (first if first.is_dir() else first.parent)).resolve()
    if settings is None:
        settings, _ = config.load(root)
    engine = Engine(root, settings, use_cache=use_cache)
    return engine.scan(paths)
