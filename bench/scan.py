"""Series scanned per second per core: streaming detectors resumed from saved state, against re-fitting
each series from scratch on every scan (what a stateless scanner must do).

    python bench/scan.py [--series 1000 10000] [--history 1440] [--new 1] [--refit-sample 50]

Each series is a day of one-minute points (daily shape, noise, an occasional spike). A scan of one series
= load its detector state from JSON, score the new point(s), save the state as JSON. The re-fit baseline
rebuilds the detector from the whole history each scan; it is timed on --refit-sample series and reported
per series, since re-fitting 10,000 series a minute is exactly what does not fit in a minute.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from portal.aiops.detectors import SeriesDetector, Settings


def series(seed: int, n: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    minutes = np.arange(n)
    values = 100 + 30 * np.sin(2 * np.pi * minutes / 1440) + rng.normal(0, 3, n)
    values[rng.integers(0, n, 2)] += 60
    return values


def warm_states(count: int, history: int) -> tuple[list[str], list[np.ndarray]]:
    states, data = [], []
    for i in range(count):
        values = series(i, history + 10)
        detector = SeriesDetector(Settings())
        detector.score((60.0 * t, float(v)) for t, v in enumerate(values[:history]))
        states.append(json.dumps(detector.to_state()))
        data.append(values)
    return states, data


def streaming(states: list[str], data: list[np.ndarray], history: int, new: int) -> float:
    started = time.process_time()
    for i, raw in enumerate(states):
        detector = SeriesDetector.from_state(json.loads(raw))
        for t in range(history, history + new):
            detector.update(60.0 * t, float(data[i][t]))
        states[i] = json.dumps(detector.to_state())
    return time.process_time() - started


def refit(data: list[np.ndarray], history: int, new: int) -> float:
    started = time.process_time()
    for values in data:
        detector = SeriesDetector(Settings())
        detector.score((60.0 * t, float(v)) for t, v in enumerate(values[: history + new]))
    return time.process_time() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--series", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--history", type=int, default=1440)
    parser.add_argument("--new", type=int, default=1)
    parser.add_argument("--refit-sample", type=int, default=50)
    args = parser.parse_args()
    _, sample = warm_states(args.refit_sample, args.history)
    refit_rate = args.refit_sample / refit(sample, args.history, args.new)
    print(f"history {args.history} points, {args.new} new point(s) per scan; CPU seconds of one core")
    print(f"{'series':>8} {'streaming series/s':>19} {'re-fit series/s':>16} {'ratio':>8}")
    for count in args.series:
        states, data = warm_states(min(count, 1000), args.history)
        reps = math.ceil(count / len(states))
        elapsed = (
            sum(streaming(states, data, args.history, args.new) for _ in range(reps)) * count / (reps * len(states))
        )
        rate = count / elapsed
        print(f"{count:8d} {rate:19.0f} {refit_rate:16.1f} {rate / refit_rate:7.0f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
