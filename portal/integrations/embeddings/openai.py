"""Embeddings from an OpenAI-compatible /v1/embeddings API (OpenAI, Ollama, vLLM, llama.cpp server, TEI)."""

from __future__ import annotations

import math
from typing import Any

from portal.integrations.embeddings.base import Embedder
from portal.integrations.errors import IntegrationError
from portal.integrations.llm.openai_http import OpenAIEndpoint
from portal.integrations.llm.redact import redact


class OpenAIEmbeddings(Embedder):
    """`dimensions` is what the vector store expects; a model answering another size is refused."""

    def __init__(
        self,
        base_url: str,
        model: str,
        dimensions: int,
        api_key: str = "",
        timeout: float = 30.0,
        attempts: int = 3,
        batch_size: int = 64,
        request_dimensions: bool = False,  # ask the model to shorten its vectors (text-embedding-3-*)
    ) -> None:
        self.endpoint = OpenAIEndpoint(base_url=base_url, api_key=api_key, timeout=timeout, attempts=attempts)
        self.model_name = model
        self.dimensions = dimensions
        self.batch_size = max(1, batch_size)
        self.request_dimensions = request_dimensions

    def embed(self, texts: list[str]) -> list[list[float]]:
        vectors: list[list[float]] = []
        for start in range(0, len(texts), self.batch_size):
            vectors.extend(self._embed_batch(texts[start : start + self.batch_size]))
        return vectors

    def _embed_batch(self, texts: list[str]) -> list[list[float]]:
        # OpenAI refuses an empty string as input; a space embeds as "nothing" just as well.
        body: dict[str, Any] = {
            "model": self.model_name,
            "input": [redact(text) or " " for text in texts],
            "encoding_format": "float",
        }
        if self.request_dimensions:
            body["dimensions"] = self.dimensions
        return [self._unit(vector) for vector in _vectors(self.endpoint.post("/embeddings", body), len(texts))]

    def _unit(self, vector: list[float]) -> list[float]:
        if len(vector) != self.dimensions:
            raise IntegrationError(
                f"Model {self.model_name} answered {len(vector)} dimensions; EMBEDDINGS expects {self.dimensions}."
            )
        norm = math.sqrt(sum(v * v for v in vector)) or 1.0
        return [v / norm for v in vector]


def _vectors(data: dict[str, Any], count: int) -> list[list[float]]:
    """The vectors of an embeddings response in input order (its `index`), one per input."""
    try:
        items = sorted(data["data"], key=lambda item: item["index"])
        vectors = [[float(v) for v in item["embedding"]] for item in items]
    except (KeyError, TypeError, ValueError) as exc:
        raise IntegrationError("The embeddings response has no data[].embedding list of numbers.") from exc
    if len(vectors) != count:
        raise IntegrationError(f"The embeddings response holds {len(vectors)} vectors for {count} texts.")
    return vectors
