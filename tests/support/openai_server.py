"""A fake OpenAI-compatible chat completions server on 127.0.0.1, for tests that use the real SDK.

The openai SDK (3.x, on httpx2) cannot be mocked at the transport level, so tests point
`base_url` at this server instead: real HTTP, real retries, real timeouts. It binds port 0,
records every request, tracks how many requests are in flight, and answers from a script:

    with fake_openai_server() as server:
        server.script(Reply.rate_limited(retry_after=0.01), Reply.json({"tasks": []}))
        client = AsyncOpenAI(base_url=server.base_url, api_key="test", max_retries=1)

Scripted replies are used in order; when the script runs out, `server.default` answers (a reply,
or a function of the request body for answers that depend on what was asked). Completions follow
the OpenAI OpenAPI `CreateChatCompletionResponse` shape; errors follow its error object.
"""

from __future__ import annotations

import functools
import itertools
import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

CHAT_PATH = "/v1/chat/completions"
_ERROR_TYPES = {400: "invalid_request_error", 404: "not_found_error", 429: "rate_limit_error"}


@dataclass(frozen=True)
class Reply:
    """One scripted answer: a completion (status 200) or an error status with an error body."""

    status: int = 200
    content: str | None = None
    refusal: str | None = None
    finish_reason: str = "stop"
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    raw: bytes | None = None  # a body sent as it is (a broken proxy, a half-written response)

    @classmethod
    def json(cls, payload: Any, **kwargs: Any) -> Reply:
        """A completion whose message content is `payload` as JSON (structured output)."""
        return cls(content=json.dumps(payload), **kwargs)

    @classmethod
    def text(cls, content: str, **kwargs: Any) -> Reply:
        """A completion with arbitrary content, e.g. invalid JSON."""
        return cls(content=content, **kwargs)

    @classmethod
    def refused(cls, refusal: str = "I can't help with that.") -> Reply:
        return cls(refusal=refusal)

    @classmethod
    def slow(cls, delay: float, payload: Any = None) -> Reply:
        """A completion sent only after `delay` seconds, to trigger client timeouts."""
        return cls(content=json.dumps(payload), delay=delay)

    @classmethod
    def rate_limited(cls, retry_after: float = 0.01) -> Reply:
        """HTTP 429 with Retry-After in seconds (the SDK accepts fractions: fast tests)."""
        return cls(status=429, headers={"Retry-After": f"{retry_after:g}"})

    @classmethod
    def server_error(cls, status: int = 500) -> Reply:
        return cls(status=status)

    @classmethod
    def malformed(cls, body: bytes = b'{"id": "chatcmpl-1", "choices": [') -> Reply:
        """HTTP 200 with a body that is not JSON at all."""
        return cls(raw=body)


Responder = Reply | Callable[[dict[str, Any]], Reply]


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


def completion_body(reply: Reply, model: str, number: int) -> dict[str, Any]:
    """A chat.completion object as the OpenAI API returns it."""
    return {
        "id": f"chatcmpl-fake{number}",
        "object": "chat.completion",
        "created": int(time.time()),
        "model": model,
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": reply.content if reply.refusal is None else None,
                    "refusal": reply.refusal,
                    "annotations": [],
                },
                "logprobs": None,
                "finish_reason": reply.finish_reason,
            }
        ],
        "usage": {"prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120},
    }


def error_body(status: int, message: str) -> dict[str, Any]:
    """The OpenAI error object (`ErrorResponse`)."""
    kind = _ERROR_TYPES.get(status, "server_error" if status >= 500 else "invalid_request_error")
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


class FakeOpenAIServer:
    """The server's state: script, recorded requests, concurrency figures. Thread-safe."""

    def __init__(self) -> None:
        self.default: Responder = Reply.json({})
        self.requests: list[RecordedRequest] = []
        self.responses: list[dict[str, Any]] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._script: deque[Responder] = deque()
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._numbers = itertools.count(1)
        self._httpd: ThreadingHTTPServer | None = None

    @property
    def base_url(self) -> str:
        assert self._httpd is not None, "server not started"
        host, port = self._httpd.server_address[:2]
        return f"http://{host!s}:{port}/v1"

    @property
    def chat_requests(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == CHAT_PATH]

    def script(self, *replies: Responder) -> None:
        """Queue replies for the next requests, in order."""
        with self._lock:
            self._script.extend(replies)

    def start(self) -> None:
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self._httpd.daemon_threads = True
        serve = functools.partial(self._httpd.serve_forever, poll_interval=0.01)
        threading.Thread(target=serve, daemon=True).start()

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping on a delay
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()

    def _next_reply(self, body: Any) -> Reply:
        with self._lock:
            responder = self._script.popleft() if self._script else self.default
        return responder(body) if callable(responder) else responder

    def _enter(self, request: RecordedRequest) -> int:
        with self._lock:
            self.requests.append(request)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            return next(self._numbers)

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _record_response(self, body: dict[str, Any]) -> None:
        with self._lock:
            self.responses.append(body)


def _handler_for(server: FakeOpenAIServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
            pass

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length)
            body = json.loads(raw) if raw else None
            headers = {k.lower(): v for k, v in self.headers.items()}
            request = RecordedRequest("POST", self.path, headers, body)
            number = server._enter(request)
            try:
                self._answer(request, number)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (timeout): nothing to deliver
            finally:
                server._leave()

        def do_GET(self) -> None:
            self._send(404, error_body(404, f"no route {self.path}"))

        def _answer(self, request: RecordedRequest, number: int) -> None:
            if request.path != CHAT_PATH:
                self._send(404, error_body(404, f"no route {request.path}"))
                return
            reply = server._next_reply(request.body)
            if reply.delay and server._stopping.wait(reply.delay):
                return
            if reply.status != 200:
                self._send(reply.status, error_body(reply.status, "scripted error"), reply.headers)
                return
            if reply.raw is not None:
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply.raw)))
                self.end_headers()
                self.wfile.write(reply.raw)
                return
            model = str((request.body or {}).get("model", "unknown"))
            completion = completion_body(reply, model, number)
            server._record_response(completion)
            self._send(200, completion, reply.headers)

        def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("x-request-id", f"req_fake_{id(payload)}")
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(data)
            self.wfile.flush()

    return Handler


@contextmanager
def fake_openai_server() -> Iterator[FakeOpenAIServer]:
    """A started server, stopped on exit (use it directly or wrap it in a pytest fixture)."""
    server = FakeOpenAIServer()
    server.start()
    try:
        yield server
    finally:
        server.stop()
