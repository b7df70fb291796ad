"""RabbitMQ through pika: basic_get with manual acks; rejected messages go to the queue's dead-letter exchange."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.messages import Message


class RabbitMqSource:
    """Read a queue on a pika BlockingConnection channel; reject without requeue (configure a DLX on the queue)."""

    def __init__(self, channel: Any, *, queue: str) -> None:
        self.channel = channel
        self.queue = queue

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RabbitMqSource:
        import pika

        connection = pika.BlockingConnection(pika.URLParameters(env["RABBITMQ_URL"]))
        return cls(connection.channel(), queue=env["QUEUE"])

    def receive(self, max_messages: int, timeout_seconds: float) -> list[Message]:
        messages = []
        while len(messages) < max_messages:
            method, properties, body = self.channel.basic_get(self.queue, auto_ack=False)
            if method is None:
                break
            headers = {key: str(value) for key, value in (getattr(properties, "headers", None) or {}).items()}
            messages.append(
                Message(id=str(method.delivery_tag), body=body, headers=headers, receipt=method.delivery_tag)
            )
        if not messages and timeout_seconds > 0:
            self.channel.connection.process_data_events(time_limit=timeout_seconds)  # wait, keeping heartbeats
        return messages

    def ack(self, message: Message) -> None:
        self.channel.basic_ack(delivery_tag=message.receipt)

    def reject(self, message: Message) -> None:
        self.channel.basic_reject(delivery_tag=message.receipt, requeue=False)

    def close(self) -> None:
        self.channel.connection.close()
