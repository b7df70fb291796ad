"""An in-memory source: the default for tests and for running the worker locally."""

from __future__ import annotations

import time
from collections import deque

from app.messages import Message


class InMemorySource:
    """A queue in a list: messages are published with publish() and end up in acked or dead_letters."""

    def __init__(self) -> None:
        self.pending: deque[Message] = deque()
        self.acked: list[Message] = []
        self.dead_letters: list[Message] = []
        self._next_id = 0

    def publish(self, body: bytes, headers: dict[str, str] | None = None) -> Message:
        self._next_id += 1
        message = Message(id=str(self._next_id), body=body, headers=dict(headers or {}))
        self.pending.append(message)
        return message

    def receive(self, max_messages: int, timeout_seconds: float) -> list[Message]:
        if not self.pending:
            time.sleep(timeout_seconds)  # like a broker's blocking read: an idle loop must not spin
        count = min(max_messages, len(self.pending))
        return [self.pending.popleft() for _ in range(count)]

    def ack(self, message: Message) -> None:
        self.acked.append(message)

    def reject(self, message: Message) -> None:
        self.dead_letters.append(message)

    def close(self) -> None:
        self.pending.clear()
