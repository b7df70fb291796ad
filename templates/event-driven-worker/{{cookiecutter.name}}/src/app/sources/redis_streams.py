"""Redis Streams through a consumer group: XREADGROUP, XACK, and a dead-letter stream."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from app.messages import Message

BODY_FIELD = b"body"


class RedisStreamSource:
    """Read a stream as one consumer of a group; rejected messages are copied to <stream>.dead-letter."""

    def __init__(self, client: Any, *, stream: str, group: str, consumer: str) -> None:
        self.client = client
        self.stream = stream
        self.group = group
        self.consumer = consumer
        self.dead_letter_stream = f"{stream}.dead-letter"
        self._create_group()

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> RedisStreamSource:
        import redis

        host, _, port = env["REDIS_ADDRESS"].partition(":")
        client = redis.Redis(host=host, port=int(port or 6379), password=env.get("REDIS_PASSWORD") or None)
        return cls(client, stream=env["STREAM"], group=env["CONSUMER_GROUP"], consumer=env.get("HOSTNAME", "worker"))

    def _create_group(self) -> None:
        try:
            self.client.xgroup_create(self.stream, self.group, id="0", mkstream=True)
        except Exception as error:  # redis.ResponseError, not imported here so that tests need no redis
            if "BUSYGROUP" not in str(error):
                raise

    def receive(self, max_messages: int, timeout_seconds: float) -> list[Message]:
        block = int(timeout_seconds * 1000) or None
        replies = self.client.xreadgroup(self.group, self.consumer, {self.stream: ">"}, count=max_messages, block=block)
        return [self._message(entry_id, fields) for _stream, entries in replies or [] for entry_id, fields in entries]

    def _message(self, entry_id: bytes, fields: dict[bytes, bytes]) -> Message:
        headers = {key.decode(): value.decode() for key, value in fields.items() if key != BODY_FIELD}
        return Message(id=entry_id.decode(), body=fields.get(BODY_FIELD, b""), headers=headers, receipt=fields)

    def ack(self, message: Message) -> None:
        self.client.xack(self.stream, self.group, message.id)

    def reject(self, message: Message) -> None:
        self.client.xadd(self.dead_letter_stream, {**message.receipt, b"source-id": message.id.encode()})
        self.ack(message)

    def close(self) -> None:
        self.client.close()
