"""The adapter against a stand-in for pika's channel, so these tests need neither pika nor a broker."""

from __future__ import annotations

from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

from app.sources.rabbitmq import RabbitMqSource


@dataclass
class FakeChannel:
    queued: list[tuple[bytes, dict[str, Any]]] = field(default_factory=list)
    acked: list[int] = field(default_factory=list)
    rejected: list[tuple[int, bool]] = field(default_factory=list)
    waited: list[float] = field(default_factory=list)
    delivered: int = 0

    def __post_init__(self) -> None:
        self.connection = SimpleNamespace(process_data_events=lambda time_limit: self.waited.append(time_limit))

    def basic_get(self, queue: str, auto_ack: bool) -> tuple[Any, Any, Any]:
        assert not auto_ack
        if not self.queued:
            return None, None, None
        body, headers = self.queued.pop(0)
        self.delivered += 1
        return SimpleNamespace(delivery_tag=self.delivered), SimpleNamespace(headers=headers), body

    def basic_ack(self, delivery_tag: int) -> None:
        self.acked.append(delivery_tag)

    def basic_reject(self, delivery_tag: int, requeue: bool) -> None:
        self.rejected.append((delivery_tag, requeue))


def test_messages_carry_body_and_headers() -> None:
    channel = FakeChannel(queued=[(b"{}", {"traceparent": "00-abc-def-01"})])

    (message,) = RabbitMqSource(channel, queue="events").receive(10, 0)

    assert message.body == b"{}"
    assert message.headers == {"traceparent": "00-abc-def-01"}


def test_ack_and_reject_use_the_delivery_tag_and_never_requeue() -> None:
    channel = FakeChannel(queued=[(b"{}", {}), (b"broken", {})])
    source = RabbitMqSource(channel, queue="events")
    first, second = source.receive(10, 0)

    source.ack(first)
    source.reject(second)

    assert channel.acked == [1]
    assert channel.rejected == [(2, False)]


def test_an_empty_queue_waits_on_the_connection() -> None:
    channel = FakeChannel()

    assert RabbitMqSource(channel, queue="events").receive(10, 0.5) == []
    assert channel.waited == [0.5]
