"""Quality-gate evaluations: observed values for a release against thresholds from the service's own history."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.changes.models import ChangeEvent, ChangeKind, ChangeStatus
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError
from portal.core.models import User
from portal.core.permissions import AnyUser
from portal.delivery.gates import GateResult, Rule, adaptive_threshold, gate_check, outcome, same_hour
from portal.delivery.models import GateEvaluation
from portal.delivery.services import requester_check, window_check
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import MetricsSource, Query, Series, Signal, metrics
from portal.integrations.metrics.promql import LABEL_VALUE

HISTORY = timedelta(days=7)
DEFAULT_WINDOW = timedelta(minutes=30)
PIPELINE_HISTORY_RUNS = 30
RULES = {
    "latency_p99": Rule(k=3.0, margin=0.10),
    "error_ratio": Rule(k=3.0, margin=0.50, floor=0.001),
    "cpu_per_request": Rule(k=3.0, margin=0.15),
    "pipeline_duration": Rule(k=3.0, margin=0.25, floor=60.0, min_points=5),
    "pipeline_flaky_rate": Rule(k=3.0, margin=0.5, floor=0.1, min_points=3),
}
FLAKY_BLOCK = 20  # commits per flaky-rate sample
FLAKY_COMMITS = 200
GATES = tuple(RULES)


class _Reader:
    """Reads one release's window and the service's hourly history from the metrics adapter."""

    def __init__(self, source: MetricsSource, service: str, version: str, start: datetime, end: datetime) -> None:
        self.source, self.service, self.version = source, service, version
        self.start, self.end = start.timestamp(), end.timestamp()
        self.window = f"{max(1, round((self.end - self.start) / 60))}m"
        self.notes: list[str] = []

    def observed(self, signal: Signal) -> float | None:
        """The value over the evaluated window, for the release's pods when they carry a version label."""
        if self.version and LABEL_VALUE.match(self.version):
            found = self._instant(Query(signal, self.service, window=self.window, version=self.version))
            if found is not None:
                return found
        if self.version:
            self.notes.append(f"no series labelled version={self.version}: judged the whole service")
        return self._instant(Query(signal, self.service, window=self.window))

    def _instant(self, query: Query) -> float | None:
        series = self._call(lambda: self.source.instant(query, at=self.end))
        values = [v for s in series for _, v in s.points if math.isfinite(v)]
        return values[0] if values else None

    def hourly(self, signal: Signal) -> dict[float, float]:
        """Hourly values over the last seven days before the window, keyed by time."""
        query = Query(signal, self.service, window="1h")
        series = self._call(
            lambda: self.source.range(query, start=self.start - HISTORY.total_seconds(), end=self.start, step=3600)
        )
        return {t: v for s in series for t, v in s.points}

    def _call(self, fn: Callable[[], list[Series]]) -> list[Series]:
        try:
            return fn()
        except IntegrationError as exc:
            raise ApplicationError(
                f"Could not read metrics: {exc.message}", status_code=502, code="metrics_error"
            ) from exc


def _hour(reader: _Reader) -> int:
    return int(reader.end // 3600) % 24


def _signal_gate(reader: _Reader, name: str, signal: Signal, *, unit: str, what: str) -> GateResult:
    history = same_hour(sorted(reader.hourly(signal).items()), _hour(reader))
    source = f"hourly values at {_hour(reader):02d}:00+-1h UTC over the last 7 days"
    threshold = adaptive_threshold(history, RULES[name], unit=unit, source=source)
    return gate_check(name, reader.observed(signal), threshold, unit=unit, what=what)


def _latency_gate(reader: _Reader) -> GateResult:
    return _signal_gate(reader, "latency_p99", Signal.LATENCY_QUANTILE, unit="s", what="p99 latency")


def _error_gate(reader: _Reader) -> GateResult:
    return _signal_gate(reader, "error_ratio", Signal.ERROR_RATIO, unit="ratio", what="error ratio")


def _cpu_gate(reader: _Reader) -> GateResult:
    cpu, rps = reader.hourly(Signal.CPU), reader.hourly(Signal.REQUEST_RATE)
    ratios = sorted((t, cpu[t] / rps[t]) for t in cpu if rps.get(t))
    source = f"hourly values at {_hour(reader):02d}:00+-1h UTC over the last 7 days"
    threshold = adaptive_threshold(
        same_hour(ratios, _hour(reader)), RULES["cpu_per_request"], unit="core-s", source=source
    )
    observed_cpu, observed_rps = reader.observed(Signal.CPU), reader.observed(Signal.REQUEST_RATE)
    observed = observed_cpu / observed_rps if observed_cpu is not None and observed_rps else None
    return gate_check("cpu_per_request", observed, threshold, unit="core-s", what="CPU seconds per request")


def _pipeline_gate(service: Service, version: str) -> GateResult:
    runs = ChangeEvent.objects.filter(service=service, kind=ChangeKind.PIPELINE, duration_seconds__isnull=False)
    current = (runs.filter(version=version).first() if version else None) or runs.first()
    if current is None:
        return gate_check(
            "pipeline_duration",
            None,
            adaptive_threshold([], RULES["pipeline_duration"], unit="s", source="pipeline runs recorded"),
            unit="s",
            what="pipeline duration",
        )
    before = runs.filter(status=ChangeStatus.SUCCEEDED, occurred_at__lt=current.occurred_at)[:PIPELINE_HISTORY_RUNS]
    history = [float(r.duration_seconds or 0) for r in before]
    source = f"successful pipeline runs before {current.version or 'the latest'}"
    threshold = adaptive_threshold(history, RULES["pipeline_duration"], unit="s", source=source)
    what = f"pipeline duration of {current.version or 'the latest run'}"
    return gate_check("pipeline_duration", current.duration_seconds, threshold, unit="s", what=what)


def gates_evaluate(
    *,
    actor: AnyUser,
    service: Service,
    environment: Environment,
    version: str = "",
    start: datetime | None = None,
    end: datetime | None = None,
    gates: list[str] | None = None,
    idempotency_key: str = "",
    context: AuditContext | None = None,
    source: MetricsSource | None = None,
) -> tuple[GateEvaluation, bool]:
    """Evaluate the gates for a release and record it; a repeated idempotency key returns the first one."""
    person = requester_check(actor, service, what="evaluate quality gates")
    if idempotency_key:
        previous = GateEvaluation.objects.filter(requested_by=person, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous, False
    window_check(start, end)
    end = end or timezone.now()
    start = start or end - DEFAULT_WINDOW
    if start >= end:
        raise ApplicationError("The window must start before it ends.", fields={"start": ["after end"]})
    reader = _Reader(source or metrics(), service.name, version, start, end)
    chosen = gates or list(GATES)
    results = [_evaluate_one(name, reader, service, version) for name in chosen]
    for note in dict.fromkeys(reader.notes):
        results = [_noted(r, note) for r in results]
    fields = {
        "service": service,
        "environment": environment,
        "version": version,
        "start": start,
        "end": end,
        "outcome": outcome(results),
        "gates": [r.as_dict() for r in results],
        "reasons": [r.reason for r in results if r.outcome == "block"]
        or ["every gate passed or had too little history"],
        "requested_by": person,
        "idempotency_key": idempotency_key[:200],
    }
    return _evaluation_store(fields, person, context)


def flaky_rates(runs: list[tuple[str, str]], block: int = FLAKY_BLOCK) -> list[float]:
    """Newest first: per block of `block` commits, the share whose pipeline both failed and passed (a rerun passed)."""
    outcomes: dict[str, set[str]] = {}
    for version, run_status in runs:  # newest first; dict keeps the first-seen (newest) order
        outcomes.setdefault(version, set()).add(run_status)
    flaky = [{ChangeStatus.FAILED, ChangeStatus.SUCCEEDED} <= seen for seen in outcomes.values()]
    return [sum(flaky[i : i + block]) / block for i in range(0, len(flaky) - block + 1, block)]


def _flaky_gate(service: Service) -> GateResult:
    runs = ChangeEvent.objects.filter(
        service=service, kind=ChangeKind.PIPELINE, status__in=[ChangeStatus.FAILED, ChangeStatus.SUCCEEDED]
    ).exclude(version="")
    rates = flaky_rates(list(runs.values_list("version", "status")[: FLAKY_COMMITS * 3]))
    source = f"earlier blocks of {FLAKY_BLOCK} commits"
    threshold = adaptive_threshold(rates[1:], RULES["pipeline_flaky_rate"], unit="ratio", source=source)
    what = f"share of the last {FLAKY_BLOCK} commits whose pipeline failed and then passed on a rerun"
    return gate_check("pipeline_flaky_rate", rates[0] if rates else None, threshold, unit="ratio", what=what)


def _evaluate_one(name: str, reader: _Reader, service: Service, version: str) -> GateResult:
    if name == "pipeline_duration":
        return _pipeline_gate(service, version)
    if name == "pipeline_flaky_rate":
        return _flaky_gate(service)
    return {"latency_p99": _latency_gate, "error_ratio": _error_gate, "cpu_per_request": _cpu_gate}[name](reader)


def _noted(result: GateResult, note: str) -> GateResult:
    if result.name.startswith("pipeline_"):
        return result
    return GateResult(**{**result.as_dict(), "derivation": f"{result.derivation}; {note}"})  # type: ignore[arg-type]


def _evaluation_store(
    fields: dict[str, Any], person: User, context: AuditContext | None
) -> tuple[GateEvaluation, bool]:
    try:
        with transaction.atomic():
            evaluation = GateEvaluation.objects.create(**fields)
            audit_record(
                actor=person,
                action="gates_evaluate",
                instance=evaluation,
                after={"outcome": evaluation.outcome, "version": evaluation.version},
                context=context,
            )
    except IntegrityError:
        key = fields["idempotency_key"]
        previous = GateEvaluation.objects.filter(requested_by=person, idempotency_key=key).first()
        if not key or previous is None:
            raise
        return previous, False
    return evaluation, True
