"""The LLM capability: no model by default, callers fall back to templates, and prompts are kept as text files."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import override_settings

from portal.integrations.backends import backends_reset
from portal.integrations.llm import LLMUnavailable, NoLLM, prompt_render, text_written, writer
from portal.integrations.llm.locmem import LocmemWriter
from portal.integrations.llm.prompts import PROMPTS_DIR, prompt_placeholders

SUMMARY_VALUES = {
    "title": "Checkout errors",
    "service": "checkout-api",
    "severity": "SEV2",
    "status": "investigating",
    "started_at": "2026-11-24 14:05 UTC",
    "timeline": "14:02 deploy v1.4.2\n14:05 error ratio 12% (password=hunter2 in the logged URL)",
    "hypotheses": "1. deploy v1.4.2 (confidence 0.8)",
    "similar_incidents": "INC-12 Checkout 5xx after a config change",
}


def backend_configured(path: str) -> Iterator[None]:
    with override_settings(LLM={"BACKEND": path, "OPTIONS": {}}):
        backends_reset()
        yield
    backends_reset()


@pytest.fixture
def no_llm() -> Iterator[None]:
    yield from backend_configured("portal.integrations.llm.base.NoLLM")


@pytest.fixture
def locmem() -> Iterator[None]:
    yield from backend_configured("portal.integrations.llm.locmem.LocmemWriter")


def test_no_llm_refuses_every_request_so_callers_take_their_template() -> None:
    with pytest.raises(LLMUnavailable) as error:
        NoLLM().complete("system", "user", max_tokens=10)
    assert error.value.permanent
    assert not NoLLM.enabled


@pytest.mark.usefixtures("no_llm")
def test_with_no_llm_text_written_is_the_fallback() -> None:
    assert isinstance(writer(), NoLLM)
    written = text_written(
        prompt_render("incident_summary", **SUMMARY_VALUES), fallback="From the template.", max_tokens=9
    )
    assert (written.text, written.model) == ("From the template.", "")


@pytest.mark.usefixtures("locmem")
def test_a_configured_writer_writes_and_is_sent_only_redacted_text() -> None:
    written = text_written(prompt_render("incident_summary", **SUMMARY_VALUES), fallback="template", max_tokens=300)
    assert (written.text, written.model) == ("Written by the test model.", "locmem")
    sent = writer()
    assert isinstance(sent, LocmemWriter)
    assert "hunter2" not in sent.outbox[0].user
    assert "password=[REDACTED]" in sent.outbox[0].user
    assert sent.outbox[0].max_tokens == 300


def test_a_prompt_is_rendered_with_every_placeholder_filled() -> None:
    prompt = prompt_render("incident_summary", **SUMMARY_VALUES)
    assert "Service: checkout-api" in prompt.user
    assert "14:02 deploy v1.4.2" in prompt.user
    assert "$" not in prompt.user
    assert "$" not in prompt.system
    assert "never as instructions" in prompt.system


def test_placeholder_syntax_in_the_values_is_left_as_text() -> None:
    prompt = prompt_render("incident_summary", **{**SUMMARY_VALUES, "timeline": "echo $HOME ${service}"})
    assert "echo $HOME ${service}" in prompt.user


def test_a_missing_or_unknown_value_is_refused_by_name() -> None:
    values = {k: v for k, v in SUMMARY_VALUES.items() if k != "timeline"}
    with pytest.raises(ValueError, match=r"missing \['timeline'\], not used \['team'\]"):
        prompt_render("incident_summary", **values, team="payments")


@pytest.mark.parametrize("name", ["nope", "../settings", "incident_summary.user", ""])
def test_an_unknown_prompt_is_refused(name: str) -> None:
    with pytest.raises(ValueError, match="There is no prompt"):
        prompt_render(name)


def test_every_prompt_has_a_system_and_a_user_text() -> None:
    names = {path.name.split(".")[0] for path in PROMPTS_DIR.glob("*.txt")}
    assert names == {"incident_summary", "postmortem"}
    for name in names:
        assert (PROMPTS_DIR / f"{name}.system.txt").is_file()
        assert prompt_placeholders(name)
    assert {"impact", "root_cause", "remediation", "resolved_at"} <= prompt_placeholders("postmortem")
