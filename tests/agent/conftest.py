"""Fixtures for the agent tests: the fake Messages API, a docs server, a workspace copy."""

from __future__ import annotations

import shutil
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from backcheck.agent.settings import AgentSettings
from fake_messages_api import FakeMessagesAPI

DATA = Path(__file__).parent / "data"
TEST_KEY = "sk-ant-test-0123456789abcdef"

DOCS_PAGE = """<!doctype html>
<html><head><title>Path Parameters - FastAPI</title><style>body{color:red}</style></head>
<body><nav>Home | Tutorial</nav>
<h1>Path Parameters</h1>
<p>Declare path parameters with the same syntax as Python format strings:
<code>@app.get("/items/{item_id}")</code>.</p>
<p>Annotate the parameter (<code>item_id: int</code>) and FastAPI validates and converts it.</p>
<h2>Order matters</h2><p>Declare a fixed path such as <code>/users/me</code> before
<code>/users/{user_id}</code>; path operations are evaluated in order.</p>
<script>trackVisitor()</script>
<h2>Errors</h2><ul><li>Raise HTTPException(status_code=404) for missing resources.</li></ul>
</body></html>"""


@dataclass
class DocsServer:
    """A local web server standing in for documentation sites (allow-listed in tests)."""

    pages: dict[str, tuple[int, str, bytes, dict[str, str]]] = field(default_factory=dict)
    server: ThreadingHTTPServer | None = None

    @property
    def host(self) -> str:
        assert self.server is not None
        return f"127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        """Absolute URL of ``path`` on this server."""
        return f"http://{self.host}{path}"

    def add(
        self,
        path: str,
        body: str | bytes,
        content_type: str = "text/html; charset=utf-8",
        status: int = 200,
        headers: dict[str, str] | None = None,
    ) -> str:
        """Serve ``body`` at ``path``; returns the page's URL."""
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = (status, content_type, data, headers or {})
        return self.url(path)


@pytest.fixture
def docs_server() -> Iterator[DocsServer]:
    """A docs site on 127.0.0.1 with one FastAPI-like page at /tutorial/path-params/."""
    docs = DocsServer()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            """Quiet."""

        def do_GET(self) -> None:
            status, ctype, data, headers = docs.pages.get(
                self.path, (404, "text/plain", b"not found", {})
            )
            self.send_response(status)
            self.send_header("content-type", ctype)
            self.send_header("content-length", str(len(data)))
            for key, value in headers.items():
                self.send_header(key, value)
            self.end_headers()
            self.wfile.write(data)

    docs.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    docs.server.daemon_threads = True
    thread = threading.Thread(target=docs.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    docs.add("/tutorial/path-params/", DOCS_PAGE)
    yield docs
    docs.server.shutdown()
    docs.server.server_close()


@pytest.fixture
def fake_api(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeMessagesAPI]:
    """The fake Messages API, with ANTHROPIC_API_KEY and ANTHROPIC_BASE_URL pointing at it."""
    with FakeMessagesAPI(api_key=TEST_KEY) as api:
        monkeypatch.setenv("ANTHROPIC_API_KEY", TEST_KEY)
        monkeypatch.setenv("ANTHROPIC_BASE_URL", api.base_url)
        monkeypatch.delenv("ANTHROPIC_AUTH_TOKEN", raising=False)
        yield api


def example_source() -> Path:
    """The small backend most agent tests work on (fast test suite)."""
    return DATA / "mini_api"


SHOP_API = Path(__file__).resolve().parents[2] / "examples" / "shop_api"


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", ".backcheck"))
    return target


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    """A fresh copy of tests/agent/data/mini_api."""
    return _copy(example_source(), tmp_path / "ws")


@pytest.fixture
def shop_workspace(tmp_path: Path) -> Path:
    """A fresh copy of the bundled example backend, examples/shop_api."""
    if not (SHOP_API / "app" / "main.py").is_file():
        pytest.skip("examples/shop_api is not in this checkout")
    return _copy(SHOP_API, tmp_path / "shop_api")


@pytest.fixture
def settings(docs_server: DocsServer) -> AgentSettings:
    """Fast settings for tests: the docs server allow-listed, few retries with short waits."""
    return AgentSettings(
        model="claude-sonnet-5-5",
        max_turns=30,
        max_retries=3,
        request_timeout=30.0,
        research_allow=(docs_server.host,),
        test_timeout=120.0,
        verify_attempts=2,
    )
