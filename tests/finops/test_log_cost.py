"""Log cost: prices, recommendations with savings, configuration a person can apply, and the team-scoped API."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from portal.catalog.models import Service
from portal.core.models import User
from portal.finops.logs import (
    CARDINALITY_LIMIT,
    GB,
    PatternVolume,
    Prices,
    StreamVolume,
    alloy_sampling,
    cardinality_recommendations,
    classify,
    log_cost,
    promtail_sampling,
)
from tests.conftest import client_for

DAY = 86400.0
PRICES = Prices(ingest_per_gb=0.50, storage_per_gb_month=0.10, retention_days=30)


def stream(service: str, level: str, log_type: str, gb_per_day: float) -> StreamVolume:
    return StreamVolume(service, level, log_type, [(0.0, gb_per_day * GB), (DAY, gb_per_day * GB)])


def test_a_steady_gigabyte_a_day_costs_its_ingest_and_what_retention_keeps() -> None:
    assert PRICES.monthly(1 * GB) == pytest.approx(30.4 * 0.50 + 30 * 0.10)
    assert PRICES.monthly(1 * GB, retention_days=3) == pytest.approx(30.4 * 0.50 + 3 * 0.10)
    compressed = Prices(ingest_per_gb=0.5, storage_per_gb_month=0.1, compression_ratio=10, retention_days=30)
    assert compressed.monthly(1 * GB) == pytest.approx(30.4 * 0.50 + 3 * 0.10)


def test_log_types_come_from_the_label_or_else_the_line() -> None:
    assert classify("info", "audit") == "audit"
    assert classify("debug", "") == "debug"
    assert classify("info", "", "GET /healthz 200 0.4ms kube-probe/1.31") == "health"
    assert classify("info", "", 'level=info msg="request handled" method=GET path=/x status=200') == "access"
    assert classify("info", "", '10.0.0.1 - - "GET /x HTTP/1.1" 404 12') == "access"
    assert classify("error", "", "payment declined") == "app"


def test_retention_rules_shorten_debug_and_lengthen_audit_and_parse_as_loki_config() -> None:
    report = log_cost(
        [stream("shop", "debug", "debug", 2.0), stream("shop", "info", "audit", 0.1), stream("shop", "info", "app", 1)],
        [],
        {},
        PRICES,
    )
    retention = {r.details["log_type"]: r for r in report["recommendations"] if r.kind == "retention"}
    assert set(retention) == {"debug", "audit"}  # app logs keep the 30-day default
    assert retention["debug"].monthly_saving == pytest.approx(2.0 * (30 - 3) * 0.10)
    assert retention["audit"].monthly_saving == pytest.approx(-0.1 * (365 - 30) * 0.10)
    config = yaml.safe_load(report["retention_config"])
    rules = config["limits_config"]["retention_stream"]
    assert {(r["selector"], r["period"]) for r in rules} == {
        ('{service="shop", log_type="debug"}', "72h"),
        ('{service="shop", log_type="audit"}', "8760h"),
    }
    assert all(isinstance(r["priority"], int) for r in rules)
    assert report["monthly_saving"] == pytest.approx(retention["debug"].monthly_saving)  # a cost is not a saving


def test_sampling_keeps_every_error_and_saves_on_the_loud_low_value_patterns() -> None:
    streams = [stream("shop", "info", "access", 10.0), stream("shop", "error", "access", 0.5)]
    patterns = [
        PatternVolume("shop", "info", "access", 'level=info msg="request handled" status=<*>', 0.9, "status=200"),
        PatternVolume("shop", "info", "access", 'level=info msg="request handled" status=<*>', 0.1, "status=404"),
        PatternVolume("shop", "error", "access", 'level=error msg="request handled" status=<*>', 1.0, "status=503"),
    ]
    report = log_cost(streams, patterns, {}, PRICES)
    sampling = [r for r in report["recommendations"] if r.kind == "sampling"]
    assert len(sampling) == 1, "4xx and errors are never sampled"
    rec = sampling[0]
    kept_retention = 14  # access logs
    assert rec.monthly_saving == pytest.approx(PRICES.monthly(9.0 * GB * 0.9, kept_retention), rel=1e-6)
    assert "stage.sampling" in rec.config
    assert re.search(r"^\s+rate = 0\.1$", rec.config, re.MULTILINE)
    promtail = yaml.safe_load(rec.details["promtail"])
    match = promtail["pipeline_stages"][0]["match"]
    assert match["stages"] == [{"sampling": {"rate": 0.1}}]
    assert match["selector"].startswith('{service="shop"} |~ ')
    regex = match["selector"].split("|~ ", 1)[1]
    assert re.search(yaml.safe_load(regex), 'level=info msg="request handled" status=200')


def test_the_alloy_snippet_is_one_well_formed_loki_process_component() -> None:
    text = alloy_sampling("checkout-api", '{service="checkout-api"} |~ "x"', 0.01)
    assert text.count("{") == text.count("}")
    assert text.startswith('loki.process "sample_checkout_api" {')
    assert "forward_to = [loki.write.default.receiver]" in text
    assert re.search(r'stage\.match \{\n\s+selector = "\{service=\\"checkout-api\\"\} \|~ \\"x\\""', text)


def test_labels_with_too_many_values_are_flagged_with_a_label_drop_stage() -> None:
    found = cardinality_recommendations({("shop", "pod"): 12, ("shop", "user_id"): CARDINALITY_LIMIT + 1})
    assert [r.details["label"] for r in found] == ["user_id"]
    assert 'stage.label_drop {\n    values = ["user_id"]' in found[0].config
    assert promtail_sampling('{a="b"}', 0.5)


@pytest.fixture
def world(demo_world: Path) -> Path:
    return demo_world


def _get(user: User | None, query: str = "") -> tuple[int, dict]:
    response = client_for(user).get(f"/api/v1/finops/logs{query}")
    return response.status_code, response.json()


def test_the_api_shows_a_team_its_own_services_and_platform_admins_all(world: Path) -> None:
    priya = User.objects.get(username="priya")  # payments team admin
    status, body = _get(priya, "?days=2")
    assert status == 200, body
    owned = set(Service.objects.filter(owner__name="payments").values_list("name", flat=True))
    assert set(body["services"]) == owned
    assert {s["service"] for s in body["streams"]} <= owned
    status, everything = _get(User.objects.get(username="admin"), "?days=2")
    assert status == 200
    assert set(everything["services"]) == set(Service.objects.values_list("name", flat=True))
    assert everything["monthly_cost"] > body["monthly_cost"] > 0


def test_the_api_report_prices_the_sandbox_and_recommends_what_the_sandbox_wastes(world: Path) -> None:
    status, body = _get(User.objects.get(username="admin"), "?days=2&service=checkout-api")
    assert status == 200, body
    recs = body["recommendations"]
    kinds = {(r["kind"], r["details"].get("log_type")) for r in recs}
    assert ("retention", "debug") in kinds  # checkout-api left debug logging on
    assert ("retention", "access") in kinds
    assert ("retention", "health") not in kinds  # a few cents a month: not worth a rule
    sampled = [r for r in recs if r["kind"] == "sampling"]
    assert any("request handled" in r["details"]["pattern"] for r in sampled)
    assert all(r["monthly_saving"] > 0 for r in sampled)
    assert body["monthly_saving"] == pytest.approx(sum(max(r["monthly_saving"], 0) for r in recs), abs=0.02)
    assert body["monthly_saving"] < body["monthly_cost"]
    levels = body["daily_by_level"]
    assert {"info", "debug"} <= set(levels)
    assert all(len(points) == 2 for points in levels.values())
    payments = _get(User.objects.get(username="admin"), "?days=2&service=payments-api")[1]
    audit = [r for r in payments["recommendations"] if r["details"].get("log_type") == "audit"]
    assert audit
    assert audit[0]["monthly_saving"] < 0


def test_the_api_refuses_other_teams_services_unknown_services_and_bad_days(world: Path) -> None:
    carla = User.objects.get(username="carla")  # checkout team
    status, body = _get(carla, "?service=payments-api")
    assert status == 403
    assert "payments-api" in body["error"]["message"]
    assert _get(carla, "?service=nope")[0] == 404
    assert _get(carla, "?service=%00x")[0] == 400
    status, body = _get(carla, "?days=0")
    assert status == 400
    assert body["error"]["fields"] == {"days": ["out of range"]}
    assert client_for(None).get("/api/v1/finops/logs").status_code in (401, 403)


def test_a_service_that_labels_streams_by_user_gets_a_cardinality_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    from portal.finops import log_report
    from portal.integrations.logs.base import LogsResult, LogStream
    from portal.integrations.logs.sandbox import SandboxLogs
    from portal.integrations.metrics.sandbox.fleet import Fleet, ServiceProfile

    class UserLabelled(SandboxLogs):
        """search-api put the user id in a stream label: 250 users, 250 times the streams."""

        def query_range(self, logql: str, **kwargs) -> LogsResult:
            result = super().query_range(logql, **kwargs)
            streams = [
                LogStream({**s.labels, "user_id": f"u{i % 250}"}, [e])
                for s in result.streams
                for i, e in enumerate(s.entries)
            ]
            return LogsResult(streams, result.limit, result.truncated)

        def label_values(self, label: str, **kwargs) -> list[str]:
            if label == "user_id":
                return [f"u{i}" for i in range(250)]
            return super().label_values(label, **kwargs)

    epoch = 1_793_491_200.0
    source = UserLabelled(Fleet(services=(ServiceProfile("search-api", tier=2, replicas=2),), epoch=epoch))
    monkeypatch.setattr(log_report, "logs", lambda: source)
    report = log_report.log_cost_report(["search-api"], days=3, now=epoch + 10 * DAY)
    cardinality = [r for r in report["recommendations"] if r["kind"] == "cardinality"]
    assert [(r["service"], r["details"]["label"], r["details"]["values"]) for r in cardinality] == [
        ("search-api", "user_id", 250)
    ]
    assert "pod" not in {r["details"].get("label") for r in cardinality}
    assert report["monthly_cost"] > 0
    assert len(report["daily_by_level"]["info"]) == 3
