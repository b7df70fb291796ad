"""The VPA recommender's decaying histogram: bucketed sample weights that halve every half-life.

A percentile is the END of the bucket where the cumulative weight first reaches p * total (the start of the last
bucket, which has no end). Buckets with less than `epsilon` weight count as empty at either end. Weights are kept
relative to a reference time rounded to the half-life and moved forward past 100 half-lives, as upstream does.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import numpy.typing as npt

from portal.finops.strategies.base import FloatArray

IntArray = npt.NDArray[np.intp]
MAX_DECAY_EXPONENT = 100


class Buckets(Protocol):
    """A bucketing scheme: how many buckets, which bucket a value falls in, where a bucket starts."""

    @property
    def epsilon(self) -> float: ...

    @property
    def count(self) -> int: ...

    def find(self, values: FloatArray) -> IntArray: ...

    def start(self, bucket: int) -> float: ...


@dataclass(frozen=True)
class ExponentialBuckets:
    """Bucket n is first_size * ratio^n wide, so it starts at first_size * (ratio^n - 1) / (ratio - 1)."""

    max_value: float
    first_size: float
    ratio: float = 1.05
    epsilon: float = 1e-4

    @property
    def count(self) -> int:
        return math.ceil(math.log(self.max_value * (self.ratio - 1) / self.first_size + 1) / math.log(self.ratio)) + 1

    def find(self, values: FloatArray) -> IntArray:
        scaled = np.log(np.maximum(values, self.first_size) * (self.ratio - 1) / self.first_size + 1)
        buckets = (scaled / math.log(self.ratio)).astype(np.intp)
        buckets[values < self.first_size] = 0
        return np.minimum(buckets, self.count - 1)

    def start(self, bucket: int) -> float:
        return 0.0 if bucket == 0 else self.first_size * (self.ratio**bucket - 1) / (self.ratio - 1)


@dataclass(frozen=True)
class LinearBuckets:
    """Buckets of one size from 0; the last starts at or above max_value (upstream's test histograms)."""

    max_value: float
    size: float
    epsilon: float = 1e-15

    @property
    def count(self) -> int:
        return math.ceil(self.max_value / self.size) + 1

    def find(self, values: FloatArray) -> IntArray:
        return np.clip((values / self.size).astype(np.intp), 0, self.count - 1)

    def start(self, bucket: int) -> float:
        return bucket * self.size


class DecayingHistogram:
    """Sample weights per bucket, each multiplied by 2^((time - reference) / half_life)."""

    def __init__(self, buckets: Buckets, half_life: float) -> None:
        self.buckets = buckets
        self.half_life = half_life
        self.weights: FloatArray = np.zeros(buckets.count)
        self.total = 0.0
        self.reference: float | None = None

    def add(self, values: FloatArray, weights: FloatArray | float, times: FloatArray) -> None:
        """Add samples (value, weight, time)."""
        if not len(values):
            return
        factors = self._decay(np.asarray(times, dtype=np.float64))
        added = np.broadcast_to(np.asarray(weights, dtype=np.float64), factors.shape) * factors
        buckets = self.buckets.find(np.asarray(values, dtype=np.float64))
        self.weights += np.bincount(buckets, weights=added, minlength=len(self.weights))
        self.total += float(added.sum())

    def subtract(self, value: float, weight: float, time: float) -> None:
        """Remove a sample added before; a bucket never goes below zero."""
        bucket = int(self.buckets.find(np.array([value]))[0])
        removed = weight * float(self._decay(np.array([time]))[0])
        if removed > self.weights[bucket] - self.buckets.epsilon:
            removed = float(self.weights[bucket])
        self.weights[bucket] -= removed
        self.total -= removed

    @property
    def empty(self) -> bool:
        return not np.any(self.weights >= self.buckets.epsilon)

    def percentile(self, p: float) -> float:
        """Return the end of the bucket where the cumulative weight first reaches p of the total (0 when empty)."""
        if self.empty:
            return 0.0
        filled = np.flatnonzero(self.weights >= self.buckets.epsilon)
        low, high = int(filled[0]), int(filled[-1])
        reached = np.flatnonzero(np.cumsum(self.weights[low:high]) >= p * self.total)
        bucket = low + int(reached[0]) if len(reached) else high
        if bucket < self.buckets.count - 1:
            return self.buckets.start(bucket + 1)
        return self.buckets.start(bucket)

    def _decay(self, times: FloatArray) -> FloatArray:
        if self.reference is None:
            self.reference = self._rounded(float(times.min()))
        latest = float(times.max())
        if latest > self.reference + MAX_DECAY_EXPONENT * self.half_life:
            self._shift_reference(latest)
        return np.exp2((times - self.reference) / self.half_life)

    def _rounded(self, moment: float) -> float:
        return math.floor(moment / self.half_life + 0.5) * self.half_life

    def _shift_reference(self, moment: float) -> None:
        reference = self._rounded(moment)
        if self.reference is not None:
            scale = 2.0 ** math.floor((self.reference - reference) / self.half_life + 0.5)
            self.weights *= scale
            self.total *= scale
        self.reference = reference
