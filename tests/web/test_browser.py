"""The portal in a real browser: Debian's Chromium driven by Playwright against a live server on demo data.

Screenshots go to test-output/web/ at the repository root. Nothing is fetched from outside the live server: every
other request is blocked and fails the test.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from playwright.sync_api import Browser, Page, Route, sync_playwright
from pytest_django.live_server_helper import LiveServer

from tests.web.world import PASSWORD, World, portal_sandbox, world_build

CHROMIUM = Path("/usr/bin/chromium")
if not CHROMIUM.exists():
    pytest.fail("needs Debian's chromium: `make test` installs it (apt-get install -y chromium)", pytrace=False)

ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
FAILURE_TEXT = ("Traceback", "Server Error", "The portal failed", "Internal Server Error")
STEP_DELAY = 0.4  # seconds per scaffold step, so the run's log can be watched growing


@pytest.fixture(scope="module")
def shots() -> Path:
    folder = Path(settings.BASE_DIR) / "test-output" / "web"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@pytest.fixture(scope="module")
def live_world(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[tuple[World, LiveServer]]:
    """Committed demo data and a live server for this module; the database is emptied afterwards."""
    root = tmp_path_factory.mktemp("web-live")
    with django_db_blocker.unblock(), portal_sandbox(root, step_delay=STEP_DELAY) as sandbox:
        server = None
        try:
            world = world_build(sandbox)
            server = LiveServer("127.0.0.1:0")
            yield world, server
        finally:
            if server is not None:
                server.stop()
            call_command("flush", interactive=False, verbosity=0)


@pytest.fixture(scope="module")
def browser(live_world: tuple[World, LiveServer]) -> Iterator[Browser]:
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
        yield chromium
        chromium.close()


class Visitor:
    """One signed-in browser tab that checks every page it opens for errors and outside requests."""

    def __init__(self, browser: Browser, server: LiveServer, shots: Path) -> None:
        self.base, self.shots = server.url, shots
        self.context = browser.new_context(base_url=self.base, viewport={"width": 1366, "height": 900})
        self.outside: list[str] = []
        self.console_errors: list[str] = []
        self.context.route(re.compile(r".*"), self._only_the_portal)
        self.page = self.context.new_page()
        self.page.set_default_timeout(15_000)
        self.page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        self.page.on("pageerror", lambda e: self.console_errors.append(str(e)))

    def _only_the_portal(self, route: Route) -> None:
        if route.request.url.startswith(self.base) or route.request.url.startswith("data:"):
            route.continue_()
        else:
            self.outside.append(route.request.url)
            route.abort()

    def sign_in(self, username: str) -> None:
        self.open("/login/")
        self.page.get_by_label("Username").fill(username)
        self.page.get_by_label("Password").fill(PASSWORD)
        with self.page.expect_navigation():
            self.page.get_by_role("button", name="Sign in").click()
        assert "/login/" not in self.page.url, self.page.locator("main").inner_text()

    def open(self, url: str) -> Page:
        response = self.page.goto(url)
        assert response is not None
        assert response.status == 200, (url, response.status)
        self.check()
        return self.page

    def check(self) -> None:
        html = self.page.content()
        for text in FAILURE_TEXT:
            assert text not in html, (self.page.url, text)
        assert not self.outside, f"requests outside the portal: {self.outside}"
        assert not self.console_errors, f"browser console errors on {self.page.url}: {self.console_errors}"

    def shot(self, name: str) -> Path:
        path = self.shots / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def close(self) -> None:
        self.context.close()


@pytest.fixture
def visitor(browser, live_world, shots) -> Iterator[Visitor]:
    visitor = Visitor(browser, live_world[1], shots)
    yield visitor
    visitor.close()


def test_an_sre_signs_in_and_every_page_renders(visitor: Visitor, live_world) -> None:
    world, _ = live_world
    visitor.sign_in("sam")
    pages = {
        "home": "/",
        "service": "/services/checkout-api?range=6h",
        "incidents": "/incidents",
        "incident": f"/incidents/{world.story_incident}",
        "approvals": "/approvals",
        "finops": "/finops",
        "golden-paths": "/golden-paths",
        "golden-path": "/golden-paths/python-http-service",
        "run": f"/golden-paths/runs/{world.run_id}",
        "scorecard": "/scorecard",
    }
    for name, url in pages.items():
        page = visitor.open(url)
        assert page.locator("h1").first.is_visible(), url
        visitor.shot(name)
    page = visitor.open("/services/checkout-api")
    assert page.get_by_role("img", name="Latency of checkout-api").is_visible()
    assert page.locator(".marker-deploy").count() >= 2, "the deploy is marked on both plots"


def test_the_keyboard_reaches_the_skip_link_and_navigation(visitor: Visitor) -> None:
    visitor.sign_in("lee")
    page = visitor.open("/")
    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to content")
    assert skip.evaluate("element => element === document.activeElement")
    assert skip.is_visible()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.closest('main') !== null")


def test_an_sre_approves_an_action_with_evidence_and_diff(visitor: Visitor, live_world) -> None:
    world, _ = live_world
    visitor.sign_in("sam")
    page = visitor.open("/approvals")
    own = page.locator(f"#action-{world.sam_action}")
    assert own.get_by_text("You requested this action; another SRE has to approve or reject it.").is_visible()
    assert own.get_by_role("button", name="Approve").count() == 0
    card = page.locator(f"#action-{world.analysis_action}")
    assert card.get_by_text("deploy v2.4.0 on payments-api 5 min before the symptoms").is_visible()
    assert card.locator(".diff .add", has_text="tag: v2.3.0").is_visible()
    card.get_by_label("Comment (why you approve or reject)").fill("errors began with v2.4.0; roll back")
    visitor.shot("approval-before")
    with page.expect_navigation():
        card.get_by_role("button", name="Approve").click()
    visitor.check()
    assert page.get_by_text("Approved 'Roll back the last deploy' on payments-api (prod).").is_visible()
    assert page.locator(f"#action-{world.analysis_action}").count() == 0
    assert page.get_by_role("cell", name="errors began with v2.4.0; roll back").is_visible()
    visitor.shot("approval-after")


def test_a_developer_starts_a_golden_path_run_and_watches_its_log(visitor: Visitor) -> None:
    visitor.sign_in("priya")
    page = visitor.open("/golden-paths")
    page.get_by_role("link", name="Create a service from Tiny service (test fixture)").click()
    page.get_by_label("Name").fill("wallet")
    page.get_by_label("Owner").select_option(label="Payments")
    page.get_by_label("Description").fill("Balances and holds")
    with page.expect_navigation():
        page.get_by_role("button", name=re.compile("Create")).click()
    visitor.check()
    assert "/golden-paths/runs/" in page.url
    page.evaluate("window.__sameDocument = true")
    seen: list[tuple[str, int]] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        state = page.locator("#run-state").inner_text()
        seen.append((state, page.locator("#run-log li").count()))
        if state in ("Succeeded", "Failed"):
            break
        page.wait_for_timeout(200)
    assert seen[-1][0] == "Succeeded", seen
    counts_while_running = {count for state, count in seen if state == "Running"}
    assert len(counts_while_running) >= 2, f"the log grew while the run was running: {seen}"
    assert page.evaluate("window.__sameDocument === true"), "the page updated itself without a reload"
    assert page.locator("#run-log li", has_text="run succeeded").is_visible()
    assert page.locator("#run-steps .badge", has_text="Succeeded").count() == 5
    assert page.get_by_role("link", name="wallet in the catalog").is_visible()
    visitor.check()
    visitor.shot("golden-path-run")


def test_a_developer_opens_a_postmortem_from_the_incident(visitor: Visitor, live_world) -> None:
    world, _ = live_world
    visitor.sign_in("lee")
    page = visitor.open("/incidents?state=resolved")
    page.get_by_role("link", name=re.compile(rf"^#{world.story_incident} ")).click()
    visitor.check()
    assert page.get_by_role("heading", name="Likely causes").is_visible()
    page.get_by_role("link", name="Read the postmortem").click()
    visitor.check()
    assert page.url.endswith(f"/incidents/{world.story_incident}/postmortem")
    assert page.get_by_role("heading", name=re.compile("^Postmortem: ")).is_visible()
    assert page.get_by_role("heading", name="Root cause").is_visible()
    assert page.locator("pre code.language-yaml").first.is_visible()
    visitor.shot("postmortem")
