"""The traces capability: find traces through a service, fetch one trace's spans, list a tag's values."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from dataclasses import dataclass, field

from portal.integrations.errors import IntegrationError

STATUSES = ("ok", "error")
SERVICE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,252}$")
TRACE_ID = re.compile(r"^[0-9a-fA-F]{1,32}$")
MAX_LIMIT = 1000


@dataclass(frozen=True)
class Span:
    trace_id: str  # 32 lowercase hex digits
    span_id: str  # 16 lowercase hex digits
    parent_id: str | None
    service: str
    operation: str
    start: float  # unix seconds
    duration: float  # seconds
    status: str = "unset"  # "ok" | "error" | "unset", as OpenTelemetry's status code
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def end(self) -> float:
        return self.start + self.duration


@dataclass(frozen=True)
class TraceSummary:
    """One search hit: the trace's root and, where the backend says, how many spans matched."""

    trace_id: str
    root_service: str
    root_operation: str
    start: float
    duration: float
    matched: int = 0


@dataclass(frozen=True)
class Trace:
    trace_id: str
    spans: list[Span]

    def children(self, span: Span) -> list[Span]:
        return [s for s in self.spans if s.parent_id == span.span_id]

    def self_time(self, span: Span) -> float:
        """The span's duration minus the time covered by its children (overlapping children counted once)."""
        covered, edge = 0.0, span.start
        for child in sorted(self.children(span), key=lambda s: s.start):
            begin, end = max(child.start, edge, span.start), min(child.end, span.end)
            if end > begin:
                covered += end - begin
                edge = end
        return max(span.duration - covered, 0.0)

    def depth(self, span: Span) -> int:
        by_id = {s.span_id: s for s in self.spans}
        depth, current = 0, span
        while current.parent_id and current.parent_id in by_id and depth < len(self.spans):
            current, depth = by_id[current.parent_id], depth + 1
        return depth


def search_arguments_check(
    *, service: str | None, status: str | None, start: float, end: float, limit: int, min_duration: float | None
) -> None:
    """Refuse what no backend should be asked: bad names, statuses, ranges and limits."""
    if service is not None and not SERVICE_NAME.match(service):
        raise IntegrationError(f"'{service}' is not a valid service name.")
    if status is not None and status not in STATUSES:
        raise IntegrationError(f"status must be one of {', '.join(STATUSES)}, not '{status}'.")
    if end <= start:
        raise IntegrationError("A trace search needs start before end.")
    if not 1 <= limit <= MAX_LIMIT:
        raise IntegrationError(f"limit must be between 1 and {MAX_LIMIT}.")
    if min_duration is not None and min_duration < 0:
        raise IntegrationError("min_duration cannot be negative.")


def trace_id_normal(trace_id: str) -> str:
    """A trace id as 32 lowercase hex digits (left-padded, as Tempo accepts short ids)."""
    if not TRACE_ID.match(trace_id):
        raise IntegrationError(f"'{trace_id}' is not a trace id (up to 32 hex digits).")
    return trace_id.lower().rjust(32, "0")


class TracesSource(ABC):
    @abstractmethod
    def search(
        self,
        *,
        service: str | None = None,
        start: float,
        end: float,
        min_duration: float | None = None,
        max_duration: float | None = None,
        status: str | None = None,
        limit: int = 20,
        traceql: str | None = None,
    ) -> list[TraceSummary]:
        """Traces in [start, end] through `service` (durations in seconds; status of its spans), newest first."""

    @abstractmethod
    def trace(self, trace_id: str) -> Trace:
        """Every span of one trace; IntegrationError (permanent) when there is no such trace."""

    @abstractmethod
    def tag_values(self, tag: str) -> list[str]:
        """Known values of a tag, e.g. 'service.name'."""
