"""Read what log cost needs from the logs adapter (Loki or the sandbox) and price it with portal.finops.logs."""

from __future__ import annotations

import json
import re
import time
from collections import defaultdict
from dataclasses import asdict
from typing import Any

from django.conf import settings

from portal.aiops.logpatterns import PatternMiner
from portal.finops.logs import PatternVolume, Prices, StreamVolume, log_cost
from portal.integrations.logs import LogsSource, logs

DAY = 86400.0
SAMPLE_LINES = 1000  # per service, from the newest ten minutes, to split a stream's bytes by pattern
SAMPLE_SECONDS = 600.0
IGNORED_LABELS = {"__name__", "level", "log_type", "detected_level"}


def prices() -> Prices:
    return Prices(
        ingest_per_gb=settings.LOG_PRICE_INGEST_PER_GB,
        storage_per_gb_month=settings.LOG_PRICE_STORAGE_PER_GB_MONTH,
        compression_ratio=settings.LOG_COMPRESSION_RATIO,
        retention_days=settings.LOG_RETENTION_DAYS,
    )


def _matcher(services: list[str]) -> str:
    names = "|".join(re.sub(r"([.+*?^$()\[\]{}|\\])", r"\\\1", s) for s in services)
    return "{" + f"{settings.LOGS_SERVICE_LABEL}=~{json.dumps(names)}" + "}"


def daily_volumes(source: LogsSource, services: list[str], *, start: float, end: float) -> list[StreamVolume]:
    """Bytes per day per service, level and log type: bytes_over_time over each whole day."""
    service, level = settings.LOGS_SERVICE_LABEL, settings.LOGS_LEVEL_LABEL
    query = f"sum by ({service}, {level}, log_type) (bytes_over_time({_matcher(services)} [1d]))"
    series = source.metric_range(query, start=start + DAY, end=end, step=DAY)
    return [
        StreamVolume(
            service=s.labels.get(service, ""),
            level=s.labels.get(level, ""),
            log_type=s.labels.get("log_type", ""),
            daily_bytes=[(t - DAY, v) for t, v in s.points],
            labelled=bool(s.labels.get("log_type")),
        )
        for s in series
        if s.labels.get(service)
    ]


def pattern_shares(source: LogsSource, service: str, *, end: float) -> tuple[list[PatternVolume], set[str]]:
    """Each pattern's share of its stream group's bytes in a sample of the newest lines, and the labels seen."""
    selector = "{" + f"{settings.LOGS_SERVICE_LABEL}={json.dumps(service)}" + "}"
    result = source.query_range(selector, start=end - SAMPLE_SECONDS, end=end, limit=SAMPLE_LINES)
    miner = PatternMiner()
    entries = result.entries()
    for _, entry in entries:
        miner.add(entry.line)
    level_label = settings.LOGS_LEVEL_LABEL
    group_bytes: dict[tuple[str, str], float] = defaultdict(float)
    pattern_bytes: dict[tuple[str, str, int], float] = defaultdict(float)
    examples: dict[int, str] = {}
    labels_seen: set[str] = set()
    for labels, entry in entries:
        labels_seen.update(labels)
        group = (labels.get(level_label, ""), labels.get("log_type", ""))
        cid = miner.match(entry.line)
        if cid is None:
            continue
        size = len(entry.line.encode())
        group_bytes[group] += size
        pattern_bytes[(*group, cid)] += size
        examples.setdefault(cid, entry.line)
    out = [
        PatternVolume(
            service=service,
            level=lvl,
            log_type=kind,
            pattern=miner.template(cid),
            share=size / group_bytes[(lvl, kind)],
            example=examples[cid],
        )
        for (lvl, kind, cid), size in pattern_bytes.items()
    ]
    return out, labels_seen


def label_cardinality(
    source: LogsSource, services: list[str], labels: set[str], *, start: float, end: float
) -> dict[tuple[str, str], int]:
    out = {}
    for service in services:
        selector = "{" + f"{settings.LOGS_SERVICE_LABEL}={json.dumps(service)}" + "}"
        for label in sorted(labels - IGNORED_LABELS - {settings.LOGS_SERVICE_LABEL, settings.LOGS_LEVEL_LABEL}):
            out[(service, label)] = len(source.label_values(label, start=start, end=end, selector=selector))
    return out


def log_cost_report(services: list[str], *, days: int, now: float | None = None) -> dict[str, Any]:
    """Cost and recommendations for these services over the last `days` whole days (UTC)."""
    end = (int(now if now is not None else time.time()) // int(DAY)) * DAY
    start = end - days * DAY
    if not services:
        return {
            "services": [],
            "days": days,
            "start": start,
            "end": end,
            "monthly_cost": 0.0,
            "monthly_saving": 0.0,
            "streams": [],
            "recommendations": [],
            "retention_config": "",
            "daily_by_level": {},
            "prices": asdict(prices()),
        }
    source = logs()
    streams = daily_volumes(source, services, start=start, end=end)
    patterns: list[PatternVolume] = []
    labels: set[str] = set()
    for service in services:
        found, seen = pattern_shares(source, service, end=end)
        patterns.extend(found)
        labels |= seen
    cardinality = label_cardinality(source, services, labels, start=end - DAY, end=end)
    report = log_cost(streams, patterns, cardinality, prices(), service_label=settings.LOGS_SERVICE_LABEL)
    by_level: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
    for stream in streams:
        for day, size in stream.daily_bytes:
            by_level[stream.level or "unknown"][day] += size
    return {
        "services": services,
        "days": days,
        "start": start,
        "end": end,
        **report,
        "recommendations": [asdict(r) for r in report["recommendations"]],
        "daily_by_level": {level: sorted(days_.items()) for level, days_ in sorted(by_level.items())},
        "prices": asdict(prices()),
    }


def log_cost_services(user: Any, *, service: str | None = None) -> list[str]:
    """The services whose logs the user may cost: their teams' services; platform admins every service."""
    from portal.catalog.models import Service
    from portal.core.errors import Forbidden, NotFound

    visible = Service.objects.order_by("name")
    if not user.is_platform_admin:
        visible = visible.filter(owner__memberships__user=user)
    if service is None:
        return list(visible.values_list("name", flat=True))
    if not Service.objects.filter(name=service).exists():
        raise NotFound(f"No service named '{service}'.", fields={"service": ["unknown"]})
    if not visible.filter(name=service).exists():
        raise Forbidden(f"Only the team that owns '{service}' or platform admins can see its log cost.")
    return [service]
