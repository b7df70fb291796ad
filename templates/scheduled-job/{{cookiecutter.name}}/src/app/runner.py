"""One run of the job: a span around the work, then its outcome as metrics for Prometheus and OTLP."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from datetime import UTC, datetime

from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.exposition import default_handler, pushadd_to_gateway

from app.job import BatchResult
from app.telemetry import Telemetry

logger = logging.getLogger(__name__)

Work = Callable[[datetime], BatchResult]
Push = Callable[[CollectorRegistry], None]


def run_metrics(*, success: bool, started: float, duration: float, items: int) -> CollectorRegistry:
    """Return this run's samples; the last-success timestamp only when the run succeeded."""
    registry = CollectorRegistry()
    Gauge("job_last_run_timestamp_seconds", "When the last run started.", registry=registry).set(started)
    Gauge("job_last_run_success", "1 if the last run succeeded, else 0.", registry=registry).set(int(success))
    Gauge("job_last_run_duration_seconds", "How long the last run took.", registry=registry).set(duration)
    Gauge("job_last_run_items_processed", "Items the last run processed.", registry=registry).set(items)
    if success:
        Gauge("job_last_success_timestamp_seconds", "When the last successful run started.", registry=registry).set(
            started
        )
    return registry


def pushgateway_push(
    url: str, *, job: str, grouping_key: Mapping[str, str], handler: Callable = default_handler
) -> Push:
    """Return a push to the Pushgateway at url, or a no-op when url is empty.

    POST (pushadd), not PUT: a failed run replaces the last-run samples but keeps the previous
    job_last_success_timestamp_seconds, which is what alerts on a stale job look at.
    """

    def push(registry: CollectorRegistry) -> None:
        if not url:
            return
        try:
            pushadd_to_gateway(
                url, job=job, registry=registry, grouping_key=dict(grouping_key), handler=handler, timeout=10
            )
        except OSError:  # an unreachable Pushgateway must not turn a good run into a failed one
            logger.exception("could not push the run's metrics to %s", url)

    return push


def run_job(work: Work, *, telemetry: Telemetry, push: Push, clock: Callable[[], float] = time.time) -> bool:
    """Run the work once inside a span, record and push its outcome, and return whether it succeeded."""
    started = clock()
    items = 0
    with telemetry.tracer.start_as_current_span("run job") as span:
        try:
            items = work(datetime.fromtimestamp(started, tz=UTC)).items_processed
        except Exception as error:  # the run fails, the process still reports it
            logger.exception("job run failed")
            span.record_exception(error)
            span.set_status(StatusCode.ERROR)
            success = False
        else:
            logger.info("job run succeeded: %d items", items)
            success = True
    duration = clock() - started
    telemetry.meter.create_counter("job.runs", description="Job runs by outcome.").add(
        1, {"outcome": "success" if success else "failure"}
    )
    telemetry.meter.create_histogram("job.run.duration", unit="s").record(duration)
    push(run_metrics(success=success, started=started, duration=duration, items=items))
    return success
