from __future__ import annotations

import threading

from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from prometheus_client import CollectorRegistry

from app.sources import source_from_env
from app.sources.memory import InMemorySource
from app.worker import Worker

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"


def test_handled_messages_are_acknowledged(worker: Worker, source: InMemorySource) -> None:
    first = source.publish(b'{"type": "order.created"}')
    second = source.publish(b'{"type": "order.paid"}')

    assert worker.run_once() == 2

    assert source.acked == [first, second]
    assert source.dead_letters == []


def test_a_message_that_fails_goes_to_dead_letters_and_the_rest_go_on(worker: Worker, source: InMemorySource) -> None:
    broken = source.publish(b"not json")
    fine = source.publish(b'{"type": "order.created"}')

    worker.run_once()

    assert source.dead_letters == [broken]
    assert source.acked == [fine]


def test_outcomes_and_durations_are_counted(
    worker: Worker, source: InMemorySource, registry: CollectorRegistry
) -> None:
    source.publish(b'{"type": "a"}')
    source.publish(b"not json")

    worker.run_once()

    assert registry.get_sample_value("messages_processed_total", {"outcome": "success"}) == 1
    assert registry.get_sample_value("messages_processed_total", {"outcome": "failure"}) == 1
    assert registry.get_sample_value("message_processing_duration_seconds_count") == 2
    assert registry.get_sample_value("message_processing_duration_seconds_bucket", {"le": "1.0"}) == 2


def test_each_message_is_a_consumer_span_continuing_the_producers_trace(
    worker: Worker, source: InMemorySource, spans: InMemorySpanExporter
) -> None:
    source.publish(b'{"type": "a"}', headers={"traceparent": f"00-{TRACE_ID}-00f067aa0ba902b7-01"})

    worker.run_once()

    (span,) = spans.get_finished_spans()
    assert span.kind == SpanKind.CONSUMER
    assert format(span.context.trace_id, "032x") == TRACE_ID


def test_a_failed_message_marks_its_span_as_failed(
    worker: Worker, source: InMemorySource, spans: InMemorySpanExporter
) -> None:
    source.publish(b"not json")

    worker.run_once()

    (span,) = spans.get_finished_spans()
    assert span.status.status_code == StatusCode.ERROR


def test_an_empty_source_yields_an_empty_batch(worker: Worker) -> None:
    assert worker.run_once() == 0


def test_the_loop_stops_when_asked(worker: Worker, source: InMemorySource) -> None:
    source.publish(b'{"type": "a"}')
    stop = threading.Event()
    original_receive = source.receive

    def receive_then_stop(max_messages: int, timeout_seconds: float) -> list:
        batch = original_receive(max_messages, timeout_seconds)
        stop.set()
        return batch

    source.receive = receive_then_stop  # type: ignore[method-assign]

    worker.run_until(stop)

    assert len(source.acked) == 1


def test_broker_memory_selects_the_in_memory_source() -> None:
    assert isinstance(source_from_env({"BROKER": "memory"}), InMemorySource)
