"""A real HTTP server on 127.0.0.1 in a thread, serving a fake provider, with faults injected on chosen calls."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Protocol
from urllib.parse import parse_qsl, unquote, urlsplit

FAULTS = ("drop", "drop_after", "server_error", "denied", "rate_limited", "retry_after")


@dataclass
class Request:
    method: str
    path: str  # still percent-encoded: GitLab puts "group%2Fproject" in one segment
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body or b"{}")


@dataclass
class Response:
    status: int
    body: Any = None  # JSON-able, or bytes sent as they are
    headers: dict[str, str] = field(default_factory=dict)


class Provider(Protocol):
    def handle(self, request: Request) -> Response: ...
    def denied(self, request: Request) -> Response: ...
    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response: ...


@dataclass
class Fault:
    """What goes wrong on the nth request matching method and path (a regex searched in the path)."""

    kind: str
    method: str | None = None
    path: str | None = None
    nth: int = 1
    reset_in: int = 0
    seen: int = 0

    def hits(self, request: Request) -> bool:
        if self.method and request.method != self.method:
            return False
        if self.path and not re.search(self.path, unquote(request.path)):
            return False
        self.seen += 1
        return self.seen == self.nth


class Route:
    """A method and a path pattern, its groups handed to the handler percent-decoded."""

    def __init__(self, method: str, pattern: str, handler: Callable[..., Response]) -> None:
        self.method, self.pattern, self.handler = method, re.compile(pattern + "$"), handler

    def match(self, request: Request) -> Response | None:
        found = self.pattern.match(request.path)
        if request.method != self.method or not found:
            return None
        return self.handler(request, *(unquote(group) for group in found.groups()))


def route(routes: list[Route], request: Request) -> Response:
    for candidate in routes:
        answer = candidate.match(request)
        if answer is not None:
            return answer
    return Response(404, {"message": "Not Found"})


class FakeServer:
    """Serve a provider; record each call; inject faults."""

    def __init__(self, provider: Provider) -> None:
        self.provider = provider
        self.calls: list[tuple[str, str]] = []
        self.faults: list[Fault] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler_for(self))
        self.httpd.daemon_threads = True
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://{host!s}:{port}"

    def fail(self, kind: str, *, method: str | None = None, path: str | None = None, nth: int = 1, **kw: int) -> Fault:
        assert kind in FAULTS, kind
        fault = Fault(kind, method=method, path=path, nth=nth, **kw)
        self.faults.append(fault)
        return fault

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()

    def serve(self, request: Request) -> Response | None:
        """The answer, or None to drop the connection unanswered."""
        with self.lock:
            self.calls.append((request.method, unquote(request.path)))
            fault = next((f for f in self.faults if f.hits(request)), None)
            if fault is not None:
                self.faults.remove(fault)
                return self._fault(fault, request)
            return self.provider.handle(request)

    def _fault(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind == "drop_after":
            self.provider.handle(request)  # the change is made; the answer is lost
            return None
        if fault.kind == "drop":
            return None
        if fault.kind == "server_error":
            return Response(502, {"message": "Server Error"})
        if fault.kind == "denied":
            return self.provider.denied(request)
        return self.provider.rate_limited(request, fault.reset_in, retry_after=fault.kind == "retry_after")


def _handler_for(server: FakeServer) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            request = Request(
                method=self.command,
                path=parts.path,
                query=dict(parse_qsl(parts.query)),
                headers={k.lower(): v for k, v in self.headers.items()},
                body=self.rfile.read(length) if length else b"",
            )
            answer = server.serve(request)
            if answer is None:
                self.close_connection = True
                return
            raw = answer.body if isinstance(answer.body, bytes) else json.dumps(answer.body).encode()
            self.send_response(answer.status)
            kind = "text/plain" if isinstance(answer.body, bytes) else "application/json; charset=utf-8"
            for name, value in {"Content-Type": kind, **answer.headers}.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(raw)))
            self.end_headers()
            self.wfile.write(raw)

        do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = _serve

        def log_message(self, format: str, *args: Any) -> None:
            """Keep test output quiet."""

    return Handler
