"""Log evidence for an incident on the demo catalog's sandbox: new and surging patterns, error counts, links."""

from __future__ import annotations

import time
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from portal.aiops.analysis.logs import LogFinding, log_findings, rate_ratio, surge_score
from portal.integrations.backends import backend
from portal.integrations.errors import IntegrationError

HOUR = 3600.0


@pytest.fixture
def change_at(demo_world: Path) -> float:
    return float(int(time.time() - 4 * HOUR) // 60 * 60)


def _by_kind(findings: list[LogFinding], service: str, kind: str) -> list[LogFinding]:
    return [f for f in findings if f.service == service and f.kind == kind]


def test_a_memory_leak_shows_new_oom_patterns_and_more_errors_on_the_leaking_service(change_at: float) -> None:
    backend("METRICS").scenario_start("memory-leak", "checkout-api", start=change_at)
    findings = log_findings(
        ["checkout-api", "payments-api"], start=change_at - 3 * HOUR, split=change_at, end=change_at + 3 * HOUR
    )
    assert findings == sorted(findings, key=lambda f: -f.score)
    new = {f.pattern: f for f in _by_kind(findings, "checkout-api", "new_pattern")}
    assert any("OOMKilled" in p for p in new), list(new)
    assert any("GC pause <*>ms" in p for p in new), list(new)
    oom = next(f for p, f in new.items() if "OOMKilled" in p)
    assert oom.before == 0
    assert oom.after >= 3
    assert oom.level == "error"
    assert "OOMKilled" in oom.example
    assert oom.first_seen is not None
    assert change_at < oom.first_seen < change_at + 3 * HOUR
    errors = _by_kind(findings, "checkout-api", "error_count")[0]
    assert errors.after > 5 * errors.before
    assert errors.score >= 10
    calm = _by_kind(findings, "payments-api", "error_count")[0]
    assert calm.score < errors.score
    assert not _by_kind(findings, "payments-api", "new_pattern")
    assert findings[0].service == "checkout-api"


def test_a_slow_dependency_shows_timeouts_on_its_callers_as_one_pattern(change_at: float) -> None:
    backend("METRICS").scenario_start("dependency-slowdown", "catalog-search", start=change_at, added_latency=2.0)
    services = ["checkout-api", "cart-service", "recommendations", "catalog-search"]
    findings = log_findings(services, start=change_at - 2 * HOUR, split=change_at, end=change_at + HOUR)
    timeouts = [f for f in findings if f.kind == "new_pattern" and "timeout after <*>ms calling" in f.pattern]
    assert {f.service for f in timeouts} == {"checkout-api", "cart-service", "recommendations"}
    assert all(len([t for t in timeouts if t.service == s]) == 1 for s in services[:3]), "one pattern per caller"
    slow = [f for f in findings if f.service == "catalog-search" and "slow query took <*>ms" in f.pattern]
    assert slow
    assert slow[0].kind == "new_pattern"


def test_each_finding_links_to_the_portal_logs_page_with_its_query_and_range(change_at: float, settings) -> None:
    backend("METRICS").scenario_start("memory-leak", "checkout-api", start=change_at)
    start, end = change_at - HOUR, change_at + 2 * HOUR
    findings = log_findings(["checkout-api"], start=start, split=change_at, end=end)
    for finding in findings:
        link = urlsplit(finding.link)
        assert f"{link.scheme}://{link.netloc}" == settings.SITE_URL  # opens from a postmortem or a chat message too
        assert link.path == "/logs"
        params = parse_qs(link.query)
        assert int(params["start"][0]) == int(start)
        assert int(params["end"][0]) >= int(end)
        shown = backend("LOGS").query_range(params["query"][0], start=start, end=end, limit=5)
        assert shown.entries(), f"the link of {finding.pattern or finding.kind} shows no lines"


def test_with_grafana_the_links_open_explore_on_loki(change_at: float, settings) -> None:
    settings.GRAFANA_URL = "https://grafana.example.com"
    settings.GRAFANA_LOKI_UID = "loki-prod"
    backend("METRICS").scenario_start("memory-leak", "checkout-api", start=change_at)
    findings = log_findings(["checkout-api"], start=change_at - HOUR, split=change_at, end=change_at + 2 * HOUR)
    assert findings
    assert all(f.link.startswith("https://grafana.example.com/explore?") for f in findings)
    assert all("loki-prod" in f.link for f in findings)


def test_an_unreachable_loki_gives_no_findings_and_a_bad_configuration_is_an_error(
    demo_world: Path, settings, caplog: pytest.LogCaptureFixture
) -> None:
    from portal.integrations.backends import backends_reset

    settings.LOGS = {"BACKEND": "portal.integrations.logs.loki.LokiLogs", "OPTIONS": {"url": "http://127.0.0.1:9"}}
    backends_reset()
    now = time.time()
    assert log_findings(["checkout-api"], start=now - 2 * HOUR, split=now - HOUR, end=now) == []
    assert "no log evidence for checkout-api" in caplog.text
    settings.LOGS_SERVICE_LABEL = "service name"  # not a label name: Loki refuses the query
    settings.LOGS = {"BACKEND": "portal.integrations.logs.sandbox.CatalogSandboxLogs", "OPTIONS": {}}
    backends_reset()
    with pytest.raises(IntegrationError, match="parse error"):
        log_findings(["checkout-api"], start=now - 2 * HOUR, split=now - HOUR, end=now)


def test_the_surge_test_needs_both_a_higher_rate_and_enough_lines() -> None:
    assert surge_score(10, 10, 3600, 3600) < 1  # same rate
    assert surge_score(10, 40, 3600, 3600) > 3  # four times the rate, enough lines
    assert surge_score(0, 2, 3600, 3600) < 1  # two lines prove little
    assert rate_ratio(0, 6, 3600, 1800) == pytest.approx(12)


def test_a_range_without_an_after_part_gives_no_findings(demo_world: Path) -> None:
    now = time.time()
    assert log_findings(["checkout-api"], start=now - HOUR, split=now, end=now) == []


def test_loki_and_the_sandbox_give_the_same_findings(settings) -> None:
    from portal.integrations.backends import backends_reset
    from portal.integrations.logs.sandbox import SandboxLogs
    from portal.integrations.metrics.sandbox.fleet import Fleet, Scenario, ServiceProfile
    from tests.integrations.fake_http import FakeServer
    from tests.integrations.test_logs_contract import FakeLoki

    epoch = 1_793_491_200.0
    leak = epoch + 3 * 86400 + 9 * HOUR
    fleet = Fleet(
        services=(ServiceProfile("checkout-api", tier=1), ServiceProfile("search-api", tier=2, replicas=2)),
        epoch=epoch,
        scenarios=(Scenario("memory-leak", "checkout-api", leak),),
    )
    server = FakeServer(FakeLoki(SandboxLogs(fleet)))
    try:
        found = {}
        for name, config in {
            "loki": {"BACKEND": "portal.integrations.logs.loki.LokiLogs", "OPTIONS": {"url": server.url}},
            "sandbox": {"BACKEND": "tests.aiops.test_log_findings.FixedSandbox", "OPTIONS": {}},
        }.items():
            settings.LOGS = config
            FixedSandbox.fleet_for_tests = fleet
            backends_reset()
            found[name] = log_findings(
                ["checkout-api", "search-api"], start=leak - 2 * HOUR, split=leak, end=leak + 2 * HOUR
            )
    finally:
        server.close()
        backends_reset()

    def comparable(findings: list[LogFinding]) -> list[LogFinding]:  # nanosecond strings round the last digits
        return [replace(f, first_seen=round(f.first_seen, 3) if f.first_seen else None) for f in findings]

    assert comparable(found["loki"]) == comparable(found["sandbox"])
    assert any("OOMKilled" in f.pattern for f in found["loki"])


class FixedSandbox:
    """The sandbox over one given fleet, loadable by dotted path like any backend."""

    fleet_for_tests: Any = None

    def __new__(cls):
        from portal.integrations.logs.sandbox import SandboxLogs

        return SandboxLogs(cls.fleet_for_tests)
