"""Ranking root causes on small synthetic call graphs: who is blamed, and what evidence is given."""

from __future__ import annotations

import numpy as np
import pytest

from portal.aiops.rca import (
    CallGraph,
    MetricSpec,
    NodeAnomaly,
    RankingSettings,
    RootCause,
    Window,
    Worse,
    rank_root_causes,
    score_nodes,
)

STEP = 300.0
# Six five-minute samples; the symptom starts at the third, so two come before it and four during it.
WINDOW = Window.of([STEP * index for index in range(6)], start=2 * STEP)
LATENCY = MetricSpec("latency", Worse.HIGHER)

# web -> api -> db, web -> auth: a front end, the service it calls, that service's database, and a bystander.
SHOP = CallGraph.from_edges([("web", "api"), ("api", "db"), ("web", "auth")])


def normal_samples(nodes: list[str], seed: int = 3) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {node: rng.normal(0.1, 0.005, 300) for node in nodes}


def incident(
    shifts: dict[str, float], nodes: list[str], onsets: dict[str, int] | None = None
) -> dict[str, list[float]]:
    """Samples around the incident: normal noise, plus each node's shift from its onset sample on."""
    rng = np.random.default_rng(11)
    onsets = onsets or {}
    found = {}
    for node in nodes:
        values = list(rng.normal(0.1, 0.005, 6))
        for index in range(onsets.get(node, 2), 6):
            values[index] += shifts.get(node, 0.0)
        found[node] = values
    return found


def ranked(
    graph: CallGraph,
    target: str,
    shifts: dict[str, float],
    *,
    reference: dict[str, np.ndarray] | None = None,
    samples: dict[str, list[float]] | None = None,
    onsets: dict[str, int] | None = None,
) -> list[RootCause]:
    nodes = sorted(graph.nodes)
    samples = samples if samples is not None else incident(shifts, nodes, onsets)
    reference = reference if reference is not None else normal_samples(nodes)
    anomalies = score_nodes(metric=LATENCY, window=WINDOW, samples=samples, reference=reference)
    return rank_root_causes(graph=graph, target=target, anomalies=anomalies)


def by_node(causes: list[RootCause]) -> dict[str, RootCause]:
    return {cause.node: cause for cause in causes}


def test_the_graph_knows_what_each_node_depends_on_and_what_depends_on_it() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("api", "db"), ("web", "auth")], nodes=["batch"])
    assert graph.nodes == frozenset({"web", "api", "db", "auth", "batch"})
    assert graph.callers("db") == frozenset({"api"})
    assert graph.downstream("api") == frozenset({"api", "db"})
    assert graph.upstream("db") == frozenset({"db", "api", "web"})
    assert graph.callees("batch") == frozenset()


def test_it_blames_the_database_whose_slowness_spreads_to_every_caller_above_it() -> None:
    causes = ranked(SHOP, "web", {"db": 0.3, "api": 0.3, "web": 0.3})
    assert causes[0].node == "db"
    assert causes[0].explains == ("api", "web")
    assert causes[0].path == ("web", "api", "db")
    assert any("explains 2 anomalous callers" in reason for reason in causes[0].reasons)


def test_a_caller_whose_callee_is_anomalous_is_ranked_below_that_callee() -> None:
    causes = by_node(ranked(SHOP, "web", {"db": 0.3, "api": 0.3, "web": 0.3}))
    assert causes["api"].explained_by == ("db",)
    assert causes["api"].score < causes["db"].score / 10
    assert any("may only pass on the anomaly of db" in reason for reason in causes["api"].reasons)


def test_it_blames_a_service_whose_callees_are_all_healthy() -> None:
    causes = ranked(SHOP, "web", {"api": 0.3, "web": 0.3})
    assert causes[0].node == "api"
    assert "anomalous while none of the 1 nodes it calls with data is" in causes[0].reasons


def test_the_symptoms_own_node_is_the_root_cause_when_nothing_it_calls_is_anomalous() -> None:
    causes = ranked(SHOP, "web", {"web": 0.3})
    assert causes[0].node == "web"
    assert "is web itself, where the symptom shows" in causes[0].reasons


def test_a_bystander_off_the_symptoms_call_paths_is_never_a_candidate() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("batch", "queue")])
    causes = ranked(graph, "web", {"api": 0.3, "web": 0.3, "queue": 0.5})
    assert [cause.node for cause in causes][:1] == ["api"]
    assert "queue" not in by_node(causes)


def test_an_anomaly_behind_a_healthy_node_scores_low_for_lack_of_a_path() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("web", "jobs"), ("jobs", "worker")])
    causes = by_node(ranked(graph, "web", {"api": 0.3, "web": 0.3, "worker": 0.5}))
    assert causes["worker"].reach < 0.1
    assert causes["api"].score > 5 * causes["worker"].score
    assert any("hardly anomalous" in reason for reason in causes["worker"].reasons)


def test_a_noisy_node_spiking_within_its_normal_tail_does_not_outrank_the_real_cause() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("web", "cache")])
    reference = normal_samples(["web", "api", "cache"])
    reference["cache"][::20] = 0.6  # the cache spikes to six times its level once in twenty samples
    samples = incident({"api": 0.1, "web": 0.1}, ["web", "api", "cache"])
    samples["cache"][3] = 0.55
    causes = ranked(graph, "web", {}, reference=reference, samples=samples)
    assert causes[0].node == "api"
    assert by_node(causes)["cache"].anomaly.probability < 0.5


def test_missing_samples_in_the_incident_and_the_reference_do_not_hide_the_cause() -> None:
    nodes = sorted(SHOP.nodes)
    reference = normal_samples(nodes)
    for values in reference.values():
        values[::4] = np.nan
    samples = incident({"db": 0.3, "api": 0.3, "web": 0.3}, nodes)
    samples["db"][2] = samples["db"][4] = float("nan")
    samples["web"][3] = float("nan")
    causes = ranked(SHOP, "web", {}, reference=reference, samples=samples)
    assert causes[0].node == "db"


def test_a_node_without_data_is_no_candidate_but_an_unknown_a_fault_may_pass_through() -> None:
    graph = CallGraph.from_edges([("web", "gateway"), ("gateway", "api"), ("api", "db")])
    samples = incident({"api": 0.3, "web": 0.3}, ["web", "api", "db"])
    samples["gateway"] = [float("nan")] * 6
    causes = ranked(graph, "web", {}, samples=samples)
    assert causes[0].node == "api"
    assert causes[0].path == ("web", "gateway", "api")
    assert causes[0].reach == pytest.approx(0.5)
    assert causes[0].explains == ("web",)
    assert "gateway" not in by_node(causes)


def test_a_callee_without_data_leaves_its_caller_only_half_cleared() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("api", "db"), ("api", "ledger")])
    samples = incident({"api": 0.3, "web": 0.3}, ["web", "api", "db"])
    causes = ranked(graph, "web", {}, samples=samples)
    assert causes[0].node == "api"
    assert causes[0].unknown_callees == ("ledger",)
    assert causes[0].unexplained == pytest.approx(0.5)
    assert "no data for ledger, which it calls" in causes[0].reasons
    assert "anomalous while none of the 1 nodes it calls with data is" in causes[0].reasons


def test_the_earliest_onset_is_named_in_the_evidence() -> None:
    causes = by_node(ranked(SHOP, "web", {"db": 0.3, "api": 0.3, "web": 0.3}, onsets={"db": 2, "api": 3, "web": 3}))
    assert "its anomaly starts earliest" in causes["db"].reasons
    assert "its anomaly starts 300 s after the earliest" in causes["api"].reasons


def test_a_cycle_in_the_graph_is_handled() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("api", "search"), ("search", "api"), ("search", "index")])
    causes = ranked(graph, "web", {"index": 0.3, "search": 0.3, "api": 0.3, "web": 0.3})
    assert causes[0].node == "index"


def test_with_a_target_outside_the_graph_every_judged_node_is_a_candidate() -> None:
    anomalies = {
        "api": NodeAnomaly("api", "latency", 20.0, 0.94, baseline=0.1),
        "db": NodeAnomaly("db", "latency", 6.0, 0.59, baseline=0.1),
    }
    causes = rank_root_causes(graph=CallGraph.from_edges([]), target="web", anomalies=anomalies)
    assert [cause.node for cause in causes] == ["api", "db"]


def test_confidences_share_out_one_and_follow_the_ranking() -> None:
    causes = ranked(SHOP, "web", {"db": 0.3, "api": 0.3, "web": 0.3, "auth": 0.05})
    assert sum(cause.confidence for cause in causes) == pytest.approx(1.0)
    assert [cause.confidence for cause in causes] == sorted((cause.confidence for cause in causes), reverse=True)


def test_each_score_is_the_product_of_its_parts() -> None:
    settings = RankingSettings(coverage_weight=0.5)
    anomalies = score_nodes(
        metric=LATENCY,
        window=WINDOW,
        samples=incident({"db": 0.3, "api": 0.2, "web": 0.3, "auth": 0.02}, sorted(SHOP.nodes)),
        reference=normal_samples(sorted(SHOP.nodes)),
    )
    for cause in rank_root_causes(graph=SHOP, target="web", anomalies=anomalies, settings=settings):
        parts = cause.anomaly.probability * cause.unexplained * cause.reach * (1 + 0.5 * cause.coverage)
        assert cause.score == pytest.approx(parts)
