"""The logs capability: one contract, run against the sandbox and against a fake Loki speaking Loki's documented JSON.

The fake Loki answers /loki/api/v1/query_range, /query, /label/<name>/values, /index/volume and /patterns with the
response shapes of Loki's HTTP API reference (streams with [ns-string, line] values, matrix/vector with
[seconds, "value"] points, {"status": "success", "data": [...]}), and errors the way Loki sends them: plain-text
bodies with 400 for a parse error, 429 with Retry-After, 404 where a feature is off.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.logs.base import LogsSource
from portal.integrations.logs.loki import LokiLogs
from portal.integrations.logs.sandbox import SandboxLogs
from portal.integrations.metrics.sandbox.fleet import Call, Fleet, Scenario, ServiceProfile
from tests.integrations.fake_http import FakeServer, Request, Response, route

EPOCH = 1_793_491_200.0  # 2026-10-31T00:00:00Z
HOUR = 3600.0
SLOW_START = EPOCH + 3 * 86400 + 9 * HOUR
SERVICES = ("checkout-api", "payments-api", "ledger")


def contract_fleet() -> Fleet:
    return Fleet(
        services=(
            ServiceProfile("checkout-api", tier=1),
            ServiceProfile("payments-api", tier=1, replicas=2),
            ServiceProfile("ledger", tier=2, replicas=1),
        ),
        epoch=EPOCH,
        scenarios=(Scenario("dependency-slowdown", "ledger", SLOW_START),),
        calls=(Call("checkout-api", "payments-api", 0.8), Call("payments-api", "ledger", 0.9)),
    )


def _seconds(raw: str) -> float:
    value = float(raw)
    return value / 1e9 if value > 1e14 else value


class FakeLoki:
    """Loki's HTTP API over the sandbox's data, answering in the documented shapes."""

    def __init__(self, source: SandboxLogs, *, patterns: bool = True, volume: bool = True) -> None:
        self.source, self.patterns_on, self.volume_on = source, patterns, volume
        self.requests: list[Request] = []
        self.routes: list[tuple[str, Callable[..., Response]]] = [
            ("/loki/api/v1/query_range", self.query_range),
            ("/loki/api/v1/query", self.query),
            (r"/loki/api/v1/label/([^/]+)/values", self.label_values),
            ("/loki/api/v1/index/volume", self.volume),
            ("/loki/api/v1/patterns", self.patterns),
        ]

    def handle(self, request: Request) -> Response:
        self.requests.append(request)
        for pattern, handler in self.routes:
            found = re.fullmatch(pattern, request.path)
            if found and request.method == "GET":
                try:
                    return handler(request, *found.groups())
                except IntegrationError as exc:
                    return Response(400, exc.message.encode())
        return route([], request)

    def denied(self, request: Request) -> Response:
        return Response(401, b"no org id\n")

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        headers = {"Retry-After": str(reset_in)} if retry_after else {}
        return Response(429, b"Ingestion rate limit exceeded\n", headers)

    def _metric(self, query: str) -> bool:
        return not query.lstrip().startswith("{")

    def query_range(self, request: Request) -> Response:
        q = request.query
        start, end = _seconds(q["start"]), _seconds(q["end"])
        if self._metric(q["query"]):
            series = self.source.metric_range(q["query"], start=start, end=end, step=float(q["step"]))
            result: list[dict[str, Any]] = [
                {"metric": s.labels, "values": [[t, f"{v:g}"] for t, v in s.points]} for s in series
            ]
            return Response(200, {"status": "success", "data": {"resultType": "matrix", "result": result, "stats": {}}})
        logs = self.source.query_range(
            q["query"], start=start, end=end, limit=int(q.get("limit", 100)), direction=q.get("direction", "backward")
        )
        streams = [
            {"stream": s.labels, "values": [[str(round(e.ts * 1e9)), e.line] for e in s.entries]} for s in logs.streams
        ]
        return Response(200, {"status": "success", "data": {"resultType": "streams", "result": streams, "stats": {}}})

    def query(self, request: Request) -> Response:
        at = _seconds(request.query["time"])
        series = self.source.metric_instant(request.query["query"], at=at)
        result = [{"metric": s.labels, "value": [s.points[0][0], f"{s.points[0][1]:g}"]} for s in series]
        return Response(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

    def label_values(self, request: Request, name: str) -> Response:
        q = request.query
        values = self.source.label_values(
            name, start=_seconds(q["start"]), end=_seconds(q["end"]), selector=q.get("query", "")
        )
        return Response(200, {"status": "success", "data": values})

    def volume(self, request: Request) -> Response:
        if not self.volume_on:
            return Response(404, b"404 page not found\n")
        q = request.query
        by = tuple(q["targetLabels"].split(",")) if q.get("targetLabels") else ()
        series = self.source.volume(q["query"], start=_seconds(q["start"]), end=_seconds(q["end"]), by=by)
        result = [{"metric": s.labels, "value": [s.points[0][0], str(int(s.points[0][1]))]} for s in series]
        return Response(200, {"status": "success", "data": {"resultType": "vector", "result": result}})

    def patterns(self, request: Request) -> Response:
        if not self.patterns_on:
            return Response(404, b"404 page not found\n")
        q = request.query
        found = self.source.patterns(
            q["query"], start=_seconds(q["start"]), end=_seconds(q["end"]), step=float(q.get("step", "60"))
        )
        data = [{"pattern": p.pattern, "level": p.level, "samples": [[int(t), c] for t, c in p.samples]} for p in found]
        return Response(200, {"status": "success", "data": data})


@pytest.fixture(scope="module")
def fake_loki() -> Iterator[tuple[FakeServer, FakeLoki]]:
    provider = FakeLoki(SandboxLogs(contract_fleet()))
    server = FakeServer(provider)
    yield server, provider
    server.close()


@pytest.fixture(params=["sandbox", "loki"])
def source(request: pytest.FixtureRequest, fake_loki: tuple[FakeServer, FakeLoki]) -> LogsSource:
    if request.param == "sandbox":
        return SandboxLogs(contract_fleet())
    return LokiLogs(fake_loki[0].url, tenant="team-a", timeout=10)


def test_log_queries_return_only_the_selected_streams_newest_first(source: LogsSource) -> None:
    result = source.query_range(
        '{service="payments-api", level="error"}', start=SLOW_START - HOUR, end=SLOW_START, limit=50
    )
    entries = result.entries()
    assert entries
    assert len(entries) <= 50
    assert {labels["service"] for labels, _ in entries} == {"payments-api"}
    assert {labels["level"] for labels, _ in entries} == {"error"}
    assert all(SLOW_START - HOUR <= e.ts < SLOW_START for _, e in entries)
    newest_first = [e.ts for s in result.streams for e in s.entries]
    for stream in result.streams:
        assert [e.ts for e in stream.entries] == sorted((e.ts for e in stream.entries), reverse=True)
    assert len(newest_first) == 50
    assert result.truncated, "an hour of errors holds more than 50 lines: say it was cut"


def test_forward_queries_start_at_the_beginning_of_the_range(source: LogsSource) -> None:
    result = source.query_range(
        '{service="ledger"}', start=SLOW_START, end=SLOW_START + HOUR, limit=20, direction="forward"
    )
    times = [e.ts for _, e in result.entries()]
    assert len(times) == 20
    assert max(times) < SLOW_START + 120


def test_line_filters_find_the_timeouts_that_begin_with_the_slowdown(source: LogsSource) -> None:
    query = '{service=~"checkout-api|payments-api"} |= "timeout after"'
    assert source.query_range(query, start=SLOW_START - 2 * HOUR, end=SLOW_START, limit=100).entries() == []
    after = source.query_range(query, start=SLOW_START, end=SLOW_START + HOUR, limit=200).entries()
    assert len(after) == 200
    callees = {re.search(r"calling (\S+)\"", e.line).group(1) for _, e in after}
    assert callees == {"payments-api", "ledger"}  # each caller names the next hop towards the slow service
    assert not source.query_range(
        '{service="ledger"} |= "timeout after"', start=SLOW_START, end=SLOW_START + HOUR
    ).entries()


def test_parsers_and_label_filters_select_by_parsed_fields(source: LogsSource) -> None:
    errors = source.query_range(
        '{service="checkout-api", log_type="access"} | logfmt | status >= 500',
        start=SLOW_START - HOUR,
        end=SLOW_START,
        limit=30,
    ).entries()
    assert errors
    assert all(re.search(r" status=5\d\d ", e.line) for _, e in errors)
    slow = source.query_range(
        '{service="payments-api"} | pattern `<_> msg="timeout after <ms>ms calling <dependency>" <_>` '
        '| dependency = "ledger" | ms > 3000',
        start=SLOW_START,
        end=SLOW_START + HOUR,
        limit=30,
    ).entries()
    assert slow
    assert all("calling ledger" in e.line for _, e in slow)
    assert all(labels["dependency"] == "ledger" and int(labels["ms"]) > 3000 for labels, _ in slow)


def test_metric_queries_count_lines_by_label(source: LogsSource) -> None:
    series = source.metric_range(
        'sum by (service) (count_over_time({service=~".+"} |= "timeout after" [10m]))',
        start=SLOW_START - HOUR,
        end=SLOW_START + HOUR,
        step=600,
    )
    by_service = {s.labels["service"]: s for s in series}
    assert set(by_service) == {"checkout-api", "payments-api"}
    for s in by_service.values():
        assert all(t > SLOW_START for t, _ in s.points), "no timeouts before the slowdown"
        assert all(v >= 1 and v == int(v) for _, v in s.points)
    instant = source.metric_instant('sum by (level) (count_over_time({service="ledger"} [1h]))', at=SLOW_START + HOUR)
    levels = {s.labels["level"]: s.points[0][1] for s in instant}
    assert {"info", "warn", "error"} <= set(levels)
    assert levels["info"] > 10 * levels["warn"] > 0


def test_label_values_list_each_service_once(source: LogsSource) -> None:
    assert source.label_values("service", start=SLOW_START - HOUR, end=SLOW_START) == sorted(SERVICES)
    pods = source.label_values("pod", start=SLOW_START - HOUR, end=SLOW_START, selector='{service="payments-api"}')
    assert len(pods) == 2
    assert all(p.startswith("payments-api-") for p in pods)


def test_volume_gives_bytes_per_label_combination(source: LogsSource) -> None:
    rows = source.volume('{service=~".+"}', start=SLOW_START - 86400, end=SLOW_START, by=("service", "log_type"))
    volume = {(r.labels["service"], r.labels["log_type"]): r.points[0][1] for r in rows}
    assert volume[("checkout-api", "access")] > volume[("ledger", "access")] > 0  # tier 1 serves more requests
    assert volume[("checkout-api", "access")] > 100 * volume[("checkout-api", "health")] > 0


def test_patterns_are_counted_per_step(source: LogsSource) -> None:
    found = source.patterns('{service="payments-api"}', start=SLOW_START, end=SLOW_START + HOUR, step=600)
    timeouts = [p for p in found if "timeout after" in p.pattern]
    assert len(timeouts) == 1
    assert "<_>" in timeouts[0].pattern
    assert len(timeouts[0].samples) == 6
    assert timeouts[0].total() > 0


def test_bad_logql_is_a_permanent_error(source: LogsSource) -> None:
    with pytest.raises(IntegrationError, match="parse error") as bad:
        source.query_range('{service="x"', start=SLOW_START - HOUR, end=SLOW_START)
    assert bad.value.permanent
    with pytest.raises(IntegrationError):
        source.query_range('{service="x"}', start=SLOW_START, end=SLOW_START - HOUR)


# Loki only -------------------------------------------------------------------------------------------------------


def test_loki_gets_nanosecond_times_limits_and_the_tenant(fake_loki: tuple[FakeServer, FakeLoki]) -> None:
    server, provider = fake_loki
    LokiLogs(server.url, tenant="team-a", max_entries=40).query_range(
        '{service="ledger"}', start=SLOW_START, end=SLOW_START + 60, limit=100, direction="forward"
    )
    sent = provider.requests[-1]
    assert sent.query["start"] == str(int(SLOW_START * 1e9))
    assert sent.query["end"] == str(int((SLOW_START + 60) * 1e9))
    assert sent.query["limit"] == "40"
    assert sent.query["direction"] == "forward"
    assert sent.headers["x-scope-orgid"] == "team-a"


def test_loki_errors_say_whether_a_retry_can_help(fake_loki: tuple[FakeServer, FakeLoki]) -> None:
    server, _ = fake_loki
    loki = LokiLogs(server.url, timeout=2)
    server.fail("retry_after", path="query_range", reset_in=7)
    with pytest.raises(IntegrationError, match="rate limiting") as limited:
        loki.query_range('{service="ledger"}', start=SLOW_START, end=SLOW_START + 60)
    assert not limited.value.permanent
    assert limited.value.retry_after == 7
    server.fail("server_error", path="query_range")
    with pytest.raises(IntegrationError) as broken:
        loki.query_range('{service="ledger"}', start=SLOW_START, end=SLOW_START + 60)
    assert not broken.value.permanent
    server.fail("denied", path="query_range")
    with pytest.raises(IntegrationError, match="LOKI_TOKEN") as denied:
        loki.query_range('{service="ledger"}', start=SLOW_START, end=SLOW_START + 60)
    assert denied.value.permanent
    server.fail("drop", path="query_range")
    with pytest.raises(IntegrationError, match="did not answer") as dropped:
        loki.query_range('{service="ledger"}', start=SLOW_START, end=SLOW_START + 60)
    assert not dropped.value.permanent
    with pytest.raises(IntegrationError, match="did not answer") as down:
        LokiLogs("http://127.0.0.1:9", timeout=1).label_values("service", start=SLOW_START, end=SLOW_START + 60)
    assert not down.value.permanent


def test_loki_without_the_volume_index_or_pattern_ingester() -> None:
    provider = FakeLoki(SandboxLogs(contract_fleet()), patterns=False, volume=False)
    server = FakeServer(provider)
    try:
        loki = LokiLogs(server.url)
        rows = loki.volume('{service=~".+"}', start=SLOW_START - HOUR, end=SLOW_START, by=("service",))
        assert {r.labels["service"] for r in rows} == set(SERVICES)  # answered with bytes_over_time instead
        assert "bytes_over_time" in provider.requests[-1].query["query"]
        with pytest.raises(IntegrationError, match="pattern_ingester"):
            loki.patterns('{service="ledger"}', start=SLOW_START - HOUR, end=SLOW_START, step=60)
    finally:
        server.close()


class DocumentedLoki:
    """Answers with the example responses of Loki's HTTP API reference (query_range streams and matrix, patterns)."""

    def handle(self, request: Request) -> Response:
        if request.path == "/loki/api/v1/patterns":
            error = (
                "<_> caller=grpc_logging.go:66 <_> level=error method=/cortex.Ingester/Push <_> msg=gRPC "
                'err="connection refused to object store"'
            )
            info = "<_> caller=grpc_logging.go:66 <_> level=info method=/cortex.Ingester/Push <_> msg=gRPC"
            data = [
                {"pattern": error, "samples": [[1711839260, 1], [1711839270, 2], [1711839280, 1]]},
                {"pattern": info, "samples": [[1711839260, 105], [1711839270, 222], [1711839280, 196]]},
            ]
            return Response(200, {"status": "success", "data": data})
        if "step" in request.query:
            result = [
                {"metric": {"level": "info"}, "values": [[1588889221, "137.95"], [1588889221, "467.115"]]},
                {"metric": {"level": "warn"}, "values": [[1588889221, "137.27833333333334"]]},
            ]
            return Response(200, {"status": "success", "data": {"resultType": "matrix", "result": result, "stats": {}}})
        stream = {
            "stream": {"filename": "/var/log/myproject.log", "job": "varlogs", "level": "info"},
            "values": [["1569266497240578000", "foo"], ["1569266492548155000", "bar"]],
        }
        return Response(200, {"status": "success", "data": {"resultType": "streams", "result": [stream], "stats": {}}})

    def denied(self, request: Request) -> Response:
        return Response(401, b"unauthorized\n")

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        return Response(429, b"too many outstanding requests\n")


def test_loki_reads_the_documented_example_responses() -> None:
    server = FakeServer(DocumentedLoki())
    try:
        loki = LokiLogs(server.url)
        logs = loki.query_range('{job="varlogs"}', start=1569266000, end=1569267000, limit=100)
        entries = logs.streams[0].entries
        assert [e.line for e in entries] == ["foo", "bar"]  # newest first, as Loki sends them
        assert [e.ts for e in entries] == pytest.approx([1569266497.240578, 1569266492.548155], abs=1e-6)
        assert logs.streams[0].labels["job"] == "varlogs"
        assert not logs.truncated
        series = loki.metric_range(
            'sum(rate({job="varlogs"}[10m])) by (level)', start=1588889000, end=1588890000, step=300
        )
        assert {s.labels["level"]: s.points[-1][1] for s in series} == {"info": 467.115, "warn": 137.27833333333334}
        patterns = loki.patterns('{app="loki"}', start=1711839200, end=1711839300, step=10)
        assert [p.total() for p in patterns] == [4, 523]
        assert patterns[0].samples[0] == (1711839260.0, 1)
    finally:
        server.close()
