"""The OpenAI-compatible chat writer: OpenAI's request and answer shapes, retries, and no secret in what it sends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from portal.integrations.backends import backends_reset
from portal.integrations.errors import IntegrationError
from portal.integrations.llm import prompt_render, text_written
from portal.integrations.llm.openai_chat import OpenAIChat
from tests.integrations.test_llm_openai_http import FakeOpenAI, Reply, chat_response, openai_error
from tests.integrations.test_llm_redact import SECRETS

EVIDENCE = "\n".join(f"14:0{i % 10} {text}" for i, (text, _) in enumerate(SECRETS))


@pytest.fixture
def fake() -> Iterator[FakeOpenAI]:
    with FakeOpenAI(chat_reply="Checkout is failing since 14:05; the 14:02 deploy is the likely cause.") as server:
        yield server


@pytest.fixture
def chat(fake: FakeOpenAI) -> OpenAIChat:
    return OpenAIChat(base_url=fake.base_url, model="llama3.1:8b", api_key="sk-test-key", timeout=2.0)


def summary_prompt(evidence: str) -> tuple[str, str]:
    prompt = prompt_render("incident_summary", **{**_values(), "timeline": evidence})
    return prompt.system, prompt.user


def test_it_asks_for_a_chat_completion_and_returns_the_text(fake: FakeOpenAI, chat: OpenAIChat) -> None:
    text = chat.complete("You summarise incidents.", "Checkout errors since 14:05.", max_tokens=300)
    assert text == fake.chat_reply
    assert fake.received[0].path == "/v1/chat/completions"
    assert fake.received[0].body == {
        "model": "llama3.1:8b",
        "messages": [
            {"role": "system", "content": "You summarise incidents."},
            {"role": "user", "content": "Checkout errors since 14:05."},
        ],
        "max_tokens": 300,
        "temperature": 0.2,
    }


def test_no_secret_from_the_evidence_reaches_the_server(fake: FakeOpenAI, chat: OpenAIChat) -> None:
    system, user = summary_prompt(EVIDENCE)
    assert all(secret in user for _, secret in SECRETS)  # the seeded evidence really carries them
    chat.complete(system, user, max_tokens=300)
    sent = fake.received[0].raw.decode()
    leaked = [
        secret for _, secret in SECRETS if secret in sent or secret in fake.received[0].body["messages"][1]["content"]
    ]
    assert leaked == []
    assert "checkout-api" in sent
    assert "[REDACTED" in sent


def test_it_names_the_token_limit_as_the_server_wants_and_can_leave_temperature_out(fake: FakeOpenAI) -> None:
    chat = OpenAIChat(
        base_url=fake.base_url, model="gpt-5-mini", temperature=None, max_tokens_field="max_completion_tokens"
    )
    chat.complete("s", "u", max_tokens=50)
    body = fake.received[0].body
    assert body["max_completion_tokens"] == 50
    assert "max_tokens" not in body
    assert "temperature" not in body


def test_it_retries_a_rate_limit_then_answers(fake: FakeOpenAI, chat: OpenAIChat) -> None:
    fake.replies = [
        Reply(429, openai_error("Rate limit reached for requests", "rate_limit_exceeded"), {"Retry-After": "0"})
    ]
    assert chat.complete("s", "u", max_tokens=10) == fake.chat_reply
    assert len(fake.received) == 2


def test_a_rejected_key_is_a_permanent_error(fake: FakeOpenAI, chat: OpenAIChat) -> None:
    fake.replies = [Reply(401, openai_error("Incorrect API key provided: sk-test***", "invalid_api_key"))]
    with pytest.raises(IntegrationError) as error:
        chat.complete("s", "u", max_tokens=10)
    assert error.value.permanent
    assert len(fake.received) == 1


def test_a_reasoning_model_s_thinking_is_dropped(fake: FakeOpenAI, chat: OpenAIChat) -> None:
    fake.replies = [
        Reply(body=chat_response("qwen3", "<think>\nThe deploy came first.\n</think>\n\nThe deploy broke it."))
    ]
    assert chat.complete("s", "u", max_tokens=10) == "The deploy broke it."


@pytest.mark.parametrize(
    "body",
    [chat_response("m", ""), {"choices": []}, {"choices": [{"message": {"role": "assistant", "content": None}}]}],
)
def test_an_answer_without_text_is_an_error(fake: FakeOpenAI, chat: OpenAIChat, body: dict) -> None:
    fake.replies = [Reply(body=body)]
    with pytest.raises(IntegrationError):
        chat.complete("s", "u", max_tokens=10)


@pytest.fixture
def configured(fake: FakeOpenAI) -> Iterator[None]:
    """settings.LLM names the chat writer, pointed at the fake server."""
    options = {"base_url": fake.base_url, "model": "llama3.1:8b", "attempts": 1, "timeout": 2.0}
    with override_settings(LLM={"BACKEND": "portal.integrations.llm.openai_chat.OpenAIChat", "OPTIONS": options}):
        backends_reset()
        yield
    backends_reset()


@pytest.mark.usefixtures("configured")
def test_text_written_uses_the_configured_model(fake: FakeOpenAI) -> None:
    written = text_written(prompt_render("incident_summary", **_values()), fallback="template", max_tokens=200)
    assert (written.text, written.model) == (fake.chat_reply, "llama3.1:8b")


@pytest.mark.usefixtures("configured")
def test_text_written_falls_back_to_the_template_when_the_model_fails(fake: FakeOpenAI) -> None:
    fake.replies = [Reply(500, openai_error("model crashed", kind="server_error"))]
    written = text_written(prompt_render("incident_summary", **_values()), fallback="template", max_tokens=200)
    assert (written.text, written.model) == ("template", "")


def _values() -> dict[str, str]:
    return {
        "title": "Checkout errors",
        "service": "checkout-api",
        "severity": "SEV2",
        "status": "investigating",
        "started_at": "2026-11-24 14:05 UTC",
        "timeline": "14:02 deploy v1.4.2\n14:05 error ratio 12%",
        "hypotheses": "1. deploy v1.4.2 (0.8)",
        "similar_incidents": "none",
    }
