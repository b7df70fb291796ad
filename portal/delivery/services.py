"""Canary configs and judgements: fetch baseline and canary series from the metrics adapter, judge, record."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import numpy as np
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Forbidden
from portal.core.models import User
from portal.core.permissions import AnyUser, can_write_owned_by
from portal.delivery.canary import judge
from portal.delivery.configs import CanaryMetric, canary_metrics, judge_settings, metrics_validate, tier_default
from portal.delivery.models import CanaryConfig, CanaryJudgement
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import MetricsSource, Query, metrics
from portal.integrations.metrics.promql import LABEL_VALUE, POD_REGEX

DEFAULT_CONFIG = "default"
MAX_POINTS = 5000  # per side and metric: a longer window needs a larger step
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
FUTURE_SLACK = timedelta(hours=1)
CONFIG_FIELDS = (
    "metrics",
    "group_weights",
    "pass_threshold",
    "marginal_threshold",
    "tolerance",
    "confidence",
    "lookback_minutes",
    "step_seconds",
)


@dataclass(frozen=True)
class Side:
    """Where one side's series come from: a selector over a window, or series sent inline."""

    version: str = ""
    pod_regex: str = ""
    start: datetime | None = None
    end: datetime | None = None
    series: dict[str, list[float | None]] | None = None
    label: str = "canary"

    def describe(self) -> dict[str, Any]:
        out: dict[str, Any] = {k: v for k, v in (("version", self.version), ("pod_regex", self.pod_regex)) if v}
        out.update({k: v.isoformat() for k, v in (("start", self.start), ("end", self.end)) if v is not None})
        if self.series is not None:
            out["series"] = "inline"
        return out


@dataclass
class Window:
    start: datetime
    end: datetime
    step: int
    sides: dict[str, tuple[datetime, datetime]] = field(default_factory=dict)


def requester_check(actor: AnyUser, service: Service, *, what: str) -> User:
    """Members of the owning team, SREs and platform admins may ask; returns the person."""
    if not isinstance(actor, User) or not (actor.is_sre or can_write_owned_by(actor, service.owner)):
        raise Forbidden(
            f"Only members of '{service.owner.name}', SREs and platform admins can {what} for {service.name}."
        )
    return actor


# --- configs ----------------------------------------------------------------------------------------------------


def canary_config_resolve(service: Service, name: str = "") -> tuple[str, dict[str, Any]]:
    """The named config of the service; 'default' falls back to the service tier's default."""
    name = name or DEFAULT_CONFIG
    stored = CanaryConfig.objects.filter(service=service, name=name).first()
    if stored is not None:
        return name, {key: getattr(stored, key) for key in CONFIG_FIELDS}
    if name == DEFAULT_CONFIG:
        return name, tier_default(service.tier)
    known = sorted({DEFAULT_CONFIG, *CanaryConfig.objects.filter(service=service).values_list("name", flat=True)})
    raise ApplicationError(
        f"{service.name} has no canary config '{name}'; known: {', '.join(known)}.", fields={"config": ["not found"]}
    )


def canary_config_put(
    *, actor: AnyUser, service: Service, name: str, data: dict[str, Any], context: AuditContext | None = None
) -> tuple[CanaryConfig, bool]:
    """Create or replace a service's named canary config (fields left out take the tier default)."""
    person = requester_check(actor, service, what="change canary configs")
    values = {**tier_default(service.tier), **data}
    errors = metrics_validate(values["metrics"])
    if values["marginal_threshold"] > values["pass_threshold"]:
        errors["marginal_threshold"] = ["must not exceed pass_threshold"]
    if sum(values["group_weights"].values()) > 100:
        errors["group_weights"] = ["the weights must add up to 100 or less"]
    if errors:
        raise ApplicationError(f"{next(iter(errors))}: {next(iter(errors.values()))[0]}", fields=errors)
    with transaction.atomic():
        before = CanaryConfig.objects.filter(service=service, name=name).first()
        config, created = CanaryConfig.objects.update_or_create(
            service=service, name=name, defaults={**{k: values[k] for k in CONFIG_FIELDS}, "updated_by": person}
        )
        audit_record(
            actor=person,
            action="canary_config_put",
            instance=config,
            before={k: getattr(before, k) for k in CONFIG_FIELDS} if before else None,
            after={k: values[k] for k in CONFIG_FIELDS},
            context=context,
        )
    return config, created


# --- judgements -------------------------------------------------------------------------------------------------


def side_validate(raw: dict[str, Any], label: str) -> Side:
    """A baseline or canary description to a Side; 400 naming the field when it cannot select anything."""
    series = raw.get("series")
    side = Side(
        version=str(raw.get("version") or ""),
        pod_regex=str(raw.get("pod_regex") or ""),
        start=raw.get("start"),
        end=raw.get("end"),
        series=series,
        label=label,
    )
    if side.version and not LABEL_VALUE.match(side.version):
        raise ApplicationError("Invalid version.", fields={f"{label}.version": ["letters, digits and _ . : - only"]})
    if side.pod_regex:
        try:
            re.compile(side.pod_regex)
            valid = bool(POD_REGEX.match(side.pod_regex))
        except re.error:
            valid = False
        if not valid:
            raise ApplicationError(
                "Invalid pod_regex.",
                fields={f"{label}.pod_regex": ["a regular expression without quotes or backslashes"]},
            )
    if not (side.version or side.pod_regex or series is not None or (side.start and side.end)):
        raise ApplicationError(
            f"Say which {label} to judge.",
            fields={label: ["give a version, a pod_regex, inline series, or its own start and end"]},
        )
    return side


def window_check(start: datetime | None, end: datetime | None, *, prefix: str = "") -> None:
    """Refuse times the metrics cannot have: before 2000, or more than an hour ahead of now."""
    latest = timezone.now() + FUTURE_SLACK
    for name, value in (("start", start), ("end", end)):
        if value is not None and not (EARLIEST <= value <= latest):
            raise ApplicationError(
                f"{prefix}{name} must lie between 2000 and now.", fields={f"{prefix}{name}": ["out of range"]}
            )


def window_resolve(config: dict[str, Any], start: datetime | None, end: datetime | None, sides: list[Side]) -> Window:
    """The judged window (default: the config's lookback up to now) and each side's own window."""
    window_check(start, end)
    end = end or timezone.now()
    start = start or end - timedelta(minutes=int(config["lookback_minutes"]))
    window = Window(start=start, end=end, step=int(config["step_seconds"]))
    for side in sides:
        window_check(side.start, side.end, prefix=f"{side.label}.")
        s, e = side.start or start, side.end or end
        if s >= e:
            raise ApplicationError("A window must start before it ends.", fields={f"{side.label}.start": ["after end"]})
        if (e - s).total_seconds() / window.step > MAX_POINTS:
            raise ApplicationError(
                f"The {side.label} window has more than {MAX_POINTS} points at {window.step} s steps; shorten it.",
                fields={f"{side.label}.start": ["window too long"]},
            )
        window.sides[side.label] = (s, e)
    return window


def side_values(
    source: MetricsSource, service: Service, metric: CanaryMetric, side: Side, window: Window
) -> list[float]:
    """One side's values of one metric: inline, or from the metrics adapter (averaged over pods when per_pod)."""
    if side.series is not None:
        return [float("nan") if v is None else float(v) for v in side.series.get(metric.spec.name, [])]
    start, end = window.sides[side.label]
    query = Query(
        signal=metric.signal,
        service=service.name,
        window=metric.window,
        quantile=metric.quantile,
        by_pod=metric.per_pod,
        pod_regex=side.pod_regex,
        version=side.version,
    )
    try:
        found = source.range(query, start=start.timestamp(), end=end.timestamp(), step=window.step)
    except (IntegrationError, ValueError) as exc:
        message = exc.message if isinstance(exc, IntegrationError) else str(exc)
        raise ApplicationError(
            f"Could not read {metric.spec.name} for the {side.label}: {message}", status_code=502, code="metrics_error"
        ) from exc
    by_time: dict[float, list[float]] = {}
    for series in found:
        for t, v in series.points:
            by_time.setdefault(t, []).append(v)
    reduce = np.mean if metric.per_pod else np.sum  # an aggregated query answers one series; per_pod: mean of pods
    return [float(reduce(by_time[t])) for t in sorted(by_time)]


def canary_judge(
    *,
    actor: AnyUser,
    service: Service,
    environment: Environment,
    baseline: dict[str, Any],
    canary: dict[str, Any],
    start: datetime | None = None,
    end: datetime | None = None,
    config_name: str = "",
    idempotency_key: str = "",
    context: AuditContext | None = None,
    source: MetricsSource | None = None,
) -> tuple[CanaryJudgement, bool]:
    """Judge the canary against the baseline and record it; a repeated idempotency key returns the first one."""
    person = requester_check(actor, service, what="judge canaries")
    if idempotency_key:
        previous = CanaryJudgement.objects.filter(requested_by=person, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous, False
    name, config = canary_config_resolve(service, config_name)
    sides = [side_validate(baseline, "baseline"), side_validate(canary, "canary")]
    window = window_resolve(config, start, end, sides)
    metrics_list = canary_metrics(config["metrics"])
    source = source or metrics()
    series = {
        m.spec.name: (
            side_values(source, service, m, sides[0], window),
            side_values(source, service, m, sides[1], window),
        )
        for m in metrics_list
    }
    verdict = judge([m.spec for m in metrics_list], series, judge_settings(config))
    verdict.reasons += _nodata_hints(sides, series)
    fields = {
        "service": service,
        "environment": environment,
        "config_name": name,
        "config": config,
        "baseline": sides[0].describe(),
        "canary": sides[1].describe(),
        "start": window.start,
        "end": window.end,
        "outcome": verdict.outcome,
        "score": verdict.score,
        "metrics": [r.as_dict() for r in verdict.metrics],
        "group_scores": verdict.group_scores,
        "reasons": verdict.reasons,
        "requested_by": person,
        "idempotency_key": idempotency_key[:200],
    }
    return _judgement_store(fields, person, context)


def _nodata_hints(sides: list[Side], series: dict[str, tuple[list[float], list[float]]]) -> list[str]:
    """Say what to do when a side found no series at all."""
    hints = []
    for i, side in enumerate(sides):
        if side.series is None and not any(values[i] for values in series.values()):
            what = (
                " and ".join(f"{k}={v}" for k, v in (("version", side.version), ("pod_regex", side.pod_regex)) if v)
                or "its window"
            )
            hints.append(
                f"The {side.label} selector ({what}) found no series: check that the pods exist in that window "
                "and, for a version, that their series carry a `version` label (or select them with pod_regex)."
            )
    return hints


def _judgement_store(
    fields: dict[str, Any], person: User, context: AuditContext | None
) -> tuple[CanaryJudgement, bool]:
    try:
        with transaction.atomic():
            judgement = CanaryJudgement.objects.create(**fields)
            audit_record(
                actor=person,
                action="canary_judge",
                instance=judgement,
                after={"outcome": judgement.outcome, "score": judgement.score, "config": judgement.config_name},
                context=context,
            )
    except IntegrityError:  # a racing retry with the same key stored it first
        key = fields["idempotency_key"]
        previous = CanaryJudgement.objects.filter(requested_by=person, idempotency_key=key).first()
        if not key or previous is None:
            raise
        return previous, False
    return judgement, True
