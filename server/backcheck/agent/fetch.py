"""The research fetcher behind the ``fetch_url`` tool.

Only http(s) URLs are fetched. The host is resolved first and every address it resolves to
must be public: loopback, private, link-local (cloud metadata at 169.254.169.254), multicast,
reserved and unspecified addresses are refused unless the host is listed in
``research_allow``. The connection is pinned to the checked address (TLS still verifies the
host name), so a second DNS answer cannot point it elsewhere. Redirects are followed by hand,
each hop checked again. Bodies are capped in size and time and converted to plain text.
"""

from __future__ import annotations

import asyncio
import contextlib
import fnmatch
import ipaddress
import socket
import time
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import httpx

MAX_REDIRECTS = 5
USER_AGENT = "backcheck-agent/0.1 (+research fetch; https://github.com/backcheck)"
_TEXT_TYPES = (
    "text/",
    "application/json",
    "application/xml",
    "application/xhtml+xml",
    "application/javascript",
    "application/x-yaml",
    "application/yaml",
    "application/toml",
    "application/problem+json",
)


class FetchError(Exception):
    """A URL was refused or could not be fetched; the message says which and why."""


@dataclass(frozen=True)
class FetchResult:
    """A fetched page as text."""

    url: str
    final_url: str
    status: int
    content_type: str
    title: str
    text: str
    truncated: bool


def host_allowed(host: str, port: int | None, allow: tuple[str, ...]) -> bool:
    """True when ``host`` (or ``host:port``) matches an entry of ``research_allow``."""
    host = host.lower().strip("[]")
    for entry in allow:
        entry = entry.strip().lower()
        if not entry:
            continue
        if entry.startswith("[") and "]" in entry:
            name, _, entry_port = entry[1:].partition("]")
            entry_port = entry_port.lstrip(":")
        elif entry.count(":") == 1:
            name, _, entry_port = entry.partition(":")
        else:
            name, entry_port = entry, ""
        if entry_port and port is not None and entry_port != str(port):
            continue
        if fnmatch.fnmatchcase(host, name):
            return True
    return False


def address_problem(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Say why an address must not be fetched from, or None when it is a public address."""
    if isinstance(ip, ipaddress.IPv6Address):
        mapped = ip.ipv4_mapped or ip.sixtofour
        if mapped is not None:
            return address_problem(mapped)
    if ip.is_unspecified:
        return "an unspecified address"
    if ip.is_loopback:
        return "a loopback address"
    if ip.is_link_local:
        return "a link-local address (cloud metadata lives there)"
    if ip.is_private:
        return "a private network address"
    if ip.is_multicast:
        return "a multicast address"
    if ip.is_reserved:
        return "a reserved address"
    if not ip.is_global:
        return "a non-public address"
    return None


async def _resolve(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise FetchError(f"cannot resolve {host!r}: {exc.strerror or exc}") from None
    seen: list[str] = []
    for info in infos:
        addr = str(info[4][0]).split("%")[0]
        if addr not in seen:
            seen.append(addr)
    return seen


async def _check_target(url: str, allow: tuple[str, ...]) -> tuple[httpx.URL, str | None]:
    """Validate ``url``; return it and the address to pin to (None when allow-listed)."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https"):
        raise FetchError(f"only http and https URLs can be fetched, not {scheme or 'no scheme'!r}")
    if not parts.hostname:
        raise FetchError(f"{url!r} has no host")
    if parts.username or parts.password:
        raise FetchError("URLs with credentials in them are refused")
    host = parts.hostname
    try:
        port = parts.port or (443 if scheme == "https" else 80)
    except ValueError:
        raise FetchError(f"{url!r} has an invalid port") from None
    parsed = httpx.URL(url)
    if host_allowed(host, port, allow):
        return parsed, None
    try:
        literal = ipaddress.ip_address(host)
        addresses = [str(literal)]
    except ValueError:
        addresses = await _resolve(host, port)
    if not addresses:
        raise FetchError(f"{host!r} did not resolve to any address")
    for addr in addresses:
        problem = address_problem(ipaddress.ip_address(addr))
        if problem:
            raise FetchError(
                f"refused {host}: it resolves to {addr}, {problem}. Research fetches go to public "
                "sites only; list the host in [tool.backcheck.agent] research_allow if it is a "
                "docs server you trust"
            )
    return parsed, addresses[0]


def _pinned_request(
    client: httpx.AsyncClient, url: httpx.URL, address: str | None
) -> httpx.Request:
    headers = {
        "user-agent": USER_AGENT,
        "accept": "text/html, text/plain, application/json;q=0.9, */*;q=0.5",
    }
    if address is None:
        return client.build_request("GET", url, headers=headers)
    host_header = url.host if url.port is None else f"{url.host}:{url.port}"
    headers["host"] = host_header
    extensions = {"sni_hostname": url.host} if url.scheme == "https" else {}
    pinned = url.copy_with(host=address)
    return client.build_request("GET", pinned, headers=headers, extensions=extensions)


async def fetch_text(
    url: str,
    *,
    allow: tuple[str, ...] = (),
    max_bytes: int = 2_000_000,
    timeout: float = 20.0,
    max_chars: int = 60_000,
) -> FetchResult:
    """Fetch ``url`` within the safety rules above and return its content as text."""
    try:
        return await asyncio.wait_for(
            _fetch(url, allow=allow, max_bytes=max_bytes, timeout=timeout, max_chars=max_chars),
            timeout=timeout,
        )
    except TimeoutError:
        raise FetchError(
            f"{url} took longer than {timeout:g} s; try a more specific page"
        ) from None


async def _fetch(
    url: str, *, allow: tuple[str, ...], max_bytes: int, timeout: float, max_chars: int
) -> FetchResult:
    deadline = time.monotonic() + timeout
    current = url
    async with httpx.AsyncClient(
        follow_redirects=False, trust_env=False, timeout=httpx.Timeout(timeout)
    ) as client:
        for _hop in range(MAX_REDIRECTS + 1):
            target, address = await _check_target(current, allow)
            request = _pinned_request(client, target, address)
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise FetchError(
                    f"could not fetch {current}: {type(exc).__name__}: {exc}"
                ) from None
            try:
                if response.is_redirect:
                    location = response.headers.get("location", "")
                    if not location:
                        raise FetchError(f"{current} redirected without a location")
                    current = urljoin(current, location)
                    continue
                body, truncated = await _read_capped(response, max_bytes, deadline)
                content_type = (
                    response.headers.get("content-type", "").split(";")[0].strip().lower()
                )
                status = response.status_code
                encoding = response.charset_encoding or "utf-8"
            finally:
                await response.aclose()
            if content_type and not content_type.startswith(_TEXT_TYPES):
                raise FetchError(
                    f"{current} is {content_type}, not text; fetch an HTML or text page"
                )
            decoded = body.decode(encoding, errors="replace")
            if content_type in ("text/html", "application/xhtml+xml") or (
                not content_type
                and decoded.lstrip()[:15].lower().startswith(("<!doctype", "<html"))
            ):
                title, text = html_to_text(decoded)
            else:
                title, text = "", decoded
            if len(text) > max_chars:
                text, truncated = text[:max_chars], True
            if status >= 400:
                raise FetchError(f"{current} answered HTTP {status}: {text[:200].strip()}")
            return FetchResult(url, current, status, content_type, title, text, truncated)
    raise FetchError(f"{url} redirected more than {MAX_REDIRECTS} times")


async def _read_capped(
    response: httpx.Response, max_bytes: int, deadline: float
) -> tuple[bytes, bool]:
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= max_bytes:
            return b"".join(chunks)[:max_bytes], True
        if time.monotonic() > deadline:
            return b"".join(chunks), True
    return b"".join(chunks), False


# --- HTML to text ------------------------------------------------------------------------------

_SKIP_TAGS = {
    "script",
    "style",
    "noscript",
    "svg",
    "template",
    "iframe",
    "canvas",
    "form",
    "button",
}
_BLOCK_TAGS = {
    "p",
    "div",
    "section",
    "article",
    "main",
    "header",
    "footer",
    "aside",
    "nav",
    "ul",
    "ol",
    "li",
    "table",
    "tr",
    "br",
    "hr",
    "blockquote",
    "dl",
    "dt",
    "dd",
    "figure",
    "figcaption",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "pre",
}


class _TextExtractor(HTMLParser):
    """Collects readable text: headings marked with #, list items with -, code kept verbatim."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title = ""
        self._skip = 0
        self._pre = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIP_TAGS:
            self._skip += 1
            return
        if tag == "title":
            self._in_title = True
        if tag == "pre":
            self._pre += 1
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")
        if len(tag) == 2 and tag[0] == "h" and tag[1].isdigit():
            self.parts.append("#" * int(tag[1]) + " ")
        elif tag == "li":
            self.parts.append("- ")
        elif tag in ("td", "th"):
            self.parts.append(" | ")

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIP_TAGS:
            self._skip = max(0, self._skip - 1)
            return
        if tag == "title":
            self._in_title = False
        if tag == "pre":
            self._pre = max(0, self._pre - 1)
        if tag in _BLOCK_TAGS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        if self._in_title:
            self.title += data
            return
        if self._pre:
            self.parts.append(data)
        else:
            collapsed = " ".join(data.split())
            if collapsed:
                if data[:1].isspace():
                    collapsed = " " + collapsed
                if data[-1:].isspace():
                    collapsed += " "
                self.parts.append(collapsed)


def html_to_text(html: str) -> tuple[str, str]:
    """Return (title, readable text) of an HTML document."""
    parser = _TextExtractor()
    # html.parser is lenient; whatever it raises on broken markup, the text so far is kept.
    with contextlib.suppress(Exception):
        parser.feed(html)
        parser.close()
    lines = [line.rstrip() for line in "".join(parser.parts).splitlines()]
    out: list[str] = []
    blank = False
    for line in lines:
        if not line.strip():
            if not blank and out:
                out.append("")
            blank = True
            continue
        out.append(line)
        blank = False
    return " ".join(parser.title.split()), "\n".join(out).strip()
