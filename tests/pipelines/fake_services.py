"""Local HTTP fakes of what the steps' scripts call: the portal's delivery endpoints and Argo CD's applications API.

Answers follow the documented shapes: the portal's canary judgement {"outcome", "score", "reasons"} and gate
evaluation {"outcome", "gates"}, errors as {"error": {"code", "message", "fields"}}; Argo CD's
GET /api/v1/applications/{name} returning an Application whose status has sync.status, sync.revision,
health.status and operationState.phase/message.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeServer:
    """Answers queued per path (the last one repeats); records every request."""

    answers: dict[str, list[tuple[int, Any]]] = field(default_factory=dict)
    requests: list[Recorded] = field(default_factory=list)
    url: str = ""

    def answer(self, path: str, *replies: tuple[int, Any]) -> None:
        self.answers[path] = list(replies)

    def _next(self, path: str) -> tuple[int, Any]:
        queue = self.answers.get(path.split("?")[0])
        if not queue:
            return 404, {"error": {"code": "not_found", "message": f"no route {path}", "fields": {}}}
        return queue.pop(0) if len(queue) > 1 else queue[0]


@contextmanager
def fake_server() -> Iterator[FakeServer]:
    fake = FakeServer()

    class Handler(BaseHTTPRequestHandler):
        def _reply(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            fake.requests.append(
                Recorded(self.command, self.path, dict(self.headers), json.loads(raw) if raw else None)
            )
            code, body = fake._next(self.path)
            payload = json.dumps(body).encode()
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = _reply

        def log_message(self, format: str, *args: Any) -> None:  # silence
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def argo_application(name: str, *, sync: str, revision: str, health: str, phase: str = "", message: str = "") -> dict:
    """An Argo CD Application as GET /api/v1/applications/{name} returns it (the fields the wait reads)."""
    status: dict[str, Any] = {
        "sync": {"status": sync, "revision": revision},
        "health": {"status": health},
        "reconciledAt": "2026-11-25T10:00:00Z",
    }
    if phase:
        status["operationState"] = {"phase": phase, "message": message, "syncResult": {"revision": revision}}
    return {"metadata": {"name": name, "namespace": "argocd"}, "spec": {"project": "payments"}, "status": status}
