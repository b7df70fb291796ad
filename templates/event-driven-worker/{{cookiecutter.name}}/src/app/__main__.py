"""Run the worker: `python -m app`. SIGTERM finishes the current batch, then exits."""

from __future__ import annotations

import os
import signal
import threading

from prometheus_client import CollectorRegistry

from app.handler import handle
from app.health import serve_in_background
from app.sources import source_from_env
from app.telemetry import configure_telemetry
from app.worker import Worker, WorkerMetrics


def main() -> None:
    telemetry = configure_telemetry()
    registry = CollectorRegistry()
    server = serve_in_background(
        registry, os.environ.get("HOST", "0.0.0.0"), int(os.environ.get("METRICS_PORT", "9000"))
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    worker = Worker(
        source=source_from_env(os.environ),
        handler=handle,
        telemetry=telemetry,
        metrics=WorkerMetrics(registry, telemetry),
        batch_size=int(os.environ.get("BATCH_SIZE", "10")),
    )
    try:
        worker.run_until(stop)
    finally:
        server.shutdown()
        telemetry.shutdown()


if __name__ == "__main__":
    main()
