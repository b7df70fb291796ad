"""The log-cost page and the logs explorer in a real browser (Debian's Chromium through Playwright)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser, sync_playwright
from pytest_django.live_server_helper import LiveServer

from portal.catalog.demo import demo_load
from portal.integrations.backends import backend
from tests.web.test_browser import ARGS, CHROMIUM, Visitor
from tests.web.world import portal_sandbox


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(settings.BASE_DIR) / "test-output" / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[tuple[float, LiveServer]]:
    """The demo catalog with a memory leak on checkout-api three hours ago, and a live server."""
    root = tmp_path_factory.mktemp("web-logs")
    with django_db_blocker.unblock(), portal_sandbox(root):
        server = None
        try:
            demo_load()
            leak_at = float(int(time.time() - 3 * 3600) // 60 * 60)
            backend("METRICS").scenario_start("memory-leak", "checkout-api", start=leak_at)
            server = LiveServer("127.0.0.1:0")
            yield leak_at, server
        finally:
            if server is not None:
                server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def browser(live: tuple[float, LiveServer]) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visitor(browser: Browser, live: tuple[float, LiveServer], shots: Path) -> Iterator[Visitor]:
    visitor = Visitor(browser, live[1], shots)
    yield visitor
    visitor.close()


@pytest.mark.django_db  # also makes the session set up the test database the live server uses
def test_the_log_pages_send_a_stranger_to_sign_in(client) -> None:
    for url in ("/finops/logs", "/logs"):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/login/")


def test_a_team_admin_reads_the_log_cost_and_opens_a_recommendations_config(visitor: Visitor) -> None:
    visitor.sign_in("priya")
    page = visitor.open("/")
    with page.expect_navigation():
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Log cost").click()
    visitor.check()
    assert page.get_by_role("heading", name="Log cost", level=1).is_visible()
    cost = page.get_by_test_id("log-monthly-cost").inner_text()
    saving = page.get_by_test_id("log-monthly-saving").inner_text()
    assert cost.startswith("$")
    assert saving.startswith("$")
    assert float(saving.strip("$").replace(",", "")) < float(cost.strip("$").replace(",", ""))
    assert page.get_by_role("img", name="Log volume per day by level, last 7 days").is_visible()
    assert page.get_by_role("img", name="Projected monthly saving per recommendation").is_visible()
    audit = page.locator("article.recommendation", has_text="Keep audit logs of payments-api for 365 days")
    assert audit.get_by_text("a month more").is_visible()
    sampling = page.locator("article.recommendation[data-kind=sampling]").first
    sampling.get_by_text("Configuration (alloy)").click()
    assert sampling.get_by_text("stage.sampling").is_visible()
    assert page.get_by_role("cell", name="checkout-api").count() == 0, "another team's service"
    visitor.shot("log-cost")
    with page.expect_navigation():
        page.get_by_role("link", name="Last 1 day").click()
    visitor.check()
    assert page.get_by_role("img", name="Log volume per day by level, last 1 day").count() == 1


def test_an_sre_follows_an_evidence_link_into_the_logs_explorer(
    visitor: Visitor, live: tuple[float, LiveServer]
) -> None:
    leak_at, _ = live
    visitor.sign_in("sam")
    query = '{service="checkout-api", level="error"} |~ `container OOMKilled: memory limit .*?MiB exceeded`'
    page = visitor.open("/logs?" + urlencode({"query": query, "start": int(leak_at), "end": int(leak_at + 3 * 3600)}))
    rows = page.locator("table.log-lines tbody tr")
    assert rows.count() >= 3
    assert "OOMKilled" in rows.first.inner_text()
    times = [rows.nth(i).locator("time").inner_text() for i in range(rows.count())]
    assert times == sorted(times, reverse=True), "newest first"
    visitor.shot("logs-explorer")
    page.get_by_label("LogQL query").fill('{service="checkout-api"')
    with page.expect_navigation():
        page.get_by_role("button", name="Run").click()
    assert page.get_by_role("alert").inner_text().startswith("parse error")
