"""Word-hashing vectors with no model and no download: a fast stand-in for tests and for trying the portal out."""

from __future__ import annotations

import hashlib
import math
import re

from portal.integrations.embeddings.base import Embedder

WORD = re.compile(r"\w+")


class HashingEmbedder(Embedder):
    """Texts that share words get similar vectors; nothing more (no synonyms, no meaning)."""

    model_name = "hashing"

    def __init__(self, dimensions: int = 384) -> None:
        self.dimensions = dimensions

    def embed(self, texts: list[str]) -> list[list[float]]:
        return [self._vector(text) for text in texts]

    def _vector(self, text: str) -> list[float]:
        vector = [0.0] * self.dimensions
        for word in WORD.findall(text.lower()):
            digest = hashlib.blake2b(word.encode(), digest_size=8).digest()
            slot = int.from_bytes(digest[:4], "little") % self.dimensions
            vector[slot] += 1.0 if digest[4] & 1 else -1.0
        norm = math.sqrt(sum(v * v for v in vector))
        if norm == 0:
            return [1.0] + [0.0] * (self.dimensions - 1)  # no words: one fixed unit vector
        return [v / norm for v in vector]
