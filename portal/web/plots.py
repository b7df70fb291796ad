"""A service's plots: latency and errors with deploy and anomaly markers, and each SLO's budget burn-down."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime

from portal.aiops.models import Anomaly
from portal.catalog.models import Service
from portal.changes.models import ChangeEvent
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import Query, Signal, metrics
from portal.slo.burn_rate import error_budget
from portal.slo.defaults import LATENCY_THRESHOLD
from portal.slo.models import Indicator, SLODefinition
from portal.web.charts import Chart, Series, time_chart

POINTS = 144
BURN_DOWN_STEP = 6 * 3600  # one point per six hours over the SLO period
RANGES = {"6h": 6, "24h": 24, "7d": 168}


def _seconds(value: float) -> str:
    return f"{value * 1000:.0f} ms" if value < 1 else f"{value:.2f} s"


def _ratio(value: float) -> str:
    return f"{value * 100:.2f}%" if value < 0.1 else f"{value * 100:.1f}%"


def _budget(value: float) -> str:
    return f"{value * 100:.0f}%"


def _markers(service: Service, start: float, end: float) -> list[tuple[float, str, str]]:
    """Deploys, rollbacks and anomalies of the service between start and end."""
    since, until = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
    marks = [
        (
            c.occurred_at.timestamp(),
            "rollback" if c.kind == "rollback" else "deploy",
            f"{c.get_kind_display()} {c.version} {c.occurred_at:%H:%M} ({c.status})".strip(),
        )
        for c in ChangeEvent.objects.filter(
            service=service, kind__in=["deploy", "rollback"], occurred_at__range=(since, until)
        )
    ]
    marks += [
        (a.started_at.timestamp(), "anomaly", f"Anomaly: {a.signal} went {a.direction} {a.started_at:%H:%M}")
        for a in Anomaly.objects.filter(service=service, started_at__range=(since, until))
    ]
    return sorted(marks)


def _range(query: Query, start: float, end: float, step: float) -> list[tuple[float, float]]:
    series = metrics().range(query, start=start, end=end, step=step)
    return list(series[0].points) if series else []


def _chart(
    title: str,
    build: Callable[[], list[Series]],
    *,
    start: float,
    end: float,
    fmt: Callable[[float], str],
    markers: list[tuple[float, str, str]] | None = None,
    threshold: tuple[float, str] | None = None,
    y_ceiling: float | None = None,
    height: int = 200,
) -> Chart:
    """Draw a chart, or say why the metrics could not be read."""
    try:
        series, empty = build(), "No data for this period."
    except IntegrationError as exc:
        series, empty = [], f"The metrics could not be read: {exc.message}"
    return time_chart(
        title=title,
        series=series,
        start=start,
        end=end,
        fmt=fmt,
        markers=markers or [],
        threshold=threshold,
        y_ceiling=y_ceiling,
        height=height,
        empty=empty,
    )


def service_plots(service: Service, *, hours: int, now: float | None = None) -> dict[str, Chart]:
    """Latency (p50, p99) and error ratio over the last `hours`, with deploy and anomaly markers."""
    end = now if now is not None else time.time()
    start = end - hours * 3600
    step = max(60.0, hours * 3600 / POINTS)
    window = "5m" if hours <= 24 else "1h"
    marks = _markers(service, start, end)

    def latency() -> list[Series]:
        return [
            Series("p99", _range(Query(Signal.LATENCY_QUANTILE, service.name, window=window), start, end, step)),
            Series(
                "p50",
                _range(Query(Signal.LATENCY_QUANTILE, service.name, window=window, quantile=0.5), start, end, step),
                css="line-b",
            ),
        ]

    def errors() -> list[Series]:
        return [Series("5xx ratio", _range(Query(Signal.ERROR_RATIO, service.name, window=window), start, end, step))]

    return {
        "latency": _chart(f"Latency of {service.name}", latency, start=start, end=end, fmt=_seconds, markers=marks),
        "errors": _chart(f"Error ratio of {service.name}", errors, start=start, end=end, fmt=_ratio, markers=marks),
    }


def _bad_ratio(definition: SLODefinition, start: float, end: float) -> list[tuple[float, float]]:
    name, window = definition.service.name, f"{BURN_DOWN_STEP // 3600}h"
    if definition.indicator == Indicator.AVAILABILITY:
        return _range(Query(Signal.ERROR_RATIO, name, window=window), start, end, BURN_DOWN_STEP)
    threshold = definition.latency_threshold or LATENCY_THRESHOLD
    under = _range(Query(Signal.LATENCY_UNDER, name, window=window, threshold=threshold), start, end, BURN_DOWN_STEP)
    return [(t, 1 - v) for t, v in under]


def budget_burn_down(definition: SLODefinition, *, now: float | None = None) -> Chart:
    """The share of the period's error budget left at each point of the period, ending at now."""
    end = now if now is not None else time.time()
    start = end - definition.period_days * 86400 + BURN_DOWN_STEP
    title = f"Error budget of {definition.name} over {definition.period_days} days"
    if definition.indicator not in (Indicator.AVAILABILITY, Indicator.LATENCY):
        return time_chart(
            title=title,
            series=[],
            start=start,
            end=end,
            fmt=_budget,
            empty="A custom SLO is measured by its own PromQL; the burn-down needs Prometheus.",
        )

    def build() -> list[Series]:
        bad = dict(_bad_ratio(definition, start, end))
        traffic = dict(
            _range(Query(Signal.REQUEST_RATE, definition.service.name, window="6h"), start, end, BURN_DOWN_STEP)
        )
        times = sorted(t for t in bad if t in traffic)
        total = sum(traffic[t] for t in times)
        if not times or total <= 0:
            return []
        budget, spent, points = error_budget(definition.objective), 0.0, []
        for t in times:
            spent += bad[t] * traffic[t]
            points.append((t, 1 - spent / total / budget))
        return [Series("budget left", points, css="line-budget")]

    return _chart(title, build, start=start, end=end, fmt=_budget, threshold=(0.0, "spent"), y_ceiling=1.0, height=220)
