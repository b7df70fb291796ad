"""A small HTTP server for probes and scraping: /healthz and /metrics on METRICS_PORT."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from prometheus_client import CollectorRegistry, make_wsgi_app

StartResponse = Callable[..., Any]


def health_app(registry: CollectorRegistry) -> Callable[[dict[str, Any], StartResponse], Iterable[bytes]]:
    """Return a WSGI app answering /healthz with ok and /metrics with the registry's samples."""
    metrics_app = make_wsgi_app(registry)

    def app(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        if path == "/healthz":
            start_response("200 OK", [("Content-Type", "text/plain")])
            return [b"ok\n"]
        if path == "/metrics":
            return metrics_app(environ, start_response)
        start_response("404 Not Found", [("Content-Type", "text/plain")])
        return [b"not found\n"]

    return app


class QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:  # probes every few seconds would flood the logs
        pass


def serve_in_background(registry: CollectorRegistry, host: str, port: int) -> WSGIServer:
    """Start the server on a daemon thread and return it (server.shutdown() stops it)."""
    server = make_server(host, port, health_app(registry), handler_class=QuietHandler)
    threading.Thread(target=server.serve_forever, name="health", daemon=True).start()
    return server
