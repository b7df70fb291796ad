"""Our Kayenta-method canary judge against a fixed-threshold comparison on generated regressions and noise.

Usage: .venv/bin/python bench/canary.py [--cases N] [--points N] [--seed N]

Each case is one latency-like metric over a 30-minute canary window at one point a minute: the baseline is
the mean of three pods, the canary one pod (so its noise is about sqrt(3) times larger), both log-normal with
per-minute jitter, slow drift and occasional spikes (GC pauses, a cold cache). Noise sets draw both sides from
the same release; regression sets shift the canary's median by the stated factor. A method "fails" a case
when it would stop the rollout.

- ours: portal/delivery/canary.py, direction increase, defaults (95% interval, tolerance 0.25, allowed
  increase 1.0, outliers kept), i.e. the metric is High.
- fixed threshold: canary mean / baseline mean > 1.1 (a common hand-written gate).

Detection rate is the share of regression cases failed; the false-positive rate the share of noise cases
failed. Seeded: every run prints the same figures.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from portal.delivery.canary import HIGH, JudgeSettings, MetricSpec, metric_classify

SPEC = MetricSpec("latency_p99", groups=("latency",), direction="increase")
FIXED_RATIO = 1.1


@dataclass(frozen=True)
class CaseSet:
    name: str
    shift: float  # canary median / baseline median; 1.0 is noise
    spread: float  # log-normal sigma of one pod's per-minute value
    spike_rate: float  # share of minutes with a spike
    spike_size: float = 4.0


SETS = (
    CaseSet("noise, quiet", 1.0, 0.08, 0.0),
    CaseSet("noise, noisy", 1.0, 0.25, 0.0),
    CaseSet("noise, spiky", 1.0, 0.10, 0.03),
    CaseSet("regression +10%, quiet", 1.10, 0.08, 0.0),
    CaseSet("regression +20%, noisy", 1.20, 0.25, 0.0),
    CaseSet("regression +20%, spiky", 1.20, 0.10, 0.03),
    CaseSet("regression +50%, noisy", 1.50, 0.25, 0.0),
)


def pod(rng: np.random.Generator, n: int, median: float, case: CaseSet) -> np.ndarray:
    drift = np.cumsum(rng.normal(0, case.spread / 10, n))
    values = median * np.exp(rng.normal(0, case.spread, n) + drift - drift.mean())
    spikes = rng.random(n) < case.spike_rate
    return np.where(spikes, values * case.spike_size, values)


def case_pair(rng: np.random.Generator, n: int, case: CaseSet) -> tuple[np.ndarray, np.ndarray]:
    baseline = np.mean([pod(rng, n, 0.120, case) for _ in range(3)], axis=0)
    return baseline, pod(rng, n, 0.120 * case.shift, case)


def fails_ours(baseline: np.ndarray, canary: np.ndarray) -> bool:
    return metric_classify(SPEC, baseline, canary, JudgeSettings()).classification == HIGH


def fails_fixed(baseline: np.ndarray, canary: np.ndarray) -> bool:
    return float(np.mean(canary)) / float(np.mean(baseline)) > FIXED_RATIO


def run(cases: int, points: int, seed: int) -> list[tuple[CaseSet, float, float]]:
    rows = []
    for i, case in enumerate(SETS):
        rng = np.random.default_rng(seed + i)
        pairs = [case_pair(rng, points, case) for _ in range(cases)]
        ours = sum(fails_ours(b, c) for b, c in pairs) / cases
        fixed = sum(fails_fixed(b, c) for b, c in pairs) / cases
        rows.append((case, ours, fixed))
    return rows


def ratio(a: float, b: float) -> str:
    return "-" if b == 0 else f"{a / b:.2f}x"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=400)
    parser.add_argument("--points", type=int, default=30)
    parser.add_argument("--seed", type=int, default=12)
    args = parser.parse_args()
    began = time.perf_counter()
    rows = run(args.cases, args.points, args.seed)
    print(f"{args.cases} cases per set, {args.points} points a side, seed {args.seed}")
    print("| set | ours: failed | fixed mean ratio > 1.1: failed | ours / fixed |")
    print("|---|---:|---:|---:|")
    for case, ours, fixed in rows:
        print(f"| {case.name} | {ours:.1%} | {fixed:.1%} | {ratio(ours, fixed)} |")
    noise = [r for r in rows if r[0].shift == 1.0]
    regressions = [r for r in rows if r[0].shift > 1.0]
    fp_ours, fp_fixed = (float(np.mean([r[k] for r in noise])) for k in (1, 2))
    dr_ours, dr_fixed = (float(np.mean([r[k] for r in regressions])) for k in (1, 2))
    print(f"false-positive rate (noise sets): ours {fp_ours:.1%}, fixed {fp_fixed:.1%} ({ratio(fp_ours, fp_fixed)})")
    print(f"detection rate (regression sets): ours {dr_ours:.1%}, fixed {dr_fixed:.1%} ({ratio(dr_ours, dr_fixed)})")
    print(f"wall time {time.perf_counter() - began:.1f} s")


if __name__ == "__main__":
    main()
