"""The metrics capability: typed questions about a service's signals, answered by Prometheus or the sandbox."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from enum import StrEnum


class Signal(StrEnum):
    REQUEST_RATE = "request_rate"  # requests per second
    ERROR_RATIO = "error_ratio"  # 5xx / all, 0..1
    LATENCY_QUANTILE = "latency_quantile"  # seconds, at `quantile`
    LATENCY_UNDER = "latency_under"  # share of requests at or under `threshold` seconds, 0..1
    CPU = "cpu"  # cores
    MEMORY = "memory"  # bytes (working set)
    RESTARTS = "restarts"  # container restarts within the window


@dataclass(frozen=True)
class Query:
    signal: Signal
    service: str
    window: str = "5m"
    quantile: float = 0.99
    threshold: float = 0.3
    by_pod: bool = False
    pod_regex: str = ""  # only pods whose name matches (anchored, RE2 syntax): a canary's or baseline's pods
    version: str = ""  # only series labelled version=<this> (the release a pod runs)


@dataclass(frozen=True)
class Series:
    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value)

    def values(self) -> list[float]:
        return [value for _, value in self.points]


WINDOW_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


def window_seconds(window: str) -> int:
    """'5m' -> 300; raises ValueError on anything Prometheus would not accept as a simple duration."""
    if len(window) < 2 or window[-1] not in WINDOW_UNITS or not window[:-1].isdigit():
        raise ValueError(f"'{window}' is not a duration like 30s, 5m, 1h, 28d")
    return int(window[:-1]) * WINDOW_UNITS[window[-1]]


class MetricsSource(ABC):
    @abstractmethod
    def instant(self, query: Query, *, at: float) -> list[Series]:
        """One point per series at `at`."""

    @abstractmethod
    def range(self, query: Query, *, start: float, end: float, step: float) -> list[Series]:
        """Points from start to end every step seconds."""


def le_label(bound: float) -> str:
    """A histogram bucket bound as Prometheus clients write it ('0.25', '1.0', '+Inf')."""
    return "+Inf" if bound == float("inf") else repr(float(bound))
