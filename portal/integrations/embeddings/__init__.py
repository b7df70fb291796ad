"""Embeddings: vectors for similarity search; all-MiniLM-L6-v2 in process by default, or an OpenAI-compatible API."""

from portal.integrations.embeddings.base import Embedder

__all__ = ["Embedder", "embedder"]


def embedder() -> Embedder:
    from portal.integrations.backends import backend

    impl: Embedder = backend("EMBEDDINGS")
    return impl
