"""The OpenAI-compatible HTTP client: timeouts, retries on 429 and 5xx, and errors that say whether a retry helps.

`FakeOpenAI` (a local server answering in OpenAI's documented shapes) is shared with the chat and embeddings tests.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.llm.openai_http import OpenAIEndpoint, retry_after


@dataclass(frozen=True)
class Reply:
    status: int = 200
    body: Any = None  # None: the default answer for the path
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass(frozen=True)
class Received:
    path: str
    headers: dict[str, str]
    raw: bytes

    @property
    def body(self) -> Any:
        return json.loads(self.raw)


class FakeOpenAI:
    """An OpenAI-compatible server on 127.0.0.1: answers queued replies first, then OpenAI's usual shapes."""

    def __init__(self, *, chat_reply: str = "The checkout service is failing.", dimensions: int = 8) -> None:
        self.chat_reply = chat_reply
        self.dimensions = dimensions
        self.replies: list[Reply] = []
        self.received: list[Received] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self.base_url = f"http://127.0.0.1:{self._server.server_address[1]}/v1"

    def __enter__(self) -> FakeOpenAI:
        threading.Thread(target=self._server.serve_forever, args=(0.02,), daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def answer(self, path: str, body: Any) -> Any:
        if path.endswith("/embeddings"):
            return embeddings_response(body["model"], body["input"], self.dimensions)
        return chat_response(body["model"], self.chat_reply)

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers["Content-Length"]))
                fake.received.append(Received(self.path, {k.lower(): v for k, v in self.headers.items()}, raw))
                reply = fake.replies.pop(0) if fake.replies else Reply()
                time.sleep(reply.delay)
                body = reply.body if reply.body is not None else fake.answer(self.path, json.loads(raw))
                data = body if isinstance(body, bytes) else json.dumps(body).encode()
                self.send_response(reply.status)
                for name, value in {"Content-Type": "application/json", **reply.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler


def embeddings_response(model: str, inputs: list[str], dimensions: int) -> dict[str, Any]:
    """OpenAI's embeddings answer, with vectors (not unit length) that differ per text, in shuffled order."""
    data = [
        {"object": "embedding", "index": i, "embedding": [float(len(text) + 1)] + [float(i + 1)] * (dimensions - 1)}
        for i, text in enumerate(inputs)
    ]
    return {"object": "list", "data": data[::-1], "model": model, "usage": {"prompt_tokens": 8, "total_tokens": 8}}


def chat_response(model: str, text: str) -> dict[str, Any]:
    """OpenAI's chat completion answer."""
    return {
        "id": "chatcmpl-123",
        "object": "chat.completion",
        "created": 1_793_491_200,
        "model": model,
        "choices": [
            {"index": 0, "message": {"role": "assistant", "content": text}, "logprobs": None, "finish_reason": "stop"}
        ],
        "usage": {"prompt_tokens": 9, "completion_tokens": 12, "total_tokens": 21},
    }


def openai_error(message: str, code: str | None = None, kind: str = "invalid_request_error") -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": code}}


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI() as server:
        yield server


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def endpoint(fake: FakeOpenAI, waits: list[float]) -> OpenAIEndpoint:
    return OpenAIEndpoint(base_url=fake.base_url, api_key="sk-test-key", timeout=2.0, sleep=waits.append)


def test_it_posts_json_with_the_api_key(fake: FakeOpenAI, endpoint: OpenAIEndpoint) -> None:
    answer = endpoint.post("/chat/completions", {"model": "m", "messages": []})
    assert answer["choices"][0]["message"]["content"] == fake.chat_reply
    assert fake.received[0].path == "/v1/chat/completions"
    assert fake.received[0].headers["authorization"] == "Bearer sk-test-key"
    assert fake.received[0].headers["content-type"] == "application/json"


def test_it_sends_no_authorization_header_without_a_key(fake: FakeOpenAI, endpoint: OpenAIEndpoint) -> None:
    replace(endpoint, api_key="").post("/chat/completions", {"model": "m"})
    assert "authorization" not in fake.received[0].headers


def test_it_waits_as_long_as_retry_after_says_and_tries_again(
    fake: FakeOpenAI, endpoint: OpenAIEndpoint, waits: list[float]
) -> None:
    fake.replies = [Reply(429, openai_error("Rate limit reached", "rate_limit_exceeded"), {"Retry-After": "3"})]
    assert endpoint.post("/chat/completions", {"model": "m"})["object"] == "chat.completion"
    assert waits == [3.0]
    assert len(fake.received) == 2


def test_it_backs_off_on_server_errors_without_retry_after(
    fake: FakeOpenAI, endpoint: OpenAIEndpoint, waits: list[float]
) -> None:
    fake.replies = [Reply(503, b"upstream down"), Reply(500, openai_error("boom", kind="server_error"))]
    assert endpoint.post("/chat/completions", {"model": "m"})["object"] == "chat.completion"
    assert waits == [0.5, 1.0]


def test_it_gives_up_after_its_attempts_with_a_transient_error(
    fake: FakeOpenAI, endpoint: OpenAIEndpoint, waits: list[float]
) -> None:
    fake.replies = [Reply(429, openai_error("slow down"), {"retry-after-ms": "1500"})] * 3
    with pytest.raises(IntegrationError) as error:
        endpoint.post("/chat/completions", {"model": "m"})
    assert not error.value.permanent
    assert error.value.retry_after == 1.5
    assert "429" in error.value.message
    assert "slow down" in error.value.message
    assert waits == [1.5, 1.5]


def test_it_hands_a_long_retry_after_to_the_caller_without_waiting(
    fake: FakeOpenAI, endpoint: OpenAIEndpoint, waits: list[float]
) -> None:
    fake.replies = [Reply(429, openai_error("slow down"), {"Retry-After": "120"})]
    with pytest.raises(IntegrationError) as error:
        endpoint.post("/chat/completions", {"model": "m"})
    assert (error.value.permanent, error.value.retry_after, waits) == (False, 120.0, [])


@pytest.mark.parametrize(
    ("status", "body"),
    [
        (401, openai_error("Incorrect API key provided", "invalid_api_key")),
        (400, openai_error("'$.input' is invalid")),
        (404, openai_error("The model 'nope' does not exist", "model_not_found")),
        (429, openai_error("You exceeded your current quota", "insufficient_quota", "insufficient_quota")),
    ],
)
def test_refusals_a_retry_cannot_help_are_permanent_and_not_retried(
    fake: FakeOpenAI, endpoint: OpenAIEndpoint, status: int, body: dict[str, Any]
) -> None:
    fake.replies = [Reply(status, body)]
    with pytest.raises(IntegrationError) as error:
        endpoint.post("/chat/completions", {"model": "m"})
    assert error.value.permanent
    assert str(status) in error.value.message
    assert body["error"]["message"] in error.value.message
    assert len(fake.received) == 1


def test_a_rejected_key_says_so_and_never_shows_the_key(fake: FakeOpenAI, endpoint: OpenAIEndpoint) -> None:
    fake.replies = [Reply(401, openai_error("Incorrect API key provided", "invalid_api_key"))]
    with pytest.raises(IntegrationError) as error:
        endpoint.post("/embeddings", {"model": "m", "input": ["x"]})
    assert "check the API key" in error.value.message
    assert "sk-test-key" not in error.value.message


def test_a_server_that_does_not_answer_in_time_is_a_transient_error(fake: FakeOpenAI, waits: list[float]) -> None:
    fake.replies = [Reply(delay=0.6)]
    slow = OpenAIEndpoint(base_url=fake.base_url, timeout=0.2, attempts=1, sleep=waits.append)
    with pytest.raises(IntegrationError) as error:
        slow.post("/chat/completions", {"model": "m"})
    assert not error.value.permanent
    assert "did not answer within 0.2 s" in error.value.message


def test_a_server_that_is_not_there_is_a_transient_error_retried(waits: list[float]) -> None:
    with FakeOpenAI() as gone:
        url = gone.base_url
    with pytest.raises(IntegrationError) as error:
        OpenAIEndpoint(base_url=url, sleep=waits.append).post("/embeddings", {"model": "m"})
    assert not error.value.permanent
    assert waits == [0.5, 1.0]


def test_an_answer_that_is_not_json_is_a_permanent_error(fake: FakeOpenAI, endpoint: OpenAIEndpoint) -> None:
    fake.replies = [Reply(200, b"<html>a login page</html>")]
    with pytest.raises(IntegrationError) as error:
        endpoint.post("/chat/completions", {"model": "m"})
    assert error.value.permanent


def test_retry_after_reads_seconds_milliseconds_and_http_dates() -> None:
    now = datetime(2026, 11, 24, 12, 0, 0, tzinfo=UTC)
    assert retry_after({"retry-after": "7"}) == 7.0
    assert retry_after({"retry-after-ms": "250", "retry-after": "7"}) == 0.25
    assert retry_after({"retry-after": "Tue, 24 Nov 2026 12:00:30 GMT"}, now=now) == 30.0
    assert retry_after({"retry-after": "Tue, 24 Nov 2026 11:00:00 GMT"}, now=now) == 0.0
    assert retry_after({"retry-after": "soon"}) is None
    assert retry_after({}) is None
