"""Rank root-cause hypotheses from evidence. Pure: onsets, trends, changes and similar incidents in; ranked,
explained hypotheses out. Every point of confidence comes from a piece of evidence the reader can check."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.aiops.analysis.signals import Onset, Trend

CHANGE_LOOKBACK = 6 * 3600.0
CAUSAL_WINDOW = 2 * 3600.0
LEAK_SLOPE = 0.15  # memory growing by 15% of its level per hour
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
) -> list[Draft]:
    """Candidate causes, most likely first, each with the evidence for and against it."""
    drafts: list[Draft] = []
    first = min(onsets, key=lambda o: o.started_at) if onsets else None
    if first is not None:
        for change in changes:
            if first.started_at - CHANGE_LOOKBACK <= change.at <= first.started_at + 300:
                drafts.extend(d for d in [_change_hypothesis(change, onsets, trends, first)] if d)
        drafts.extend(d for d in [_dependency(service, first, dependencies)] if d)
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
