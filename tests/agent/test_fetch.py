"""The research fetcher: public http(s) only unless allow-listed, capped, converted to text."""

from __future__ import annotations

import ipaddress
import threading
from collections.abc import Iterator

import httpx
import pytest
from backcheck.agent.fetch import (
    FetchError,
    _pinned_request,
    address_problem,
    fetch_text,
    host_allowed,
    html_to_text,
)
from conftest import DOCS_PAGE, DocsServer


async def test_allow_listed_page_comes_back_as_text(docs_server: DocsServer) -> None:
    url = docs_server.url("/tutorial/path-params/")
    result = await fetch_text(url, allow=(docs_server.host,))
    assert result.status == 200
    assert result.title == "Path Parameters - FastAPI"
    assert "# Path Parameters" in result.text
    assert '@app.get("/items/{item_id}")' in result.text
    assert "- Raise HTTPException(status_code=404) for missing resources." in result.text
    assert "trackVisitor" not in result.text and "color:red" not in result.text


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://127.0.0.1:{port}/tutorial/path-params/", "a loopback address"),
        ("http://localhost:{port}/tutorial/path-params/", "a loopback address"),
        ("http://[::1]:{port}/", "a loopback address"),
        ("http://[::ffff:127.0.0.1]:{port}/", "a loopback address"),
        ("http://169.254.169.254/latest/meta-data/", "link-local"),
        ("http://10.1.2.3/", "private network"),
        ("http://192.168.0.10:8080/", "private network"),
        ("http://0.0.0.0:{port}/", "unspecified"),
        ("ftp://example.org/file", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("https://user:pw@example.org/", "credentials"),
        ("http:///nohost", "has no host"),
    ],
)
async def test_non_public_targets_are_refused(
    docs_server: DocsServer, url: str, words: str
) -> None:
    port = docs_server.host.split(":")[1]
    with pytest.raises(FetchError, match=words):
        await fetch_text(url.format(port=port), allow=())


async def test_allow_entry_is_host_and_port_specific(docs_server: DocsServer) -> None:
    port = int(docs_server.host.split(":")[1])
    with pytest.raises(FetchError, match="loopback"):
        await fetch_text(f"http://127.0.0.1:{port}/tutorial/path-params/", allow=("127.0.0.1:1",))
    ok = await fetch_text(f"http://127.0.0.1:{port}/tutorial/path-params/", allow=("127.0.0.1",))
    assert ok.status == 200


async def test_redirects_are_checked_at_every_hop(docs_server: DocsServer) -> None:
    docs_server.add("/go-meta", b"", status=302, headers={"location": "http://169.254.169.254/"})
    docs_server.add("/moved", b"", status=301, headers={"location": "/tutorial/path-params/"})
    allow = (docs_server.host,)
    with pytest.raises(FetchError, match="link-local"):
        await fetch_text(docs_server.url("/go-meta"), allow=allow)
    moved = await fetch_text(docs_server.url("/moved"), allow=allow)
    assert moved.final_url.endswith("/tutorial/path-params/") and moved.title


async def test_size_type_and_status_caps(docs_server: DocsServer) -> None:
    allow = (docs_server.host,)
    big = docs_server.add("/big.txt", "x" * 50_000, content_type="text/plain")
    capped = await fetch_text(big, allow=allow, max_bytes=1000)
    assert capped.truncated and len(capped.text) == 1000
    image = docs_server.add("/logo.png", b"\x89PNG\r\n", content_type="image/png")
    with pytest.raises(FetchError, match="image/png, not text"):
        await fetch_text(image, allow=allow)
    with pytest.raises(FetchError, match="HTTP 404"):
        await fetch_text(docs_server.url("/missing"), allow=allow)
    data = docs_server.add("/api.json", '{"a": 1}', content_type="application/json")
    assert (await fetch_text(data, allow=allow)).text == '{"a": 1}'


@pytest.fixture
def stalled_server() -> Iterator[tuple[str, threading.Event]]:
    """A server that accepts the connection and answers only when released."""
    import socket

    release = threading.Event()
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def serve() -> None:
        conn, _ = listener.accept()
        release.wait(10)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield f"127.0.0.1:{listener.getsockname()[1]}", release
    release.set()
    thread.join(5)
    listener.close()


async def test_time_cap(stalled_server: tuple[str, threading.Event]) -> None:
    host, release = stalled_server
    with pytest.raises(FetchError, match="took longer than 0.2 s"):
        await fetch_text(f"http://{host}/slow", allow=(host,), timeout=0.2)
    release.set()


@pytest.mark.parametrize(
    ("address", "problem"),
    [
        ("8.8.8.8", None),
        ("2606:4700:4700::1111", None),
        ("127.0.0.53", "loopback"),
        ("fe80::1", "link-local"),
        ("172.16.5.4", "private"),
        ("fd00::1", "private"),
        ("224.0.0.1", "multicast"),
        ("100.64.0.1", "non-public"),
    ],
)
def test_address_problem(address: str, problem: str | None) -> None:
    found = address_problem(ipaddress.ip_address(address))
    assert (found is None) if problem is None else (problem in found)


def test_host_allowed_patterns() -> None:
    assert host_allowed("docs.internal", 443, ("docs.internal",))
    assert host_allowed("a.docs.internal", 80, ("*.docs.internal",))
    assert not host_allowed("docs.internal.evil.com", 80, ("docs.internal",))
    assert host_allowed("127.0.0.1", 8000, ("127.0.0.1:8000",))
    assert not host_allowed("127.0.0.1", 8001, ("127.0.0.1:8000",))
    assert host_allowed("::1", 8000, ("[::1]:8000",))


def test_connection_is_pinned_to_the_checked_address() -> None:
    client = httpx.AsyncClient()
    request = _pinned_request(
        client, httpx.URL("https://docs.example.org/page?q=1"), "93.184.216.34"
    )
    assert request.url.host == "93.184.216.34"
    assert request.url.path == "/page" and request.url.query == b"q=1"
    assert request.headers["host"] == "docs.example.org"
    assert request.extensions["sni_hostname"] == "docs.example.org"


def test_html_to_text_keeps_structure() -> None:
    title, body = html_to_text(DOCS_PAGE)
    assert title == "Path Parameters - FastAPI"
    assert body.splitlines()[0] == "Home | Tutorial"
    assert "## Errors" in body
    _, pre = html_to_text("<pre>def f():\n    return 1</pre><p>a   b</p>")
    assert "def f():\n    return 1" in pre and "a b" in pre
