"""The embeddings capability: the configured embedder, and the word-hashing stand-in for tests."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest
from django.test import override_settings

from portal.integrations.backends import backends_reset
from portal.integrations.embeddings import embedder
from portal.integrations.embeddings.hashing import HashingEmbedder
from portal.integrations.embeddings.minilm import MiniLM


def configured(backend: str, **options: object) -> Iterator[None]:
    with override_settings(EMBEDDINGS={"BACKEND": backend, "OPTIONS": options}):
        backends_reset()
        yield
    backends_reset()


@pytest.fixture
def hashing() -> Iterator[None]:
    yield from configured("portal.integrations.embeddings.hashing.HashingEmbedder", dimensions=64)


@pytest.fixture
def minilm() -> Iterator[None]:
    yield from configured("portal.integrations.embeddings.minilm.MiniLM", batch_size=16)


@pytest.mark.usefixtures("hashing")
def test_embedder_is_the_configured_one_and_the_same_object_each_time() -> None:
    assert isinstance(embedder(), HashingEmbedder)
    assert embedder() is embedder()
    assert embedder().dimensions == 64


@pytest.mark.usefixtures("minilm")
def test_minilm_is_configured_by_a_dotted_path_without_loading_anything_yet() -> None:
    impl = embedder()
    assert isinstance(impl, MiniLM)
    assert (impl.model_name, impl.dimensions, impl.batch_size) == ("all-MiniLM-L6-v2", 384, 16)


def test_hashing_vectors_are_unit_length_and_deterministic() -> None:
    first, again, empty = HashingEmbedder(32).embed(["Disk full on node-3", "disk FULL on node-3", ""])
    assert first == again
    assert math.isclose(math.fsum(v * v for v in first), 1.0)
    assert math.isclose(math.fsum(v * v for v in empty), 1.0)
    assert len(first) == 32


def test_hashing_puts_texts_that_share_words_closer() -> None:
    leak, leak_again, tls = HashingEmbedder().embed(
        ["memory leak in checkout pods", "checkout pods memory grows", "certificate expired for api"]
    )
    assert _dot(leak, leak_again) > _dot(leak, tls) + 0.3


def _dot(a: list[float], b: list[float]) -> float:
    return math.fsum(x * y for x, y in zip(a, b, strict=True))
