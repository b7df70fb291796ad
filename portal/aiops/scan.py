"""Scan services' signals for anomalies with the streaming detectors, reading only points not seen yet."""

from __future__ import annotations

import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta

from django.db import transaction

from portal.aiops.analysis.signals import watched
from portal.aiops.detectors import SeriesDetector, Settings
from portal.aiops.models import Anomaly, DetectorState
from portal.catalog.models import Service
from portal.changes.models import ChangeEvent
from portal.incidents.alertmanager import AlertDraft
from portal.incidents.models import AlertSource
from portal.incidents.services import alert_receive
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import metrics

STEP = 60.0
FIRST_SCAN_HISTORY = 12 * 3600.0  # a new series learns from the last 12 hours before it may alert
OPEN_AT = 0.7  # near NAB's low-false-positive optimum (0.667): alerts wake people
CLOSE_AFTER_QUIET_POINTS = 10
QUIET_BELOW = 0.2
CHANGE_WINDOW = timedelta(hours=2)
ALERTING_SIGNALS = ("error_ratio", "latency_p99", "memory")
KIND_WEIGHT = {"deploy": 1.0, "config": 0.8, "feature_flag": 0.8, "scaling": 0.5, "pipeline": 0.2, "commit": 0.2}


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def related_changes(service: Service, started: datetime) -> list[dict[str, object]]:
    """Changes on the service and its dependencies before the anomaly, closest and weightiest first."""
    services = [service, *service.dependencies.all()]
    events = ChangeEvent.objects.filter(
        service__in=services, occurred_at__gte=started - CHANGE_WINDOW, occurred_at__lte=started
    ).select_related("service")
    ranked = []
    for event in events:
        closeness = 1 - (started - event.occurred_at) / CHANGE_WINDOW
        same = 1.0 if event.service_id == service.pk else 0.6
        ranked.append(
            {
                "change_id": event.pk,
                "service": event.service.name,
                "kind": event.kind,
                "version": event.version,
                "at": event.occurred_at.isoformat(),
                "rank_score": round(closeness * same * KIND_WEIGHT.get(event.kind, 0.3), 3),
            }
        )
    return sorted(ranked, key=lambda r: -float(r["rank_score"]))  # type: ignore[arg-type]


def _state(service: Service, signal: str, now: float) -> tuple[DetectorState, SeriesDetector]:
    row = DetectorState.objects.filter(service=service, signal=signal).select_related("open_anomaly").first()
    if row is None:
        row = DetectorState(service=service, signal=signal, last_timestamp=now - FIRST_SCAN_HISTORY, state={})
        return row, SeriesDetector(Settings(warmup=60))
    return row, SeriesDetector.from_state(row.state)


def scan_series(
    service: Service,
    signal: str,
    query_points: list[tuple[float, float]],
    row: DetectorState,
    detector: SeriesDetector,
    *,
    learning: bool,
) -> list[Anomaly]:
    """Feed new points to the detector; open, grow and close anomaly episodes."""
    opened = []
    anomaly = row.open_anomaly
    quiet = 0
    for ts, value in query_points:
        score = detector.update(ts, value)
        row.last_timestamp = ts
        if learning:
            continue
        if anomaly is None and score.likelihood >= OPEN_AT and score.reason is not None:
            started = _dt(ts)
            anomaly, created = Anomaly.objects.get_or_create(
                service=service,
                signal=signal,
                started_at=started,
                defaults={
                    "peak_at": started,
                    "score": score.likelihood,
                    "direction": score.reason.direction,
                    "baseline": score.reason.expected,
                    "peak_value": value,
                    "reason": asdict(score.reason),
                    "related_changes": related_changes(service, started),
                },
            )
            if created:
                opened.append(anomaly)
            quiet = 0
        elif anomaly is not None:
            if score.likelihood > anomaly.score:
                anomaly.score, anomaly.peak_at, anomaly.peak_value = score.likelihood, _dt(ts), value
            quiet = quiet + 1 if score.likelihood < QUIET_BELOW else 0
            if quiet >= CLOSE_AFTER_QUIET_POINTS:
                anomaly.ended_at = _dt(ts)
            anomaly.save()
            if anomaly.ended_at is not None:
                anomaly = None
    row.open_anomaly = anomaly
    return opened


def scan_service(service: Service, *, now: float | None = None) -> list[Anomaly]:
    """Scan every watched signal of one service from where the last scan stopped."""
    now = now if now is not None else time.time()
    found: list[Anomaly] = []
    for signal, query in watched(service.name):
        with transaction.atomic():
            row, detector = _state(service, signal, now)
            learning = row.pk is None
            start = row.last_timestamp + STEP
            if start > now:
                continue
            try:
                series = metrics().range(query, start=start, end=now, step=STEP)
            except IntegrationError:
                continue
            points = series[0].points if series else []
            found += scan_series(service, signal, points, row, detector, learning=learning)
            row.state = detector.to_state()
            row.save()
    for anomaly in found:
        if anomaly.signal in ALERTING_SIGNALS:
            _raise_alert(anomaly, seen_at=_dt(now))
    return found


def _raise_alert(anomaly: Anomaly, *, seen_at: datetime) -> None:
    """An anomaly on a user-facing signal becomes an alert, so it can open or join an incident."""
    summary = (
        f"{anomaly.signal} of {anomaly.service.name} went {anomaly.direction}: {anomaly.peak_value:.4g} "
        f"against a normal {anomaly.baseline:.4g}"
    )
    draft = AlertDraft(
        fingerprint=f"anomaly-{anomaly.pk}",
        name=f"Anomalous{anomaly.signal.title().replace('_', '')}",
        status="firing",
        severity="warning",
        service=anomaly.service.name,
        starts_at=anomaly.started_at,
        ends_at=None,
        labels={"signal": anomaly.signal},
        annotations={"summary": summary},
    )
    alert, _ = alert_receive(draft, source=AlertSource.ANOMALY, now=seen_at)
    if alert is not None and alert.incident_id:
        Anomaly.objects.filter(pk=anomaly.pk).update(incident_id=alert.incident_id)
