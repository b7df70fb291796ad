"""Per-series calibration: a deviation matters when it beats the series' own recent record, and only once."""

from __future__ import annotations

from collections import deque

import numpy as np

from portal.aiops.detectors.base import State, ratio

# What a new record is worth when the history is perfectly flat (no spread to measure it by).
FLAT_HISTORY_NOVELTY = 1.0


class RecordCalibrator:
    """Novelty of a magnitude: by how much it beats the maximum of the last `history` magnitudes, in units of
    (maximum - typical). Blocks of `block` values keep only their maximum and median, so memory stays small."""

    def __init__(self, history: int = 8000, block: int = 100, warmup: int = 50) -> None:
        self.block = block
        self.warmup = warmup
        self.seen = 0
        self.current: list[float] = []
        self.block_maxima: deque[float] = deque(maxlen=max(history // block, 1))
        self.block_medians: deque[float] = deque(maxlen=max(history // block, 1))
        self.summarise_blocks()

    def summarise_blocks(self) -> None:
        """Cache the record and typical magnitude of the closed blocks; they change only when a block closes."""
        self.block_record = max(self.block_maxima, default=-np.inf)
        self.block_typical = float(np.median(list(self.block_medians))) if self.block_medians else 0.0

    def record_and_typical(self) -> tuple[float, float]:
        """Return the maximum and the typical (median of block medians) magnitude seen recently."""
        record = max(self.block_record, max(self.current, default=-np.inf))
        typical = self.block_typical if self.block_medians else float(np.median(self.current))
        return float(record), typical

    def novelty(self, magnitude: float) -> float:
        """Return by how much `magnitude` beats the recent record (0 if not, or while warming up); then learn it."""
        value = 0.0
        if self.seen >= self.warmup:
            record, typical = self.record_and_typical()
            if magnitude > record:
                spread = record - typical
                value = ratio(magnitude - record, spread) if spread > 0.0 else FLAT_HISTORY_NOVELTY
        self.learn(magnitude)
        return value

    def learn(self, magnitude: float) -> None:
        """Add a magnitude to the current block, closing the block when full."""
        self.seen += 1
        self.current.append(magnitude)
        if len(self.current) >= self.block:
            self.block_maxima.append(max(self.current))
            self.block_medians.append(float(np.median(self.current)))
            self.current = []
            self.summarise_blocks()

    def to_state(self) -> State:
        """Return the calibrator as JSON-able values."""
        return {
            "history": (self.block_maxima.maxlen or 1) * self.block,
            "block": self.block,
            "warmup": self.warmup,
            "seen": self.seen,
            "current": list(self.current),
            "block_maxima": list(self.block_maxima),
            "block_medians": list(self.block_medians),
        }

    @classmethod
    def from_state(cls, state: State) -> RecordCalibrator:
        """Rebuild a calibrator saved by `to_state`."""
        calibrator = cls(history=state["history"], block=state["block"], warmup=state["warmup"])
        calibrator.seen = state["seen"]
        calibrator.current = list(state["current"])
        calibrator.block_maxima.extend(state["block_maxima"])
        calibrator.block_medians.extend(state["block_medians"])
        calibrator.summarise_blocks()
        return calibrator


class EpisodeSuppressor:
    """Keep only what a point adds over the strongest novelty of the last `span` points, so one episode alerts once."""

    def __init__(self, span: int = 50) -> None:
        self.recent: deque[float] = deque(maxlen=span)

    def fresh(self, novelty: float) -> float:
        """Return the part of `novelty` not already signalled in the recent span, then remember it."""
        previous = max(self.recent, default=0.0)
        self.recent.append(novelty)
        return max(novelty - previous, 0.0)

    def to_state(self) -> State:
        """Return the recent novelties as JSON-able values."""
        return {"recent": list(self.recent), "span": self.recent.maxlen}

    @classmethod
    def from_state(cls, state: State) -> EpisodeSuppressor:
        """Rebuild a suppressor saved by `to_state`."""
        suppressor = cls(span=state["span"])
        suppressor.recent.extend(state["recent"])
        return suppressor
