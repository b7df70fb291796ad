"""A writer over OpenAI-compatible chat completions: OpenAI, Ollama, vLLM and llama.cpp's server all speak it."""

from __future__ import annotations

import re
from typing import Any

from portal.integrations.errors import IntegrationError
from portal.integrations.llm.base import Writer
from portal.integrations.llm.openai_http import OpenAIEndpoint

# Reasoning models served by Ollama or vLLM may put their thinking before the answer.
THINKING = re.compile(r"^\s*<think>.*?</think>\s*", re.DOTALL)


class OpenAIChat(Writer):
    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str = "",
        timeout: float = 60.0,
        attempts: int = 3,
        temperature: float | None = 0.2,
        max_tokens_field: str = "max_tokens",  # newer OpenAI models want "max_completion_tokens"
    ) -> None:
        self.endpoint = OpenAIEndpoint(base_url=base_url, api_key=api_key, timeout=timeout, attempts=attempts)
        self.model_name = model
        self.temperature = temperature
        self.max_tokens_field = max_tokens_field

    def send(self, system: str, user: str, *, max_tokens: int) -> str:
        body: dict[str, Any] = {
            "model": self.model_name,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            self.max_tokens_field: max_tokens,
        }
        if self.temperature is not None:
            body["temperature"] = self.temperature
        return reply_text(self.endpoint.post("/chat/completions", body))


def reply_text(data: dict[str, Any]) -> str:
    """The assistant's text in a chat completion; IntegrationError when it holds none."""
    try:
        content = data["choices"][0]["message"]["content"]
    except (KeyError, IndexError, TypeError) as exc:
        raise IntegrationError("The chat completion has no choices[0].message.content.") from exc
    text = THINKING.sub("", content) if isinstance(content, str) else ""
    if not text.strip():
        raise IntegrationError("The model answered with no text.")
    return text.strip()
