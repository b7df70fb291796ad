"""Trace evidence for an incident: where along the call path latency or errors first appear.

Sample traces through the incident's service before and after the split; per (service, operation) compare
the spans' self time (duration minus children) and error share; the deepest span whose own work or errors
became anomalous names the culprit, even when the alert fired on a caller. Pure apart from the adapter calls.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.conf import settings
from scipy.stats import fisher_exact, mannwhitneyu

from portal.integrations.errors import IntegrationError
from portal.integrations.grafana import explore_url
from portal.integrations.traces import Trace, TracesSource, traces

SAMPLE = 40  # traces per window
BASELINE = 40 * 60.0  # seconds of normal traffic before the split
GAP = 120.0  # keep the baseline clear of the first minutes of the fault
MIN_SPANS = 8
SIGNIFICANCE = 0.001
SLOWER_RATIO = 1.5
SLOWER_SECONDS = 0.02  # a real change in own work, not jitter on a 5 ms span
ERROR_SHARE_RISE = 0.05


@dataclass(frozen=True)
class SpanStats:
    service: str
    operation: str
    depth: float  # mean hops below the root
    self_times: tuple[float, ...]
    errors: int

    @property
    def count(self) -> int:
        return len(self.self_times)

    @property
    def error_share(self) -> float:
        return self.errors / self.count if self.count else 0.0


@dataclass(frozen=True)
class TraceFinding:
    service: str
    operation: str
    kind: str  # "latency" | "errors"
    depth: float
    before: float  # median self time (s) or error share
    after: float
    score: float  # how far from normal, comparable across spans
    trace_ids: tuple[str, ...]  # examples after the split, worst first
    path: tuple[str, ...]  # services from the root down to this span in the first example
    link: str
    culprit: bool = False
    spans_compared: tuple[int, int] = (0, 0)
    first_seen: float | None = None  # unix seconds of the earliest changed span in the sample
    data: dict[str, object] = field(default_factory=dict)


def span_stats(sample: list[Trace]) -> dict[tuple[str, str], SpanStats]:
    """Self times and errors per (service, operation) over a sample of traces."""
    times: dict[tuple[str, str], list[float]] = defaultdict(list)
    depths: dict[tuple[str, str], list[int]] = defaultdict(list)
    errors: dict[tuple[str, str], int] = defaultdict(int)
    for trace in sample:
        for span in trace.spans:
            key = (span.service, span.operation)
            times[key].append(trace.self_time(span))
            depths[key].append(trace.depth(span))
            errors[key] += span.status == "error"
    return {
        key: SpanStats(key[0], key[1], statistics.fmean(depths[key]), tuple(values), errors[key])
        for key, values in times.items()
    }


def anomalies(
    before: dict[tuple[str, str], SpanStats], after: dict[tuple[str, str], SpanStats]
) -> list[tuple[str, SpanStats, SpanStats, float, float, float]]:
    """(kind, stats before and after, value before and after, score) per span whose own work or errors changed."""
    out = []
    for key, now in after.items():
        then = before.get(key)
        if then is None or then.count < MIN_SPANS or now.count < MIN_SPANS:
            continue
        was, became = statistics.median(then.self_times), statistics.median(now.self_times)
        if became >= SLOWER_RATIO * was and became - was >= SLOWER_SECONDS and _slower(then, now):
            out.append(("latency", then, now, was, became, became / max(was, 1e-6)))
        rise = now.error_share - then.error_share
        if rise >= ERROR_SHARE_RISE and now.error_share >= 3 * then.error_share and _failing_more(then, now):
            out.append(("errors", then, now, then.error_share, now.error_share, rise * 20))
    return out


def _slower(then: SpanStats, now: SpanStats) -> bool:
    """Own work is slower beyond chance (one-sided Mann-Whitney U): small samples of spans are noisy."""
    return bool(mannwhitneyu(now.self_times, then.self_times, alternative="greater").pvalue < SIGNIFICANCE)


def _failing_more(then: SpanStats, now: SpanStats) -> bool:
    table = [[now.errors, now.count - now.errors], [then.errors, then.count - then.errors]]
    return bool(fisher_exact(table, alternative="greater").pvalue < SIGNIFICANCE)


def trace_link(trace_id: str, *, start: float, end: float) -> str:
    """Grafana Explore on the Tempo datasource when Grafana is configured, else the portal's own trace page."""
    if settings.GRAFANA_URL:
        return explore_url(
            grafana_url=settings.GRAFANA_URL,
            datasource_type="tempo",
            datasource_uid=settings.GRAFANA_TEMPO_UID,
            query={"queryType": "traceql", "query": trace_id},
            start=start,
            end=end,
        )
    return f"{settings.SITE_URL}/traces/{trace_id}"


def _sample(source: TracesSource, service: str, start: float, end: float) -> list[Trace]:
    found = source.search(service=service, start=start, end=end, limit=SAMPLE)
    return [source.trace(summary.trace_id) for summary in found]


def trace_findings(service: str, *, split: float, end: float, source: TracesSource | None = None) -> list[TraceFinding]:
    """Anomalous spans on paths through `service` after `split`, the deepest (the culprit) first."""
    source = source or traces()
    before = _sample(source, service, split - BASELINE - GAP, split - GAP)
    after = _sample(source, service, split, end)
    if not before or not after:
        return []
    found = anomalies(span_stats(before), span_stats(after))
    findings = [
        _finding(kind, (then, stats), was, became, score, after, split, end)
        for kind, then, stats, was, became, score in found
    ]
    findings.sort(key=lambda f: (-round(f.depth, 1), -f.score))
    if findings:
        findings[0] = _as_culprit(findings[0])
    return findings


def _finding(
    kind: str,
    pair: tuple[SpanStats, SpanStats],
    was: float,
    became: float,
    score: float,
    sample: list[Trace],
    split: float,
    end: float,
) -> TraceFinding:
    then, stats = pair

    def badness(trace: Trace) -> tuple[int, float]:
        """Deepest first (the longest call path to the span), then the worst span."""
        spans = [s for s in trace.spans if (s.service, s.operation) == (stats.service, stats.operation)]
        if not spans:
            return (0, 0.0)
        depth = max(trace.depth(s) for s in spans)
        if kind == "errors":
            return depth, float(sum(s.status == "error" for s in spans))
        return depth, max(trace.self_time(s) for s in spans)

    worst = sorted((t for t in sample if badness(t)[1] > 0), key=badness, reverse=True)[:3]
    changed = [
        s.start
        for t in sample
        for s in t.spans
        if (s.service, s.operation) == (stats.service, stats.operation)
        and (s.status == "error" if kind == "errors" else t.self_time(s) >= SLOWER_RATIO * was)
    ]
    return TraceFinding(
        service=stats.service,
        operation=stats.operation,
        kind=kind,
        depth=stats.depth,
        before=was,
        after=became,
        score=round(score, 3),
        trace_ids=tuple(t.trace_id for t in worst),
        path=_path(worst[0], stats.service) if worst else (stats.service,),
        link=trace_link(worst[0].trace_id, start=split, end=end) if worst else "",
        spans_compared=(then.count, stats.count),
        first_seen=min(changed, default=None),
    )


def _path(trace: Trace, service: str) -> tuple[str, ...]:
    by_id = {s.span_id: s for s in trace.spans}
    span = max((s for s in trace.spans if s.service == service), key=trace.depth)
    path = [span.service]
    while span.parent_id is not None and span.parent_id in by_id and len(path) <= len(trace.spans):
        span = by_id[span.parent_id]
        path.append(span.service)
    return tuple(reversed(path))


def _as_culprit(finding: TraceFinding) -> TraceFinding:
    return replace(finding, culprit=True)


def trace_findings_safe(service: str, *, split: float, end: float) -> list[TraceFinding]:
    """The findings, or none when the traces backend cannot answer (the analysis goes on without them)."""
    try:
        return trace_findings(service, split=split, end=end)
    except IntegrationError:
        return []
