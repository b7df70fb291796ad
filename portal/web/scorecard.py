"""The portal's scorecard: the seed's key results measured from its own data, and per-service maturity checks."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db.models import Exists, OuterRef, Q

from portal.aiops.models import Hypothesis
from portal.catalog.models import Origin, Service
from portal.incidents.models import Incident
from portal.remediation.models import ActionRequest, ActionState
from portal.scaffolder.models import RunState, ScaffoldRun
from portal.slo.models import SLODefinition
from portal.web.finops import finops_read, totals_by_key
from portal.web.maturity import maturity
from portal.web.selectors import golden_paths_read
from portal.web.templatetags.portal_web import duration_text, money

QUARTER = timedelta(days=90)
MONTH = timedelta(days=30)


@dataclass(frozen=True)
class KeyResult:
    key: str
    title: str
    value: float | None
    display: str
    previous: float | None = None
    previous_display: str = ""
    better: str = "up"  # the direction that is an improvement
    note: str = ""

    @property
    def trend(self) -> str:
        """improving, worsening, steady, or unknown when there is nothing to compare."""
        if self.value is None or self.previous is None:
            return "unknown"
        if abs(self.value - self.previous) < 1e-9:
            return "steady"
        return "improving" if (self.value > self.previous) == (self.better == "up") else "worsening"

    def as_dict(self) -> dict[str, Any]:
        return {**asdict(self), "trend": self.trend}


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _share_text(part: int, whole: int, noun: str, verb: str = "") -> str:
    """'2 of 3 tier-1 services have SLOs (67%)', or 'no tier-1 services' when there is nothing to count."""
    if not whole:
        return f"no {noun}"
    return f"{part} of {whole} {noun}{' ' + verb if verb else ''} ({part / whole:.0%})"


def _month_ago_text(part: int, whole: int, noun: str) -> str:
    return f"{part} of {whole} ({part / whole:.0%}) 30 days ago" if whole else f"no {noun} 30 days ago"


def _median(values: Iterable[float]) -> float | None:
    values = list(values)
    return statistics.median(values) if values else None


def _seconds_text(value: float | None, empty: str) -> str:
    return duration_text(value) if value is not None else empty


def _windows(now: datetime, length: timedelta) -> tuple[tuple[datetime, datetime], tuple[datetime, datetime]]:
    return (now - length, now), (now - 2 * length, now - length)


def _per_window(
    now: datetime, measure: Callable[[datetime, datetime], tuple[float | None, str]]
) -> tuple[float | None, str, float | None, str]:
    current, previous = _windows(now, QUARTER)
    value, text = measure(*current)
    before, before_text = measure(*previous)
    return value, text, before, before_text


def kr_telemetry(telemetry: dict[str, bool | None]) -> KeyResult:
    critical = list(Service.objects.filter(tier=1).values_list("name", flat=True))
    emitting = sum(1 for name in critical if telemetry.get(name))
    return KeyResult(
        "telemetry",
        "Critical services emitting metrics, logs and traces",
        _share(emitting, len(critical)),
        _share_text(emitting, len(critical), "tier-1 services", "emit metrics"),
        note="Metrics are asked of the metrics source. The portal has no log or trace backend, so logs and traces "
        "are not measured here.",
    )


def _tier1_with_slos(at: datetime) -> tuple[int, int]:
    tier1 = Service.objects.filter(tier=1, created_at__lte=at)
    with_slos = tier1.filter(Exists(SLODefinition.objects.filter(service=OuterRef("pk"), created_at__lte=at)))
    return with_slos.count(), tier1.count()


def kr_tier1_slos(now: datetime) -> KeyResult:
    part, whole = _tier1_with_slos(now)
    before_part, before_whole = _tier1_with_slos(now - MONTH)
    return KeyResult(
        "tier1_slos",
        "Tier-1 services with SLOs",
        _share(part, whole),
        _share_text(part, whole, "tier-1 services", "have SLOs"),
        _share(before_part, before_whole),
        _month_ago_text(before_part, before_whole, "tier-1 services"),
        note="From the catalog and the SLO definitions; 30 days ago is worked out from their creation dates.",
    )


def kr_time_to_detect(now: datetime) -> KeyResult:
    def measure(start: datetime, end: datetime) -> tuple[float | None, str]:
        incidents = Incident.objects.filter(started_at__range=(start, end))
        value = _median((i.detected_at - i.started_at).total_seconds() for i in incidents)
        return value, _seconds_text(value, "no incidents")

    value, text, before, before_text = _per_window(now, measure)
    return KeyResult(
        "time_to_detect",
        "Time to detect (median)",
        value,
        text,
        before,
        before_text,
        "down",
        "From each incident's first signal to the portal opening it; last 90 days against the 90 before.",
    )


def kr_golden_paths(now: datetime) -> KeyResult:
    paths, error = golden_paths_read()

    def counts(at: datetime) -> tuple[int, int, set[str]]:
        services = Service.objects.filter(created_at__lte=at)
        through = services.filter(origin=Origin.GOLDEN_PATH)
        return through.count(), services.count(), set(through.values_list("golden_path", flat=True))

    through, total, used = counts(now)
    before_through, before_total, _ = counts(now - MONTH)
    in_use = len(used & {p.name for p in paths})
    return KeyResult(
        "golden_paths",
        "Golden paths in use, and services created through them",
        _share(through, total),
        f"{in_use} of {len(paths)} golden paths in use; "
        + _share_text(through, total, "services", "created through them"),
        _share(before_through, before_total),
        _month_ago_text(before_through, before_total, "services"),
        note=error or "Services whose origin is a golden path, from the catalog.",
    )


def kr_time_to_create(now: datetime) -> KeyResult:
    def measure(start: datetime, end: datetime) -> tuple[float | None, str]:
        runs = ScaffoldRun.objects.filter(state=RunState.SUCCEEDED, created_at__range=(start, end))
        value = _median((r.finished_at - r.created_at).total_seconds() for r in runs if r.finished_at)
        return value, _seconds_text(value, "no services created")

    value, text, before, before_text = _per_window(now, measure)
    return KeyResult(
        "time_to_create",
        "Time to create a service (median)",
        value,
        text,
        before,
        before_text,
        "down",
        "From the request to the service in the catalog, for successful golden-path runs.",
    )


def _incident_share(now: datetime, *, key: str, title: str, resolved: bool, matching: Q, note: str) -> KeyResult:
    def measure(start: datetime, end: datetime) -> tuple[float | None, str]:
        field = "resolved_at" if resolved else "started_at"
        incidents = Incident.objects.filter(**{f"{field}__range": (start, end)})
        part = incidents.filter(matching).distinct().count()
        whole = incidents.count()
        return _share(part, whole), _share_text(part, whole, "resolved incidents" if resolved else "incidents")

    value, text, before, before_text = _per_window(now, measure)
    return KeyResult(key, title, value, text, before, before_text, "up", note)


def kr_root_cause(now: datetime) -> KeyResult:
    return _incident_share(
        now,
        key="root_cause_suggested",
        title="Incidents with a root-cause suggestion",
        resolved=False,
        matching=Q(Exists(Hypothesis.objects.filter(incident=OuterRef("pk")))),
        note="Incidents the analysis gave at least one hypothesis; last 90 days against the 90 before.",
    )


def kr_runbooks(now: datetime) -> KeyResult:
    return _incident_share(
        now,
        key="resolved_by_runbooks",
        title="Incidents resolved by runbooks",
        resolved=True,
        matching=Q(Exists(ActionRequest.objects.filter(incident=OuterRef("pk"), state=ActionState.SUCCEEDED))),
        note="Resolved incidents with at least one runbook action that succeeded and was verified.",
    )


def kr_mttr(now: datetime) -> KeyResult:
    def measure(start: datetime, end: datetime) -> tuple[float | None, str]:
        incidents = Incident.objects.filter(resolved_at__range=(start, end))
        values = [(i.resolved_at - i.started_at).total_seconds() for i in incidents if i.resolved_at]
        value = statistics.fmean(values) if values else None
        return value, _seconds_text(value, "no resolved incidents")

    value, text, before, before_text = _per_window(now, measure)
    return KeyResult(
        "mttr",
        "Mean time to resolve, against the previous quarter",
        value,
        text,
        before,
        before_text,
        "down",
        "From the first signal to resolution; last 90 days against the 90 days before.",
    )


def kr_postmortem_delay(now: datetime) -> KeyResult:
    def measure(start: datetime, end: datetime) -> tuple[float | None, str]:
        incidents = Incident.objects.filter(resolved_at__range=(start, end)).select_related("postmortem")
        delays, missing = [], 0
        for incident in incidents:
            postmortem = getattr(incident, "postmortem", None)
            if postmortem is None or incident.resolved_at is None:
                missing += 1
                continue
            delays.append(max(0.0, (postmortem.created_at - incident.resolved_at).total_seconds()))
        value = _median(delays)
        text = _seconds_text(value, "no postmortems")
        return value, text + (f"; {missing} resolved without a postmortem" if missing else "")

    value, text, before, before_text = _per_window(now, measure)
    return KeyResult(
        "postmortem_delay",
        "Postmortem delay (median)",
        value,
        text,
        before,
        before_text,
        "down",
        "From resolution to the first version of the postmortem.",
    )


def kr_idle_resources() -> KeyResult:
    reading = finops_read("idle_resources")
    if not reading.ok:
        return KeyResult("idle_resources", "Idle resources identified", None, "no data", note=reading.error)
    rows = reading.value or []
    saving = sum(float(r.get("monthly_saving") or 0) for r in rows)
    return KeyResult(
        "idle_resources",
        "Idle resources identified",
        float(len(rows)),
        f"{len(rows)} found, {money(saving)} a month to save",
        note="The FinOps layer keeps no history of its findings, so there is no trend.",
    )


def kr_rightsizing(top: int = 10) -> KeyResult:
    title = f"Rightsizing applied to the {top} most expensive services"
    costs, recommendations = (
        finops_read("cost_by_day", days=30, group_by="service"),
        finops_read("rightsizing_recommendations"),
    )
    if not costs.ok or not recommendations.ok:
        return KeyResult("rightsizing_top10", title, None, "no data", note=costs.error or recommendations.error)
    expensive = [name for name, _, _ in totals_by_key(costs.value or [])[:top]]
    by_service = {r["service"]: r for r in recommendations.value or []}
    opened = sum(1 for name in expensive if by_service.get(name, {}).get("pull_request_url"))
    waiting = sum(1 for name in expensive if name in by_service) - opened
    if not expensive:
        return KeyResult("rightsizing_top10", title, None, "no cost data yet", note="Costs are computed hourly.")
    return KeyResult(
        "rightsizing_top10",
        title,
        _share(opened, len(expensive)),
        f"{opened} of {len(expensive)} have a rightsizing pull request; {waiting} more have a recommendation waiting",
        note="The portal opens the pull request; whether it was merged is not tracked here.",
    )


def kr_cost_trend() -> KeyResult:
    reading = finops_read("cost_total", days=30)
    if not reading.ok:
        return KeyResult("monthly_cost", "Monthly cost trend", None, "no data", better="down", note=reading.error)
    total, previous = float(reading.value["total"]), float(reading.value["previous"])
    return KeyResult(
        "monthly_cost",
        "Monthly cost trend",
        total,
        f"{money(total)} in the last 30 days",
        previous if previous else None,
        f"{money(previous)} in the 30 days before" if previous else "no costs recorded for the 30 days before",
        "down",
        "Daily costs from the FinOps layer.",
    )


def key_results(now: datetime, telemetry: dict[str, bool | None]) -> list[KeyResult]:
    return [
        kr_telemetry(telemetry),
        kr_tier1_slos(now),
        kr_time_to_detect(now),
        kr_golden_paths(now),
        kr_time_to_create(now),
        kr_root_cause(now),
        kr_mttr(now),
        kr_runbooks(now),
        kr_postmortem_delay(now),
        kr_idle_resources(),
        kr_rightsizing(),
        kr_cost_trend(),
    ]


def scorecard_build(*, now: float | None = None, service: str | None = None) -> dict[str, Any]:
    """Key results and maturity; with a service name, that service's maturity only."""
    at = now if now is not None else time.time()
    rows, telemetry = maturity(at, [service] if service else None)
    if service is not None:
        return {"generated_at": datetime.fromtimestamp(at, UTC), "services": rows}
    results = key_results(datetime.fromtimestamp(at, UTC), telemetry)
    return {
        "generated_at": datetime.fromtimestamp(at, UTC),
        "key_results": [r.as_dict() for r in results],
        "services": rows,
        "average_score": round(statistics.fmean(r["score"] for r in rows)) if rows else None,
    }
