"""The per-series ensemble: one anomaly likelihood in [0, 1] per point, with the detector and deviation behind it.

Each detector measures a deviation (range breach, level shift, seasonal residual, trend). A deviation becomes
novelty only when it beats the series' own recent record for that detector, so a noisy series and a quiet one
are judged on their own terms and one threshold serves every series. The strongest novelty wins; an episode
alerts once, on its first and strongest points. Memory per series is bounded, and `to_state()` /
`from_state()` let a scanner persist it between scans and resume with only the new points.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from portal.aiops.detectors.base import Deviation, Reason, Score, State
from portal.aiops.detectors.calibration import EpisodeSuppressor, RecordCalibrator
from portal.aiops.detectors.range_breach import RangeBreach
from portal.aiops.detectors.robust import LevelShift, RobustBaseline, TrendChange
from portal.aiops.detectors.seasonal import SeasonalBaseline

STATE_VERSION = 1
# Novelty at which the likelihood reaches one half: beating the recent record by 2% of the usual spread.
HALF_LIKELIHOOD_NOVELTY = 0.02
CALIBRATED = ("level_shift", "seasonal", "trend")


@dataclass(frozen=True)
class Settings:
    """Window sizes in points (defaults suit 1- to 60-minute series), and how much better the daily profile must fit
    than a flat baseline (residual sigma below `seasonal_gain` times the level sigma) before it may speak."""

    warmup: int = 100
    baseline_window: int = 600
    shift_span: int = 6
    trend_span: int = 48
    seasonal_days: int = 5
    range_half_life: int = 100000
    record_history: int = 8000
    episode_span: int = 50
    seasonal_gain: float = 0.5


def likelihood(novelty: float) -> float:
    """Map novelty (>= 0) to [0, 1): 0 for nothing new, 0.5 at HALF_LIKELIHOOD_NOVELTY, towards 1 beyond."""
    return novelty / (novelty + HALF_LIKELIHOOD_NOVELTY) if novelty > 0.0 else 0.0


def reason_for(detector: str, deviation: Deviation) -> Reason:
    """Describe a deviation for people: detector, direction and size in robust z."""
    return Reason(
        detector=detector,
        direction="up" if deviation.z >= 0.0 else "down",
        robust_z=round(deviation.z, 3),
        expected=deviation.expected,
    )


class SeriesDetector:
    """Score one series a point at a time; create one per series and keep its state between scans."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()
        s = self.settings
        self.accepted = 0
        self.last_timestamp: float | None = None
        self.baseline = RobustBaseline(window=s.baseline_window, warmup=s.warmup)
        self.shift = LevelShift(span=s.shift_span)
        self.trend = TrendChange(span=s.trend_span)
        self.seasonal = SeasonalBaseline(days=s.seasonal_days, residual_window=s.baseline_window)
        self.range = RangeBreach(half_life=s.range_half_life)
        self.calibrators = {name: RecordCalibrator(history=s.record_history, warmup=s.warmup) for name in CALIBRATED}
        self.episode = EpisodeSuppressor(span=s.episode_span)

    def rejection(self, timestamp: float, value: float) -> str | None:
        """Return why a point cannot be used, or None when it can."""
        if not math.isfinite(value):
            return "value is not a finite number"
        if not math.isfinite(timestamp):
            return "timestamp is not a finite number"
        if self.last_timestamp is not None and timestamp <= self.last_timestamp:
            return "timestamp is not after the previous point's (duplicate or out of order)"
        return None

    def deviations(self, timestamp: float, value: float) -> dict[str, Deviation]:
        """Ask every detector about the point before any of them learns it."""
        found = {
            "level_shift": self.shift.observe(value, self.baseline),
            "trend": self.trend.observe(value, self.baseline),
            "seasonal": self.seasonal.observe(timestamp, value),
        }
        return {name: deviation for name, deviation in found.items() if deviation is not None}

    def strongest(self, value: float, deviations: dict[str, Deviation]) -> tuple[float, Reason | None]:
        """Return the largest novelty among the detectors and the reason it gives."""
        best, reason = 0.0, None
        if self.accepted >= self.settings.warmup:
            breach = self.range.excess(value)
            if breach > 0.0 and self.baseline.median is not None:
                best = breach
                reason = reason_for("range", Deviation(self.baseline.z(value), self.baseline.median))
        for name, deviation in deviations.items():
            novelty = self.calibrators[name].novelty(abs(deviation.z))
            if novelty > best and (name != "seasonal" or self.seasonal_explains()):
                best, reason = novelty, reason_for(name, deviation)
        return best, reason

    def seasonal_explains(self) -> bool:
        """Return whether the time-of-day profile fits the series clearly better than a flat baseline does."""
        return self.seasonal.residuals.scale < self.settings.seasonal_gain * self.baseline.scale

    def update(self, timestamp: float, value: float) -> Score:
        """Score one point and learn from it; unusable points score 0 and are not learnt."""
        rejected = self.rejection(timestamp, value)
        if rejected is not None:
            return Score(timestamp=timestamp, value=value, likelihood=0.0, skipped=rejected)
        novelty, reason = self.strongest(value, self.deviations(timestamp, value))
        fresh = self.episode.fresh(novelty)
        self.learn(timestamp, value)
        return Score(timestamp, value, likelihood(fresh), reason if fresh > 0.0 else None)

    def learn(self, timestamp: float, value: float) -> None:
        """Fold an accepted point into the baselines."""
        self.range.add(value, self.baseline.median if self.baseline.median is not None else value)
        self.baseline.add(value)
        self.last_timestamp = timestamp
        self.accepted += 1

    def score(self, points: Iterable[tuple[float, float]]) -> list[Score]:
        """Score many (timestamp, value) points in order."""
        return [self.update(float(timestamp), float(value)) for timestamp, value in points]

    def to_state(self) -> State:
        """Return everything needed to resume this series, as JSON-able values."""
        return {
            "version": STATE_VERSION,
            "settings": self.settings.__dict__,
            "accepted": self.accepted,
            "last_timestamp": self.last_timestamp,
            "baseline": self.baseline.to_state(),
            "shift": self.shift.to_state(),
            "trend": self.trend.to_state(),
            "seasonal": self.seasonal.to_state(),
            "range": self.range.to_state(),
            "calibrators": {name: calibrator.to_state() for name, calibrator in self.calibrators.items()},
            "episode": self.episode.to_state(),
        }

    @classmethod
    def from_state(cls, state: State) -> SeriesDetector:
        """Resume a series from `to_state()`; the next scores are those an uninterrupted run would give."""
        if state.get("version") != STATE_VERSION:
            raise ValueError(f"unsupported detector state version: {state.get('version')!r}")
        detector = cls(Settings(**state["settings"]))
        detector.accepted = state["accepted"]
        detector.last_timestamp = state["last_timestamp"]
        detector.baseline = RobustBaseline.from_state(state["baseline"])
        detector.shift = LevelShift.from_state(state["shift"])
        detector.trend = TrendChange.from_state(state["trend"])
        detector.seasonal = SeasonalBaseline.from_state(state["seasonal"])
        detector.range = RangeBreach.from_state(state["range"])
        detector.calibrators = {name: RecordCalibrator.from_state(s) for name, s in state["calibrators"].items()}
        detector.episode = EpisodeSuppressor.from_state(state["episode"])
        return detector
