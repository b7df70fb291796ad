"""Pyrra's `ServiceLevelObjective` (pyrra.dev/v1alpha1), read into the SLO model and written back."""

from __future__ import annotations

from typing import Any

from portal.slo.errors import SpecError
from portal.slo.model import (
    DEFAULT_PERIOD,
    SLI,
    SLO,
    Alerting,
    AlertMeta,
    LatencySLI,
    RatioSLI,
    RawSLI,
    SLOSpec,
    Source,
)
from portal.slo.promql import Selector, format_duration, go_float_fixed, parse_selector
from portal.slo.reader import Node, SpecReader, at
from portal.slo.sli import rate_query, selector_of_rate
from portal.slo.validation import check_labels, label_name_problem, name_problem, objective_problem, period_problem

PYRRA_VERSION = "pyrra.dev/v1alpha1"
PYRRA_KIND = "ServiceLevelObjective"
LABEL_PREFIX = "pyrra.dev/"
DEFAULT_ALERT = "ErrorBudgetBurn"


def is_pyrra(document: Node) -> bool:
    """Say whether a YAML document is a Pyrra ServiceLevelObjective."""
    return document.get("apiVersion") == PYRRA_VERSION and document.get("kind") == PYRRA_KIND


def parse_pyrra(documents: list[Node]) -> SLOSpec:
    """Read Pyrra objects; the service is the object's namespace (else its name), as Pyrra has no service field."""
    reader = SpecReader()
    slos: list[SLO] = []
    for number, document in enumerate(documents):
        path = f"documents[{number}]" if len(documents) > 1 else ""
        if not is_pyrra(document):
            reader.report(at(path, "kind"), f"must be a {PYRRA_KIND} of {PYRRA_VERSION} like the rest of the file")
            continue
        slo = _slo(reader, document, path)
        if slo.id in {s.id for s in slos}:
            reader.report(at(path, "metadata.name"), f"another objective is named {slo.name!r}")
        slos.append(slo)
    reader.check("invalid Pyrra ServiceLevelObjective")
    metadata = documents[0]["metadata"]
    return SLOSpec(
        slos=tuple(slos),
        source=Source(PYRRA_VERSION, "cli-gen-pyrra"),
        name=str(metadata["name"]),
        namespace=str(metadata.get("namespace") or ""),
        labels={str(k): str(v) for k, v in (metadata.get("labels") or {}).items()},
    )


def _slo(reader: SpecReader, document: Node, path: str) -> SLO:
    """Read one ServiceLevelObjective; `pyrra.dev/` labels become rule labels without the prefix, as in Pyrra."""
    metadata, metadata_path = reader.mapping(document, "metadata", path), at(path, "metadata")
    name = reader.text(metadata, "name", metadata_path)
    reader.report(at(metadata_path, "name"), name_problem(name))
    object_labels = reader.labels(metadata, "labels", metadata_path)
    labels = {k.removeprefix(LABEL_PREFIX): v for k, v in object_labels.items() if k.startswith(LABEL_PREFIX)}
    check_labels(reader, labels, at(metadata_path, "labels"))
    annotations = reader.labels(metadata, "annotations", metadata_path)
    spec, spec_path = reader.mapping(document, "spec", path), at(path, "spec")
    target = reader.number(spec, "target", spec_path)
    reader.report(at(spec_path, "target"), objective_problem(target) if target is not None else None)
    window = reader.duration(spec, "window", spec_path)
    reader.report(at(spec_path, "window"), period_problem(window) if window is not None else None)
    service = reader.text(metadata, "namespace", metadata_path, required=False) or name
    reader.report(at(metadata_path, "namespace"), name_problem(service) if service != name else None)
    description = reader.text(spec, "description", spec_path, required=False)
    return SLO(
        id=f"{service}-{name}",
        service=service,
        name=name,
        objective=target or 0,
        sli=_indicator(reader, reader.mapping(spec, "indicator", spec_path), at(spec_path, "indicator")),
        period=window or DEFAULT_PERIOD,
        description=description or annotations.get(f"{LABEL_PREFIX}description", ""),
        labels=labels,
        alerting=_alerting(
            reader, reader.mapping(spec, "alerting", spec_path, required=False), at(spec_path, "alerting")
        ),
    )


def _indicator(reader: SpecReader, node: Node, path: str) -> SLI:
    """Read a ratio (errors over total) or latency (histogram bucket over count) indicator."""
    kinds = [kind for kind in ("ratio", "latency", "latencyNative", "bool_gauge") if kind in node]
    for kind in ("latencyNative", "bool_gauge"):
        if kind in node:
            reader.report(at(path, kind), "is not supported; use a ratio or latency indicator")
    if node and len(kinds) != 1:
        reader.report(path, "must have exactly one of ratio or latency")
    if "ratio" in kinds:
        ratio, ratio_path = reader.mapping(node, "ratio", path), at(path, "ratio")
        grouping = _grouping(reader, ratio, ratio_path)
        errors = _selector(reader, ratio, "errors", ratio_path)
        total = _selector(reader, ratio, "total", ratio_path)
        return RatioSLI(total_query=rate_query(str(total), grouping), error_query=rate_query(str(errors), grouping))
    if "latency" in kinds:
        latency, latency_path = reader.mapping(node, "latency", path), at(path, "latency")
        grouping = _grouping(reader, latency, latency_path)
        return _latency(
            _selector(reader, latency, "success", latency_path),
            _selector(reader, latency, "total", latency_path),
            grouping,
        )
    return RawSLI("")


def _selector(reader: SpecReader, node: Node, key: str, path: str) -> Selector:
    """Read the `metric` selector of `errors`, `success` or `total`."""
    metric_path = at(at(path, key), "metric")
    text = reader.text(reader.mapping(node, key, path), "metric", at(path, key))
    try:
        return parse_selector(text) if text else Selector("")
    except ValueError as exc:
        reader.report(metric_path, str(exc))
        return Selector("")


def _grouping(reader: SpecReader, node: Node, path: str) -> tuple[str, ...]:
    """Read the label names an indicator is grouped by."""
    grouping = [str(label) for label in reader.sequence(node, "grouping", path, required=False)]
    for number, label in enumerate(grouping):
        reader.report(at(at(path, "grouping"), number), label_name_problem(label))
    return tuple(grouping)


def _latency(success: Selector, total: Selector, grouping: tuple[str, ...]) -> SLI:
    """Make a latency SLI when success is a bucket and total the same histogram's count, else a good/total ratio."""
    bound = [m for m in success.matchers if m.name == "le" and m.op == "="]
    histogram = success.metric.removesuffix("_bucket")
    same_series = set(total.matchers) == {m for m in success.matchers if m.name != "le"}
    if bound and histogram != success.metric and total.metric == f"{histogram}_count" and same_series:
        return LatencySLI(histogram, bound[0].value, total.matchers, grouping)
    return RatioSLI(total_query=rate_query(str(total), grouping), good_query=rate_query(str(success), grouping))


def _alerting(reader: SpecReader, node: Node, path: str) -> Alerting:
    """Read `alerting`: Pyrra's fast burn maps to the page alert and its slow burn to the ticket alert."""
    enabled = not reader.flag(node, "disabled", path) and reader.flag(node, "burnrates", path, default=True)
    severities = reader.mapping(node, "severities", path, required=False)
    page = reader.text(severities, "fastBurn", at(path, "severities"), required=False) or "critical"
    ticket = reader.text(severities, "slowBurn", at(path, "severities"), required=False) or "warning"
    return Alerting(
        name=reader.text(node, "name", path, required=False) or DEFAULT_ALERT,
        page=AlertMeta(enabled=enabled, labels={"severity": page}),
        ticket=AlertMeta(enabled=enabled, labels={"severity": ticket}),
    )


def to_pyrra(spec: SLOSpec) -> list[dict[str, Any]]:
    """Write each SLO as a Pyrra ServiceLevelObjective; raise SpecError for what Pyrra cannot express."""
    return [_pyrra_slo(slo, spec.namespace, number) for number, slo in enumerate(spec.slos)]


def _pyrra_slo(slo: SLO, namespace: str, number: int) -> dict[str, Any]:
    """Write one ServiceLevelObjective."""
    path = f"slos[{number}]"
    if slo.alerting.conditions:
        raise SpecError("Pyrra cannot express this SLO", fields={at(path, "alerting"): ["burn-rate conditions"]})
    metadata: dict[str, Any] = {"name": slo.name}
    if namespace:
        metadata["namespace"] = namespace
    if slo.labels:
        metadata["labels"] = {f"{LABEL_PREFIX}{k}": v for k, v in slo.labels.items()}
    spec: dict[str, Any] = {"description": slo.description} if slo.description else {}
    spec |= {
        "target": go_float_fixed(slo.objective),
        "window": format_duration(slo.period),
        "indicator": _pyrra_indicator(slo.sli, at(path, "sli")),
    }
    alerting = slo.alerting
    alerts: dict[str, Any] = {"name": alerting.name} if alerting.name and alerting.name != DEFAULT_ALERT else {}
    if not (alerting.page.enabled or alerting.ticket.enabled):
        alerts["disabled"] = True
    if alerts:
        spec["alerting"] = alerts
    return {"apiVersion": PYRRA_VERSION, "kind": PYRRA_KIND, "metadata": metadata, "spec": spec}


def _pyrra_indicator(sli: SLI, path: str) -> dict[str, Any]:
    """Write an SLI as Pyrra's ratio or latency indicator, which hold plain selectors."""
    if isinstance(sli, LatencySLI):
        latency = {"success": {"metric": sli.bucket()}, "total": {"metric": sli.count()}}
        return {"latency": latency | ({"grouping": list(sli.grouping)} if sli.grouping else {})}
    if isinstance(sli, RatioSLI):
        kind, part = ("ratio", "errors") if sli.error_query else ("latency", "success")
        first = selector_of_rate(sli.error_query or sli.good_query)
        total = selector_of_rate(sli.total_query)
        if first and total and first[1] == total[1]:
            body = {part: {"metric": str(first[0])}, "total": {"metric": str(total[0])}}
            return {kind: body | ({"grouping": list(total[1])} if total[1] else {})}
    reason = "Pyrra needs queries of the form sum(rate(<selector>[{{.window}}])), grouped alike"
    raise SpecError("Pyrra cannot express this SLO", fields={path: [reason]})
