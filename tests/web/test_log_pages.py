"""The logs explorer and the log-cost page, rendered by Django on the demo catalog's sandbox."""

from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.test import Client

from portal.core.models import User
from portal.integrations.backends import backend


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


@pytest.fixture
def leak_at(demo_world: Path) -> float:
    at = float(int(time.time() - 3 * 3600) // 60 * 60)
    backend("METRICS").scenario_start("memory-leak", "checkout-api", start=at)
    return at


def test_the_explorer_shows_the_lines_of_a_query_newest_first_and_says_when_it_cut_them(leak_at: float) -> None:
    query = '{service="checkout-api"} |= "OOMKilled"'
    params = {"query": query, "start": int(leak_at), "end": int(leak_at + 3 * 3600), "limit": 2}
    html = signed_in("lee").get(f"/logs?{urlencode(params)}").content.decode()
    assert html.count("container OOMKilled: memory limit 1024MiB exceeded, restarting") == 2
    assert "Only the newest 2 lines are shown" in html
    assert "service=checkout-api" in html


def test_the_explorer_explains_a_bad_query_and_an_empty_range(demo_world: Path) -> None:
    client = signed_in("lee")
    bad = client.get("/logs?" + urlencode({"query": '{service="checkout-api"'})).content.decode()
    assert "parse error" in bad
    now = int(time.time())
    empty = client.get("/logs?" + urlencode({"query": '{service="nope"}', "start": now - 60, "end": now}))
    assert "No lines match in this range." in empty.content.decode()
    odd = client.get("/logs?" + urlencode({"query": '{service="nope"}', "start": "inf", "end": "nan", "limit": "x"}))
    assert odd.status_code == 200
    assert Client().get("/logs").status_code == 302  # sign-in first


def test_the_log_cost_page_shows_a_team_its_services_recommendations_and_savings(demo_world: Path) -> None:
    html = signed_in("priya").get("/finops/logs?days=1").content.decode()
    assert "Monthly log cost" in html
    assert "Keep audit logs of payments-api for 365 days" in html
    assert "Costs <strong>" in html  # a longer audit retention costs more, and says so
    assert "retention_stream:" in html
    assert "stage.sampling" in html
    assert "checkout-api" not in html  # another team's service
    assert 'aria-label="Projected monthly saving per recommendation"' in html
    assert 'aria-current="page">Log cost' in html
