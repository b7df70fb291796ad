"""Rank PetShop root causes with our method and two plain baselines, beside the published figures.

Usage: .venv/bin/python bench/rca_petshop.py [--dataset DIR] [--issues] [--explain SCENARIO/SPLIT/ISSUE]

DIR defaults to `<project root>/../shared/testdata/petshop/dataset` and may be any folder with that layout
(`<scenario>/graph.csv`, optional `<scenario>/noissue/metrics.csv`, `<scenario>/<split>/issue_<n>/`).
Scenarios without a normal period are given their issues' samples from before each symptom started.
Top-k is the expected share of issues whose root cause is in the first k, ties broken at random.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.aiops.rca.benchmark import METHODS, PUBLISHED, Outcome, anomalies_of, case_of, evaluate, top_k
from portal.aiops.rca.petshop import Scenario, read_dataset
from portal.aiops.rca.ranking import rank_root_causes

DEFAULT_DATASET = ROOT.parent / "shared" / "testdata" / "petshop" / "dataset"
COLUMNS = ("ours", "traversal", "anomaly_rank")
HEADER = (
    "| scenario | metric | n | ours top-1 | ours top-3 | traversal top-1 | traversal top-3 "
    "| anomaly rank top-1 | anomaly rank top-3 | published top-1 | published top-3 |"
)


def row(label: tuple[str, str], outcomes: list[Outcome]) -> str:
    """One table row: issues, then each method's top-1 and top-3, then the published pair."""
    n = sum(1 for outcome in outcomes if outcome.method == COLUMNS[0])
    cells = [f"{top_k([o for o in outcomes if o.method == method], k):.3f}" for method in COLUMNS for k in (1, 3)]
    published = PUBLISHED.get(label)
    cells += [f"{value:.3f}" for value in published] if published else ["-", "-"]
    return f"| {label[0]} | {label[1]} | {n} | " + " | ".join(cells) + " |"


def figures(outcomes: list[Outcome]) -> list[str]:
    """One table row per (scenario family, metric), then one for all issues together."""
    groups: dict[tuple[str, str], list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault((outcome.family, outcome.metric), []).append(outcome)
    rows = [HEADER, "|" + "---|" * (HEADER.count("|") - 1)]
    rows += [row(label, groups[label]) for label in sorted(groups, key=_order)]
    return [*rows, row(("all", "all"), outcomes)]


def _order(key: tuple[str, str]) -> tuple[int, int]:
    families = ["low_traffic", "high_traffic", "temporal_traffic"]
    family = families.index(key[0]) if key[0] in families else len(families)
    return family, 0 if key[1] == "latency" else 1


def issue_lines(outcomes: list[Outcome]) -> list[str]:
    """Each issue's root-cause rank per method (ahead+1, with ties noted)."""
    lines = []
    for outcome in outcomes:
        rank = "missed" if outcome.ahead is None else str(outcome.ahead + 1)
        if outcome.tied:
            rank += f" (tied with {outcome.tied})"
        lines.append(f"{outcome.issue:40s} {outcome.metric:12s} {outcome.method:12s} {rank}")
    return lines


def explanation(scenarios: list[Scenario], label: str, shown: int = 3) -> list[str]:
    """Our top candidates for one issue, with the reasons behind each."""
    for scenario in scenarios:
        for issue in scenario.issues:
            if f"{issue.scenario}/{issue.split}/{issue.name}" == label:
                case = case_of(issue, scenario)
                causes = rank_root_causes(graph=case.graph, target=case.target, anomalies=anomalies_of(case))
                lines = [f"{label}: {issue.metric} of {issue.target}; true root cause {issue.root_cause}"]
                for place, cause in enumerate(causes[:shown], start=1):
                    lines.append(f"{place}. {cause.node}  score {cause.score:.3f}  confidence {cause.confidence:.2f}")
                    lines += [f"   - {reason}" for reason in cause.reasons]
                return lines
    return [f"{label}: no such issue"]


def main() -> None:
    """Run the benchmark and print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, default=DEFAULT_DATASET)
    parser.add_argument("--issues", action="store_true", help="also print every issue's rank per method")
    parser.add_argument("--explain", metavar="ISSUE", help="also print our top candidates and reasons for one issue")
    args = parser.parse_args()
    started = time.perf_counter()
    scenarios = read_dataset(args.dataset)
    loaded = time.perf_counter() - started
    outcomes = evaluate(scenarios, {name: METHODS[name] for name in COLUMNS})
    lines = figures(outcomes)
    if args.issues:
        lines += ["", *issue_lines(outcomes)]
    if args.explain:
        lines += ["", *explanation(scenarios, args.explain)]
    per_method = {m: sum(o.seconds for o in outcomes if o.method == m) for m in COLUMNS}
    timing = ", ".join(f"{method} {seconds:.2f} s" for method, seconds in per_method.items())
    lines += ["", f"wall time: {time.perf_counter() - started:.2f} s (reading {loaded:.2f} s; {timing})"]
    print("\n".join(lines))


if __name__ == "__main__":
    main()
