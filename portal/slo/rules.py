"""Sloth's Prometheus rules for an SLO: error-ratio recordings, SLO meta recordings and burn-rate alerts."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from portal.slo.burn_rate import error_budget
from portal.slo.model import SLO, AlertMeta, BurnRateCondition, SLOSpec, Source
from portal.slo.promql import format_duration, go_float, go_float_fixed, hours, label_filter
from portal.slo.sli import error_ratio_expr
from portal.slo.windows import AlertWindows, BurnWindow, alert_windows_for

GENERATOR_VERSION = "platform-portal"
WINDOW_LABEL = "sloth_window"
COMPARISONS = {"gt": ">", "gte": ">=", "lt": "<", "lte": "<="}


@dataclass(frozen=True)
class Rule:
    """One recording or alerting rule."""

    expr: str
    record: str = ""
    alert: str = ""
    for_: timedelta = timedelta(0)
    labels: dict[str, str] = field(default_factory=dict)
    annotations: dict[str, str] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        """Return the rule as Prometheus' rule file format writes it."""
        out: dict[str, Any] = {"record": self.record} if self.record else {"alert": self.alert}
        out["expr"] = self.expr
        if self.for_:
            out["for"] = format_duration(self.for_)
        if self.labels:
            out["labels"] = dict(sorted(self.labels.items()))
        if self.annotations:
            out["annotations"] = dict(sorted(self.annotations.items()))
        return out


@dataclass(frozen=True)
class RuleGroup:
    """A named group of rules, evaluated together."""

    name: str
    rules: tuple[Rule, ...]

    def as_dict(self) -> dict[str, Any]:
        """Return the group as Prometheus' rule file format writes it."""
        return {"name": self.name, "rules": [rule.as_dict() for rule in self.rules]}


def spec_rule_groups(
    spec: SLOSpec,
    *,
    catalog: tuple[AlertWindows, ...] = (),
    alerts: bool = True,
    extra_labels: dict[str, str] | None = None,
    version: str = GENERATOR_VERSION,
) -> list[RuleGroup]:
    """Return the rule groups of every SLO in a spec, in the order Sloth writes them."""
    groups: list[RuleGroup] = []
    for slo in spec.slos:
        if extra_labels:
            slo = replace(slo, labels={**slo.labels, **extra_labels})
        windows = alert_windows_for(slo.period, catalog)
        groups += slo_rule_groups(slo, windows, source=spec.source, alerts=alerts, version=version)
    return groups


def slo_rule_groups(
    slo: SLO, windows: AlertWindows, *, source: Source, alerts: bool = True, version: str = GENERATOR_VERSION
) -> list[RuleGroup]:
    """Return an SLO's recording groups and, unless switched off, its alert group; empty groups are left out."""
    groups = [
        RuleGroup(f"sloth-slo-sli-recordings-{slo.id}", tuple(sli_recording_rules(slo, windows))),
        RuleGroup(f"sloth-slo-meta-recordings-{slo.id}", tuple(meta_recording_rules(slo, windows, source, version))),
    ]
    if alerts:
        groups.append(RuleGroup(f"sloth-slo-alerts-{slo.id}", tuple(burn_rate_alert_rules(slo, windows))))
    return [group for group in groups if group.rules]


def sli_error_metric(window: timedelta) -> str:
    """Return the name Sloth records an error ratio over a window under."""
    return f"slo:sli_error:ratio_rate{format_duration(window)}"


def slo_id_labels(slo: SLO) -> dict[str, str]:
    """Return the labels that tell one SLO's series from another's."""
    return {"sloth_id": slo.id, "sloth_service": slo.service, "sloth_slo": slo.name}


def recording_windows(slo: SLO, windows: AlertWindows) -> list[timedelta]:
    """Return the windows that get an error-ratio recording: the alerts' windows, shortest first, then the period."""
    lookbacks = {condition.lookback for condition in slo.alerting.conditions}
    return [*sorted((set(windows.durations()) | lookbacks) - {slo.period}), slo.period]


def sli_recording_rules(slo: SLO, windows: AlertWindows) -> list[Rule]:
    """Record the error ratio per window; the period's is averaged from the shortest one, as Sloth does."""
    rules = []
    for window in recording_windows(slo, windows):
        expr = error_ratio_expr(slo.sli, window) if window != slo.period else _period_error_ratio(slo, windows)
        labels = {**slo_id_labels(slo), WINDOW_LABEL: format_duration(window), **slo.labels}
        rules.append(Rule(record=sli_error_metric(window), expr=expr, labels=labels))
    return rules


def _period_error_ratio(slo: SLO, windows: AlertWindows) -> str:
    """Average the shortest window's ratios over the period: cheaper than a rate over 30 days, and close enough."""
    source = sli_error_metric(windows.page_quick.short) + label_filter(slo_id_labels(slo))
    period = format_duration(slo.period)
    return f"sum_over_time({source}[{period}])\n/ ignoring ({WINDOW_LABEL})\ncount_over_time({source}[{period}])\n"


def meta_recording_rules(slo: SLO, windows: AlertWindows, source: Source, version: str) -> list[Rule]:
    """Record the objective, the error budget, the period, burn rates, the budget left and an info series."""
    labels = {**slo_id_labels(slo), **slo.labels}
    objective = go_float(slo.objective / 100)
    selector = label_filter(slo_id_labels(slo))
    info = {
        **labels,
        "sloth_version": version,
        "sloth_mode": source.mode,
        "sloth_spec": source.spec,
        "sloth_objective": go_float_fixed(slo.objective),
    }
    records = [
        ("slo:objective:ratio", f"vector({objective})", labels),
        ("slo:error_budget:ratio", f"vector(1-{objective})", labels),
        ("slo:time_period:days", f"vector({go_float(hours(slo.period) / 24)})", labels),
        ("slo:current_burn_rate:ratio", _burn_rate_expr(sli_error_metric(windows.page_quick.short), selector), labels),
        ("slo:period_burn_rate:ratio", _burn_rate_expr(sli_error_metric(slo.period), selector), labels),
        ("slo:period_error_budget_remaining:ratio", f"1 - slo:period_burn_rate:ratio{selector}", labels),
        ("sloth_slo_info", "vector(1)", info),
    ]
    return [Rule(record=name, expr=expr, labels=dict(rule_labels)) for name, expr, rule_labels in records]


def _burn_rate_expr(error_metric: str, selector: str) -> str:
    """Divide an error ratio by the SLO's error budget."""
    return (
        f"{error_metric}{selector}\n/ on(sloth_id, sloth_slo, sloth_service) group_left\n"
        f"slo:error_budget:ratio{selector}\n"
    )


def burn_rate_alert_rules(slo: SLO, windows: AlertWindows) -> list[Rule]:
    """Return the page and ticket multi-window multi-burn-rate alerts, then any single-window conditions."""
    alerting = slo.alerting
    rules = []
    for severity, meta, quick, slow in (
        ("page", alerting.page, windows.page_quick, windows.page_slow),
        ("ticket", alerting.ticket, windows.ticket_quick, windows.ticket_slow),
    ):
        if meta.enabled:
            rules.append(_mwmb_alert(slo, severity, meta, windows, quick, slow))
    rules += [_condition_alert(slo, condition) for condition in alerting.conditions]
    return rules


def _mwmb_alert(
    slo: SLO, severity: str, meta: AlertMeta, windows: AlertWindows, quick: BurnWindow, slow: BurnWindow
) -> Rule:
    """Fire while either window pair burns faster than its factor over both its long and its short window."""
    expr = (
        f"(\n    {_burning(slo, quick.short, windows.factor(quick))}\n"
        f"    and\n    {_burning(slo, quick.long, windows.factor(quick))}\n)\n"
        f"or\n"
        f"(\n    {_burning(slo, slow.short, windows.factor(slow))}\n"
        f"    and\n    {_burning(slo, slow.long, windows.factor(slow))}\n)\n"
    )
    return Rule(
        alert=slo.alerting.name,
        expr=expr,
        labels={"sloth_severity": severity, **slo.alerting.labels, **meta.labels},
        annotations={**_default_annotations(severity), **slo.alerting.annotations, **meta.annotations},
    )


def _burning(slo: SLO, window: timedelta, factor: float, op: str = ">") -> str:
    """Compare the error ratio over a window with factor times the error budget."""
    ratio = sli_error_metric(window) + label_filter(slo_id_labels(slo))
    budget = go_float(error_budget(slo.objective))
    return f"max({ratio} {op} ({go_float(factor)} * {budget})) without ({WINDOW_LABEL})"


def _default_annotations(severity: str) -> dict[str, str]:
    """Return Sloth's title and summary for an SLO alert."""
    who = "{{$labels.sloth_service}} {{$labels.sloth_slo}}"
    return {
        "title": f"({severity}) {who} SLO error budget burn rate is too fast.",
        "summary": f"{who} SLO error budget burn rate is over expected.",
    }


def _condition_alert(slo: SLO, condition: BurnRateCondition) -> Rule:
    """Fire while the burn rate over the lookback window compares to the threshold as the condition says."""
    op = COMPARISONS[condition.op]
    annotations = _default_annotations(condition.severity)
    annotations["summary"] = (
        f"{{{{$labels.sloth_service}}}} {{{{$labels.sloth_slo}}}} SLO error budget burn rate over "
        f"{format_duration(condition.lookback)} is {op} {go_float(condition.threshold)}."
    )
    if condition.description:
        annotations["description"] = condition.description
    return Rule(
        alert=condition.alert,
        expr=_burning(slo, condition.lookback, condition.threshold, op) + "\n",
        for_=condition.alert_after,
        labels={"sloth_severity": condition.severity, **slo.alerting.labels},
        annotations={**annotations, **slo.alerting.annotations},
    )
