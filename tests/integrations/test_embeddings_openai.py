"""Embeddings from an OpenAI-compatible API: OpenAI's request and answer shapes, batching, retries, refusals."""

from __future__ import annotations

import math
from collections.abc import Iterator

import pytest

from portal.integrations.embeddings.openai import OpenAIEmbeddings
from portal.integrations.errors import IntegrationError
from tests.integrations.test_llm_openai_http import FakeOpenAI, Reply, embeddings_response, openai_error


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(dimensions=4) as server:
        yield server


@pytest.fixture
def embeddings(fake: FakeOpenAI) -> OpenAIEmbeddings:
    return OpenAIEmbeddings(
        base_url=fake.base_url, model="text-embedding-3-small", dimensions=4, api_key="sk-test-key", timeout=2.0
    )


def test_it_posts_the_texts_and_returns_unit_vectors_in_input_order(
    fake: FakeOpenAI, embeddings: OpenAIEmbeddings
) -> None:
    vectors = embeddings.embed(["checkout 5xx", "disk full"])
    assert fake.received[0].path == "/v1/embeddings"
    assert fake.received[0].headers["authorization"] == "Bearer sk-test-key"
    assert fake.received[0].body == {
        "model": "text-embedding-3-small",
        "input": ["checkout 5xx", "disk full"],
        "encoding_format": "float",
    }
    # The fake answers in reverse order; vector i is (len(text i) + 1, i + 1, i + 1, i + 1), then normalised.
    assert vectors[0] == pytest.approx(_unit([13.0, 1.0, 1.0, 1.0]))
    assert vectors[1] == pytest.approx(_unit([10.0, 2.0, 2.0, 2.0]))
    assert embeddings.model_name == "text-embedding-3-small"
    assert embeddings.dimensions == 4


def test_it_sends_large_inputs_in_batches(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    embeddings.batch_size = 2
    texts = ["a", "bb", "ccc", "dddd", "eeeee"]
    vectors = embeddings.embed(texts)
    assert [r.body["input"] for r in fake.received] == [["a", "bb"], ["ccc", "dddd"], ["eeeee"]]
    # Vector i is (len + 1, j + 1, ...) with j its place in its batch: the batches came back in order.
    assert [v[0] / v[1] for v in vectors] == pytest.approx([2 / 1, 3 / 2, 4 / 1, 5 / 2, 6 / 1])
    assert embeddings.embed([]) == []
    assert len(fake.received) == 3


def test_empty_texts_go_as_a_space_and_secrets_never_go(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    embeddings.embed(["", "login failed, password=hunter2"])
    assert fake.received[0].body["input"] == [" ", "login failed, password=[REDACTED]"]
    assert b"hunter2" not in fake.received[0].raw


def test_it_can_ask_the_model_for_shorter_vectors(fake: FakeOpenAI) -> None:
    short = OpenAIEmbeddings(
        base_url=fake.base_url, model="text-embedding-3-large", dimensions=4, request_dimensions=True
    )
    short.embed(["x"])
    assert fake.received[0].body["dimensions"] == 4


def test_a_rate_limit_is_waited_out_then_the_vectors_come(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    fake.replies = [Reply(429, openai_error("Rate limit reached", "rate_limit_exceeded"), {"Retry-After": "0"})]
    assert len(embeddings.embed(["x"])) == 1
    assert len(fake.received) == 2


def test_a_rejected_key_is_permanent_and_not_retried(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    fake.replies = [Reply(401, openai_error("Incorrect API key provided", "invalid_api_key"))]
    with pytest.raises(IntegrationError) as error:
        embeddings.embed(["x"])
    assert error.value.permanent
    assert "401" in error.value.message
    assert "check the API key" in error.value.message
    assert len(fake.received) == 1


def test_vectors_of_another_size_than_configured_are_refused(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    fake.replies = [Reply(body=embeddings_response("m", ["x"], dimensions=1536))]
    with pytest.raises(IntegrationError, match="answered 1536 dimensions; EMBEDDINGS expects 4"):
        embeddings.embed(["x"])


@pytest.mark.parametrize(
    "body", [{"object": "list"}, {"data": [{"index": 0}]}, {"data": [{"index": 0, "embedding": ["a"]}]}]
)
def test_an_answer_in_another_shape_is_an_error(fake: FakeOpenAI, embeddings: OpenAIEmbeddings, body: dict) -> None:
    fake.replies = [Reply(body=body)]
    with pytest.raises(IntegrationError):
        embeddings.embed(["x"])


def test_an_answer_with_too_few_vectors_is_an_error(fake: FakeOpenAI, embeddings: OpenAIEmbeddings) -> None:
    fake.replies = [Reply(body=embeddings_response("m", ["only one"], dimensions=4))]
    with pytest.raises(IntegrationError, match="1 vectors for 2 texts"):
        embeddings.embed(["a", "b"])


def _unit(vector: list[float]) -> list[float]:
    norm = math.sqrt(sum(v * v for v in vector))
    return [v / norm for v in vector]
