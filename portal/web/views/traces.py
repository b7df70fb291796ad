"""One trace as a waterfall: where trace evidence links when Grafana is not configured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.http import Http404

from portal.integrations.errors import IntegrationError
from portal.integrations.traces import Span, Trace, traces
from portal.web.views.base import PortalView

WIDTH = 1000  # the waterfall's viewBox width


@dataclass(frozen=True)
class SpanRow:
    span: Span
    depth: int
    self_time: float
    x: float  # offset from the trace start, in viewBox units
    width: float


def waterfall(trace: Trace) -> list[SpanRow]:
    """Spans depth-first (each under its parent), placed on one time axis."""
    start = min(s.start for s in trace.spans)
    total = max(max(s.end for s in trace.spans) - start, 1e-9)
    ids = {s.span_id for s in trace.spans}
    rows: list[SpanRow] = []

    def visit(span: Span, depth: int) -> None:
        x = (span.start - start) / total * WIDTH
        rows.append(SpanRow(span, depth, trace.self_time(span), x, max(span.duration / total * WIDTH, 1.0)))
        for child in sorted(trace.children(span), key=lambda s: s.start):
            if len(rows) < len(trace.spans):
                visit(child, depth + 1)

    for root in sorted((s for s in trace.spans if s.parent_id not in ids), key=lambda s: s.start):
        visit(root, 0)
    return rows


class TraceView(PortalView):
    template_name = "web/trace.html"
    section = "incidents"

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        trace_id = kwargs["trace_id"]
        try:
            trace = traces().trace(trace_id)
        except IntegrationError as exc:
            if exc.permanent:
                raise Http404(exc.message) from exc
            context.update(trace_id=trace_id, error=exc.message, rows=[])
            return context
        rows = waterfall(trace)
        duration = max(s.end for s in trace.spans) - min(s.start for s in trace.spans)
        context.update(trace_id=trace.trace_id, trace=trace, rows=rows, duration=duration, width=WIDTH, error="")
        return context
