"""The PetShop benchmark: its reader, the published anomaly-traversal baseline, and floors on the shared data."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portal.aiops.rca.baselines import anomaly_traversal
from portal.aiops.rca.benchmark import METHODS, Outcome, evaluate, outcome_of, summary, top_k
from portal.aiops.rca.graph import CallGraph
from portal.aiops.rca.petshop import normal_reference, read_dataset, read_scenario

ROOT = Path(__file__).resolve().parents[2]
DATASET = ROOT.parent / "shared" / "testdata" / "petshop" / "dataset"

STEP = 300.0
NODES = ("web", "api", "db")


def write_metrics(path: Path, timestamps: list[float], columns: dict[tuple[str, str, str], list[float]]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    keys = list(columns)
    lines = [
        ",".join(["microservice", *(key[0] for key in keys)]),
        ",".join(["metric", *(key[1] for key in keys)]),
        ",".join(["statistic", *(key[2] for key in keys)]),
        "unix_timestamp" + "," * len(keys),
    ]
    for row, stamp in enumerate(timestamps):
        cells = ["" if np.isnan(columns[key][row]) else str(columns[key][row]) for key in keys]
        lines.append(",".join([str(stamp), *cells]))
    path.write_text("\n".join(lines) + "\n")


def write_scenario(folder: Path, *, slow: str, with_normal: bool) -> None:
    """A three-node scenario (web -> api -> db) with one latency issue caused by `slow`."""
    folder.mkdir(parents=True)
    (folder / "graph.csv").write_text(",web,api,db\nweb,0.0,1.0,0.0\napi,0.0,0.0,1.0\ndb,0.0,0.0,0.0\n")
    rng = np.random.default_rng(5)
    if with_normal:
        normal = {(node, "latency", "Average"): list(rng.normal(0.1, 0.005, 40)) for node in NODES}
        write_metrics(folder / "noissue" / "metrics.csv", [STEP * row for row in range(40)], normal)
    below = {"db": ("db",), "api": ("api", "db")}[slow]
    shifted = {node for node in NODES if node not in below or node == slow} | {"web"}
    columns = {}
    for node in NODES:
        values = list(rng.normal(0.1, 0.005, 6))
        for row in range(2, 6):
            values[row] += 0.3 if node in shifted else 0.0
        columns[(node, "latency", "Average")] = values
    columns[("db", "latency", "Average")][0] = float("nan")
    start = 100_000.0
    write_metrics(folder / "test" / "issue_0" / "metrics.csv", [start + STEP * (row - 2) for row in range(6)], columns)
    target = {"target": {"node": "web", "metric": "latency", "agg": "Average", "timestamp": start - 10}}
    target["root_cause"] = {"node": slow, "metric": None}
    (folder / "test" / "issue_0" / "target.json").write_text(json.dumps(target))


def test_it_reads_a_scenario_in_the_petshop_layout(tmp_path: Path) -> None:
    write_scenario(tmp_path / "tiny_traffic2", slow="db", with_normal=True)
    scenario = read_scenario(tmp_path / "tiny_traffic2")
    assert scenario.family == "tiny_traffic"
    assert scenario.graph.callees("web") == frozenset({"api"})
    assert scenario.normal is not None
    assert len(scenario.normal.timestamps) == 40
    (issue,) = scenario.issues
    assert (issue.target, issue.metric, issue.statistic, issue.root_cause) == ("web", "latency", "Average", "db")
    assert np.isnan(issue.metrics.series("latency", "Average")["db"][0])


def test_a_scenario_without_a_normal_period_borrows_its_issues_samples_from_before_the_symptom(tmp_path: Path) -> None:
    write_scenario(tmp_path / "tiny_traffic1", slow="db", with_normal=False)
    scenario = read_scenario(tmp_path / "tiny_traffic1")
    assert scenario.normal is None
    reference = normal_reference(scenario).series("latency", "Average")
    assert len(reference["web"]) == 2  # the two samples stamped before the symptom started


def test_evaluate_ranks_each_methods_answer_on_a_small_dataset(tmp_path: Path) -> None:
    write_scenario(tmp_path / "tiny_traffic1", slow="db", with_normal=True)
    write_scenario(tmp_path / "tiny_traffic2", slow="api", with_normal=True)
    outcomes = evaluate(read_dataset(tmp_path), METHODS)
    ours = [outcome for outcome in outcomes if outcome.method == "ours"]
    assert [outcome.ahead for outcome in ours] == [0, 0]
    assert summary(outcomes, "ours") == {("tiny_traffic", "latency"): (2, 1.0, 1.0)}


def test_a_single_scenario_folder_is_a_dataset_of_one(tmp_path: Path) -> None:
    write_scenario(tmp_path / "tiny_traffic1", slow="api", with_normal=True)
    (scenario,) = read_dataset(tmp_path / "tiny_traffic1")
    assert scenario.name == "tiny_traffic1"


def test_tied_candidates_count_as_the_chance_of_drawing_the_root_cause() -> None:
    ranked = [("lb", 9.0), ("search", 9.0), ("web", 1.0)]
    assert outcome_of(ranked, "search") == (0, 1)
    assert outcome_of(ranked, "db") == (None, 0)
    tied = Outcome("ours", "low_traffic", "latency", "issue_0", ahead=0, tied=1)
    assert tied.chance_in_top(1) == 0.5
    assert tied.chance_in_top(3) == 1.0
    assert top_k([tied, Outcome("ours", "low_traffic", "latency", "issue_1", ahead=None)], 1) == 0.25


def test_the_traversal_baseline_names_anomalous_nodes_with_no_anomalous_callee_on_an_anomalous_path() -> None:
    graph = CallGraph.from_edges([("web", "api"), ("api", "db"), ("web", "auth")])
    rng = np.random.default_rng(2)
    reference = {node: rng.normal(0.1, 0.005, 50) for node in ("web", "api", "db", "auth")}
    quiet = list(rng.normal(0.1, 0.005, 5))
    samples = {node: np.array([0.1, 0.1, 0.5, 0.5, 0.1]) for node in ("web", "api", "db")}
    samples["auth"] = np.array(quiet)
    ranked = anomaly_traversal(graph=graph, target="web", samples=samples, reference=reference)
    assert [node for node, _ in ranked] == ["db"]
    calm = {node: np.array(quiet) for node in samples}
    assert anomaly_traversal(graph=graph, target="web", samples=calm, reference=reference) == []


@pytest.fixture(scope="module")
def shared_outcomes() -> list[Outcome]:
    methods = {name: METHODS[name] for name in ("ours", "traversal")}
    return evaluate(read_dataset(DATASET), methods)


def figures(outcomes: list[Outcome], method: str, family: str, metric: str | None = None) -> tuple[float, float]:
    chosen = [
        outcome
        for outcome in outcomes
        if outcome.method == method and family in {outcome.family, "all"} and metric in {outcome.metric, None}
    ]
    return top_k(chosen, 1), top_k(chosen, 3)


# Measured top-1 / top-3 of ours (issues): low latency 11/14, 14/14; low availability 10/12, 12/12;
# temporal 8/8, 8/8 for both metrics; high traffic 8/8, 8/8. Floors sit one issue under, per
# scenario and metric where n >= 8.
@pytest.mark.parametrize(
    ("family", "metric", "top_1", "top_3"),
    [
        ("low_traffic", "latency", 10 / 14, 13 / 14),
        ("low_traffic", "availability", 9 / 12, 11 / 12),
        ("temporal_traffic", "latency", 7 / 8, 7 / 8),
        ("temporal_traffic", "availability", 7 / 8, 7 / 8),
    ],
)
def test_our_ranking_stays_above_its_floor_per_scenario_and_metric(
    shared_outcomes: list[Outcome], family: str, metric: str, top_1: float, top_3: float
) -> None:
    got_1, got_3 = figures(shared_outcomes, "ours", family, metric)
    assert got_1 >= top_1 - 1e-9
    assert got_3 >= top_3 - 1e-9


def test_our_ranking_stays_above_its_floor_on_high_traffic_taken_whole(shared_outcomes: list[Outcome]) -> None:
    # Only 4 + 4 issues are shipped (the rest is held out), all with PetSearch as root cause, and on the
    # four latency ones PetSearch beats its load balancer's node by about 1%: pin the scenario whole,
    # allowing those four to fall.
    got_1, got_3 = figures(shared_outcomes, "ours", "high_traffic")
    assert got_1 >= 4 / 8
    assert got_3 >= 7 / 8


def test_our_ranking_beats_the_traversal_baseline_on_every_issue_together(shared_outcomes: list[Outcome]) -> None:
    ours_1, ours_3 = figures(shared_outcomes, "ours", "all")
    traversal_1, traversal_3 = figures(shared_outcomes, "traversal", "all")
    assert ours_1 >= 0.84
    assert ours_3 >= 0.96
    assert ours_1 >= traversal_1 + 0.2
    assert ours_3 >= traversal_3


def test_the_traversal_baseline_reproduces_the_published_low_traffic_latency_top_1(
    shared_outcomes: list[Outcome],
) -> None:
    top_1, _ = figures(shared_outcomes, "traversal", "low_traffic", "latency")
    assert top_1 == pytest.approx(8 / 14)
