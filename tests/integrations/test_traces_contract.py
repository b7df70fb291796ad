"""The traces capability: the sandbox and Tempo (a fake serving its documented JSON) answer the same questions
the same way over the same traces; Tempo's failures are clear IntegrationErrors."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics.sandbox.fleet import Call, Fleet, Scenario, ServiceProfile
from portal.integrations.traces import Trace, TracesSource
from portal.integrations.traces.sandbox import FleetTraces
from portal.integrations.traces.simulate import TRACES_PER_MINUTE, entry_services, slot_of, trace_build
from portal.integrations.traces.tempo import TempoTraces
from tests.integrations.fake_http import FakeServer
from tests.integrations.fake_tempo import FakeTempo

EPOCH = 1_793_491_200.0  # 2026-10-31T00:00:00Z
SLOW = EPOCH + 3 * 86400 + 9 * 3600  # Tuesday 09:00
START, END = SLOW - 15 * 60, SLOW + 15 * 60
FLEET = Fleet(
    services=(
        ServiceProfile("front", tier=1),
        ServiceProfile("a", tier=2),
        ServiceProfile("b", tier=2, error_ratio=0.15),  # fails often enough to find errors in a short window
        ServiceProfile("c", tier=2),
    ),
    epoch=EPOCH,
    scenarios=(Scenario("dependency-slowdown", "c", SLOW, added_latency=0.5),),
    calls=(Call("front", "a", 0.9), Call("a", "b", 0.8), Call("b", "c", 0.9)),
)


def every_trace(fleet: Fleet, start: float, end: float) -> list[Trace]:
    return [
        trace_build(fleet, root, slot, k)
        for slot in range(slot_of(fleet, start), slot_of(fleet, end) + 1)
        for root in entry_services(fleet)
        for k in range(TRACES_PER_MINUTE)
    ]


@pytest.fixture(scope="module")
def tempo_server() -> Iterator[FakeServer]:
    server = FakeServer(FakeTempo(every_trace(FLEET, START - 120, END + 120)))
    yield server
    server.close()


@pytest.fixture(params=["sandbox", "tempo"])
def source(request: pytest.FixtureRequest, tempo_server: FakeServer) -> TracesSource:
    if request.param == "sandbox":
        return FleetTraces(FLEET)
    return TempoTraces(tempo_server.url, timeout=5)


def test_a_search_finds_traces_through_the_service_newest_first_within_range_and_limit(source: TracesSource) -> None:
    found = source.search(service="c", start=START, end=SLOW, limit=15)
    assert len(found) == 15
    assert all(START <= t.start <= SLOW and t.root_service == "front" and t.matched >= 1 for t in found)
    assert [t.start for t in found] == sorted((t.start for t in found), reverse=True)
    for summary in found[:3]:
        assert "c" in {s.service for s in source.trace(summary.trace_id).spans}


def test_the_sandbox_and_tempo_agree_on_the_same_data(tempo_server: FakeServer) -> None:
    sandbox, tempo = FleetTraces(FLEET), TempoTraces(tempo_server.url, timeout=5)
    for query in (
        {"service": "b", "start": START, "end": END, "limit": 30},
        {"service": "b", "status": "error", "start": START, "end": END, "limit": 30},
        {"service": "front", "start": SLOW, "end": END, "limit": 10, "min_duration": 0.6},
        {"start": START, "end": END, "limit": 10, "traceql": '{ resource.service.name = "c" && duration > 400ms }'},
    ):
        ours, theirs = sandbox.search(**query), tempo.search(**query)  # type: ignore[arg-type]
        assert [t.trace_id for t in ours] == [t.trace_id for t in theirs], query
        assert ours, query
        for a, b in zip(ours, theirs, strict=True):
            assert (a.root_service, a.root_operation, a.matched) == (b.root_service, b.root_operation, b.matched)
            assert b.start == pytest.approx(a.start, abs=1e-6)
            assert b.duration == pytest.approx(a.duration, abs=0.001)  # Tempo reports whole milliseconds
    trace_id = sandbox.search(service="c", start=SLOW, end=END, limit=1)[0].trace_id
    ours_trace, their_trace = sandbox.trace(trace_id), tempo.trace(trace_id)
    assert [(s.span_id, s.parent_id, s.service, s.operation, s.status) for s in ours_trace.spans] == [
        (s.span_id, s.parent_id, s.service, s.operation, s.status) for s in their_trace.spans
    ]
    assert [s.duration for s in their_trace.spans] == pytest.approx([s.duration for s in ours_trace.spans], abs=1e-6)
    assert their_trace.spans[0].attributes["http.response.status_code"] in ("200", "500")


def test_error_searches_return_only_traces_where_the_service_failed(source: TracesSource) -> None:
    found = source.search(service="b", status="error", start=START, end=END, limit=20)
    assert found
    for summary in found:
        assert any(s.service == "b" and s.status == "error" for s in source.trace(summary.trace_id).spans)


def test_duration_filters_apply_to_the_whole_trace(source: TracesSource) -> None:
    slow = source.search(service="front", start=START, end=END, min_duration=0.6, limit=50)
    fast = source.search(service="front", start=START, end=END, max_duration=0.2, limit=50)
    assert slow
    assert fast
    assert all(t.duration >= 0.599 for t in slow)
    assert all(t.duration <= 0.2 for t in fast)
    assert min(t.start for t in slow) >= SLOW - 60  # only the slowdown makes traces that long


def test_a_trace_has_nested_spans_from_the_root_down_the_dependency_graph(source: TracesSource) -> None:
    summary = source.search(service="c", start=SLOW, end=END, limit=1)[0]
    trace = source.trace(summary.trace_id)
    spans = {s.span_id: s for s in trace.spans}
    assert trace.trace_id == summary.trace_id
    assert [s.service for s in trace.spans if s.parent_id is None] == ["front"]
    for span in trace.spans:
        if span.parent_id:
            parent = spans[span.parent_id]
            assert parent.start <= span.start
            assert span.end <= parent.end + 1e-6
            assert (parent.service, span.service) in {("front", "a"), ("a", "b"), ("b", "c")}
    c = next(s for s in trace.spans if s.service == "c")
    assert trace.self_time(c) >= 0.5  # the slowdown is in c's own work
    assert trace.depth(c) == 3


def test_tag_values_list_the_services(source: TracesSource) -> None:
    assert {"front", "a", "b", "c"} <= set(source.tag_values("service.name"))


def test_unknown_and_malformed_trace_ids_are_permanent_errors(source: TracesSource) -> None:
    with pytest.raises(IntegrationError, match="not found") as missing:
        source.trace("0123456789abcdef0123456789abcdef")
    assert missing.value.permanent
    with pytest.raises(IntegrationError, match="not a trace id"):
        source.trace("not-hex; DROP")


def test_bad_arguments_are_refused_before_asking(source: TracesSource) -> None:
    with pytest.raises(IntegrationError, match="valid service"):
        source.search(service='x" || true', start=START, end=END)
    with pytest.raises(IntegrationError, match="status"):
        source.search(service="a", status="broken", start=START, end=END)
    with pytest.raises(IntegrationError, match="start before end"):
        source.search(service="a", start=END, end=START)
    with pytest.raises(IntegrationError, match="limit"):
        source.search(service="a", start=START, end=END, limit=0)


def test_tempo_searches_by_tags_or_traceql_with_durations_in_its_units(tempo_server: FakeServer) -> None:
    fake: FakeTempo = tempo_server.provider  # type: ignore[assignment]
    tempo = TempoTraces(tempo_server.url, timeout=5)
    tempo.search(service="a", start=START, end=END, min_duration=0.25, max_duration=1.5, limit=5)
    assert fake.searches[-1] == {
        "start": str(int(START)),
        "end": str(int(END) + 1),
        "limit": "5",
        "tags": "service.name=a",
        "minDuration": "250ms",
        "maxDuration": "1500ms",
    }
    tempo.search(service="a", status="error", start=START, end=END)
    assert fake.searches[-1]["q"] == '{ resource.service.name = "a" && status = error }'


def test_tempo_before_v2_answers_from_the_v1_endpoint_with_hex_ids() -> None:
    traces = every_trace(FLEET, SLOW, SLOW + 60)
    server = FakeServer(FakeTempo(traces, v1_only=True))
    try:
        trace = TempoTraces(server.url).trace(traces[0].trace_id)
        assert [s.span_id for s in trace.spans] == [s.span_id for s in traces[0].spans]
        assert ("GET", f"/api/traces/{traces[0].trace_id}") in server.calls
    finally:
        server.close()


def test_tempo_parses_the_documented_search_answer() -> None:
    from portal.integrations.traces.tempo import _summary

    documented = {  # the shape of Tempo's /api/search answer in its documentation
        "traceID": "2f3e0cee77ae5dc9c17ade3689eb2e54",
        "rootServiceName": "shop-backend",
        "rootTraceName": "update-billing",
        "startTimeUnixNano": "1684778327699392724",
        "durationMs": 557,
        "spanSets": [
            {
                "spans": [
                    {
                        "spanID": "563d623c76514f8e",
                        "startTimeUnixNano": "1684778327735077898",
                        "durationNanos": "446979497",
                        "attributes": [{"key": "status", "value": {"stringValue": "error"}}],
                    }
                ],
                "matched": 1,
            }
        ],
    }
    summary = _summary(documented)
    assert (summary.trace_id, summary.root_service, summary.matched) == (
        "2f3e0cee77ae5dc9c17ade3689eb2e54",
        "shop-backend",
        1,
    )
    assert summary.duration == pytest.approx(0.557)
    assert summary.start == pytest.approx(1684778327.699392724)


@pytest.mark.parametrize(
    ("fault", "message", "permanent"),
    [
        ("denied", "refused the credentials", True),
        ("rate_limited", "rate limiting", False),
        ("server_error", "answered 502", False),
        ("drop", "did not answer", False),
    ],
)
def test_tempo_failures_say_whether_a_retry_can_help(
    tempo_server: FakeServer, fault: str, message: str, permanent: bool
) -> None:
    tempo_server.fail(fault, path="/api/search", reset_in=7)
    with pytest.raises(IntegrationError, match=message) as failed:
        TempoTraces(tempo_server.url, timeout=5).search(service="a", start=START, end=END)
    assert failed.value.permanent is permanent


def test_tempo_rejecting_traceql_is_a_permanent_error_with_its_reason(tempo_server: FakeServer) -> None:
    with pytest.raises(IntegrationError, match="parse error") as bad:
        TempoTraces(tempo_server.url).search(start=START, end=END, traceql="status = error")
    assert bad.value.permanent


def test_simulated_traces_refuse_to_accompany_real_metrics(settings, db: None) -> None:
    from portal.integrations.backends import backends_reset
    from portal.integrations.traces.sandbox import SandboxTraces

    settings.METRICS = {
        "BACKEND": "portal.integrations.metrics.prometheus.PrometheusMetrics",
        "OPTIONS": {"url": "http://127.0.0.1:9"},
    }
    backends_reset()
    try:
        with pytest.raises(IntegrationError, match="TRACES_BACKEND=tempo"):
            SandboxTraces("/nonexistent").search(service="a", start=START, end=END)
    finally:
        backends_reset()


def test_tempo_reads_older_answers_with_one_spanset_and_no_duration_under_a_millisecond() -> None:
    from portal.integrations.traces.tempo import _summary, otlp_id

    older = {
        "traceID": "7a1d2dd4deaf177e0acf55b3c49032",  # 30 digits: Tempo drops leading zeros
        "rootServiceName": "mythical-server",
        "rootTraceName": "HTTP GET",
        "startTimeUnixNano": "1678972751297796608",
        "spanSet": {"spans": [{"spanID": "c9da5e6e5f51bb83"}], "matched": 3},
    }
    summary = _summary(older)
    assert summary.trace_id == "007a1d2dd4deaf177e0acf55b3c49032"
    assert (summary.duration, summary.matched) == (0.0, 3)
    assert otlp_id("AHodLdTerxd+Cs9Vs8SQMg==") == "007a1d2dd4deaf177e0acf55b3c49032"
    assert otlp_id("ydpebl9Ru4M=") == "c9da5e6e5f51bb83"
    with pytest.raises(IntegrationError, match="neither a hex nor a base64"):
        otlp_id("%%%")
