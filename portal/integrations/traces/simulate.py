"""Simulated traces over the sandbox fleet's dependency graph, consistent with its metrics. Pure, no Django.

Each span's own work is drawn from its service's latency at that moment (the same log-normal the metrics'
histograms come from, slowed by any dependency-slowdown on that service); a span lasts its own work plus the
calls it makes, so a slow dependency lengthens every span above it. Each call is made with the edge's share,
and a span fails at its service's error ratio at that moment. Trace ids encode where a trace comes from, so
`trace_build` regenerates any trace from its id alone.
"""

from __future__ import annotations

import hashlib
import math

import numpy as np

from portal.integrations.metrics.sandbox.fleet import MAX_CALL_DEPTH, Fleet, slowdowns_live
from portal.integrations.traces.base import Span, Trace

TRACES_PER_MINUTE = 4  # sampled traces per entry service per minute


def entry_services(fleet: Fleet) -> list[str]:
    """Services nobody calls: where traces start."""
    called = {call.callee for call in fleet.calls}
    return [p.name for p in fleet.services if p.name not in called]


def trace_id_for(fleet: Fleet, root: str, slot: int, k: int) -> str:
    """slot (minutes since the epoch), the root's index in the fleet and k, then a check digest: 32 hex digits."""
    index = [p.name for p in fleet.services].index(root)
    head = f"{slot:08x}{index:04x}{k:02x}"
    return head + hashlib.sha256(f"{fleet.seed}|{root}|{head}".encode()).hexdigest()[:18]


def trace_origin(fleet: Fleet, trace_id: str) -> tuple[str, int, int] | None:
    """(root, slot, k) of a sandbox trace id, or None when the id is not one of this fleet's."""
    try:
        slot, index, k = int(trace_id[:8], 16), int(trace_id[8:12], 16), int(trace_id[12:14], 16)
        root = fleet.services[index].name
    except (ValueError, IndexError):
        return None
    return (root, slot, k) if trace_id_for(fleet, root, slot, k) == trace_id.lower() else None


def slot_of(fleet: Fleet, at: float) -> int:
    return math.floor((at - fleet.epoch) / 60)


def trace_build(fleet: Fleet, root: str, slot: int, k: int) -> Trace:
    """The k-th sampled trace entering at `root` during minute `slot`."""
    trace_id = trace_id_for(fleet, root, slot, k)
    rng = np.random.default_rng(int(trace_id[14:], 16))
    start = fleet.epoch + slot * 60 + (k + rng.uniform(0, 0.9)) * 60 / TRACES_PER_MINUTE
    spans: list[Span] = []
    _span(fleet, rng, trace_id, root, None, start, spans, depth=0)
    return Trace(trace_id=trace_id, spans=sorted(spans, key=lambda s: s.start))


def _state(fleet: Fleet, service: str, at: float, rng: np.random.Generator) -> tuple[str, float, float]:
    """A pod of the service, its median latency and its error ratio at `at`, from the metrics' own series."""
    pods = fleet.pod_names(service)
    i = int(rng.integers(len(pods)))
    series = fleet.pod(service, i, at + fleet.step)
    j = max(int(np.searchsorted(series.times, at, side="right")) - 1, 0)
    j = min(j, len(series.times) - 2)
    requests = float(series.requests[j + 1] - series.requests[j])
    ratio = float(series.errors[j + 1] - series.errors[j]) / requests if requests > 0 else 0.0
    return pods[i], float(series.median_latency[j]), ratio


def _span(
    fleet: Fleet,
    rng: np.random.Generator,
    trace_id: str,
    service: str,
    parent: str | None,
    start: float,
    spans: list[Span],
    depth: int,
) -> float:
    """Append the service's span (and its calls' spans); return its duration."""
    profile = fleet.profile(service)
    pod, median, error_ratio = _state(fleet, service, start, rng)
    own = median * math.exp(profile.latency_sigma * rng.standard_normal()) + slowdowns_live(fleet, start).get(
        service, 0
    )
    span_id = rng.bytes(8).hex()
    lead = own * rng.uniform(0.1, 0.4)  # work before the first call; the rest after the last
    cursor = start + lead
    if depth < MAX_CALL_DEPTH:
        for call in fleet.callees(service):
            if rng.uniform() < call.share:
                cursor += _span(fleet, rng, trace_id, call.callee, span_id, cursor, spans, depth + 1)
    duration = cursor - start + (own - lead)
    failed = rng.uniform() < error_ratio
    route = f"/api/{service.split('-')[0]}"
    spans.append(
        Span(
            trace_id=trace_id,
            span_id=span_id,
            parent_id=parent,
            service=service,
            operation=f"GET {route}",
            start=start,
            duration=duration,
            status="error" if failed else "unset",  # as OpenTelemetry HTTP servers leave successes
            attributes={
                "span.kind": "server",
                "http.request.method": "GET",
                "http.route": route,
                "http.response.status_code": "500" if failed else "200",
                "k8s.pod.name": pod,
                "k8s.namespace.name": profile.namespace,
            },
        )
    )
    return duration
