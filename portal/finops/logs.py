"""Log cost: volume per service, level, type and pattern, its price, and recommendations with projected savings.

Pure calculation over plain values (no Django): `log_cost` takes the daily volumes, pattern shares and label
cardinalities read from Loki (or the sandbox, see portal/finops/log_report.py) and the prices, and answers
the cost and the recommendations, each rendered as configuration a person can apply: Loki's
limits_config.retention_stream for retention, Grafana Alloy's loki.process stage.sampling (and the Promtail
pipeline_stages equivalent) for sampling, and stage.label_drop for labels that explode cardinality.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import yaml

GB = 1e9  # Loki and Grafana Cloud bill decimal gigabytes
DAYS_PER_MONTH = 30.4
# Retention per log type, in days. Audit trails: PCI DSS 10.5.1 asks for 12 months of audit log history.
RETENTION_DAYS = {"debug": 3, "health": 1, "access": 14, "app": 30, "audit": 365}
# Sampling: the share of lines kept for high-volume, low-value patterns (errors and warnings are always kept)
SAMPLE_RATE = {"health": 0.01, "access": 0.1, "debug": 0.1}
MIN_SAMPLING_SHARE = 0.05  # a pattern worth sampling carries at least this share of its service's bytes
MIN_SAMPLING_SAVING = 1.0  # USD a month
MIN_RETENTION_SAVING = 0.10  # USD a month
CARDINALITY_LIMIT = 100  # distinct values of one label per service before it explodes the stream count
KEEP_LEVELS = ("error", "warn", "warning", "fatal", "critical")


@dataclass(frozen=True)
class Prices:
    ingest_per_gb: float = 0.50
    storage_per_gb_month: float = 0.10
    compression_ratio: float = 1.0  # raw bytes per stored byte, when storage is billed on compressed chunks
    retention_days: int = 30  # the retention every stream has today

    def monthly(self, bytes_per_day: float, retention_days: float | None = None) -> float:
        """Monthly cost of a steady log flow: ingest, plus storage of what the retention keeps."""
        days = self.retention_days if retention_days is None else retention_days
        gb = bytes_per_day / GB
        return gb * DAYS_PER_MONTH * self.ingest_per_gb + gb * days * self.storage_per_gb_month / self.compression_ratio


@dataclass(frozen=True)
class StreamVolume:
    """Bytes per day for one service, level and log type (the days in order)."""

    service: str
    level: str
    log_type: str
    daily_bytes: list[tuple[float, float]]  # (day start, bytes)
    labelled: bool = True  # log_type is a stream label (retention can select it)

    @property
    def bytes_per_day(self) -> float:
        return sum(b for _, b in self.daily_bytes) / max(len(self.daily_bytes), 1)


@dataclass(frozen=True)
class PatternVolume:
    service: str
    level: str
    log_type: str
    pattern: str
    share: float  # of its stream group's bytes, from a sample of lines
    example: str = ""


@dataclass(frozen=True)
class Recommendation:
    kind: str  # retention | sampling | cardinality
    service: str
    title: str
    reason: str
    monthly_saving: float  # USD; negative when keeping more costs more (audit retention)
    config: str  # what to apply
    config_format: str  # loki-yaml | alloy | promtail-yaml
    details: dict[str, object] = field(default_factory=dict)


def classify(level: str, log_type: str, example: str = "") -> str:
    """The log type: the stream's log_type label when it has one, else from the level and the line itself."""
    if log_type in RETENTION_DAYS:
        return log_type
    if level == "debug":
        return "debug"
    if re.search(r"kube-probe|/healthz|/readyz|/livez", example):
        return "health"
    if re.search(r"\baudit\b", example, re.IGNORECASE):
        return "audit"
    if re.search(r"\b(GET|POST|PUT|PATCH|DELETE|HEAD)\b.*\b[1-5]\d\d\b|\bstatus=\d{3}\b", example):
        return "access"
    return "app"


def _selector(**labels: str) -> str:
    return "{" + ", ".join(f"{k}={json.dumps(v)}" for k, v in labels.items()) + "}"


def _period(days: float) -> str:
    return f"{round(days * 24)}h"


def retention_recommendations(
    streams: list[StreamVolume], prices: Prices, *, service_label: str = "service"
) -> list[Recommendation]:
    """One per service and log type whose retention should differ from today's."""
    by_type: dict[tuple[str, str], float] = defaultdict(float)
    for stream in streams:
        if stream.labelled:
            by_type[(stream.service, classify(stream.level, stream.log_type))] += stream.bytes_per_day
    out = []
    for (service, kind), per_day in sorted(by_type.items()):
        target = RETENTION_DAYS[kind]
        if target == prices.retention_days or per_day <= 0:
            continue
        saving = prices.monthly(per_day) - prices.monthly(per_day, target)
        if 0 <= saving < MIN_RETENTION_SAVING:
            continue  # not worth a rule (a longer audit retention is kept: it is a requirement, not a saving)
        rule = {
            "selector": _selector(**{service_label: service, "log_type": kind}),
            "priority": 2 if kind == "audit" else 1,
            "period": _period(target),
        }
        out.append(
            Recommendation(
                kind="retention",
                service=service,
                title=f"Keep {kind} logs of {service} for {target} day{'s' if target != 1 else ''}",
                reason=_retention_reason(kind, target, prices.retention_days, per_day),
                monthly_saving=round(saving, 2),
                config=yaml.safe_dump({"limits_config": {"retention_stream": [rule]}}, sort_keys=False),
                config_format="loki-yaml",
                details={
                    "log_type": kind,
                    "bytes_per_day": round(per_day),
                    "from_days": prices.retention_days,
                    "to_days": target,
                },
            )
        )
    return out


def _retention_reason(kind: str, target: int, current: int, per_day: float) -> str:
    volume = f"{per_day / GB:.2f} GB a day"
    if target > current:
        return f"{volume}; audit trails must outlive the {current}-day default (PCI DSS 10.5.1 asks for 12 months)."
    return f"{volume} of {kind} lines are rarely read after {target} days; the {current}-day default keeps them."


def _line_regex(pattern: str) -> str:
    parts = [re.sub(r"([\\.^$|?*+()\[\]{}])", r"\\\1", part) for part in pattern.split("<*>")]
    return ".*".join(parts)


def sampling_recommendations(
    streams: list[StreamVolume],
    patterns: list[PatternVolume],
    prices: Prices,
    *,
    service_label: str = "service",
) -> list[Recommendation]:
    """Sample the patterns that carry much volume and little value; never a warning or an error."""
    group_bytes: dict[tuple[str, str, str], float] = defaultdict(float)
    service_bytes: dict[str, float] = defaultdict(float)
    for s in streams:
        group_bytes[(s.service, s.level, s.log_type)] += s.bytes_per_day
        service_bytes[s.service] += s.bytes_per_day
    out = []
    for p in patterns:
        kind = classify(p.level, p.log_type, p.example)
        if p.level in KEEP_LEVELS or kind not in SAMPLE_RATE or re.search(r"status=[45]\d\d", p.example):
            continue
        per_day = group_bytes[(p.service, p.level, p.log_type)] * p.share
        if not service_bytes[p.service] or per_day / service_bytes[p.service] < MIN_SAMPLING_SHARE:
            continue
        rate = SAMPLE_RATE[kind]
        retention = RETENTION_DAYS.get(kind, prices.retention_days)
        saving = prices.monthly(per_day * (1 - rate), retention)
        if saving < MIN_SAMPLING_SAVING:
            continue
        selector = _selector(**{service_label: p.service}) + f" |~ {json.dumps(_line_regex(p.pattern))}"
        out.append(
            Recommendation(
                kind="sampling",
                service=p.service,
                title=f"Keep {rate:.0%} of '{_short(p.pattern)}' on {p.service}",
                reason=(
                    f"{per_day / GB:.2f} GB a day ({per_day / service_bytes[p.service]:.0%} of {p.service}'s logs) "
                    f"of {kind} lines at level {p.level or 'unknown'}; errors and warnings are kept whole."
                ),
                monthly_saving=round(saving, 2),
                config=alloy_sampling(p.service, selector, rate),
                config_format="alloy",
                details={
                    "pattern": p.pattern,
                    "log_type": kind,
                    "rate": rate,
                    "bytes_per_day": round(per_day),
                    "promtail": promtail_sampling(selector, rate),
                },
            )
        )
    return out


def _short(pattern: str, width: int = 60) -> str:
    return pattern if len(pattern) <= width else pattern[: width - 1] + "…"


def _component(service: str) -> str:
    return re.sub(r"[^A-Za-z0-9_]", "_", service)


def alloy_sampling(service: str, selector: str, rate: float) -> str:
    """A Grafana Alloy loki.process component that samples the lines matching selector (others pass through)."""
    return (
        f'loki.process "sample_{_component(service)}" {{\n'
        f"  forward_to = [loki.write.default.receiver]\n\n"
        f"  stage.match {{\n"
        f"    selector = {json.dumps(selector)}\n\n"
        f"    stage.sampling {{\n"
        f"      rate = {rate:g}\n"
        f'      drop_counter_reason = "portal_sampling"\n'
        f"    }}\n"
        f"  }}\n"
        f"}}\n"
    )


def promtail_sampling(selector: str, rate: float) -> str:
    """The same as Promtail pipeline_stages (a match stage holding a sampling stage)."""
    stages = [{"match": {"selector": selector, "stages": [{"sampling": {"rate": rate}}]}}]
    return yaml.safe_dump({"pipeline_stages": stages}, sort_keys=False, allow_unicode=True)


def cardinality_recommendations(cardinality: dict[tuple[str, str], int]) -> list[Recommendation]:
    """Labels with too many values per service: drop them from the stream labels (keep them in the line)."""
    out = []
    for (service, label), values in sorted(cardinality.items()):
        if values <= CARDINALITY_LIMIT:
            continue
        config = (
            f'loki.process "drop_{_component(label)}" {{\n'
            f"  forward_to = [loki.write.default.receiver]\n\n"
            f"  stage.label_drop {{\n"
            f"    values = [{json.dumps(label)}]\n"
            f"  }}\n"
            f"}}\n"
        )
        out.append(
            Recommendation(
                kind="cardinality",
                service=service,
                title=f"Drop the '{label}' label on {service}",
                reason=(
                    f"{values} distinct values make {values} times as many streams (small chunks, a large index, "
                    f"slow queries); keep the value in the line or as structured metadata and filter on it there."
                ),
                monthly_saving=0.0,
                config=config,
                config_format="alloy",
                details={"label": label, "values": values, "limit": CARDINALITY_LIMIT},
            )
        )
    return out


def log_cost(
    streams: list[StreamVolume],
    patterns: list[PatternVolume],
    cardinality: dict[tuple[str, str], int],
    prices: Prices,
    *,
    service_label: str = "service",
) -> dict[str, Any]:
    """The monthly cost by service, level and type, and every recommendation, largest saving first."""
    rows: list[dict[str, Any]] = [
        {
            "service": s.service,
            "level": s.level,
            "log_type": classify(s.level, s.log_type),
            "bytes_per_day": round(s.bytes_per_day),
            "monthly_cost": round(prices.monthly(s.bytes_per_day), 2),
        }
        for s in streams
    ]
    recommendations = (
        retention_recommendations(streams, prices, service_label=service_label)
        + sampling_recommendations(streams, patterns, prices, service_label=service_label)
        + cardinality_recommendations(cardinality)
    )
    recommendations.sort(key=lambda r: (-r.monthly_saving, r.service, r.title))
    total = sum(float(r["monthly_cost"]) for r in rows)
    return {
        "monthly_cost": round(total, 2),
        "monthly_saving": round(sum(max(r.monthly_saving, 0.0) for r in recommendations), 2),
        "streams": sorted(rows, key=lambda r: -float(r["monthly_cost"])),
        "recommendations": recommendations,
        "retention_config": merged_retention(recommendations),
    }


def merged_retention(recommendations: list[Recommendation]) -> str:
    """Every retention rule in one limits_config block (what goes into Loki's configuration or runtime overrides)."""
    rules = []
    for r in recommendations:
        if r.kind == "retention":
            rules.extend(yaml.safe_load(r.config)["limits_config"]["retention_stream"])
    if not rules:
        return ""
    return yaml.safe_dump({"limits_config": {"retention_stream": rules}}, sort_keys=False)
