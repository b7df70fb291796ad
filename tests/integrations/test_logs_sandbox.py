"""The log sandbox tells the metrics sandbox's story: same requests, same errors, same OOM kills, same scenarios."""

from __future__ import annotations

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.logs.logql import LogQLError, parse_log_query, parse_metric_query
from portal.integrations.logs.sandbox import SandboxLogs
from portal.integrations.metrics.base import Query, Signal
from portal.integrations.metrics.sandbox.fleet import Fleet, Scenario, ServiceProfile
from portal.integrations.metrics.sandbox.source import SandboxMetrics

EPOCH = 1_793_491_200.0
HOUR = 3600.0
LEAK_START = EPOCH + 3 * 86400 + 9 * HOUR


def fleet(*scenarios: Scenario) -> Fleet:
    services = (ServiceProfile("checkout-api", tier=1), ServiceProfile("search-api", tier=2, replicas=2))
    return Fleet(services=services, epoch=EPOCH, scenarios=scenarios)


def count(source: SandboxLogs, logql: str, at: float) -> float:
    series = source.metric_instant(f"sum(count_over_time({logql} [1h]))", at=at)
    return series[0].points[0][1] if series else 0.0


def metric(metrics: SandboxMetrics, signal: Signal, service: str, at: float) -> float:
    return metrics.instant(Query(signal, service, window="1h"), at=at)[0].points[0][1]


def test_access_lines_are_the_requests_and_5xx_lines_are_the_errors_the_metrics_count() -> None:
    f = fleet()
    logs, metrics = SandboxLogs(f), SandboxMetrics(f)
    at = LEAK_START
    requests = metric(metrics, Signal.REQUEST_RATE, "checkout-api", at) * HOUR
    errors = metric(metrics, Signal.ERROR_RATIO, "checkout-api", at) * requests
    access = count(logs, '{service="checkout-api", log_type="access"}', at)
    failed = count(logs, '{service="checkout-api", log_type="access"} | logfmt | status >= 500', at)
    assert access == pytest.approx(requests, rel=0.01)
    assert failed == pytest.approx(errors, rel=0.05, abs=3)


def test_the_memory_leak_logs_gc_pressure_then_oom_kills_and_5xx() -> None:
    leaky = SandboxLogs(fleet(Scenario("memory-leak", "checkout-api", LEAK_START)))
    calm = SandboxLogs(fleet())
    gc = '{service="checkout-api"} |= "GC pause"'
    oom = '{service="checkout-api"} |= "OOMKilled"'
    assert count(leaky, gc, LEAK_START) == 0
    assert count(leaky, oom, LEAK_START) == 0
    first_gc = leaky.query_range(gc, start=LEAK_START, end=LEAK_START + 3 * HOUR, limit=1, direction="forward")
    first_oom = leaky.query_range(oom, start=LEAK_START, end=LEAK_START + 3 * HOUR, limit=1, direction="forward")
    assert first_gc.entries()[0][1].ts < first_oom.entries()[0][1].ts, "GC pressure comes before the OOM kill"
    restarts = SandboxMetrics(leaky.fleet).instant(
        Query(Signal.RESTARTS, "checkout-api", window="3h"), at=LEAK_START + 3 * HOUR
    )
    kills = leaky.metric_instant(f"sum(count_over_time({oom} [3h]))", at=LEAK_START + 3 * HOUR)[0].points[0][1]
    assert kills == restarts[0].points[0][1] >= 3  # one OOM-kill line per restart the metrics count
    oom_5xx = '{service="checkout-api"} |= "out of memory"'
    assert count(leaky, oom_5xx, LEAK_START + 3 * HOUR) > 100
    assert count(calm, oom_5xx, LEAK_START + 3 * HOUR) == 0
    assert count(leaky, '{service="search-api"} |= "GC pause"', LEAK_START + 3 * HOUR) == 0


def test_a_cpu_regression_logs_slow_handlers() -> None:
    slow = SandboxLogs(fleet(Scenario("cpu-regression", "search-api", LEAK_START)))
    query = '{service="search-api"} |= "slow handler"'
    assert count(slow, query, LEAK_START) == 0 < count(slow, query, LEAK_START + HOUR)


def test_the_same_range_gives_the_same_lines() -> None:
    one = SandboxLogs(fleet()).query_range('{service="search-api"}', start=LEAK_START, end=LEAK_START + 300, limit=500)
    two = SandboxLogs(fleet()).query_range('{service="search-api"}', start=LEAK_START, end=LEAK_START + 300, limit=500)
    assert one == two
    assert len(one.entries()) == 500


def test_limits_are_enforced_and_said() -> None:
    logs = SandboxLogs(fleet())
    with pytest.raises(IntegrationError, match="limit"):
        logs.query_range('{service="search-api"}', start=LEAK_START, end=LEAK_START + 60, limit=50_000)
    with pytest.raises(IntegrationError, match="11,000 points"):
        logs.metric_range('count_over_time({service="search-api"} [1m])', start=EPOCH, end=EPOCH + 30 * 86400, step=60)


@pytest.mark.parametrize(
    "text",
    [
        '{service=""}',  # matches everything: Loki refuses it
        '{service="a"} | status >>= 5',
        '{service="a"} |~ "("',
        'sum by (level) (nope({service="a"} [5m]))',
        'count_over_time({service="a"} [5 minutes])',
        '{service="a"} | pattern "no captures"',
    ],
)
def test_logql_outside_the_subset_is_refused_with_the_reason(text: str) -> None:
    with pytest.raises((LogQLError, ValueError)):
        parse_metric_query(text) if "(" in text.split("{")[0] else parse_log_query(text)


def test_logql_parsers_extract_fields_like_loki() -> None:
    line = '{"level":"error","http":{"status":503,"path":"/x"},"tags":["a"]}'
    labels = parse_log_query('{service="a"} | json | http_status >= 500').process({"service": "a", "level": "x"}, line)
    assert labels == {"service": "a", "level": "x", "level_extracted": "error", "http_status": "503", "http_path": "/x"}
    pattern = parse_log_query('{service="a"} | pattern "<ip> - <_> \\"<method> <path> <_>\\" <status> <_>"')
    access = '10.0.0.1 - - "GET /api/v1/x HTTP/1.1" 404 512'
    assert pattern.process({"service": "a"}, access) == {
        "service": "a",
        "ip": "10.0.0.1",
        "method": "GET",
        "path": "/api/v1/x",
        "status": "404",
    }
    assert parse_log_query('{service="a"} != "GET" !~ "x.q"').process({"service": "a"}, "POST xyz") is not None
    assert parse_log_query('{service="a"} != "GET" !~ "x.z"').process({"service": "a"}, "POST xyz") is None
    assert parse_log_query('{service="a"} | logfmt | msg =~ "hi.*"').process({}, 'msg="hi there"') == {
        "msg": "hi there"
    }


def test_a_search_for_an_id_finds_the_line_that_holds_it() -> None:
    logs = SandboxLogs(fleet())
    line = logs.query_range('{service="search-api", log_type="access"}', start=LEAK_START, end=LEAK_START + 60, limit=1)
    trace_id = line.entries()[0][1].line.rsplit("trace_id=", 1)[1]
    found = logs.query_range(f'{{service="search-api"}} |= "{trace_id}"', start=LEAK_START - 600, end=LEAK_START + 60)
    assert [e.line for _, e in found.entries()] == [line.entries()[0][1].line]


def test_label_filters_compare_durations_like_loki() -> None:
    query = parse_log_query('{service="a"} | logfmt | took > 1.5s')
    assert query.process({"service": "a"}, "took=1600ms") == {"service": "a", "took": "1600ms"}
    assert query.process({"service": "a"}, "took=1h") is not None
    assert query.process({"service": "a"}, "took=900ms") is None
    assert query.process({"service": "a"}, "took=fast") is None
