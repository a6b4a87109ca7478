"""The agent's sandbox: paths confined to the workspace, secret files hidden, secrets redacted.

Every path a tool receives goes through :meth:`Sandbox.resolve`, which refuses absolute paths,
anything that resolves (symlinks included) outside the workspace, the ``.git`` and
``.backcheck`` directories, and files that usually hold credentials (``.env*``, private keys,
cloud and package-manager credential files). :func:`redact` masks secrets in any text before
it is stored in a note or a transcript.
"""

from __future__ import annotations

import fnmatch
import os
import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath


class SandboxError(Exception):
    """A tool asked for something the sandbox refuses; the message says why and what to do."""


#: File names (matched case-insensitively with fnmatch) that are never read, listed or sent.
SECRET_FILE_PATTERNS: tuple[str, ...] = (
    ".env",
    ".env.*",
    "*.env",
    ".envrc",
    "id_rsa*",
    "id_dsa*",
    "id_ecdsa*",
    "id_ed25519*",
    "*.pem",
    "*.key",
    "*.p12",
    "*.pfx",
    "*.jks",
    "*.keystore",
    "*.kdbx",
    ".netrc",
    "_netrc",
    ".pgpass",
    ".pypirc",
    ".npmrc",
    ".git-credentials",
    ".htpasswd",
    "credentials",
    "credentials.json",
    "credentials.*.json",
    "client_secret*.json",
    "service-account*.json",
    "secrets.toml",
    "secrets.yaml",
    "secrets.yml",
    "secrets.json",
    ".secrets*",
)

#: Directories whose whole content is private (credentials) or not the agent's business.
SECRET_DIRS: frozenset[str] = frozenset({".ssh", ".aws", ".gnupg", ".azure", ".kube", ".docker"})
PRIVATE_DIRS: frozenset[str] = frozenset({".git", ".backcheck", ".hg", ".svn"})

#: Directories skipped when listing or searching (noise, not secrets).
SKIPPED_DIRS: frozenset[str] = frozenset(
    {
        "__pycache__",
        "node_modules",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        "dist",
        "build",
        ".idea",
        ".vscode",
    }
)


def is_secret_name(name: str) -> bool:
    """True when a file name looks like a credential store or private key."""
    lowered = name.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern) for pattern in SECRET_FILE_PATTERNS)


def secret_reason(rel: PurePosixPath) -> str | None:
    """Say why a workspace-relative path is off limits, or None when it is fine."""
    for part in rel.parts[:-1]:
        if part.lower() in SECRET_DIRS:
            return f"{part}/ holds credentials"
        if part in PRIVATE_DIRS:
            return f"{part}/ is private to the tools that own it"
    if rel.parts:
        name = rel.parts[-1]
        if name in PRIVATE_DIRS or name.lower() in SECRET_DIRS:
            return f"{name}/ is off limits"
        if is_secret_name(name):
            return (
                f"{name} may hold secrets (environment files, keys and credentials are never read)"
            )
    return None


class Sandbox:
    """Resolves tool paths inside one workspace directory."""

    def __init__(self, root: Path) -> None:
        self.root = root.resolve()

    def resolve(self, path: str, *, for_write: bool = False) -> Path:
        """Return the absolute, symlink-resolved path for a workspace-relative ``path``.

        Raises SandboxError for absolute paths, escapes (``..`` or symlinks), and secret or
        private files.
        """
        if not isinstance(path, str) or not path.strip():
            raise SandboxError(
                "path is empty: give a path relative to the workspace, e.g. app/main.py"
            )
        raw = path.strip()
        if "\x00" in raw:
            raise SandboxError("path contains a NUL byte")
        if os.path.isabs(raw) or raw.startswith("~") or re.match(r"^[A-Za-z]:[\\/]", raw):
            raise SandboxError(
                f"absolute path {raw!r} refused: use a path relative to the workspace root"
            )
        candidate = self.root / raw
        resolved = candidate.resolve()
        try:
            rel = resolved.relative_to(self.root)
        except ValueError:
            raise SandboxError(
                f"{raw!r} points outside the workspace (after resolving '..' and symlinks): "
                "only files under the workspace can be used"
            ) from None
        reason = secret_reason(PurePosixPath(rel.as_posix()))
        # The name the agent used counts too: a harmless-looking link to a .env file is refused.
        named = secret_reason(PurePosixPath(Path(raw).as_posix()))
        if reason or named:
            raise SandboxError(f"{raw!r} refused: {reason or named}")
        if for_write and resolved.is_dir():
            raise SandboxError(f"{raw!r} is a directory; give a file path")
        return resolved

    def relative(self, path: Path) -> str:
        """The workspace-relative POSIX form of an absolute path inside the workspace."""
        return path.resolve().relative_to(self.root).as_posix()

    def walk_files(self, start: Path) -> Iterator[Path]:
        """Yield files under ``start`` (sorted), skipping secret, private and noise entries."""
        for dirpath, dirnames, filenames in os.walk(start, followlinks=False):
            here = Path(dirpath)
            kept = []
            for d in sorted(dirnames):
                lowered = d.lower()
                if d in PRIVATE_DIRS or lowered in SECRET_DIRS or d in SKIPPED_DIRS:
                    continue
                if d.endswith(".egg-info"):
                    continue
                kept.append(d)
            dirnames[:] = kept
            for name in sorted(filenames):
                if is_secret_name(name):
                    continue
                full = here / name
                # A symlink is listed only when it stays inside the workspace.
                if full.is_symlink():
                    try:
                        target = full.resolve()
                        target.relative_to(self.root)
                    except (OSError, ValueError):
                        continue
                    if secret_reason(PurePosixPath(target.relative_to(self.root).as_posix())):
                        continue
                yield full


# --- redaction ------------------------------------------------------------------------------

REDACTED = "[REDACTED]"

_TOKEN_PATTERNS: tuple[re.Pattern[str], ...] = (
    re.compile(r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    re.compile(r"\bsk-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
    re.compile(r"\bgh[pousr]_[A-Za-z0-9]{30,}\b"),
    re.compile(r"\bgithub_pat_[A-Za-z0-9_]{30,}\b"),
    re.compile(r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    re.compile(r"\bglpat-[A-Za-z0-9_\-]{20,}"),
    re.compile(r"\bAIza[0-9A-Za-z_\-]{35}\b"),
    re.compile(r"\beyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}"),
    re.compile(
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)",
        re.DOTALL,
    ),
)

_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=\-]{12,}")
_URL_CREDENTIALS = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^\s:/@]+):[^\s@/]+@")

# key = "value", key: value, KEY=value (env files), "key": "value" (JSON).
_SECRET_KEY = (
    r"[A-Za-z0-9_.\-]*(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|"
    r"access[_-]?key|private[_-]?key|client[_-]?secret|auth[_-]?key|credentials?)[A-Za-z0-9_.\-]*"
)
_ASSIGNMENT = re.compile(
    r"""(?ix)
    (?P<key>["']?"""
    + _SECRET_KEY
    + r"""["']?)
    (?P<sep>\s*(?::=|=|:)\s*)
    (?P<quote>["']?)
    (?P<value>[^\s"',;)}\]]{4,})
    (?P=quote)
    """
)

# Values in an assignment that are code, not secrets (e.g. token = request.headers["x"]).
_CODE_VALUE = re.compile(r"^(?:[A-Za-z_][A-Za-z0-9_]*[.(\[]|None$|True$|False$|null$|\$\{|<|os\.)")


def _mask_assignment(m: re.Match[str]) -> str:
    value = m.group("value")
    if not m.group("quote") and _CODE_VALUE.match(value):
        return m.group(0)
    if value == REDACTED:
        return m.group(0)
    return f"{m.group('key')}{m.group('sep')}{m.group('quote')}{REDACTED}{m.group('quote')}"


def redact(text: str, extra_secrets: tuple[str, ...] = (), *, assignments: bool = True) -> str:
    """Mask API keys, tokens, private keys and (unless ``assignments`` is False) secret-looking
    assignments such as ``password = "..."`` in ``text``.

    What the model reads keeps assignments (test fixtures are full of harmless passwords and
    exact text matters for edits); what is stored in notes and transcripts masks them too.
    """
    if not text:
        return text
    out = text
    for secret in extra_secrets:
        if secret and len(secret) >= 8:
            out = out.replace(secret, REDACTED)
    for pattern in _TOKEN_PATTERNS:
        out = pattern.sub(REDACTED, out)
    out = _BEARER.sub(lambda m: f"{m.group(1)} {REDACTED}", out)
    out = _URL_CREDENTIALS.sub(lambda m: f"{m.group(1)}:{REDACTED}@", out)
    if assignments:
        out = _ASSIGNMENT.sub(_mask_assignment, out)
    return out


def environment_secrets() -> tuple[str, ...]:
    """Values of environment variables that are credentials, so they can be masked verbatim."""
    names = ("ANTHROPIC_API_KEY", "ANTHROPIC_AUTH_TOKEN")
    found = [os.environ.get(n, "") for n in names]
    for name, value in os.environ.items():
        upper = name.upper()
        if any(word in upper for word in ("SECRET", "TOKEN", "PASSWORD", "API_KEY")) and value:
            found.append(value)
    return tuple(v for v in found if len(v) >= 8)


def scrubbed_env() -> dict[str, str]:
    """The environment for subprocesses the agent starts: no credentials, no outer pytest state."""
    env = {}
    for name, value in os.environ.items():
        upper = name.upper()
        if upper.startswith(("ANTHROPIC_", "PYTEST_", "AWS_", "GITHUB_TOKEN")):
            continue
        if any(word in upper for word in ("SECRET", "TOKEN", "PASSWORD", "API_KEY")):
            continue
        env[name] = value
    return env
