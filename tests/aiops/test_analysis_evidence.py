"""Ranking with trace and log evidence: the deepest changed span outweighs a harmless deploy on the caller."""

from __future__ import annotations

from portal.aiops.analysis.hypotheses import ChangeFact, rank_hypotheses
from portal.aiops.analysis.logs import LogFinding
from portal.aiops.analysis.signals import Onset
from portal.aiops.analysis.traces import TraceFinding

T = 1_795_000_000.0
ONSETS = [Onset("checkout-api", "latency_p99", T, "up", 12.0, 0.25, 0.9)]
HERRING = ChangeFact(1, "checkout-api", "deploy", "v2.3.0", T - 20 * 60, "ci-bot")
CULPRIT = TraceFinding(
    service="catalog-search",
    operation="GET /api/catalog",
    kind="latency",
    depth=3.0,
    before=0.055,
    after=0.56,
    score=10.2,
    trace_ids=("ab" * 16,),
    path=("checkout-api", "cart-service", "recommendations", "catalog-search"),
    link="http://portal.test/traces/" + "ab" * 16,
    culprit=True,
    spans_compared=(40, 38),
)


def _rank(**kwargs):
    return rank_hypotheses(
        service="checkout-api",
        onsets=ONSETS,
        trends=[],
        changes=[HERRING],
        similar=[],
        dependencies={"checkout-api": ["cart-service", "payments-api"]},
        **kwargs,
    )


def test_without_traces_the_deploy_on_the_caller_that_alerted_is_blamed() -> None:
    assert _rank()[0].service == "checkout-api"


def test_the_deepest_changed_span_outranks_the_callers_deploy_and_carries_the_trace() -> None:
    drafts = _rank(traces=[CULPRIT])
    top = drafts[0]
    assert (top.service, top.kind) == ("catalog-search", "latency_regression")
    assert top.title == "catalog-search slowed down, 3 hops below checkout-api"
    trace = next(e for e in top.evidence if e["kind"] == "trace")
    assert trace["data"]["trace_id"] == "ab" * 16
    assert trace["data"]["link"].endswith("ab" * 16)
    caller = next(d for d in drafts if d.service == "checkout-api")
    assert any(e["kind"] == "trace" and not e["supports"] for e in caller.evidence)
    assert top.confidence > caller.confidence


def test_log_patterns_strengthen_the_service_they_come_from_and_the_one_they_name() -> None:
    logs = [
        LogFinding(
            "catalog-search",
            "surging_pattern",
            "slow query took <*>ms",
            "warn",
            50,
            900,
            T,
            "slow query took 612ms",
            "/logs?q=1",
            8.0,
        ),
        LogFinding(
            "cart-service",
            "new_pattern",
            "timeout calling catalog-search",
            "error",
            0,
            40,
            T,
            "timeout calling catalog-search after 1000ms",
            "/logs?q=2",
            6.0,
        ),
        LogFinding("catalog-search", "error_count", "", "error", 3, 4, None, "", "/logs?q=3", 0.1),
    ]
    without_logs = _rank(traces=[CULPRIT])[0]
    top = _rank(traces=[CULPRIT], logs=logs)[0]
    texts = [e["text"] for e in top.evidence if e["kind"] == "logs"]
    assert len(texts) == 2, texts
    assert "slow query took <*>ms" in texts[0]
    assert "cart-service" in texts[1]
    assert {e["data"]["link"] for e in top.evidence if e["kind"] == "logs"} == {"/logs?q=1", "/logs?q=2"}
    assert top.confidence > without_logs.confidence
