"""The adapter against stand-ins for confluent-kafka's Consumer and Producer: no library or broker needed."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.sources.kafka import KafkaSource


@dataclass
class FakeRecord:
    payload: bytes
    offset_: int
    headers_: list[tuple[str, bytes]] = field(default_factory=list)
    error_: Any = None

    def error(self) -> Any:
        return self.error_

    def value(self) -> bytes:
        return self.payload

    def headers(self) -> list[tuple[str, bytes]]:
        return self.headers_

    def topic(self) -> str:
        return "events"

    def partition(self) -> int:
        return 0

    def offset(self) -> int:
        return self.offset_


@dataclass
class FakeConsumer:
    records: list[FakeRecord] = field(default_factory=list)
    subscribed: list[str] = field(default_factory=list)
    committed: list[int] = field(default_factory=list)

    def subscribe(self, topics: list[str]) -> None:
        self.subscribed.extend(topics)

    def consume(self, num_messages: int, timeout: float) -> list[FakeRecord]:
        batch, self.records = self.records[:num_messages], self.records[num_messages:]
        return batch

    def commit(self, message: FakeRecord, asynchronous: bool) -> None:
        assert not asynchronous
        self.committed.append(message.offset())


@dataclass
class FakeProducer:
    produced: list[tuple[str, bytes]] = field(default_factory=list)

    def produce(self, topic: str, value: bytes, headers: list[tuple[str, bytes]]) -> None:
        self.produced.append((topic, value))

    def flush(self) -> None:
        pass


def test_records_become_messages_and_errors_are_skipped() -> None:
    consumer = FakeConsumer(
        records=[FakeRecord(b"{}", 7, [("traceparent", b"00-abc-def-01")]), FakeRecord(b"", 8, error_="partition EOF")]
    )

    (message,) = KafkaSource(consumer, FakeProducer(), topic="events").receive(10, 0)

    assert consumer.subscribed == ["events"]
    assert message.id == "events/0/7"
    assert message.headers == {"traceparent": "00-abc-def-01"}


def test_ack_commits_and_reject_dead_letters_then_commits() -> None:
    consumer = FakeConsumer(records=[FakeRecord(b"{}", 1), FakeRecord(b"broken", 2)])
    producer = FakeProducer()
    source = KafkaSource(consumer, producer, topic="events")
    first, second = source.receive(10, 0)

    source.ack(first)
    source.reject(second)

    assert consumer.committed == [1, 2]
    assert producer.produced == [("events.dead-letter", b"broken")]
