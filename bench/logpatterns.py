"""Log template mining: our masked Drain against a regex-digit baseline and drain3's defaults, on the same lines.

Lines come from the log sandbox (portal/integrations/logs/simulation.py), whose templates are known: every
line carries the key of the template that wrote it, which is the ground truth. The shared test data holds no
real logs, so this is the measurement there is; the held-out check is real logs.

Figures per method: patterns found (the truth has one per template), grouping accuracy (Zhu et al., "Tools
and Benchmarks for Automated Log Parsing", ICSE-SEIP 2019: a line counts as right when the set of lines
grouped with it is exactly the set of lines of its true template), and lines per second.

    python bench/logpatterns.py --lines 20000
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from drain3.template_miner import TemplateMiner  # type: ignore[import-untyped,unused-ignore]
from drain3.template_miner_config import TemplateMinerConfig  # type: ignore[import-untyped,unused-ignore]

from portal.aiops.logpatterns import mine, naive_template
from portal.integrations.logs.simulation import TEMPLATES, Context

SERVICES = ("checkout-api", "payments-api", "cart-service", "catalog-search", "ledger", "fraud-scorer")
# a realistic mix: access lines dominate, then debug and probes; rare lines are what incidents are made of
WEIGHTS = {
    "access-ok": 400,
    "access-5xx": 8,
    "failed-baseline": 6,
    "failed-oom": 4,
    "gc-pressure": 10,
    "oom-kill": 1,
    "starting": 1,
    "slow-handler": 5,
    "slow-operation": 5,
    "timeout": 8,
    "debug-cache": 200,
    "probe": 60,
    "audit": 10,
}


def corpus(n: int, seed: int) -> tuple[list[str], list[str]]:
    """n lines and the key of the template that wrote each."""
    rng = np.random.default_rng(seed)
    keys = list(WEIGHTS)
    p = np.array([WEIGHTS[k] for k in keys], dtype=float)
    p /= p.sum()
    lines, truth = [], []
    for key in rng.choice(keys, size=n, p=p):
        service = SERVICES[int(rng.integers(0, len(SERVICES)))]
        dependency = SERVICES[int(rng.integers(0, len(SERVICES)))]
        ctx = Context(
            service=service,
            dependency=dependency,
            latency=float(rng.uniform(0.01, 0.5)),
            memory=float(rng.uniform(0.7, 1.0)) * 1024**3,
            limit=1024**3,
        )
        lines.append(TEMPLATES[str(key)].render(rng, ctx))
        truth.append(str(key))
    return lines, truth


def grouping_accuracy(predicted: Sequence[object], truth: Sequence[str]) -> float:
    """Share of lines whose predicted group holds exactly the lines of their true template."""
    by_prediction: dict[object, set[int]] = defaultdict(set)
    by_truth: dict[str, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(predicted, truth, strict=True)):
        by_prediction[p].add(i)
        by_truth[t].add(i)
    right = sum(len(group) for group in by_prediction.values() if group == by_truth[truth[next(iter(group))]])
    return right / len(truth)


def ours(lines: list[str]) -> list[object]:
    assigned, _ = mine(lines)
    return list(assigned)


def naive(lines: list[str]) -> list[object]:
    return [naive_template(line) for line in lines]


def drain3_defaults(lines: list[str]) -> list[object]:
    miner = TemplateMiner(config=TemplateMinerConfig())
    first = [miner.add_log_message(line)["cluster_id"] for line in lines]
    return [
        getattr(miner.match(line, full_search_strategy="fallback"), "cluster_id", first[i])
        for i, line in enumerate(lines)
    ]


@dataclass(frozen=True)
class Row:
    method: str
    patterns: int
    accuracy: float
    lines_per_second: float


def measure(name: str, method: Callable[[list[str]], list[object]], lines: list[str], truth: list[str]) -> Row:
    started = time.perf_counter()
    predicted = method(lines)
    seconds = time.perf_counter() - started
    return Row(name, len(set(predicted)), grouping_accuracy(predicted, truth), len(lines) / seconds)


def main() -> None:
    import logging

    logging.getLogger("drain3").setLevel(logging.WARNING)
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=20000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    lines, truth = corpus(args.lines, args.seed)
    print(f"{len(lines)} lines from {len(set(truth))} known templates (seed {args.seed})\n")
    rows = [
        measure("ours: Drain with masking (portal/aiops/logpatterns.py)", ours, lines, truth),
        measure("baseline: every run of digits -> <*>", naive, lines, truth),
        measure("peer: drain3 with its defaults (no masking)", drain3_defaults, lines, truth),
    ]
    print(f"| {'method':<56} | patterns | grouping accuracy | lines/s |")
    print(f"|{'-' * 58}|---------:|------------------:|--------:|")
    for row in rows:
        print(f"| {row.method:<56} | {row.patterns:>8} | {row.accuracy:>17.3f} | {row.lines_per_second:>7,.0f} |")
    ours_row, naive_row = rows[0], rows[1]
    ratio = ours_row.accuracy / max(naive_row.accuracy, 1e-9)
    print(
        f"\nratio ours / baseline: grouping accuracy {ratio:.2f}x, "
        f"patterns {ours_row.patterns} vs {naive_row.patterns} (truth {len(set(truth))})"
    )


if __name__ == "__main__":
    main()
