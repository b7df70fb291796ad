"""The LLM capability: a model that writes prose from a system and a user text, or none at all (the default)."""

from __future__ import annotations

from abc import ABC, abstractmethod

from portal.integrations.errors import IntegrationError
from portal.integrations.llm.redact import redact


class LLMUnavailable(IntegrationError):
    """No language model is configured; callers write their text from templates instead."""


class Writer(ABC):
    """Every implementation is handed texts with secrets already removed (see `redact`)."""

    model_name: str = ""
    enabled: bool = True  # False when complete() always raises LLMUnavailable: skip building the prompt

    def complete(self, system: str, user: str, *, max_tokens: int) -> str:
        """The model's reply to user under system; IntegrationError when there is none."""
        return self.send(redact(system), redact(user), max_tokens=max_tokens)

    @abstractmethod
    def send(self, system: str, user: str, *, max_tokens: int) -> str:
        """Ask the model; the texts are already redacted."""


class NoLLM(Writer):
    """The default: no model, so every caller takes its template path."""

    enabled = False

    def send(self, system: str, user: str, *, max_tokens: int) -> str:
        raise LLMUnavailable("No language model is configured (LLM backend NoLLM).", permanent=True)
