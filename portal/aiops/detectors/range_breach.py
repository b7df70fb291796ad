"""Range breach: a value beyond the highest or lowest the series has reached, measured in widths of that range."""

from __future__ import annotations

import math

from portal.aiops.detectors.base import State, difference, ratio


class RangeBreach:
    """Track the range of past values; old extremes fade back towards the centre with a half-life in points."""

    name = "range"

    def __init__(self, half_life: int = 100000) -> None:
        self.half_life = half_life
        self.low: float | None = None
        self.high: float | None = None

    def excess(self, value: float) -> float:
        """Return how far beyond the range `value` lies, in range widths (0 inside it or before any range)."""
        if self.low is None or self.high is None:
            return 0.0
        width = difference(self.high, self.low)
        beyond = max(difference(value, self.high), difference(self.low, value))
        if beyond <= 0.0:
            return 0.0
        # A flat history has no width: any departure from it is news, but one bounded surprise, not infinity.
        return ratio(beyond, width) if width > 0.0 else 1.0

    def add(self, value: float, centre: float) -> None:
        """Widen the range to include `value`, after letting both extremes fade a little towards `centre`."""
        if self.low is None or self.high is None:
            self.low = self.high = value
            return
        fade = math.log(2.0) / self.half_life
        self.high = max(value, self.high - max(difference(self.high, centre), 0.0) * fade)
        self.low = min(value, self.low + max(difference(centre, self.low), 0.0) * fade)

    def to_state(self) -> State:
        """Return the range as JSON-able values."""
        return {"half_life": self.half_life, "low": self.low, "high": self.high}

    @classmethod
    def from_state(cls, state: State) -> RangeBreach:
        """Rebuild a range saved by `to_state`."""
        detector = cls(half_life=state["half_life"])
        detector.low = state["low"]
        detector.high = state["high"]
        return detector
