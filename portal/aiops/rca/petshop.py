"""Read the PetShop root-cause dataset layout: `<scenario>/{graph.csv, noissue/, <split>/issue_<n>/}`."""

from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from portal.aiops.rca.anomaly import FloatArray
from portal.aiops.rca.graph import CallGraph

SPLITS = ("train", "test")


@dataclass(frozen=True)
class MetricTable:
    """Samples keyed by (node, metric, statistic), all on one time axis."""

    timestamps: FloatArray
    columns: dict[tuple[str, str, str], FloatArray]

    def series(self, metric: str, statistic: str) -> dict[str, FloatArray]:
        """Every node's samples of one metric and statistic."""
        return {
            node: values for (node, name, stat), values in self.columns.items() if (name, stat) == (metric, statistic)
        }


@dataclass(frozen=True)
class Issue:
    """One injected issue: the symptom to explain, the metrics around it and the known root cause."""

    scenario: str
    split: str
    name: str
    target: str
    metric: str
    statistic: str
    start: float
    root_cause: str
    metrics: MetricTable


@dataclass(frozen=True)
class Scenario:
    """A scenario's call graph, its normal-period metrics (when shipped) and its issues."""

    name: str
    graph: CallGraph
    normal: MetricTable | None
    issues: tuple[Issue, ...]

    @property
    def family(self) -> str:
        """The scenario name without a trailing number, as the published figures group them."""
        return re.sub(r"\d+$", "", self.name)


def read_metrics(path: Path) -> MetricTable:
    """Read a metrics CSV whose three header rows name node, metric and statistic."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    keys = list(zip(rows[0][1:], rows[1][1:], rows[2][1:], strict=True))
    body = [row for row in rows[3:] if row and _is_number(row[0])]
    values = np.array([[float(cell) if cell else np.nan for cell in row[1:]] for row in body], dtype=np.float64)
    values = values.reshape(len(body), len(keys))
    timestamps = np.array([float(row[0]) for row in body], dtype=np.float64)
    return MetricTable(timestamps, {key: values[:, index] for index, key in enumerate(keys)})


def read_graph(path: Path) -> CallGraph:
    """Read an adjacency CSV whose row node calls each column node marked non-zero."""
    with path.open(newline="") as handle:
        rows = list(csv.reader(handle))
    callees = rows[0][1:]
    edges = [(row[0], callee) for row in rows[1:] for callee, cell in zip(callees, row[1:], strict=True) if float(cell)]
    return CallGraph.from_edges(edges, nodes=[row[0] for row in rows[1:]] + callees)


def read_issue(folder: Path, scenario: str, split: str) -> Issue:
    """Read one issue folder's metrics and target."""
    spec = json.loads((folder / "target.json").read_text())
    target = spec["target"]
    return Issue(
        scenario=scenario,
        split=split,
        name=folder.name,
        target=target["node"],
        metric=target["metric"],
        statistic=target["agg"],
        start=float(target["timestamp"]),
        root_cause=spec["root_cause"]["node"],
        metrics=read_metrics(folder / "metrics.csv"),
    )


def read_scenario(folder: Path) -> Scenario:
    """Read a scenario folder; its normal period is absent when `noissue/metrics.csv` is."""
    normal_path = folder / "noissue" / "metrics.csv"
    issues = [
        read_issue(issue, folder.name, split)
        for split in SPLITS
        if (folder / split).is_dir()
        for issue in sorted((folder / split).iterdir(), key=_natural)
        if (issue / "target.json").is_file()
    ]
    normal = read_metrics(normal_path) if normal_path.is_file() else None
    return Scenario(folder.name, read_graph(folder / "graph.csv"), normal, tuple(issues))


def read_dataset(root: Path) -> list[Scenario]:
    """Read `root` as one scenario if it holds `graph.csv`, else every scenario folder under it in name order."""
    if (root / "graph.csv").is_file():
        return [read_scenario(root)]
    return [read_scenario(folder) for folder in sorted(root.iterdir()) if (folder / "graph.csv").is_file()]


def pre_incident_reference(scenario: Scenario) -> MetricTable:
    """Pool every issue's samples taken before its symptom started, for scenarios shipped without a normal period."""
    keys = {key for issue in scenario.issues for key in issue.metrics.columns}
    befores = [(issue.metrics, issue.metrics.timestamps < issue.start) for issue in scenario.issues]
    timestamps = np.concatenate([metrics.timestamps[before] for metrics, before in befores] or [np.array([])])
    columns = {
        key: np.concatenate([_column(metrics, key)[before] for metrics, before in befores] or [np.array([])])
        for key in keys
    }
    return MetricTable(timestamps, columns)


def normal_reference(scenario: Scenario) -> MetricTable:
    """The scenario's normal period, or its issues' pre-incident samples when it has none."""
    return scenario.normal if scenario.normal is not None else pre_incident_reference(scenario)


def _column(metrics: MetricTable, key: tuple[str, str, str]) -> FloatArray:
    return metrics.columns.get(key, np.full(len(metrics.timestamps), np.nan))


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _natural(path: Path) -> tuple[str, int]:
    match = re.search(r"(\d+)$", path.name)
    return (path.name.rstrip("0123456789"), int(match.group(1)) if match else -1)
