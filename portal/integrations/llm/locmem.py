"""A writer that answers a fixed reply and keeps what it was sent: for tests of code that uses the LLM."""

from __future__ import annotations

from dataclasses import dataclass

from portal.integrations.llm.base import Writer


@dataclass(frozen=True)
class SentPrompt:
    system: str
    user: str
    max_tokens: int


class LocmemWriter(Writer):
    model_name = "locmem"

    def __init__(self, reply: str = "Written by the test model.") -> None:
        self.reply = reply
        self.outbox: list[SentPrompt] = []

    def send(self, system: str, user: str, *, max_tokens: int) -> str:
        self.outbox.append(SentPrompt(system=system, user=user, max_tokens=max_tokens))
        return self.reply
