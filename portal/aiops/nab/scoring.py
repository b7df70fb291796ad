"""NAB scoring as NAB v1.1 does it: weighted window rewards, one corpus-wide threshold per profile, normalised.

Semantics follow numenta/NAB's `sweeper.py`, `optimizer.py` and `runner.normalize()`:
- the first 15% of each file, at most 750 rows, is probation and is neither rewarded nor penalised;
- a row at or above the threshold is a detection; only the best-weighted (earliest) detection in a window counts,
  worth tp_weight * S(position) / S(-1) with S the scaled sigmoid and position = -(right - i + 1) / width;
- a window with no detection costs fn_weight;
- a detection outside windows costs fp_weight, times S(distance past the previous window / (its width - 1)),
  or the full fp_weight before any window;
- the threshold is the one that maximises the summed score over the corpus;
- normalised = 100 * (raw - null) / (perfect - null), null = every window missed, perfect = tp_weight per window.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

PROBATION_FRACTION = 0.15
PROBATION_MAX_ROWS = 750
NO_DETECTION_THRESHOLD = 1.1


@dataclass(frozen=True)
class CostMatrix:
    """One NAB application profile."""

    tp_weight: float
    fp_weight: float
    fn_weight: float


@dataclass(frozen=True)
class ScoredFile:
    """One file's anomaly scores with the windows they are judged against."""

    scores: FloatArray
    windows: tuple[tuple[int, int], ...]


@dataclass(frozen=True)
class ProfileResult:
    """A detector's NAB result for one profile."""

    threshold: float
    raw: float
    null: float
    perfect: float
    windows_detected: int
    windows_total: int
    false_positive_rows: int

    @property
    def normalised(self) -> float:
        """Return the score scaled so that the null detector gets 0 and a perfect one 100."""
        return 100.0 * (self.raw - self.null) / (self.perfect - self.null)


PROFILE_NAMES = {"standard": "standard", "reward_low_FP_rate": "reward_low_FP", "reward_low_FN_rate": "reward_low_FN"}


def load_profiles(path: Path) -> dict[str, CostMatrix]:
    """Load NAB's `profiles.json`, naming the profiles standard, reward_low_FP and reward_low_FN."""
    raw = json.loads(path.read_text())
    return {
        PROFILE_NAMES.get(name, name): CostMatrix(
            tp_weight=float(body["CostMatrix"]["tpWeight"]),
            fp_weight=float(body["CostMatrix"]["fpWeight"]),
            fn_weight=float(body["CostMatrix"]["fnWeight"]),
        )
        for name, body in raw.items()
    }


def probation_rows(n_rows: int) -> int:
    """Return how many leading rows of a file are probation (not scored)."""
    return min(math.floor(PROBATION_FRACTION * n_rows), PROBATION_MAX_ROWS)


def scaled_sigmoid(position: FloatArray) -> FloatArray:
    """Return NAB's 2 * sigmoid(-5 * position) - 1, pinned to -1 beyond 3 window widths."""
    clipped = np.minimum(position, 3.0)
    return np.where(position > 3.0, -1.0, 2.0 / (1.0 + np.exp(5.0 * clipped)) - 1.0)


def detection_weights(n_rows: int, windows: Sequence[tuple[int, int]], cost: CostMatrix) -> tuple[IntArray, FloatArray]:
    """Return, per row, its window index (-1 outside) and what a detection there would be worth."""
    window_of = np.full(n_rows, -1, dtype=np.int64)
    weight = np.full(n_rows, -cost.fp_weight)
    max_tp = float(scaled_sigmoid(np.array([-1.0]))[0])
    for k, (left, right) in enumerate(windows):
        width = right - left + 1
        inside = np.arange(left, right + 1, dtype=np.float64)
        weight[left : right + 1] = scaled_sigmoid(-(right - inside + 1) / width) * cost.tp_weight / max_tp
        window_of[left : right + 1] = k
        stop = windows[k + 1][0] if k + 1 < len(windows) else n_rows
        after = np.arange(right + 1, stop, dtype=np.float64)
        # A one-row window has no width to scale by: NAB divides by zero there; treat later rows as far away.
        distance = (after - right) / (width - 1) if width > 1 else np.full(after.size, np.inf)
        weight[right + 1 : stop] = scaled_sigmoid(distance) * cost.fp_weight
    return window_of, weight


@dataclass(frozen=True)
class SweepRows:
    """Every scorable row of a corpus: anomaly score, corpus-wide window index (-1 outside) and detection worth."""

    scores: FloatArray
    window_of: IntArray
    weight: FloatArray
    n_windows: int


def sweep_rows(files: Sequence[ScoredFile], cost: CostMatrix) -> SweepRows:
    """Gather the scorable rows of all files, numbering windows across the corpus."""
    scores, window_of, weight = [], [], []
    offset = 0
    for file in files:
        n_rows = len(file.scores)
        start = probation_rows(n_rows)
        ids, worth = detection_weights(n_rows, file.windows, cost)
        kept_ids = ids[start:]
        scores.append(np.nan_to_num(np.asarray(file.scores, dtype=np.float64)[start:], nan=0.0))
        window_of.append(np.where(kept_ids >= 0, kept_ids + offset, -1))
        weight.append(worth[start:])
        offset += len(file.windows)
    return SweepRows(np.concatenate(scores), np.concatenate(window_of), np.concatenate(weight), offset)


def scorable_windows(rows: SweepRows) -> int:
    """Count windows with at least one row after probation (NAB charges a miss only for those)."""
    return int(np.unique(rows.window_of[rows.window_of >= 0]).size)


def threshold_sweep(rows: SweepRows, cost: CostMatrix) -> tuple[FloatArray, FloatArray]:
    """Return every candidate threshold (highest first) and the corpus raw score when detecting rows >= it."""
    order = np.argsort(-rows.scores, kind="stable")
    scores, window_of, weight = rows.scores[order], rows.window_of[order], rows.weight[order]
    gain = np.where(window_of < 0, weight, 0.0)
    best = np.full(rows.n_windows, -cost.fn_weight)
    for i in np.flatnonzero(window_of >= 0):
        k = window_of[i]
        if weight[i] > best[k]:
            gain[i] = weight[i] - best[k]
            best[k] = weight[i]
    base = -cost.fn_weight * scorable_windows(rows)
    running = base + np.cumsum(gain)
    last_of_group = np.flatnonzero(np.append(scores[1:] != scores[:-1], True))
    thresholds = np.concatenate(([NO_DETECTION_THRESHOLD], scores[last_of_group]))
    totals = np.concatenate(([base], running[last_of_group]))
    return thresholds, totals


def score_at(rows: SweepRows, cost: CostMatrix, threshold: float) -> tuple[float, int, int]:
    """Return the raw score, windows detected and false-positive rows when detecting rows >= threshold."""
    detected = rows.scores >= threshold
    false_positives = detected & (rows.window_of < 0)
    raw = float(rows.weight[false_positives].sum())
    hits = detected & (rows.window_of >= 0)
    best = np.full(rows.n_windows, -np.inf)
    np.maximum.at(best, rows.window_of[hits], rows.weight[hits])
    present = np.zeros(rows.n_windows, dtype=bool)
    present[rows.window_of[rows.window_of >= 0]] = True
    raw += float(np.where(np.isfinite(best), best, -cost.fn_weight)[present].sum())
    return raw, int(np.isfinite(best).sum()), int(false_positives.sum())


def score_corpus(files: Sequence[ScoredFile], cost: CostMatrix) -> ProfileResult:
    """Score a detector's outputs over a corpus with the threshold that maximises the corpus score."""
    rows = sweep_rows(files, cost)
    thresholds, totals = threshold_sweep(rows, cost)
    threshold = float(thresholds[int(np.argmax(totals))])
    raw, detected, false_positives = score_at(rows, cost, threshold)
    return ProfileResult(
        threshold=threshold,
        raw=raw,
        null=-cost.fn_weight * scorable_windows(rows),
        perfect=cost.tp_weight * rows.n_windows,
        windows_detected=detected,
        windows_total=rows.n_windows,
        false_positive_rows=false_positives,
    )
