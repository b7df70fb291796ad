"""The service page's Delivery section in a real browser (Debian's Chromium through Playwright), on the page world."""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from playwright.sync_api import Browser, Page, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.web.test_browser import ARGS, CHROMIUM, Visitor
from tests.web.world import World, portal_sandbox, world_build

# WCAG 2.1 contrast of a badge's text on its own background (both opaque in the stylesheet).
CONTRAST = """(element) => {
  const rgb = (css) => css.match(/\\d+(\\.\\d+)?/g).slice(0, 3).map(Number);
  const channel = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
  const lum = (c) => { const [r, g, b] = c.map(channel); return 0.2126 * r + 0.7152 * g + 0.0722 * b; };
  const style = getComputedStyle(element);
  const [a, b] = [lum(rgb(style.color)), lum(rgb(style.backgroundColor))];
  return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
}"""


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(settings.BASE_DIR) / "test-output" / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[LiveServer]:
    """The page world (with its delivery rows for checkout-api), committed, behind a live server."""
    root = tmp_path_factory.mktemp("web-delivery")
    with django_db_blocker.unblock(), portal_sandbox(root) as sandbox:
        server = None
        try:
            world: World = world_build(sandbox)
            assert world.open_incident
            server = LiveServer("127.0.0.1:0")
            yield server
        finally:
            if server is not None:
                server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def browser(live: LiveServer) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def visitor(browser: Browser, live: LiveServer, shots: Path) -> Iterator[Visitor]:
    visitor = Visitor(browser, live, shots)
    yield visitor
    visitor.close()


def _heading_levels(page: Page) -> list[int]:
    return list(page.eval_on_selector_all("section.delivery :is(h2, h3, h4)", "hs => hs.map(h => +h.tagName[1])"))


@pytest.mark.django_db  # also makes the session set up the test database the live server uses
def test_a_stranger_is_sent_to_sign_in_before_seeing_delivery_data(client: Client) -> None:
    response = client.get("/services/checkout-api")
    assert response.status_code == 302
    assert response["Location"] == "/login/?next=/services/checkout-api"


def test_the_team_reads_the_delivery_section_and_it_is_accessible(visitor: Visitor, shots: Path) -> None:
    visitor.sign_in("carla")
    page = visitor.open("/services/checkout-api")
    section = page.get_by_role("region", name="Delivery")
    section.scroll_into_view_if_needed()
    assert section.is_visible()
    for name in ("Change risk", "Canary judgements", "Quality gates", "Preview environments", "Infrastructure"):
        assert section.get_by_role("region", name=name).is_visible(), name
    assert section.get_by_role("meter", name="Risk score 68 of 100").is_visible()
    assert section.get_by_role("img", name="Change risk of checkout-api").is_visible()
    assert section.get_by_role("img", name="Canary scores of checkout-api").is_visible()
    assert section.get_by_role("link", name="example-org/checkout-api#9").is_visible()

    levels = _heading_levels(page)
    assert levels[0] == 2, levels
    assert all(b - a <= 1 for a, b in itertools.pairwise(levels)), f"a heading level is skipped: {levels}"
    ids = page.eval_on_selector_all("[id]", "es => es.map(e => e.id)")
    assert len(ids) == len(set(ids)), f"duplicate ids: {sorted(i for i in ids if ids.count(i) > 1)}"
    assert page.eval_on_selector_all("section.delivery th:not([scope])", "ths => ths.length") == 0
    badges = section.locator(".status, .badge")
    assert badges.count() >= 8
    for i in range(badges.count()):
        ratio = badges.nth(i).evaluate(CONTRAST)
        assert ratio >= 4.5, (badges.nth(i).inner_text(), ratio)
    links = section.get_by_role("link")
    for i in range(links.count()):
        links.nth(i).focus()
        assert links.nth(i).evaluate("e => e === document.activeElement"), links.nth(i).inner_text()
    visitor.shot("service-delivery")
    section.screenshot(path=str(shots / "service-delivery-section.png"))

    status = section.get_by_role("link", name="redis orders-cache-prod").get_attribute("href")
    assert status is not None
    answer = page.request.get(status, headers={"Accept": "application/json"})
    assert answer.status == 200, answer.text()[:300]
    assert answer.json()["state"] == "awaiting_approval"

    with page.expect_navigation():
        section.get_by_role("link", name="All preview environments").click()
    visitor.check()
    assert page.get_by_role("heading", level=1).inner_text() == "Preview environments"
    assert page.get_by_text("checkout-api #9").is_visible()
