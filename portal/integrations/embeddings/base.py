"""The embeddings capability: texts in, unit-length vectors out, of a fixed size per model."""

from __future__ import annotations

from abc import ABC, abstractmethod


class Embedder(ABC):
    """Turns texts into L2-normalised vectors; the same text gives the same vector from one model."""

    model_name: str = ""
    dimensions: int = 0

    @abstractmethod
    def embed(self, texts: list[str]) -> list[list[float]]:
        """One vector of `dimensions` floats per text, in the order given; an empty list for no texts."""

    def embed_one(self, text: str) -> list[float]:
        """The vector of a single text."""
        return self.embed([text])[0]
