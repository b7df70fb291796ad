"""Shared types for streaming detectors: what a detector says about one point, and safe arithmetic."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Protocol

State = dict[str, Any]

# Beyond this a deviation carries no more information; capping keeps every number finite and JSON-able.
MAX_DEVIATION = 1e6


@dataclass(frozen=True)
class Deviation:
    """How far one point is from what a detector expected, in that detector's robust z units."""

    z: float
    expected: float


@dataclass(frozen=True)
class Reason:
    """Why a point scored: which detector, which way, how far from normal (robust z) and the expected value."""

    detector: str
    direction: str
    robust_z: float
    expected: float


@dataclass(frozen=True)
class Score:
    """The ensemble's verdict on one point: anomaly likelihood in [0, 1] and, when it is above 0, the reason."""

    timestamp: float
    value: float
    likelihood: float
    reason: Reason | None = None
    skipped: str | None = None


class Detector(Protocol):
    """A streaming detector: one point in, its deviation out, in constant memory."""

    name: str

    def observe(self, timestamp: float, value: float) -> Deviation | None:
        """Return the point's deviation from expectation (None while warming up), then learn from it."""
        ...

    def to_state(self) -> State:
        """Return everything needed to resume, as JSON-able values."""
        ...


def ratio(numerator: float, denominator: float) -> float:
    """Divide without ever raising or returning NaN/inf: the result is capped to +-MAX_DEVIATION."""
    if math.isnan(numerator) or math.isnan(denominator) or denominator < 0.0:
        return 0.0
    if denominator == 0.0:
        return 0.0 if numerator == 0.0 else math.copysign(MAX_DEVIATION, numerator)
    result = numerator / denominator
    if math.isnan(result):
        return 0.0
    return max(-MAX_DEVIATION, min(MAX_DEVIATION, result))


def difference(a: float, b: float) -> float:
    """Subtract, capping the overflow that two huge finite values of opposite sign would give."""
    result = a - b
    return result if math.isfinite(result) else math.copysign(1.0e308, result)


def total(a: float, b: float) -> float:
    """Add, capping the overflow that two huge finite values of the same sign would give."""
    return difference(a, -b)


def optional_float(value: float | None) -> float | None:
    """Return a float for state, or None when there is none yet."""
    return None if value is None else float(value)
