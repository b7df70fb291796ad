from __future__ import annotations

from datetime import datetime

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode
from prometheus_client import CollectorRegistry

from app.job import BatchResult, run_batch
from app.runner import pushgateway_push, run_job
from app.telemetry import Telemetry

STARTED = 1_700_000_000.0


class Pushes(list[CollectorRegistry]):
    def __call__(self, registry: CollectorRegistry) -> None:
        self.append(registry)


def clock_from(*times: float):
    remaining = list(times)
    return lambda: remaining.pop(0)


def fails(_started_at: datetime) -> BatchResult:
    raise RuntimeError("upstream unavailable")


def test_a_successful_run_pushes_success_and_its_timestamp(telemetry: Telemetry) -> None:
    pushes = Pushes()

    assert run_job(
        lambda _: BatchResult(items_processed=3),
        telemetry=telemetry,
        push=pushes,
        clock=clock_from(STARTED, STARTED + 2),
    )

    (registry,) = pushes
    assert registry.get_sample_value("job_last_run_success") == 1
    assert registry.get_sample_value("job_last_success_timestamp_seconds") == STARTED
    assert registry.get_sample_value("job_last_run_duration_seconds") == 2
    assert registry.get_sample_value("job_last_run_items_processed") == 3


def test_a_failed_run_pushes_failure_and_leaves_the_last_success_alone(telemetry: Telemetry) -> None:
    pushes = Pushes()

    assert not run_job(fails, telemetry=telemetry, push=pushes, clock=clock_from(STARTED, STARTED + 1))

    (registry,) = pushes
    assert registry.get_sample_value("job_last_run_success") == 0
    assert registry.get_sample_value("job_last_run_timestamp_seconds") == STARTED
    assert registry.get_sample_value("job_last_success_timestamp_seconds") is None


def test_the_run_is_a_span_marked_failed_when_the_work_fails(telemetry: Telemetry, spans: InMemorySpanExporter) -> None:
    run_job(fails, telemetry=telemetry, push=Pushes())

    (span,) = spans.get_finished_spans()
    assert span.name == "run job"
    assert span.status.status_code == StatusCode.ERROR


def test_the_example_batch_succeeds(telemetry: Telemetry) -> None:
    assert run_job(run_batch, telemetry=telemetry, push=Pushes())


def test_metrics_are_added_to_the_pushgateway_group_by_post() -> None:
    sent = []

    def handler(url, method, timeout, headers, data):
        return lambda: sent.append((url, method, data))

    push = pushgateway_push(
        "http://pushgateway:9091", job="orders-report", grouping_key={"environment": "dev"}, handler=handler
    )
    push(CollectorRegistry())

    ((url, method, _data),) = sent
    assert url == "http://pushgateway:9091/metrics/job/orders-report/environment/dev"
    assert method == "POST"


def test_nothing_is_pushed_without_a_pushgateway() -> None:
    def handler(**request):
        pytest.fail("pushed without a Pushgateway")

    pushgateway_push("", job="orders-report", grouping_key={}, handler=handler)(CollectorRegistry())


def test_an_unreachable_pushgateway_does_not_fail_the_run() -> None:
    def handler(**request):
        def send() -> None:
            raise OSError("connection refused")

        return send

    pushgateway_push("http://pushgateway:9091", job="orders-report", grouping_key={}, handler=handler)(
        CollectorRegistry()
    )
