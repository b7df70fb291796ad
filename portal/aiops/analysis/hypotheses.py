"""Rank root-cause hypotheses from evidence. Pure: onsets, trends, changes and similar incidents in; ranked,
explained hypotheses out. Every point of confidence comes from a piece of evidence the reader can check."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from portal.aiops.analysis.signals import Onset, Trend

if TYPE_CHECKING:
    from portal.aiops.analysis.logs import LogFinding
    from portal.aiops.analysis.traces import TraceFinding

CHANGE_LOOKBACK = 6 * 3600.0
CAUSAL_WINDOW = 2 * 3600.0
LEAK_SLOPE = 0.15  # memory growing by 15% of its level per hour
TRACE_WEIGHT = 0.45  # the culprit span, measured on the requests themselves
TRACE_BELOW_ALERT = 0.1  # ... found below the service that alerted, where metrics alone point at the caller
TRACE_CALLER_PENALTY = -0.3  # a caller whose own work did not change: its own change is not why it is slow
LOG_WEIGHT = 0.1
LOG_MENTION_WEIGHT = 0.05
ALARMING_LEVELS = ("error", "warn", "warning", "critical", "fatal")
KIND_BASE = {"deploy": 0.35, "rollback": 0.2, "config": 0.3, "feature_flag": 0.3, "scaling": 0.15}


@dataclass(frozen=True)
class ChangeFact:
    id: int
    service: str
    kind: str
    version: str
    at: float
    author: str = ""


@dataclass(frozen=True)
class SimilarIncident:
    incident_id: int
    title: str
    similarity: float
    root_cause_kind: str


@dataclass
class Draft:
    kind: str
    title: str
    service: str
    change_id: int | None = None
    confidence: float = 0.0
    evidence: list[dict[str, Any]] = field(default_factory=list)

    def add(self, weight: float, kind: str, text: str, **data: Any) -> None:
        self.confidence += weight
        self.evidence.append(
            {"kind": kind, "supports": weight >= 0, "weight": round(weight, 3), "text": text, "data": data}
        )


def _leaking(trends: list[Trend], service: str) -> Trend | None:
    for trend in trends:
        if trend.service == service and trend.signal == "memory" and trend.slope_per_hour >= LEAK_SLOPE:
            return trend
    return None


def _restarts(trends: list[Trend], service: str) -> float:
    return sum(t.restarts for t in trends if t.service == service and t.signal == "restarts")


def _change_hypothesis(change: ChangeFact, onsets: list[Onset], trends: list[Trend], first: Onset) -> Draft | None:
    mine = [o for o in onsets if o.service == change.service]
    if not mine and change.service != first.service:
        return None
    leak = _leaking(trends, change.service)
    noun = {"deploy": "deploy", "config": "config change", "feature_flag": "flag change"}.get(change.kind, change.kind)
    label = f"{noun} {change.version}".strip()
    draft = Draft(
        kind="memory_leak" if leak and change.kind == "deploy" else f"bad_{change.kind}",
        title=(
            f"{label} on {change.service} leaks memory"
            if leak and change.kind == "deploy"
            else f"{label} on {change.service} broke it"
        ),
        service=change.service,
        change_id=change.id,
    )
    draft.add(
        KIND_BASE.get(change.kind, 0.15),
        "change",
        f"{label} on {change.service} shortly before the symptoms",
        change_id=change.id,
        at=change.at,
        author=change.author,
    )
    after = [o for o in mine if 0 <= o.started_at - change.at <= CAUSAL_WINDOW]
    before = [o for o in mine if o.started_at < change.at - 120]
    if after:
        earliest = min(after, key=lambda o: o.started_at)
        closeness = 1 - (earliest.started_at - change.at) / CAUSAL_WINDOW
        draft.add(
            0.25 + 0.1 * closeness,
            "timing",
            f"{earliest.signal} left normal {int((earliest.started_at - change.at) / 60)} min after it",
            signal=earliest.signal,
            delay_seconds=earliest.started_at - change.at,
        )
    if before:
        draft.add(-0.3, "timing", f"{before[0].signal} was already abnormal before the change", signal=before[0].signal)
    if first.service == change.service:
        draft.add(0.15, "order", f"{change.service} showed the first symptom ({first.signal})", signal=first.signal)
    if leak:
        draft.add(
            0.15,
            "trend",
            f"memory of {change.service} grows {leak.slope_per_hour:.0%} an hour (R² {leak.r2:.2f})",
            slope_per_hour=leak.slope_per_hour,
            r2=leak.r2,
        )
    if leak and _restarts(trends, change.service):
        draft.add(0.05, "restarts", f"{int(_restarts(trends, change.service))} container restarts (OOM kills)")
    return draft


def _leak_without_change(service: str, trends: list[Trend]) -> Draft | None:
    leak = _leaking(trends, service)
    if leak is None:
        return None
    draft = Draft(kind="memory_leak", title=f"{service} leaks memory", service=service)
    draft.add(
        0.3,
        "trend",
        f"memory grows {leak.slope_per_hour:.0%} an hour (R² {leak.r2:.2f})",
        slope_per_hour=leak.slope_per_hour,
    )
    if _restarts(trends, service):
        draft.add(0.1, "restarts", f"{int(_restarts(trends, service))} container restarts")
    return draft


def _capacity(service: str, onsets: list[Onset]) -> Draft | None:
    traffic = [o for o in onsets if o.service == service and o.signal == "request_rate" and o.direction == "up"]
    if not traffic:
        return None
    draft = Draft(kind="capacity", title=f"{service} cannot keep up with more traffic", service=service)
    draft.add(
        0.3, "traffic", f"requests rose to {traffic[0].peak:.0f}/s from {traffic[0].baseline:.0f}/s", z=traffic[0].z
    )
    return draft


def _dependency(service: str, first: Onset, dependencies: dict[str, list[str]]) -> Draft | None:
    if first.service == service or first.service not in dependencies.get(service, []):
        return None
    draft = Draft(
        kind="dependency", title=f"{first.service}, a dependency of {service}, failed first", service=first.service
    )
    draft.add(0.3, "order", f"{first.service} showed the first symptom ({first.signal})", signal=first.signal)
    return draft


def rank_hypotheses(
    *,
    service: str,
    onsets: list[Onset],
    trends: list[Trend],
    changes: list[ChangeFact],
    similar: list[SimilarIncident],
    dependencies: dict[str, list[str]],
    traces: Sequence[TraceFinding] = (),
    logs: Sequence[LogFinding] = (),
) -> list[Draft]:
    """Candidate causes, most likely first, each with the evidence for and against it."""
    drafts: list[Draft] = []
    first = min(onsets, key=lambda o: o.started_at) if onsets else None
    if first is not None:
        for change in changes:
            if first.started_at - CHANGE_LOOKBACK <= change.at <= first.started_at + 300:
                drafts.extend(d for d in [_change_hypothesis(change, onsets, trends, first)] if d)
        drafts.extend(d for d in [_dependency(service, first, dependencies)] if d)
    _trace_evidence(drafts, service, traces)
    _log_evidence(drafts, logs)
    involved = {o.service for o in onsets} | {service}
    for name in sorted(involved):
        if not any(d.service == name and d.kind == "memory_leak" for d in drafts):
            drafts.extend(d for d in [_leak_without_change(name, trends)] if d)
        drafts.extend(d for d in [_capacity(name, onsets)] if d)
    for draft in drafts:
        for past in similar:
            if past.root_cause_kind == draft.kind and past.similarity >= 0.5:
                draft.add(
                    0.1 * past.similarity,
                    "similar_incident",
                    f"like incident #{past.incident_id} ({past.title}), also {past.root_cause_kind}",
                    incident_id=past.incident_id,
                    similarity=round(past.similarity, 3),
                )
                break
    for draft in drafts:
        draft.confidence = round(min(max(draft.confidence, 0.01), 0.99), 3)
    return sorted(drafts, key=lambda d: -d.confidence)


def _trace_evidence(drafts: list[Draft], service: str, findings: Sequence[TraceFinding]) -> None:
    """The deepest anomalous span names the culprit: support its hypotheses (or open one), weaken its callers'."""
    culprit = next((f for f in findings if f.culprit), None)
    if culprit is None:
        return
    mine = [d for d in drafts if d.service == culprit.service]
    if not mine:
        slower = culprit.kind == "latency"
        mine = [
            Draft(
                kind="latency_regression" if slower else "error_regression",
                title=f"{culprit.service} {'slowed down' if slower else 'started failing'}"
                + (f", {_hops(culprit.path)} below {service}" if culprit.service != service else ""),
                service=culprit.service,
            )
        ]
        drafts.extend(mine)
    for draft in mine:
        draft.add(TRACE_WEIGHT + min(0.1, 0.02 * culprit.score), "trace", _trace_text(culprit), **_trace_data(culprit))
        if culprit.service != service:
            draft.add(
                TRACE_BELOW_ALERT,
                "trace_path",
                f"the alert fired on {service}; the requests show the time going into {culprit.service}, "
                f"{_hops(culprit.path)} down ({' -> '.join(culprit.path)})",
                path=list(culprit.path),
                trace_id=culprit.trace_ids[0] if culprit.trace_ids else "",
                link=culprit.link,
            )
    for draft in drafts:
        if draft.service in culprit.path[:-1] and draft.service != culprit.service:
            draft.add(
                TRACE_CALLER_PENALTY,
                "trace",
                f"traces show {draft.service}'s own work unchanged; its requests wait on {culprit.service}",
                **_trace_data(culprit),
            )


def _hops(path: Sequence[str]) -> str:
    hops = max(len(path) - 1, 1)
    return f"{hops} hop{'s' if hops > 1 else ''}"


def _trace_text(finding: TraceFinding) -> str:
    where = f"{finding.service} ({finding.operation})"
    if finding.kind == "latency":
        return (
            f"traces: {where} spends {finding.after * 1000:.0f} ms of its own time per request, "
            f"{finding.before * 1000:.0f} ms before; the deepest span that changed"
        )
    return f"traces: {finding.after:.0%} of {where} spans fail, {finding.before:.0%} before; the deepest that changed"


def _trace_data(finding: TraceFinding) -> dict[str, Any]:
    return {
        "service": finding.service,
        "operation": finding.operation,
        "signal": finding.kind,
        "before": round(finding.before, 4),
        "after": round(finding.after, 4),
        "trace_ids": list(finding.trace_ids),
        "trace_id": finding.trace_ids[0] if finding.trace_ids else "",
        "link": finding.link,
        "path": list(finding.path),
        "spans_compared": list(finding.spans_compared),
    }


def _log_evidence(drafts: list[Draft], findings: Sequence[LogFinding]) -> None:
    """New or surging error patterns on a hypothesis' service support it; so do callers' errors naming it."""
    alarming = [f for f in findings if f.level.lower() in ALARMING_LEVELS and f.kind != "error_count"]
    for draft in drafts:
        own = [f for f in alarming if f.service == draft.service]
        if own:
            best = max(own, key=lambda f: f.score)
            draft.add(
                LOG_WEIGHT,
                "logs",
                f"{'new' if best.kind == 'new_pattern' else 'surging'} {best.level} log pattern on {draft.service}: "
                f'"{best.pattern}" ({best.before} before, {best.after} after)',
                pattern=best.pattern,
                example=best.example,
                link=best.link,
                before=best.before,
                after=best.after,
            )
        naming = [f for f in alarming if f.service != draft.service and draft.service in f"{f.pattern} {f.example}"]
        if naming:
            best = max(naming, key=lambda f: f.score)
            draft.add(
                LOG_MENTION_WEIGHT,
                "logs",
                f'{best.service} logs "{best.pattern}", naming {draft.service}',
                pattern=best.pattern,
                example=best.example,
                link=best.link,
            )
