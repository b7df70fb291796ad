"""OpenSLO `openslo/v1alpha` SLOs, read as Sloth reads them: each objective a good/total ratio, alerts off."""

from __future__ import annotations

from datetime import timedelta

from portal.slo.model import SLO, Alerting, RatioSLI, SLOSpec, Source
from portal.slo.reader import Node, SpecReader, at
from portal.slo.validation import (
    budgeting_problem,
    check_query,
    name_problem,
    period_problem,
    ratio_target_problem,
    rolling_problem,
)

OPENSLO_V1ALPHA = "openslo/v1alpha"
_V1ALPHA_UNITS = {"Second": timedelta(seconds=1), "Minute": timedelta(minutes=1), "Hour": timedelta(hours=1)}
_V1ALPHA_UNITS |= {"Day": timedelta(days=1), "Week": timedelta(weeks=1)}


def parse_openslo_v1alpha(document: Node) -> SLOSpec:
    """Read an `openslo/v1alpha` SLO as Sloth does: each objective a good/total ratio SLO, alerts off."""
    reader = SpecReader()
    if document.get("kind") != "SLO":
        reader.report("kind", "must be SLO")
    name = reader.text(reader.mapping(document, "metadata", ""), "name", "metadata")
    reader.report("metadata.name", name_problem(name))
    spec = reader.mapping(document, "spec", "")
    service = reader.text(spec, "service", "spec")
    reader.report("spec.service", name_problem(service))
    reader.report("spec.budgetingMethod", budgeting_problem(spec.get("budgetingMethod")))
    period = _v1alpha_period(reader, spec)
    slos = []
    for index, objective in enumerate(reader.mappings(spec, "objectives", "spec")):
        path = f"spec.objectives[{index}]"
        ratio = reader.mapping(objective, "ratioMetrics", path)
        good = _v1alpha_query(reader, ratio, "good", at(path, "ratioMetrics"))
        total = _v1alpha_query(reader, ratio, "total", at(path, "ratioMetrics"))
        target = reader.number(objective, "target", path)
        reader.report(at(path, "target"), ratio_target_problem(target) if target is not None else None)
        slos.append(
            SLO(
                id=f"{service}-{name}-{index}",
                service=service,
                name=f"{name}-{index}",
                objective=(target or 0) * 100,
                sli=RatioSLI(total_query=total, good_query=good),
                period=period,
                description=reader.text(spec, "description", "spec", required=False),
                alerting=Alerting.off(),
            )
        )
    reader.check("invalid OpenSLO v1alpha SLO")
    return SLOSpec(tuple(slos), Source(OPENSLO_V1ALPHA, "cli-gen-openslo"), name=name)


def _v1alpha_period(reader: SpecReader, spec: Node) -> timedelta:
    """Read the single rolling `timeWindows` entry of a v1alpha SLO."""
    windows = reader.mappings(spec, "timeWindows", "spec")
    if len(windows) != 1:
        if windows:
            reader.report("spec.timeWindows", "must have exactly one time window")
        return timedelta(0)
    window, path = windows[0], "spec.timeWindows[0]"
    reader.report(path, rolling_problem(window))
    count = reader.number(window, "count", path)
    unit = reader.text(window, "unit", path)
    if unit and unit not in _V1ALPHA_UNITS:
        reader.report(at(path, "unit"), f"must be one of {', '.join(_V1ALPHA_UNITS)}, got {unit!r}")
    if count is not None and (count <= 0 or count != int(count)):
        reader.report(at(path, "count"), f"must be a whole number above 0, got {count:g}")
    if count is None or unit not in _V1ALPHA_UNITS:
        return timedelta(0)
    period = int(count) * _V1ALPHA_UNITS[unit]
    reader.report(path, period_problem(period))
    return period


def _v1alpha_query(reader: SpecReader, ratio: Node, key: str, path: str) -> str:
    """Read the `good` or `total` PromQL query of v1alpha ratio metrics."""
    node, path = reader.mapping(ratio, key, path), at(path, key)
    if node and node.get("source") not in ("prometheus", "sloth"):
        reader.report(at(path, "source"), f"must be prometheus or sloth, got {node.get('source')!r}")
    if node and node.get("queryType") != "promql":
        reader.report(at(path, "queryType"), f"must be promql, got {node.get('queryType')!r}")
    query = reader.text(node, "query", path) if node else ""
    check_query(reader, query, at(path, "query"))
    return query
