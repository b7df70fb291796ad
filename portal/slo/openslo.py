"""OpenSLO `openslo/v1` files (SLO, SLI, AlertPolicy, AlertCondition), read and written; v1alpha is handed on."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from portal.slo.model import SLI, SLO, Alerting, BurnRateCondition, LatencySLI, RatioSLI, RawSLI, SLOSpec, Source
from portal.slo.openslo_v1alpha import OPENSLO_V1ALPHA, parse_openslo_v1alpha
from portal.slo.promql import has_window_placeholder, parse_selector
from portal.slo.reader import Node, SpecReader, at
from portal.slo.sli import events_queries, good_events_queries, rate_query
from portal.slo.validation import (
    budgeting_problem,
    check_labels,
    check_query,
    name_problem,
    objective_problem,
    period_problem,
    ratio_target_problem,
    rolling_problem,
)

OPENSLO_V1 = "openslo/v1"
CONDITION_OPS = ("gt", "gte", "lt", "lte")
_SHORTHAND_UNITS = {"m": timedelta(minutes=1), "h": timedelta(hours=1), "d": timedelta(days=1), "w": timedelta(weeks=1)}

Index = dict[str, dict[str, tuple[Node, str]]]


def is_openslo(document: Node) -> bool:
    """Say whether a YAML document is an OpenSLO object."""
    return document.get("apiVersion") in (OPENSLO_V1ALPHA, OPENSLO_V1)


def parse_openslo_duration(text: str) -> timedelta:
    """Parse OpenSLO's duration shorthand (`28d`, `2w`, `6h`, `30m`); raise ValueError for anything else."""
    found = re.fullmatch(r"(\d+)([mhdwMQY])", text)
    if not found:
        raise ValueError(f"{text!r} is not a duration shorthand like 30m, 6h, 28d or 2w")
    if found.group(2) in "MQY":
        raise ValueError(
            f"{text!r}: months, quarters and years are calendar units, which are not supported; use d or w"
        )
    return int(found.group(1)) * _SHORTHAND_UNITS[found.group(2)]


def parse_openslo(documents: list[Node]) -> SLOSpec:
    """Read an OpenSLO file: one v1alpha SLO, or v1 documents whose SLOs may refer to SLIs and policies beside them."""
    if documents[0].get("apiVersion") == OPENSLO_V1ALPHA and len(documents) == 1:
        return parse_openslo_v1alpha(documents[0])
    return parse_openslo_v1(documents)


def parse_openslo_v1(documents: list[Node]) -> SLOSpec:
    """Read `openslo/v1` documents: every SLO, resolving indicatorRef, alertPolicyRef and conditionRef in the file."""
    reader = SpecReader()
    index: Index = {}
    for number, document in enumerate(documents):
        path = f"documents[{number}]" if len(documents) > 1 else ""
        if document.get("apiVersion") != OPENSLO_V1:
            reader.report(at(path, "apiVersion"), f"must be {OPENSLO_V1} like the rest of the file")
        metadata = document.get("metadata")
        name = str(metadata.get("name", "")) if isinstance(metadata, dict) else ""
        kind = str(document.get("kind", ""))
        if name and name in index.get(kind, {}):
            reader.report(at(path, "metadata.name"), f"another {kind} in this file is named {name!r}")
        index.setdefault(kind, {})[name] = (document, path)
    if not index.get("SLO"):
        reader.report("kind", f"the file holds no SLO, only {', '.join(sorted(index))}")
    slos: list[SLO] = []
    for document, path in index.get("SLO", {}).values():
        for slo in _v1_slos(reader, document, path, index):
            if slo.id in {s.id for s in slos}:
                reader.report(
                    at(path, "metadata.name"), f"another SLO of service {slo.service!r} is named {slo.name!r}"
                )
            slos.append(slo)
    reader.check("invalid OpenSLO SLO")
    first = next(iter(index["SLO"].values()))[0]
    return SLOSpec(tuple(slos), Source(OPENSLO_V1, "cli-gen-openslo"), name=str(first["metadata"]["name"]))


def _v1_slos(reader: SpecReader, document: Node, path: str, index: Index) -> list[SLO]:
    """Read one v1 SLO document: one SLO per objective, sharing the indicator, period and alert policies."""
    metadata = reader.mapping(document, "metadata", path)
    name = reader.text(metadata, "name", at(path, "metadata"))
    reader.report(at(path, "metadata.name"), name_problem(name))
    labels = _v1_labels(metadata)
    check_labels(reader, labels, at(path, "metadata.labels"))
    spec, spec_path = reader.mapping(document, "spec", path), at(path, "spec")
    service = reader.text(spec, "service", spec_path)
    reader.report(at(spec_path, "service"), name_problem(service))
    reader.report(at(spec_path, "budgetingMethod"), budgeting_problem(spec.get("budgetingMethod")))
    period = _v1_period(reader, spec, spec_path)
    sli = _v1_indicator(reader, spec, spec_path, index)
    alerting = Alerting.off(_v1_alert_policies(reader, spec, spec_path, index))
    objectives = reader.mappings(spec, "objectives", spec_path)
    slos = []
    for number, objective in enumerate(objectives):
        slo_name = name if len(objectives) == 1 else f"{name}-{number}"
        percent = _v1_objective(reader, objective, at(at(spec_path, "objectives"), number))
        description = reader.text(spec, "description", spec_path, required=False)
        slos.append(
            SLO(f"{service}-{slo_name}", service, slo_name, percent, sli, period, description, labels, alerting)
        )
    return slos


def _v1_labels(metadata: Node) -> dict[str, str]:
    """Take OpenSLO's labels as rule labels; a label with several values keeps them comma-separated."""
    labels = metadata.get("labels") or {}
    if not isinstance(labels, dict):
        return {}
    return {str(k): ",".join(map(str, v)) if isinstance(v, list) else str(v) for k, v in labels.items()}


def _v1_period(reader: SpecReader, spec: Node, path: str) -> timedelta:
    """Read the single rolling `timeWindow` of a v1 SLO."""
    windows = reader.mappings(spec, "timeWindow", path)
    if len(windows) != 1:
        if windows:
            reader.report(at(path, "timeWindow"), "must have exactly one time window")
        return timedelta(0)
    window, window_path = windows[0], at(at(path, "timeWindow"), 0)
    reader.report(window_path, rolling_problem(window))
    period = reader.duration(window, "duration", window_path, parse=parse_openslo_duration)
    if period is not None:
        reader.report(at(window_path, "duration"), period_problem(period))
    return period or timedelta(0)


def _v1_objective(reader: SpecReader, objective: Node, path: str) -> float:
    """Read an objective's `target` (a ratio) or `targetPercent` as a percentage."""
    if "indicator" in objective or "indicatorRef" in objective:
        reader.report(path, "objectives with their own indicator (composite SLOs) are not supported")
    if "targetPercent" in objective:
        percent = reader.number(objective, "targetPercent", path)
        reader.report(at(path, "targetPercent"), objective_problem(percent) if percent is not None else None)
        return percent or 0
    target = reader.number(objective, "target", path)
    reader.report(at(path, "target"), ratio_target_problem(target) if target is not None else None)
    return (target or 0) * 100


def _resolve(reader: SpecReader, node: Node, ref_key: str, kind: str, path: str, index: Index) -> tuple[Node, str]:
    """Return an inline object or the document a `...Ref` names, with its path; ({}, path) when neither is there."""
    if ref_key in node:
        ref = str(node[ref_key])
        if ref not in index.get(kind, {}):
            reader.report(at(path, ref_key), f"no {kind} named {ref!r} in this file")
            return {}, path
        return index[kind][ref]
    if node.get("kind", kind) != kind:
        reader.report(at(path, "kind"), f"must be {kind}")
    return node, path


def _v1_indicator(reader: SpecReader, spec: Node, path: str, index: Index) -> SLI:
    """Read the SLO's inline `indicator` or the SLI its `indicatorRef` names."""
    if "indicator" not in spec and "indicatorRef" not in spec:
        reader.report(path, "needs an indicator or an indicatorRef")
        return RawSLI("")
    node, node_path = (spec["indicator"], at(path, "indicator")) if "indicator" in spec else (spec, path)
    if not isinstance(node, dict):
        reader.report(node_path, "must be a mapping")
        return RawSLI("")
    sli, sli_path = _resolve(reader, node, "indicatorRef", "SLI", node_path, index)
    return _v1_sli(reader, reader.mapping(sli, "spec", sli_path), at(sli_path, "spec"), index) if sli else RawSLI("")


def _v1_sli(reader: SpecReader, spec: Node, path: str, index: Index) -> SLI:
    """Read a `ratioMetric` SLI: good or bad events over total ones, or a raw precomputed ratio."""
    if "thresholdMetric" in spec:
        reader.report(at(path, "thresholdMetric"), "threshold SLIs are not supported; use a ratioMetric")
        return RawSLI("")
    ratio, ratio_path = reader.mapping(spec, "ratioMetric", path), at(path, "ratioMetric")
    counter = reader.flag(ratio, "counter", ratio_path)
    if "raw" in ratio:
        query = _v1_query(reader, ratio, "raw", ratio_path, index, counter=False)
        raw_type = ratio.get("rawType")
        if raw_type not in ("success", "failure"):
            reader.report(at(ratio_path, "rawType"), f"must be success or failure, got {raw_type!r}")
        return RawSLI(query if raw_type == "failure" else f"1 - ({query})")
    if ratio and len([key for key in ("good", "bad") if key in ratio]) != 1:
        reader.report(ratio_path, "must have exactly one of good or bad, next to total")
    total = _v1_query(reader, ratio, "total", ratio_path, index, counter=counter) if ratio else ""
    if "bad" in ratio:
        return RatioSLI(total_query=total, error_query=_v1_query(reader, ratio, "bad", ratio_path, index, counter))
    good = _v1_query(reader, ratio, "good", ratio_path, index, counter) if "good" in ratio else ""
    return RatioSLI(total_query=total, good_query=good)


def _v1_query(reader: SpecReader, ratio: Node, key: str, path: str, index: Index, counter: bool) -> str:
    """Read a Prometheus metric source's query; a bare counter selector is turned into its rate over the window."""
    source_path = at(at(path, key), "metricSource")
    source = reader.mapping(reader.mapping(ratio, key, path), "metricSource", at(path, key))
    kind = str(source.get("type") or "")
    if not kind and "metricSourceRef" in source:
        data_source, _ = _resolve(reader, source, "metricSourceRef", "DataSource", source_path, index)
        kind = str((data_source.get("spec") or {}).get("type") or "")
    if source and kind.lower() != "prometheus":
        reader.report(at(source_path, "type"), f"only Prometheus metric sources are supported, got {kind or None!r}")
        return ""
    query = reader.text(reader.mapping(source, "spec", source_path), "query", at(source_path, "spec")) if source else ""
    if counter and query and not has_window_placeholder(query):
        try:
            return rate_query(str(parse_selector(query)))
        except ValueError:
            reader.report(at(source_path, "spec.query"), "a counter query must be a plain selector or use {{.window}}")
            return ""
    check_query(reader, query, at(source_path, "spec.query"))
    return query


def _v1_alert_policies(reader: SpecReader, spec: Node, path: str, index: Index) -> tuple[BurnRateCondition, ...]:
    """Read the SLO's alert policies (inline or by alertPolicyRef) as burn-rate conditions."""
    conditions: list[BurnRateCondition] = []
    for number, item in enumerate(reader.mappings(spec, "alertPolicies", path, required=False)):
        policy, policy_path = _resolve(
            reader, item, "alertPolicyRef", "AlertPolicy", at(at(path, "alertPolicies"), number), index
        )
        if not policy:
            continue
        alert = reader.text(reader.mapping(policy, "metadata", policy_path), "name", at(policy_path, "metadata"))
        policy_spec, spec_path = reader.mapping(policy, "spec", policy_path), at(policy_path, "spec")
        for position, entry in enumerate(reader.mappings(policy_spec, "conditions", spec_path)):
            entry_path = at(at(spec_path, "conditions"), position)
            condition, condition_path = _resolve(reader, entry, "conditionRef", "AlertCondition", entry_path, index)
            if condition:
                conditions.append(_v1_condition(reader, condition, condition_path, alert))
    return tuple(conditions)


def _v1_condition(reader: SpecReader, condition: Node, path: str, alert: str) -> BurnRateCondition:
    """Read an AlertCondition of kind burnrate."""
    spec, spec_path = reader.mapping(condition, "spec", path), at(path, "spec")
    rule, rule_path = reader.mapping(spec, "condition", spec_path), at(spec_path, "condition")
    kind = reader.text(rule, "kind", rule_path)
    if kind and kind.lower() != "burnrate":
        reader.report(at(rule_path, "kind"), f"only burnrate conditions are supported, got {kind!r}")
    op = reader.text(rule, "op", rule_path)
    if op and op not in CONDITION_OPS:
        reader.report(at(rule_path, "op"), f"must be one of {', '.join(CONDITION_OPS)}, got {op!r}")
    threshold = reader.number(rule, "threshold", rule_path)
    if threshold is not None and threshold <= 0:
        reader.report(at(rule_path, "threshold"), f"must be a burn rate above 0, got {threshold:g}")
    lookback = reader.duration(rule, "lookbackWindow", rule_path, parse=parse_openslo_duration)
    after = reader.duration(rule, "alertAfter", rule_path, required=False, parse=parse_openslo_duration)
    return BurnRateCondition(
        alert=alert,
        severity=reader.text(spec, "severity", spec_path),
        op=op,
        threshold=threshold or 0,
        lookback=lookback or timedelta(0),
        alert_after=after or timedelta(0),
        description=reader.text(spec, "description", spec_path, required=False),
    )


def to_openslo(spec: SLOSpec) -> list[dict[str, Any]]:
    """Write each SLO as an `openslo/v1` SLO with its SLI inline and its burn-rate conditions as AlertPolicies.

    Sloth's two-window page and ticket alerts have no OpenSLO form; they are regenerated from the defaults.
    """
    return [_openslo_slo(slo) for slo in spec.slos]


def _openslo_slo(slo: SLO) -> dict[str, Any]:
    """Write one SLO document."""
    metadata: dict[str, Any] = {"name": slo.name}
    if slo.labels:
        metadata["labels"] = dict(slo.labels)
    body: dict[str, Any] = {"description": slo.description} if slo.description else {}
    body |= {
        "service": slo.service,
        "indicator": {"metadata": {"name": slo.name}, "spec": _openslo_sli(slo.sli)},
        "timeWindow": [{"duration": _shorthand(slo.period), "isRolling": True}],
        "budgetingMethod": "Occurrences",
        "objectives": [{"targetPercent": slo.objective}],
    }
    policies = _openslo_policies(slo.alerting.conditions)
    if policies:
        body["alertPolicies"] = policies
    return {"apiVersion": OPENSLO_V1, "kind": "SLO", "metadata": metadata, "spec": body}


def _metric(query: str) -> dict[str, Any]:
    """Wrap a PromQL query as an OpenSLO metric source."""
    return {"metricSource": {"type": "Prometheus", "spec": {"query": query}}}


def _openslo_sli(sli: SLI) -> dict[str, Any]:
    """Write an SLI as a ratioMetric: good or bad over total, or a raw failure ratio."""
    if isinstance(sli, RawSLI):
        return {"ratioMetric": {"counter": False, "rawType": "failure", "raw": _metric(sli.error_ratio_query)}}
    good = good_events_queries(sli)
    if good and (isinstance(sli, LatencySLI) or not events_queries(sli)):
        return {"ratioMetric": {"counter": False, "good": _metric(good[0]), "total": _metric(good[1])}}
    bad, total = events_queries(sli) or ("", "")
    return {"ratioMetric": {"counter": False, "bad": _metric(bad), "total": _metric(total)}}


def _shorthand(period: timedelta) -> str:
    """Write a period in OpenSLO's single-unit shorthand: days, else hours, else minutes."""
    for unit, size in (("d", timedelta(days=1)), ("h", timedelta(hours=1))):
        if not period % size:
            return f"{period // size}{unit}"
    return f"{period // timedelta(minutes=1)}m"


def _openslo_policies(conditions: tuple[BurnRateCondition, ...]) -> list[dict[str, Any]]:
    """Group burn-rate conditions into one inline AlertPolicy per alert name."""
    policies: dict[str, list[dict[str, Any]]] = {}
    for condition in conditions:
        rule = {
            "kind": "burnrate",
            "op": condition.op,
            "threshold": condition.threshold,
            "lookbackWindow": _shorthand(condition.lookback),
        }
        if condition.alert_after:
            rule["alertAfter"] = _shorthand(condition.alert_after)
        spec: dict[str, Any] = {"severity": condition.severity, "condition": rule}
        if condition.description:
            spec = {"description": condition.description, **spec}
        entries = policies.setdefault(condition.alert, [])
        name = f"{condition.alert}-{len(entries)}"
        entries.append({"kind": "AlertCondition", "metadata": {"name": name}, "spec": spec})
    return [
        {"kind": "AlertPolicy", "metadata": {"name": alert}, "spec": {"conditions": entries}}
        for alert, entries in policies.items()
    ]
