"""Traces simulated over the sandbox fleet: the same services, dependency graph and scenarios as the metrics."""

from __future__ import annotations

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics.sandbox.fleet import Fleet
from portal.integrations.traces.base import (
    Trace,
    TracesSource,
    TraceSummary,
    search_arguments_check,
    trace_id_normal,
)
from portal.integrations.traces.simulate import (
    TRACES_PER_MINUTE,
    entry_services,
    slot_of,
    trace_build,
    trace_origin,
)
from portal.integrations.traces.traceql import span_filter, traceql_for

MAX_SCANNED = 20_000  # traces generated per search at most (a wide range with a rare match must still end)


class FleetTraces(TracesSource):
    """Traces of a given simulated fleet."""

    def __init__(self, fleet: Fleet) -> None:
        self._fleet = fleet

    def fleet(self) -> Fleet:
        return self._fleet

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
        search_arguments_check(
            service=service, status=status, start=start, end=end, limit=limit, min_duration=min_duration
        )
        fleet = self.fleet()
        wanted = span_filter(traceql if traceql is not None else traceql_for(service=service, status=status))
        roots = entry_services(fleet)
        found: list[TraceSummary] = []
        scanned = 0
        for slot in range(slot_of(fleet, end), max(slot_of(fleet, start), 0) - 1, -1):
            for root in roots:
                for k in reversed(range(TRACES_PER_MINUTE)):
                    scanned += 1
                    trace = trace_build(fleet, root, slot, k)
                    top = next(s for s in trace.spans if s.parent_id is None)
                    if not start <= top.start <= end or not _within(top.duration, min_duration, max_duration):
                        continue
                    matched = sum(1 for s in trace.spans if wanted(s))
                    if matched:
                        found.append(
                            TraceSummary(trace.trace_id, top.service, top.operation, top.start, top.duration, matched)
                        )
                        if len(found) >= limit:
                            return found
            if scanned >= MAX_SCANNED:
                break
        return found

    def trace(self, trace_id: str) -> Trace:
        fleet = self.fleet()
        origin = trace_origin(fleet, trace_id_normal(trace_id))
        if origin is None:
            raise IntegrationError(f"Trace {trace_id} not found.")
        return trace_build(fleet, *origin)

    def tag_values(self, tag: str) -> list[str]:
        fleet = self.fleet()
        if tag in ("service.name", "resource.service.name"):
            return sorted(p.name for p in fleet.services)
        if tag in ("status", "status.code"):
            return ["error", "ok"]
        if tag in ("http.route", "span.http.route"):
            return sorted({f"/api/{p.name.split('-')[0]}" for p in fleet.services})
        return []


def _within(duration: float, low: float | None, high: float | None) -> bool:
    return (low is None or duration >= low) and (high is None or duration <= high)


class SandboxTraces(FleetTraces):
    """The default: traces of the sandbox metrics' own fleet (catalog services, dependencies, started scenarios)."""

    def __init__(self, data_dir: str) -> None:
        self.data_dir = data_dir

    def fleet(self) -> Fleet:
        from portal.integrations.metrics import metrics
        from portal.integrations.metrics.sandbox.catalog import CatalogSandbox

        source = metrics()  # the very same fleet as the sandbox metrics: one scenario file, one cache
        if not isinstance(source, CatalogSandbox):
            raise IntegrationError(
                "Simulated traces only accompany the sandbox metrics; with real metrics set TRACES_BACKEND=tempo "
                "(and TEMPO_URL), or the analysis goes on without traces."
            )
        return source.fleet()
