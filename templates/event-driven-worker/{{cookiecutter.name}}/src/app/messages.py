"""What the worker consumes: messages, and the source it reads them from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol


@dataclass(frozen=True)
class Message:
    """One message: its broker id, its body, and string headers (traceparent travels here)."""

    id: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)
    receipt: Any = None  # what the source needs to acknowledge it (delivery tag, stream id, raw record)


class MessageSource(Protocol):
    """A queue or stream the worker consumes; one implementation per broker, plus one in memory."""

    def receive(self, max_messages: int, timeout_seconds: float) -> list[Message]:
        """Return up to max_messages, waiting at most timeout_seconds when none is ready."""
        ...

    def ack(self, message: Message) -> None:
        """Mark the message as done, so that it is not delivered again."""
        ...

    def reject(self, message: Message) -> None:
        """Give up on the message: move it to the dead-letter destination instead of redelivering it."""
        ...

    def close(self) -> None: ...
