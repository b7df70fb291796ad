"""Run root-cause methods over PetShop-layout issues and count top-k hits per scenario and metric."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from portal.aiops.rca.anomaly import AnomalySettings, FloatArray, MetricSpec, NodeAnomaly, Window, Worse, score_nodes
from portal.aiops.rca.baselines import anomaly_traversal, rank_by_anomaly
from portal.aiops.rca.graph import CallGraph
from portal.aiops.rca.petshop import Issue, MetricTable, Scenario, normal_reference
from portal.aiops.rca.ranking import rank_root_causes

# The upstream notebook's anomaly-traversal figures (top-1, top-3), on train and test issues together.
PUBLISHED: dict[tuple[str, str], tuple[float, float]] = {
    ("low_traffic", "latency"): (0.571, 0.571),
    ("low_traffic", "availability"): (0.833, 1.000),
    ("high_traffic", "latency"): (0.571, 0.786),
    ("high_traffic", "availability"): (0.667, 1.000),
    ("temporal_traffic", "latency"): (1.000, 1.000),
    ("temporal_traffic", "availability"): (0.750, 1.000),
}

# Availability sits at exactly 100% in normal times, so its spread is floored at a tenth of a point.
METRICS = {
    "latency": MetricSpec("latency", Worse.HIGHER),
    "availability": MetricSpec("availability", Worse.LOWER, AnomalySettings(relative_floor=0.0, absolute_floor=0.1)),
}


@dataclass(frozen=True)
class Case:
    """What a method may see of one issue: never its root cause."""

    graph: CallGraph
    target: str
    metric: str
    statistic: str
    window: Window
    observed: MetricTable
    normal: MetricTable

    def series(self, metric: str, statistic: str) -> tuple[dict[str, FloatArray], dict[str, FloatArray]]:
        """One metric's samples around the incident and in the normal reference, per node."""
        return self.observed.series(metric, statistic), self.normal.series(metric, statistic)


Ranked = list[tuple[str, float]]
Method = Callable[[Case], Ranked]


@dataclass(frozen=True)
class Outcome:
    """Where one method put one issue's true root cause: how many it scored higher and how many the same."""

    method: str
    family: str
    metric: str
    issue: str
    ahead: int | None
    tied: int = 0
    seconds: float = 0.0

    def chance_in_top(self, k: int) -> float:
        """The chance the root cause is among the first `k` when tied candidates are put in random order."""
        if self.ahead is None:
            return 0.0
        return min(1.0, max(0.0, (k - self.ahead) / (self.tied + 1)))


def outcome_of(ranked: Ranked, root_cause: str) -> tuple[int | None, int]:
    """Count the candidates scored above and level with `root_cause` (None when it is not named)."""
    scores = dict(ranked)
    if root_cause not in scores:
        return None, 0
    mine = scores[root_cause]
    ahead = sum(1 for node, score in ranked if node != root_cause and score > mine)
    tied = sum(1 for node, score in ranked if node != root_cause and score == mine)
    return ahead, tied


def case_of(issue: Issue, scenario: Scenario) -> Case:
    """Assemble what a method sees of `issue`: the metrics around it, the normal reference and the graph."""
    return Case(
        graph=scenario.graph,
        target=issue.target,
        metric=issue.metric,
        statistic=issue.statistic,
        window=Window.of(issue.metrics.timestamps, issue.start),
        observed=issue.metrics,
        normal=normal_reference(scenario),
    )


def anomalies_of(case: Case) -> dict[str, NodeAnomaly]:
    """Score every node that has samples of the issue's metric against its reference."""
    samples, reference = case.series(case.metric, case.statistic)
    metric = METRICS.get(case.metric, MetricSpec(case.metric, Worse.HIGHER))
    return score_nodes(metric=metric, window=case.window, samples=samples, reference=reference)


def ours(case: Case) -> Ranked:
    """Our ranking: anomalies weighed by the call graph."""
    ranked = rank_root_causes(graph=case.graph, target=case.target, anomalies=anomalies_of(case))
    return [(cause.node, cause.score) for cause in ranked]


def traversal(case: Case) -> Ranked:
    """The published anomaly-traversal baseline, on the issue's own metric and statistic."""
    samples, reference = case.series(case.metric, case.statistic)
    return anomaly_traversal(graph=case.graph, target=case.target, samples=samples, reference=reference)


def by_anomaly(case: Case) -> Ranked:
    """Every node ranked by its anomaly score alone."""
    return rank_by_anomaly(anomalies_of(case))


METHODS: dict[str, Method] = {"ours": ours, "traversal": traversal, "anomaly_rank": by_anomaly}


def evaluate(scenarios: Iterable[Scenario], methods: Mapping[str, Method]) -> list[Outcome]:
    """Run each method on each issue and record the true root cause's rank."""
    outcomes = []
    for scenario in scenarios:
        for issue in scenario.issues:
            case = case_of(issue, scenario)
            label = f"{issue.scenario}/{issue.split}/{issue.name}"
            for name, method in methods.items():
                started = time.perf_counter()
                ranked = method(case)
                seconds = time.perf_counter() - started
                ahead, tied = outcome_of(ranked, issue.root_cause)
                outcomes.append(Outcome(name, scenario.family, issue.metric, label, ahead, tied, seconds))
    return outcomes


def top_k(outcomes: Iterable[Outcome], k: int) -> float:
    """The expected share of outcomes whose root cause is within the first `k`."""
    chances = [outcome.chance_in_top(k) for outcome in outcomes]
    return sum(chances) / len(chances) if chances else float("nan")


def summary(outcomes: list[Outcome], method: str) -> dict[tuple[str, str], tuple[int, float, float]]:
    """Issues, top-1 and top-3 per (scenario family, metric) for one method."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        if outcome.method == method:
            groups.setdefault((outcome.family, outcome.metric), []).append(outcome)
    return {key: (len(group), top_k(group, 1), top_k(group, 3)) for key, group in groups.items()}
