"""Fixtures for end-to-end tests in real editors.

code-server: a real VS Code served on 127.0.0.1 with the packaged backcheck .vsix installed, driven by
headless Chromium through Playwright. `scripts/setup_e2e.sh` (run by `make test`) installs all of it;
without it these tests skip and say what to run.
"""

from __future__ import annotations

import glob
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).parent / "fixtures"
EXAMPLE = ROOT / "examples" / "shop_api"
E2E_CACHE = Path(
    os.environ.get("BACKCHECK_E2E_CACHE")
    or Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "backcheck-e2e"
)
CHROMIUM = os.environ.get("BACKCHECK_E2E_CHROMIUM", "/usr/bin/chromium")
SETUP_HINT = "run scripts/setup_e2e.sh (or `make e2e-setup`) to install it"

# Fixture workspaces are data for the editors, not tests for this suite.
collect_ignore_glob = ["fixtures/*"]


def _code_server_binary() -> Path | None:
    """code-server from $BACKCHECK_CODE_SERVER, else the newest one setup_e2e.sh cached."""
    if explicit := os.environ.get("BACKCHECK_CODE_SERVER"):
        return Path(explicit)
    installs = sorted(glob.glob(str(E2E_CACHE / "code-server-*" / ".complete")))
    if not installs:
        return None
    return Path(installs[-1]).parent / "node_modules" / ".bin" / "code-server"


def _vsix() -> Path | None:
    found = sorted((ROOT / "extension").glob("*.vsix"), key=lambda p: p.stat().st_mtime)
    return found[-1] if found else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def vscode_prerequisites() -> tuple[Path, Path]:
    """(code-server, vsix), or a skip naming the missing piece and how to install it."""
    code_server = _code_server_binary()
    if code_server is None or not code_server.exists():
        pytest.skip(f"code-server is not installed; {SETUP_HINT}")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"Chromium is not at {CHROMIUM}; {SETUP_HINT}")
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        pytest.skip(f"the Python playwright package is not installed; {SETUP_HINT}")
    vsix = _vsix()
    if vsix is None:
        pytest.skip(f"extension/*.vsix is not built; {SETUP_HINT} or `make vsix`")
    return code_server, vsix


@dataclass
class CodeServer:
    """A running code-server: its URL, the workspace it serves and where it keeps its logs."""

    url: str
    workspace: Path
    user_data: Path
    process: subprocess.Popen

    def folder_url(self) -> str:
        return f"{self.url}/?folder={self.workspace}"

    def logs(self, limit: int = 6000) -> str:
        """The tail of the backcheck output channel and the extension host log, for failure messages."""
        parts = []
        for pattern in ("**/*backcheck*.log", "**/remoteexthost.log"):
            for path in sorted(self.user_data.glob(f"logs/{pattern}")):
                text = path.read_text("utf-8", errors="replace")
                parts.append(f"--- {path.name} ---\n{text[-limit:]}")
        return "\n".join(parts) or "(no logs written)"


def _stop_group(proc: subprocess.Popen) -> None:
    """Ends code-server and everything it started (extension hosts, the language server)."""
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        pass
    except ProcessLookupError:
        return
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout=5)


def start_code_server(tmp: Path, workspace_src: Path, settings: dict) -> CodeServer:
    """Copies the workspace, installs the .vsix into a fresh profile and serves it on 127.0.0.1."""
    code_server, vsix = vscode_prerequisites()
    workspace = tmp / "ws"
    shutil.copytree(
        workspace_src,
        workspace,
        ignore=shutil.ignore_patterns(".backcheck", ".ruff_cache", "__pycache__"),
    )
    user_data, extensions, home = tmp / "user-data", tmp / "extensions", tmp / "xdg"
    (user_data / "User").mkdir(parents=True)
    (user_data / "User" / "settings.json").write_text(json.dumps(settings, indent=2))
    env = {
        **os.environ,
        # Keep code-server's own config and caches out of the user's home.
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
    }
    dirs = ["--user-data-dir", str(user_data), "--extensions-dir", str(extensions)]
    installed = subprocess.run(
        [str(code_server), *dirs, "--install-extension", str(vsix)],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if installed.returncode != 0:
        raise RuntimeError(
            f"installing {vsix.name} failed:\n{installed.stdout}\n{installed.stderr}"
        )
    port = _free_port()
    with open(tmp / "code-server.log", "wb") as log_file:
        proc = subprocess.Popen(
            [
                str(code_server),
                *dirs,
                "--bind-addr",
                f"127.0.0.1:{port}",
                "--auth",
                "none",
                "--disable-telemetry",
                "--disable-update-check",
                "--disable-workspace-trust",
                "--disable-getting-started-override",
                "--disable-proxy",
                str(workspace),
            ],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=log_file,
            start_new_session=True,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=1):
                break
        except OSError:
            if proc.poll() is not None or time.monotonic() > deadline:
                _stop_group(proc)
                log = (tmp / "code-server.log").read_text(errors="replace")
                raise RuntimeError(
                    f"code-server did not come up on {url}:\n{log[-3000:]}"
                ) from None
            time.sleep(0.1)
    return CodeServer(url=url, workspace=workspace, user_data=user_data, process=proc)


def vscode_settings(**extra: object) -> dict:
    """User settings for a quiet, offline, deterministic VS Code profile."""
    return {
        "workbench.startupEditor": "none",
        "security.workspace.trust.enabled": False,
        "extensions.autoUpdate": False,
        "extensions.autoCheckUpdates": False,
        "extensions.ignoreRecommendations": True,
        "telemetry.telemetryLevel": "off",
        "update.mode": "none",
        "chat.disableAIFeatures": True,
        "workbench.tips.enabled": False,
        "workbench.enableExperiments": False,
        "git.enabled": False,
        "files.autoSave": "off",
        "files.exclude": {"**/.backcheck": True, "**/__pycache__": True},
        **extra,
    }


def backcheck_server_path() -> str:
    """What `backcheck.path` points at: $BACKCHECK_E2E_SERVER, else this interpreter (`python -m backcheck`)."""
    return os.environ.get("BACKCHECK_E2E_SERVER") or sys.executable


def require_backcheck_server() -> None:
    """Skips while the language server module that `backcheck serve` imports is not written yet."""
    if os.environ.get("BACKCHECK_E2E_SERVER"):
        return
    import importlib.util

    if importlib.util.find_spec("backcheck.lsp.server") is None:
        pytest.skip("`backcheck serve` is not available yet: backcheck.lsp.server does not exist")


@pytest.fixture(scope="module")
def code_server(tmp_path_factory: pytest.TempPathFactory):
    """code-server with backcheck installed, serving a copy of the example backend (or the fixture)."""
    vscode_prerequisites()
    require_backcheck_server()
    tmp = tmp_path_factory.mktemp("code-server")
    server = start_code_server(
        tmp,
        EXAMPLE if EXAMPLE.is_dir() else FIXTURES / "vscode_ws",
        vscode_settings(
            **{
                "backcheck.path": backcheck_server_path(),
                # The protocol trace lands in the backcheck log that failure messages include.
                "backcheck.trace.server": os.environ.get("BACKCHECK_E2E_TRACE", "messages"),
            }
        ),
    )
    yield server
    _stop_group(server.process)


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium driven by Playwright (no browser download)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        chromium = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--no-first-run",
            ],
        )
        yield chromium
        chromium.close()
