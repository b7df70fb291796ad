"""LLM: prose written by a language model when one is configured; callers fall back to their templates."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from portal.integrations.errors import IntegrationError
from portal.integrations.llm.base import LLMUnavailable, NoLLM, Writer
from portal.integrations.llm.prompts import Prompt, prompt_render

__all__ = ["LLMUnavailable", "NoLLM", "Prompt", "Writer", "Written", "prompt_render", "text_written", "writer"]

logger = logging.getLogger(__name__)


def writer() -> Writer:
    from portal.integrations.backends import backend

    impl: Writer = backend("LLM")
    return impl


@dataclass(frozen=True)
class Written:
    text: str
    model: str  # the model that wrote it; "" when the fallback text was used


def text_written(prompt: Prompt, *, fallback: str, max_tokens: int) -> Written:
    """The configured model's answer to prompt, or `fallback` when there is no model or it fails."""
    impl = writer()
    if not impl.enabled:
        return Written(text=fallback, model="")
    try:
        return Written(text=impl.complete(prompt.system, prompt.user, max_tokens=max_tokens), model=impl.model_name)
    except IntegrationError as exc:
        if not isinstance(exc, LLMUnavailable):
            logger.warning("LLM %s wrote nothing, using the template: %s", impl.model_name, exc.message)
        return Written(text=fallback, model="")
