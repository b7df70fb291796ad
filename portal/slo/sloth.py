"""Sloth's specs: `prometheus/v1` files and `sloth.slok.dev/v1` PrometheusServiceLevel objects, read and written."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from portal.slo.errors import SpecError
from portal.slo.model import DEFAULT_PERIOD, SLI, SLO, Alerting, AlertMeta, RatioSLI, RawSLI, SLOSpec, Source
from portal.slo.reader import Node, SpecReader, at
from portal.slo.sli import events_queries, raw_error_ratio_query
from portal.slo.validation import check_labels, check_query, name_problem, objective_problem

SLOTH_VERSION = "prometheus/v1"
SLOTH_K8S_VERSION = "sloth.slok.dev/v1"
SLOTH_K8S_KIND = "PrometheusServiceLevel"


def is_sloth(document: Node) -> bool:
    """Say whether a YAML document is one of Sloth's SLO specs."""
    return document.get("version") == SLOTH_VERSION or (
        document.get("apiVersion") == SLOTH_K8S_VERSION and document.get("kind") == SLOTH_K8S_KIND
    )


def parse_sloth(document: Node, *, period: timedelta = DEFAULT_PERIOD) -> SLOSpec:
    """Read a Sloth spec; as in Sloth, the SLO period is not in the spec and comes from the caller."""
    reader = SpecReader()
    k8s = document.get("apiVersion") == SLOTH_K8S_VERSION
    root, path = (reader.mapping(document, "spec", ""), "spec") if k8s else (document, "")
    key = _camel if k8s else str
    service = reader.text(root, "service", path)
    reader.report(at(path, "service"), name_problem(service))
    labels = reader.labels(root, "labels", path)
    check_labels(reader, labels, at(path, "labels"))
    slos: list[SLO] = []
    for index, node in enumerate(reader.sequence(root, "slos", path)):
        slo_path = at(at(path, "slos"), index)
        if not isinstance(node, dict):
            reader.report(slo_path, "must be a mapping")
            continue
        slo = _slo(reader, node, slo_path, service=service, labels=labels, period=period, key=key)
        if slo.id in {s.id for s in slos}:
            reader.report(at(slo_path, "name"), f"another SLO of this service is already named {slo.name!r}")
        slos.append(slo)
    metadata = reader.mapping(document, "metadata", "", required=k8s)
    spec = SLOSpec(
        slos=tuple(slos),
        source=Source(SLOTH_K8S_VERSION, "cli-gen-k8s") if k8s else Source(SLOTH_VERSION, "cli-gen-prom"),
        name=reader.text(metadata, "name", "metadata", required=k8s) or service,
        namespace=reader.text(metadata, "namespace", "metadata", required=False),
        labels=reader.labels(metadata, "labels", "metadata"),
        annotations=reader.labels(metadata, "annotations", "metadata"),
    )
    reader.check("invalid Sloth SLO spec")
    return spec


def _camel(name: str) -> str:
    """Turn Sloth's snake_case file keys into the camelCase of its Kubernetes objects."""
    head, *rest = name.split("_")
    return head + "".join(part.capitalize() for part in rest)


def _slo(
    reader: SpecReader,
    node: Node,
    path: str,
    *,
    service: str,
    labels: dict[str, str],
    period: timedelta,
    key: Callable[[str], str],
) -> SLO:
    """Read one entry of `slos`."""
    name = reader.text(node, "name", path)
    reader.report(at(path, "name"), name_problem(name))
    objective = reader.number(node, "objective", path)
    if objective is not None:
        reader.report(at(path, "objective"), objective_problem(objective))
    own_labels = reader.labels(node, "labels", path)
    check_labels(reader, own_labels, at(path, "labels"))
    return SLO(
        id=f"{service}-{name}",
        service=service,
        name=name,
        objective=objective or 0,
        sli=_sli(reader, reader.mapping(node, "sli", path), at(path, "sli"), key),
        period=period,
        description=reader.text(node, "description", path, required=False),
        labels={**labels, **own_labels},
        alerting=_alerting(reader, reader.mapping(node, "alerting", path, required=False), at(path, "alerting"), key),
    )


def _sli(reader: SpecReader, node: Node, path: str, key: Callable[[str], str]) -> SLI:
    """Read an SLI: `events` (error and total queries) or `raw` (an error-ratio query)."""
    if "plugin" in node:
        reader.report(at(path, "plugin"), "Sloth SLI plugins are not supported; write the events or raw queries out")
    kinds = [kind for kind in ("events", "raw") if kind in node]
    if len(kinds) != 1 and node:
        reader.report(path, "must have exactly one of events or raw")
    if "events" in kinds:
        events, events_path = reader.mapping(node, "events", path), at(path, "events")
        error = reader.text(events, key("error_query"), events_path)
        total = reader.text(events, key("total_query"), events_path)
        check_query(reader, error, at(events_path, key("error_query")))
        check_query(reader, total, at(events_path, key("total_query")))
        if error and error == total:
            reader.report(at(events_path, key("error_query")), "must differ from the total query")
        return RatioSLI(total_query=total, error_query=error)
    if "raw" in kinds:
        raw, raw_path = reader.mapping(node, "raw", path), at(path, "raw")
        query = reader.text(raw, key("error_ratio_query"), raw_path)
        check_query(reader, query, at(raw_path, key("error_ratio_query")))
        return RawSLI(query)
    return RawSLI("")


def _alerting(reader: SpecReader, node: Node, path: str, key: Callable[[str], str]) -> Alerting:
    """Read `alerting`: a name, shared labels and annotations, and the page and ticket alerts."""
    labels, annotations = reader.labels(node, "labels", path), reader.labels(node, "annotations", path)
    check_labels(reader, labels, at(path, "labels"))
    check_labels(reader, annotations, at(path, "annotations"))
    page = _alert(reader, reader.mapping(node, key("page_alert"), path, required=False), at(path, key("page_alert")))
    ticket = _alert(
        reader, reader.mapping(node, key("ticket_alert"), path, required=False), at(path, key("ticket_alert"))
    )
    name = reader.text(node, "name", path, required=False)
    if not name and (page.enabled or ticket.enabled):
        reader.report(at(path, "name"), "is required unless both the page and ticket alerts are disabled")
    return Alerting(name=name, labels=labels, annotations=annotations, page=page, ticket=ticket)


def _alert(reader: SpecReader, node: Node, path: str) -> AlertMeta:
    """Read `page_alert` or `ticket_alert`."""
    labels, annotations = reader.labels(node, "labels", path), reader.labels(node, "annotations", path)
    check_labels(reader, labels, at(path, "labels"))
    check_labels(reader, annotations, at(path, "annotations"))
    return AlertMeta(enabled=not reader.flag(node, "disable", path), labels=labels, annotations=annotations)


def to_sloth(spec: SLOSpec) -> dict[str, Any]:
    """Write SLOs of one service as a Sloth `prometheus/v1` spec (Sloth takes the period from its command line)."""
    services = sorted({slo.service for slo in spec.slos})
    if len(services) != 1:
        raise SpecError("a Sloth spec holds the SLOs of one service", fields={"service": [f"found {services}"]})
    return {
        "version": SLOTH_VERSION,
        "service": services[0],
        "slos": [_sloth_slo(slo, i) for i, slo in enumerate(spec.slos)],
    }


def _sloth_slo(slo: SLO, index: int) -> dict[str, Any]:
    """Write one SLO as an entry of `slos`."""
    if slo.alerting.conditions:
        path = f"slos[{index}].alerting"
        raise SpecError("Sloth cannot express this SLO", fields={path: ["single-window burn-rate conditions"]})
    out: dict[str, Any] = {"name": slo.name, "objective": slo.objective}
    if slo.description:
        out["description"] = slo.description
    if slo.labels:
        out["labels"] = dict(slo.labels)
    out["sli"] = _sloth_sli(slo.sli)
    out["alerting"] = _sloth_alerting(slo.alerting)
    return out


def _sloth_sli(sli: SLI) -> dict[str, Any]:
    """Write an SLI as Sloth's `events` or `raw`."""
    events = events_queries(sli)
    if events:
        return {"events": {"error_query": events[0], "total_query": events[1]}}
    return {"raw": {"error_ratio_query": raw_error_ratio_query(sli)}}


def _sloth_alerting(alerting: Alerting) -> dict[str, Any]:
    """Write `alerting`, leaving out what is empty."""
    out: dict[str, Any] = {"name": alerting.name} if alerting.name else {}
    out.update({k: dict(v) for k, v in (("labels", alerting.labels), ("annotations", alerting.annotations)) if v})
    for key, alert in (("page_alert", alerting.page), ("ticket_alert", alerting.ticket)):
        entry: dict[str, Any] = {"disable": True} if not alert.enabled else {}
        entry.update({k: dict(v) for k, v in (("labels", alert.labels), ("annotations", alert.annotations)) if v})
        if entry:
            out[key] = entry
    return out
