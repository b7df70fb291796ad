"""Quality gates whose thresholds come from each service's own history. Pure: no Django imports.

A threshold is median + k x MAD (the median absolute deviation scaled by 1.4826, so that it estimates a standard
deviation for normal data) of the service's recent values, never closer to the median than a stated margin, and
never under a stated absolute floor. Latency, error ratio and CPU per request compare hourly values of the last
seven days at the same hour of day (+-1 h), so that a night-time release is held to night-time traffic. A gate
with too little history cannot say anything: it is reported as skipped, with why, and does not block.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

MAD_SCALE = 1.4826


@dataclass(frozen=True)
class Rule:
    k: float = 3.0  # how many (scaled) MADs above the median
    margin: float = 0.10  # at least this fraction above the median
    floor: float = 0.0  # and at least this absolute value
    min_points: int = 12


@dataclass(frozen=True)
class Threshold:
    value: float | None  # None: undefined (too little history)
    median: float | None
    mad: float | None
    points: int
    derivation: str


@dataclass(frozen=True)
class GateResult:
    name: str
    outcome: str  # pass, block, skipped
    observed: float | None
    threshold: float | None
    unit: str
    derivation: str
    reason: str

    def as_dict(self) -> dict[str, object]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "observed": self.observed,
            "threshold": self.threshold,
            "unit": self.unit,
            "derivation": self.derivation,
            "reason": self.reason,
        }


def same_hour(points: Sequence[tuple[float, float]], hour: int, spread: int = 1) -> list[float]:
    """Values whose UTC hour of day is within `spread` hours of `hour` (wrapping around midnight)."""
    out = []
    for t, v in points:
        h = int(t // 3600) % 24
        if min((h - hour) % 24, (hour - h) % 24) <= spread and math.isfinite(v):
            out.append(v)
    return out


def adaptive_threshold(history: Sequence[float], rule: Rule, *, unit: str, source: str) -> Threshold:
    """median + k x MAD of history, at least median x (1 + margin) and at least the floor; explained."""
    values = np.asarray([v for v in history if math.isfinite(v)], dtype=np.float64)
    if len(values) < rule.min_points:
        return Threshold(
            None, None, None, len(values), f"undefined: {len(values)} {source} (needs at least {rule.min_points})"
        )
    median = float(np.median(values))
    mad = float(np.median(np.abs(values - median))) * MAD_SCALE
    spread = median + rule.k * mad
    value = max(spread, median * (1 + rule.margin), rule.floor)
    floor = f" and {_fmt(rule.floor, unit)}" if rule.floor else ""
    binding = "k x MAD" if value == spread else f"the {rule.margin:.0%} margin" if value > rule.floor else "the floor"
    return Threshold(
        value,
        median,
        mad,
        len(values),
        f"median {_fmt(median, unit)} + {rule.k:g} x MAD {_fmt(mad, unit)} of {len(values)} {source}; "
        f"at least median +{rule.margin:.0%}{floor}; {binding} decides",
    )


def gate_check(name: str, observed: float | None, threshold: Threshold, *, unit: str, what: str) -> GateResult:
    """Block when the observed value is above the threshold; say why either way."""
    if threshold.value is None:
        return GateResult(
            name, "skipped", observed, None, unit, threshold.derivation, f"{what}: {threshold.derivation}"
        )
    if observed is None or not math.isfinite(observed):
        reason = f"{what}: no data for the evaluated window; nothing to compare"
        return GateResult(name, "skipped", None, threshold.value, unit, threshold.derivation, reason)
    if observed > threshold.value:
        times = observed / threshold.median if threshold.median else math.inf
        reason = (
            f"{what} is {_fmt(observed, unit)}, above this service's own threshold of {_fmt(threshold.value, unit)} "
            f"({times:.2f}x its usual {_fmt(threshold.median or 0.0, unit)})"
        )
        return GateResult(name, "block", observed, threshold.value, unit, threshold.derivation, reason)
    reason = f"{what} is {_fmt(observed, unit)}, within the threshold of {_fmt(threshold.value, unit)}"
    return GateResult(name, "pass", observed, threshold.value, unit, threshold.derivation, reason)


def outcome(results: Sequence[GateResult]) -> str:
    return "block" if any(r.outcome == "block" for r in results) else "pass"


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms"
    if unit == "ratio":
        return f"{value * 100:.3f}%"
    return f"{value:.4g} {unit}".rstrip()
