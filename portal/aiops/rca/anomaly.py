"""How anomalous one node's metric is during an incident, measured against its normal behaviour."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from statistics import NormalDist

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# 1.4826 * MAD estimates a standard deviation for normally distributed data.
MAD_TO_SIGMA = 1.4826


class Worse(StrEnum):
    """Which way a metric moves when things go wrong."""

    HIGHER = "higher"
    LOWER = "lower"


@dataclass(frozen=True)
class AnomalySettings:
    """How a node's incident samples are compared with its normal ones.

    `relative_floor` (a share of the normal level) and `absolute_floor` (in the metric's units) bound the
    normal spread from below, so a change smaller than the floor is never a whole unit of anomaly; a
    percentage that sits at 100 when healthy, such as availability, wants no relative floor and a small
    absolute one; `tail_quantile` is how far out the bad-side tail is read;
    `half_probability_score` is the score at which a node is as likely anomalous as not (the published
    baseline flags at 5); `onset_score` marks when a node's anomaly starts; `min_reference` is the fewest
    normal samples worth comparing with.
    """

    relative_floor: float = 0.01
    absolute_floor: float = 1e-9
    tail_quantile: float = 0.99
    half_probability_score: float = 5.0
    onset_score: float = 3.0
    min_reference: int = 10


@dataclass(frozen=True)
class MetricSpec:
    """A metric to judge nodes on: its name, which way is worse, and how it is compared with normal."""

    name: str
    worse: Worse
    settings: AnomalySettings = field(default_factory=AnomalySettings)


@dataclass(frozen=True)
class Window:
    """Sample times around an incident and when its symptom started; a sample covers `[t, t + step)`."""

    timestamps: FloatArray
    start: float

    @classmethod
    def of(cls, timestamps: Sequence[float] | FloatArray, start: float) -> Window:
        """Build a window from any sequence of sample times."""
        return cls(np.asarray(timestamps, dtype=np.float64), float(start))

    @property
    def step(self) -> float:
        """The sampling interval, or 0 for a single sample."""
        return float(np.median(np.diff(self.timestamps))) if len(self.timestamps) > 1 else 0.0

    @property
    def during(self) -> npt.NDArray[np.bool_]:
        """Which samples overlap the incident (end after it started)."""
        return np.asarray(self.timestamps + self.step > self.start)


@dataclass(frozen=True)
class NodeAnomaly:
    """One node's metric during an incident: how far worse than normal, how sure, and since when.

    `score` counts normal spreads between the worst incident sample and the baseline; `probability`
    maps it to [0, 1); `baseline` is None when the node had nothing to judge, and `note` then says why.
    """

    node: str
    metric: str
    score: float
    probability: float
    onset: float | None = None
    baseline: float | None = None
    worst: float | None = None
    note: str = ""

    @property
    def has_data(self) -> bool:
        """Whether the node had samples to judge, as opposed to being unknown."""
        return self.baseline is not None


def probability_of(score: float, half: float) -> float:
    """Map a score to [0, 1): 0.5 at `half`, near 0 well below it and near 1 well above."""
    if score <= 0:
        return 0.0
    return score**2 / (score**2 + half**2)


def normal_scale(reference: FloatArray, worse: Worse, settings: AnomalySettings) -> tuple[float, float]:
    """Return the normal level and a spread that covers both the bulk and the bad-side tail."""
    centre = float(np.median(reference))
    spread = MAD_TO_SIGMA * float(np.median(np.abs(reference - centre)))
    # Read the tail no further out than leaves two samples beyond it, so one stray sample cannot set it.
    level = min(settings.tail_quantile, 1 - 2 / len(reference))
    tail = 0.0
    if level > 0.5:
        quantile = float(np.quantile(reference, level if worse is Worse.HIGHER else 1 - level))
        tail = abs(quantile - centre) / NormalDist().inv_cdf(level)
    floor = max(settings.relative_floor * abs(centre), settings.absolute_floor)
    return centre, max(spread, tail, floor)


def local_baseline(centre: float, before: FloatArray, worse: Worse) -> float:
    """The normal level, or the level just before the incident when that was already worse."""
    if not len(before):
        return centre
    level = float(np.median(before))
    return max(centre, level) if worse is Worse.HIGHER else min(centre, level)


def normal_samples(reference: Sequence[float] | FloatArray, before: FloatArray, minimum: int) -> FloatArray:
    """The finite normal samples, topped up with the samples before the incident when too few."""
    normal = np.asarray(reference, dtype=np.float64)
    normal = normal[np.isfinite(normal)]
    return normal if len(normal) >= minimum else np.concatenate([normal, before])


def excess_over(
    values: FloatArray, during: npt.NDArray[np.bool_], baseline: float, scale: float, worse: Worse
) -> FloatArray:
    """How many spreads worse than the baseline each incident sample is; -inf outside the incident."""
    sign = 1.0 if worse is Worse.HIGHER else -1.0
    return np.where(during, sign * (values - baseline) / scale, -np.inf)


def node_anomaly(
    *,
    node: str,
    metric: str,
    window: Window,
    samples: Sequence[float] | FloatArray,
    reference: Sequence[float] | FloatArray,
    worse: Worse,
    settings: AnomalySettings | None = None,
) -> NodeAnomaly:
    """Score how much worse than normal `node` is during the incident part of `window`."""
    settings = settings or AnomalySettings()
    values = np.asarray(samples, dtype=np.float64)
    during = window.during & np.isfinite(values)
    before = values[~window.during & np.isfinite(values)]
    normal = normal_samples(reference, before, settings.min_reference)
    if not during.any():
        return NodeAnomaly(node, metric, 0.0, 0.0, note="no samples during the incident")
    if len(normal) < settings.min_reference:
        return NodeAnomaly(node, metric, 0.0, 0.0, note=f"only {len(normal)} normal samples to compare with")
    centre, scale = normal_scale(normal, worse, settings)
    baseline = local_baseline(centre, before, worse)
    excess = excess_over(values, during, baseline, scale, worse)
    score = max(float(np.max(excess)), 0.0)
    crossed = np.flatnonzero(excess >= settings.onset_score)
    onset = float(window.timestamps[crossed[0]]) if len(crossed) else None
    probability = probability_of(score, settings.half_probability_score)
    return NodeAnomaly(node, metric, score, probability, onset, baseline, float(values[int(np.argmax(excess))]))


def score_nodes(
    *,
    metric: MetricSpec,
    window: Window,
    samples: Mapping[str, Sequence[float] | FloatArray],
    reference: Mapping[str, Sequence[float] | FloatArray],
) -> dict[str, NodeAnomaly]:
    """Score every node that has samples of `metric` around the incident against its own normal samples."""
    return {
        node: node_anomaly(
            node=node,
            metric=metric.name,
            window=window,
            samples=values,
            reference=reference.get(node, ()),
            worse=metric.worse,
            settings=metric.settings,
        )
        for node, values in samples.items()
    }


def strongest(anomalies: Iterable[NodeAnomaly]) -> dict[str, NodeAnomaly]:
    """Keep each node's most probable anomaly, for nodes judged on several metrics."""
    found: dict[str, NodeAnomaly] = {}
    for anomaly in anomalies:
        kept = found.get(anomaly.node)
        if kept is None or (anomaly.has_data, anomaly.probability) > (kept.has_data, kept.probability):
            found[anomaly.node] = anomaly
    return found
