"""The logs capability: LogQL log and metric queries, label values, volume and patterns, from Loki or the sandbox."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field

MAX_ENTRIES = 5000  # the most lines one query returns (Loki's default max_entries_limit_per_query)
DIRECTIONS = ("backward", "forward")


@dataclass(frozen=True)
class LogEntry:
    ts: float  # unix seconds (Loki keeps nanoseconds; float seconds keep microseconds)
    line: str


@dataclass(frozen=True)
class LogStream:
    labels: dict[str, str]
    entries: list[LogEntry] = field(default_factory=list)


@dataclass(frozen=True)
class LogsResult:
    """Streams of a log query; `truncated` says the limit cut the answer (narrow the range or raise the limit)."""

    streams: list[LogStream]
    limit: int
    truncated: bool = False

    def entries(self) -> list[tuple[dict[str, str], LogEntry]]:
        """Every entry with its stream's labels, oldest first."""
        out = [(s.labels, e) for s in self.streams for e in s.entries]
        return sorted(out, key=lambda item: item[1].ts)


@dataclass(frozen=True)
class MetricSeries:
    labels: dict[str, str]
    points: list[tuple[float, float]] = field(default_factory=list)  # (unix seconds, value)

    def total(self) -> float:
        return sum(value for _, value in self.points)


@dataclass(frozen=True)
class PatternSeries:
    """A pattern Loki detected (`<_>` marks the variable parts) and how often it occurred per step."""

    pattern: str
    samples: list[tuple[float, int]] = field(default_factory=list)
    level: str = ""

    def total(self) -> int:
        return sum(count for _, count in self.samples)


class LogsSource(ABC):
    @abstractmethod
    def query_range(
        self, logql: str, *, start: float, end: float, limit: int = 1000, direction: str = "backward"
    ) -> LogsResult:
        """Log lines matching a LogQL log query in [start, end], at most `limit` (newest first when backward)."""

    @abstractmethod
    def metric_range(self, logql: str, *, start: float, end: float, step: float) -> list[MetricSeries]:
        """A LogQL metric query (count_over_time, bytes_over_time, rate, sum by) evaluated every step."""

    @abstractmethod
    def metric_instant(self, logql: str, *, at: float) -> list[MetricSeries]:
        """A LogQL metric query evaluated once, at `at`."""

    @abstractmethod
    def label_values(self, label: str, *, start: float, end: float, selector: str = "") -> list[str]:
        """The values a stream label took in [start, end], sorted (optionally only on streams matching selector)."""

    @abstractmethod
    def volume(self, selector: str, *, start: float, end: float, by: tuple[str, ...]) -> list[MetricSeries]:
        """Bytes ingested in [start, end] per combination of `by` labels (one point each)."""

    @abstractmethod
    def patterns(self, selector: str, *, start: float, end: float, step: float) -> list[PatternSeries]:
        """Patterns detected in the matching streams, with counts per step."""


def check_range(start: float, end: float, limit: int | None = None, direction: str = "backward") -> None:
    """Refuse ranges, limits and directions Loki would refuse, with the reason."""
    from portal.integrations.errors import IntegrationError

    if not end > start:
        raise IntegrationError(f"The range must end after it starts (start={start}, end={end}).")
    if limit is not None and not 1 <= limit <= MAX_ENTRIES:
        raise IntegrationError(f"limit must be between 1 and {MAX_ENTRIES}; narrow the range to see more lines.")
    if direction not in DIRECTIONS:
        raise IntegrationError(f"direction must be one of {', '.join(DIRECTIONS)}, not '{direction}'.")
