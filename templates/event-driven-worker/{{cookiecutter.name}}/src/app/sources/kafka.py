"""Kafka through confluent-kafka: manual offset commits, and a dead-letter topic for rejected records."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.messages import Message


class KafkaSource:
    """Consume a topic in a consumer group; commit each record once handled or dead-lettered."""

    def __init__(self, consumer: Any, producer: Any, *, topic: str) -> None:
        self.consumer = consumer
        self.producer = producer
        self.topic = topic
        self.dead_letter_topic = f"{topic}.dead-letter"
        self.consumer.subscribe([topic])

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> KafkaSource:
        from confluent_kafka import Consumer, Producer

        common = {
            "bootstrap.servers": env["KAFKA_BOOTSTRAP_SERVERS"],
            "security.protocol": env.get("KAFKA_SECURITY_PROTOCOL", "SASL_SSL"),
            "sasl.mechanisms": env.get("KAFKA_SASL_MECHANISM", "SCRAM-SHA-512"),
            "sasl.username": env.get("KAFKA_USERNAME", ""),
            "sasl.password": env.get("KAFKA_PASSWORD", ""),
        }
        consumer = Consumer({**common, "group.id": env["CONSUMER_GROUP"], "enable.auto.commit": False})
        return cls(consumer, Producer(common), topic=env["TOPIC"])

    def receive(self, max_messages: int, timeout_seconds: float) -> list[Message]:
        records = self.consumer.consume(num_messages=max_messages, timeout=timeout_seconds)
        return [self._message(record) for record in records if record.error() is None]

    @staticmethod
    def _message(record: Any) -> Message:
        headers = {key: value.decode() for key, value in (record.headers() or []) if value is not None}
        record_id = f"{record.topic()}/{record.partition()}/{record.offset()}"
        return Message(id=record_id, body=record.value() or b"", headers=headers, receipt=record)

    def ack(self, message: Message) -> None:
        self.consumer.commit(message=message.receipt, asynchronous=False)

    def reject(self, message: Message) -> None:
        headers = [*(message.receipt.headers() or []), ("source-id", message.id.encode())]
        self.producer.produce(self.dead_letter_topic, value=message.body, headers=headers)
        self.producer.flush()
        self.ack(message)

    def close(self) -> None:
        self.consumer.close()
