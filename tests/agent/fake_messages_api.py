"""A local stand-in for the Anthropic Messages API, scripted per test.

It listens on 127.0.0.1 (a stdlib ``ThreadingHTTPServer`` in a daemon thread) and answers
``POST /v1/messages`` the way the real service does, closely enough for the real ``anthropic``
SDK: JSON bodies for plain requests and Server-Sent Events for ``"stream": true``
(``message_start``, ``content_block_start``/``delta``/``stop`` for text and ``tool_use`` with
``input_json_delta`` chunks, ``message_delta`` with usage, ``message_stop``).

A test queues *turns*; each request consumes one:

- :class:`Reply`: an assistant message (text and tool calls), streamed or not, as asked;
- :class:`Fail`: an HTTP error such as 429 or 529 with ``retry-after``/``retry-after-ms``;
- :class:`BreakStream`: a stream that starts normally and then sends an ``error`` event;
- any callable taking the request body and returning one of the above, for replies that depend
  on what the client sent.

Every request is recorded (headers and JSON body) so tests can assert what the SDK sent.
"""

from __future__ import annotations

import itertools
import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self

_ids = itertools.count(1)


def text(value: str) -> dict[str, Any]:
    """A text content block for a :class:`Reply`."""
    return {"type": "text", "text": value}


def tool(name: str, tool_input: dict[str, Any], tool_id: str | None = None) -> dict[str, Any]:
    """A tool_use content block for a :class:`Reply`; ids are generated when not given."""
    return {
        "type": "tool_use",
        "id": tool_id or f"toolu_fake{next(_ids):04d}",
        "name": name,
        "input": tool_input,
    }


@dataclass
class Reply:
    """One assistant message; ``stop_reason`` defaults to tool_use when a tool is called."""

    content: list[dict[str, Any]]
    stop_reason: str | None = None
    input_tokens: int = 1200
    output_tokens: int = 80
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    def final_stop_reason(self) -> str:
        """The stop reason sent to the client."""
        if self.stop_reason:
            return self.stop_reason
        has_tool = any(b["type"] == "tool_use" for b in self.content)
        return "tool_use" if has_tool else "end_turn"


@dataclass
class Fail:
    """An HTTP error response in the API's error shape."""

    status: int
    error_type: str = "rate_limit_error"
    message: str = "Number of requests has exceeded your rate limit."
    retry_after: str | None = None
    retry_after_ms: str | None = "5"
    should_retry: str | None = None


@dataclass
class BreakStream:
    """A streamed reply that sends ``error`` after its first text delta instead of finishing."""

    partial_text: str = "Let me look"
    error_type: str = "overloaded_error"
    message: str = "Overloaded"


Turn = Reply | Fail | BreakStream
Script = Turn | Callable[[dict[str, Any]], Turn]


@dataclass
class Recorded:
    """One request as the server received it."""

    path: str
    headers: dict[str, str]
    body: dict[str, Any]
    answered_with: str = ""


@dataclass
class FakeMessagesAPI:
    """The scripted server; use as a context manager, then point the SDK at :attr:`base_url`."""

    model: str = "claude-sonnet-5-5"
    api_key: str | None = None
    chunk_size: int = 7
    requests: list[Recorded] = field(default_factory=list)
    _turns: deque[Script] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _server: ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    # --- scripting -------------------------------------------------------------------------

    def queue(self, *turns: Script) -> FakeMessagesAPI:
        """Append turns; each incoming request consumes the oldest one."""
        with self._lock:
            self._turns.extend(turns)
        return self

    @property
    def remaining(self) -> int:
        """How many queued turns have not been consumed."""
        with self._lock:
            return len(self._turns)

    def _next_turn(self, body: dict[str, Any]) -> Turn | None:
        with self._lock:
            if not self._turns:
                return None
            turn = self._turns.popleft()
        return turn(body) if callable(turn) else turn

    # --- lifecycle -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``http://127.0.0.1:<port>``, the value for ``ANTHROPIC_BASE_URL``."""
        assert self._server is not None, "start the server first"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> FakeMessagesAPI:
        """Bind an ephemeral port on 127.0.0.1 and serve in a daemon thread."""
        api = self

        class Handler(_Handler):
            owner = api

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=self._server.serve_forever, args=(0.05,), daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Shut the server down and close its socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _error_body(error_type: str, message: str) -> dict[str, Any]:
    return {"type": "error", "error": {"type": error_type, "message": message}}


def _check_tool_pairing(body: dict[str, Any]) -> str | None:
    """Return a message when a tool_use is not answered by a tool_result in the next user turn."""
    messages = body.get("messages") or []
    for i, msg in enumerate(messages):
        if msg.get("role") != "assistant" or not isinstance(msg.get("content"), list):
            continue
        ids = [b.get("id") for b in msg["content"] if b.get("type") == "tool_use"]
        if not ids:
            continue
        if i + 1 >= len(messages):
            return "the conversation ends with an assistant tool_use"
        nxt = messages[i + 1]
        content = nxt.get("content") if isinstance(nxt.get("content"), list) else []
        answered = {b.get("tool_use_id") for b in content if b.get("type") == "tool_result"}
        missing = [x for x in ids if x not in answered]
        if missing:
            return f"tool_use ids without a tool_result immediately after: {missing}"
    return None


class _Handler(BaseHTTPRequestHandler):
    owner: FakeMessagesAPI
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""

    # --- plumbing ---------------------------------------------------------------------------

    def _send_json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.send_header("request-id", f"req_fake{next(_ids):04d}")
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _event(self, name: str, payload: dict[str, Any]) -> None:
        self._chunk(f"event: {name}\ndata: {json.dumps(payload)}\n\n".encode())

    # --- request handling --------------------------------------------------------------------

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length") or 0)
        raw = self.rfile.read(length) if length else b""
        try:
            body = json.loads(raw or b"{}")
        except json.JSONDecodeError:
            self._send_json(400, _error_body("invalid_request_error", "body is not JSON"))
            return
        record = Recorded(self.path, {k.lower(): v for k, v in self.headers.items()}, body)
        self.owner.requests.append(record)

        if self.path.split("?")[0] != "/v1/messages":
            record.answered_with = "404"
            self._send_json(404, _error_body("not_found_error", f"no route {self.path}"))
            return
        problem = self._validate(record)
        if problem is not None:
            status, error_type, message = problem
            record.answered_with = str(status)
            self._send_json(status, _error_body(error_type, message), {"x-should-retry": "false"})
            return

        turn = self.owner._next_turn(body)
        if turn is None:
            record.answered_with = "500-empty"
            self._send_json(
                500,
                _error_body("api_error", "fake server: no scripted turn left"),
                {"x-should-retry": "false"},
            )
            return
        if isinstance(turn, Fail):
            record.answered_with = str(turn.status)
            headers = {}
            if turn.retry_after is not None:
                headers["retry-after"] = turn.retry_after
            if turn.retry_after_ms is not None:
                headers["retry-after-ms"] = turn.retry_after_ms
            if turn.should_retry is not None:
                headers["x-should-retry"] = turn.should_retry
            self._send_json(turn.status, _error_body(turn.error_type, turn.message), headers)
            return
        if body.get("stream"):
            record.answered_with = "stream"
            self._stream(turn)
        elif isinstance(turn, BreakStream):
            record.answered_with = "500"
            self._send_json(500, _error_body(turn.error_type, turn.message))
        else:
            record.answered_with = "json"
            self._send_json(200, self._message(turn))

    def _validate(self, record: Recorded) -> tuple[int, str, str] | None:
        headers, body = record.headers, record.body
        auth = headers.get("authorization", "")
        key = auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else ""
        key = key or headers.get("x-api-key", "")
        if not key:
            return 401, "authentication_error", "missing credentials"
        if self.owner.api_key is not None and key != self.owner.api_key:
            return 401, "authentication_error", "invalid x-api-key"
        for name in ("model", "max_tokens", "messages"):
            if name not in body:
                return 400, "invalid_request_error", f"{name}: Field required"
        pairing = _check_tool_pairing(body)
        if pairing:
            return 400, "invalid_request_error", pairing
        return None

    def _message(self, reply: Reply) -> dict[str, Any]:
        return {
            "id": f"msg_fake{next(_ids):04d}",
            "type": "message",
            "role": "assistant",
            "model": self.owner.model,
            "content": reply.content,
            "stop_reason": reply.final_stop_reason(),
            "stop_sequence": None,
            "usage": {
                "input_tokens": reply.input_tokens,
                "output_tokens": reply.output_tokens,
                "cache_creation_input_tokens": reply.cache_creation_input_tokens,
                "cache_read_input_tokens": reply.cache_read_input_tokens,
            },
        }

    def _stream(self, turn: Reply | BreakStream) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream; charset=utf-8")
        self.send_header("cache-control", "no-cache")
        self.send_header("transfer-encoding", "chunked")
        self.send_header("request-id", f"req_fake{next(_ids):04d}")
        self.end_headers()
        reply = turn if isinstance(turn, Reply) else Reply([text(turn.partial_text)])
        start = self._message(reply)
        start.update(content=[], stop_reason=None)
        start["usage"] = dict(start["usage"], output_tokens=1)
        self._event("message_start", {"type": "message_start", "message": start})
        self._event("ping", {"type": "ping"})
        for index, block in enumerate(reply.content):
            self._stream_block(index, block)
            if isinstance(turn, BreakStream):
                self._event("error", _error_body(turn.error_type, turn.message))
                self._chunk(b"")
                return
        self._event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": reply.final_stop_reason(), "stop_sequence": None},
                "usage": {"output_tokens": reply.output_tokens},
            },
        )
        self._event("message_stop", {"type": "message_stop"})
        self._chunk(b"")

    def _stream_block(self, index: int, block: dict[str, Any]) -> None:
        size = self.owner.chunk_size
        if block["type"] == "text":
            self._event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": text("")},
            )
            value = block["text"]
            for i in range(0, len(value), size):
                delta = {"type": "text_delta", "text": value[i : i + size]}
                self._event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
        elif block["type"] == "tool_use":
            started = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            self._event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": started},
            )
            encoded = json.dumps(block["input"])
            for i in range(0, len(encoded), size):
                delta = {"type": "input_json_delta", "partial_json": encoded[i : i + size]}
                self._event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
        else:
            raise ValueError(f"fake server cannot stream a {block['type']!r} block")
        self._event("content_block_stop", {"type": "content_block_stop", "index": index})
