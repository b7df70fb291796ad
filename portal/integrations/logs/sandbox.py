"""The sandbox as a LogsSource: the simulated fleet's log lines, queried with the LogQL subset in logql.py.

Streams carry the labels service, namespace, pod, level and log_type. Log queries render the real lines of
the minutes they cover. Metric queries count per template and minute, exactly for pipelines that depend
only on a line's fixed text and labels; where a filter looks at a line's variable parts, the share of lines
that pass is estimated from a fixed sample of 40 lines of that template (said here, so nobody is surprised).
"""

from __future__ import annotations

import math
import re
import time
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from portal.integrations.errors import IntegrationError
from portal.integrations.logs.base import (
    LogEntry,
    LogsResult,
    LogsSource,
    LogStream,
    MetricSeries,
    PatternSeries,
    check_range,
)
from portal.integrations.logs.logql import (
    LogQLError,
    LogQuery,
    MetricQuery,
    parse_log_query,
    parse_metric_query,
)
from portal.integrations.logs.simulation import TEMPLATES, PodPlan, pod_plan, render_step, sample_lines
from portal.integrations.metrics.sandbox.fleet import Array, Fleet

MAX_SERIES = 500  # Loki's max_query_series default
MAX_LINES_READ = 300_000  # per log query; beyond it the answer is cut and marked truncated
ID_LIKE = re.compile(r"(?=.*\d)[A-Za-z0-9_.:/-]+")  # a trace id, a number: may hide in any line's variable part


@dataclass(frozen=True)
class Cell:
    """One template on one pod: its stream labels and lines per grid minute."""

    plan: PodPlan
    key: str
    labels: dict[str, str]

    @property
    def counts(self) -> NDArray[np.int32]:
        return self.plan.counts[self.key]


def _parse_log(logql: str) -> LogQuery:
    try:
        return parse_log_query(logql)
    except LogQLError as exc:
        raise IntegrationError(f"parse error: {exc}") from exc


def _parse_metric(logql: str) -> MetricQuery:
    try:
        return parse_metric_query(logql)
    except (LogQLError, ValueError) as exc:
        raise IntegrationError(f"parse error: {exc}") from exc


@lru_cache(maxsize=4096)
def _outcome(query: LogQuery, key: str, service: str, dependency: str, labels: tuple[tuple[str, str], ...]) -> tuple:
    """How the pipeline treats a template: ((output labels, share of lines, mean bytes), ...) over a sample."""
    lines = sample_lines(key, service, dependency)
    groups: dict[tuple[tuple[str, str], ...], list[int]] = {}
    for line in lines:
        out = query.process(dict(labels), line)
        if out is not None:
            groups.setdefault(tuple(sorted(out.items())), []).append(len(line.encode()))
    return tuple((group, len(sizes) / len(lines), sum(sizes) / len(sizes)) for group, sizes in groups.items())


class SandboxLogs(LogsSource):
    def __init__(self, fleet: Fleet) -> None:
        self.fleet = fleet

    def _cells(self, query: LogQuery, end: float) -> list[Cell]:
        horizon = self.fleet.epoch + math.ceil((max(end, self.fleet.epoch) - self.fleet.epoch) / 86400 + 1e-9) * 86400
        cells = []
        for profile in self.fleet.services:
            for index, pod in enumerate(self.fleet.pod_names(profile.name)):
                base = {"service": profile.name, "namespace": profile.namespace, "pod": pod}
                plan = pod_plan(self.fleet, profile.name, index, horizon)
                for key in plan.counts:
                    template = TEMPLATES[key]
                    labels = {**base, "level": template.level, "log_type": template.log_type}
                    if query.selects(labels):
                        cells.append(Cell(plan, key, labels))
        return cells

    def _could_pass(self, query: LogQuery, cell: Cell) -> bool:
        """Whether any line of the cell may pass: by a sample, unless a filter looks for a value (an id, a number)."""
        labels = tuple(sorted(cell.labels.items()))
        if _outcome(query, cell.key, cell.plan.service, cell.plan.dependency, labels):
            return True
        return any(s.op == "|=" and ID_LIKE.fullmatch(s.value) for s in query.line_filters())

    def _steps(self, start: float, end: float) -> range:
        """Grid indices whose minute [t, t + step) overlaps [start, end)."""
        first = max(math.floor((start - self.fleet.epoch) / self.fleet.step), 0)
        last = math.ceil((end - self.fleet.epoch) / self.fleet.step) - 1
        return range(first, last + 1)

    def _whole_steps(self, start: float, end: float) -> range:
        """Grid indices whose minute starts in [start, end) (counts, volumes: whole minutes, as an index would)."""
        first = max(math.ceil((start - self.fleet.epoch) / self.fleet.step), 0)
        last = math.ceil((end - self.fleet.epoch) / self.fleet.step) - 1
        return range(first, last + 1)

    def query_range(
        self, logql: str, *, start: float, end: float, limit: int = 1000, direction: str = "backward"
    ) -> LogsResult:
        check_range(start, end, limit, direction)
        query = _parse_log(logql)
        cells = [c for c in self._cells(query, end) if self._could_pass(query, c)]
        steps = list(self._steps(start, end))
        if direction == "backward":
            steps.reverse()
        found: list[tuple[dict[str, str], float, str]] = []
        truncated, read = False, 0
        for position, index in enumerate(steps):
            if read > MAX_LINES_READ:  # like Loki's query limits: say the answer is partial
                truncated = True
                break
            for cell in cells:
                if index >= len(cell.counts) or cell.counts[index] <= 0:
                    continue
                read += int(cell.counts[index])
                for ts, line in render_step(cell.plan, cell.key, index, self.fleet):
                    if start <= ts < end and (labels := query.process(cell.labels, line)) is not None:
                        found.append((labels, ts, line))
            if len(found) >= limit:
                truncated = len(found) > limit or position < len(steps) - 1
                break
        found.sort(key=lambda item: item[1], reverse=direction == "backward")
        return LogsResult(streams=_streams(found[:limit]), limit=limit, truncated=truncated)

    def _raw_series(self, query: MetricQuery, times: Array) -> dict[tuple[tuple[str, str], ...], Array]:
        """Per full label set, the range function's value at each evaluation time."""
        window = float(query.range_seconds)
        first, last = float(times[0]) - window, float(times[-1])
        out: dict[tuple[tuple[str, str], ...], Array] = {}
        for cell in self._cells(query.inner, last):
            labels = tuple(sorted(cell.labels.items()))
            outcome = _outcome(query.inner, cell.key, cell.plan.service, cell.plan.dependency, labels)
            if not outcome:
                continue
            counts = np.concatenate([[0.0], np.cumsum(cell.counts)])
            grid = cell.plan.times
            upper = np.searchsorted(grid, times, side="left")  # minutes starting in [t - range, t)
            lower = np.searchsorted(grid, times - window, side="left")
            in_window = counts[upper] - counts[lower]
            if grid[-1] < first or not np.any(in_window):
                continue
            for group, share, size in outcome:
                value = in_window * share * (size if query.function.startswith("bytes") else 1.0)
                if query.function in ("rate", "bytes_rate"):
                    value = value / window
                out[group] = out.get(group, np.zeros_like(times)) + value
        return out

    def metric_range(self, logql: str, *, start: float, end: float, step: float) -> list[MetricSeries]:
        if step <= 0 or end < start:
            raise IntegrationError("A range needs start <= end and a positive step.")
        if (end - start) / step > 11000:
            raise IntegrationError("exceeded maximum resolution of 11,000 points per series; use a larger step.")
        query = _parse_metric(logql)
        times = np.arange(start, end + step / 2, step, dtype=np.float64)
        raw = self._raw_series(query, times)
        series = _aggregate(query, raw)
        if len(series) > MAX_SERIES:
            raise IntegrationError(
                f"maximum of series ({MAX_SERIES}) reached for a single query; group by fewer labels."
            )
        return [
            MetricSeries(
                labels=dict(labels), points=[(float(t), _tidy(v)) for t, v in zip(times, values, strict=True) if v > 0]
            )
            for labels, values in sorted(series.items())
            if np.any(values > 0)
        ]

    def metric_instant(self, logql: str, *, at: float) -> list[MetricSeries]:
        return self.metric_range(logql, start=at, end=at, step=1.0)

    def label_values(self, label: str, *, start: float, end: float, selector: str = "") -> list[str]:
        check_range(start, end)
        query = _parse_log(selector) if selector else None
        values = set()
        steps = self._whole_steps(start, end)
        for cell in self._cells(query or _parse_log('{service=~".+"}'), end):
            if label in cell.labels and np.any(cell.counts[steps.start : steps.stop] > 0):
                values.add(cell.labels[label])
        return sorted(values)

    def volume(self, selector: str, *, start: float, end: float, by: tuple[str, ...]) -> list[MetricSeries]:
        check_range(start, end)
        query = _parse_log(selector)
        totals: dict[tuple[tuple[str, str], ...], float] = {}
        steps = self._whole_steps(start, end)
        for cell in self._cells(query, end):
            labels = tuple(sorted(cell.labels.items()))
            outcome = _outcome(query, cell.key, cell.plan.service, cell.plan.dependency, labels)
            lines = float(np.sum(cell.counts[steps.start : steps.stop]))
            if lines <= 0 or not outcome:
                continue
            key = tuple((name, cell.labels.get(name, "")) for name in by)
            totals[key] = totals.get(key, 0.0) + sum(lines * share * size for _, share, size in outcome)
        return [MetricSeries(labels=dict(k), points=[(end, round(v))]) for k, v in sorted(totals.items())]

    def patterns(self, selector: str, *, start: float, end: float, step: float) -> list[PatternSeries]:
        """The simulation's own templates (Loki mines its patterns; the sandbox knows them), counted per step."""
        check_range(start, end)
        query = _parse_log(selector)
        steps = self._whole_steps(start, end)
        found: dict[tuple[str, str], dict[float, int]] = {}
        for cell in self._cells(query, end):
            template = TEMPLATES[cell.key]
            samples = found.setdefault((template.text.replace("<*>", "<_>"), template.level), {})
            for index in steps:
                if index < len(cell.counts) and cell.counts[index] > 0:
                    bucket = start + math.floor((float(cell.plan.times[index]) - start) / step) * step
                    samples[bucket] = samples.get(bucket, 0) + int(cell.counts[index])
        return [
            PatternSeries(pattern=pattern, level=level, samples=sorted(samples.items()))
            for (pattern, level), samples in sorted(found.items())
            if samples
        ]


def _tidy(value: float) -> float:
    return float(round(value)) if abs(value - round(value)) < 1e-6 else float(value)


def _streams(found: list[tuple[dict[str, str], float, str]]) -> list[LogStream]:
    streams: dict[tuple[tuple[str, str], ...], list[LogEntry]] = {}
    for labels, ts, line in found:
        streams.setdefault(tuple(sorted(labels.items())), []).append(LogEntry(ts, line))
    return [LogStream(labels=dict(k), entries=v) for k, v in streams.items()]


def _aggregate(
    query: MetricQuery, raw: dict[tuple[tuple[str, str], ...], Array]
) -> dict[tuple[tuple[str, str], ...], Array]:
    if not query.aggregation:
        return raw
    groups: dict[tuple[tuple[str, str], ...], list[Array]] = {}
    for labels, values in raw.items():
        groups.setdefault(tuple(sorted(query.group_key(dict(labels)).items())), []).append(values)
    reduce = {
        "sum": lambda v: np.sum(v, axis=0),
        "count": lambda v: np.sum(np.asarray(v) > 0, axis=0).astype(np.float64),
        "max": lambda v: np.max(v, axis=0),
        "min": lambda v: np.min(v, axis=0),
        "avg": lambda v: np.mean(v, axis=0),
    }[query.aggregation]
    return {labels: np.asarray(reduce(np.vstack(values)), dtype=np.float64) for labels, values in groups.items()}


class CatalogSandboxLogs(LogsSource):
    """The sandbox over the catalog's fleet: the very fleet the metrics sandbox simulates (same scenarios)."""

    def __init__(self, data_dir: str = "") -> None:
        self.data_dir = data_dir

    def sandbox(self) -> SandboxLogs:
        from portal.integrations.backends import backend
        from portal.integrations.metrics.sandbox.catalog import CatalogSandbox

        metrics = backend("METRICS")
        source = metrics if isinstance(metrics, CatalogSandbox) else CatalogSandbox(self.data_dir)
        return SandboxLogs(source.fleet(now=time.time()))

    def query_range(
        self, logql: str, *, start: float, end: float, limit: int = 1000, direction: str = "backward"
    ) -> LogsResult:
        return self.sandbox().query_range(logql, start=start, end=end, limit=limit, direction=direction)

    def metric_range(self, logql: str, *, start: float, end: float, step: float) -> list[MetricSeries]:
        return self.sandbox().metric_range(logql, start=start, end=end, step=step)

    def metric_instant(self, logql: str, *, at: float) -> list[MetricSeries]:
        return self.sandbox().metric_instant(logql, at=at)

    def label_values(self, label: str, *, start: float, end: float, selector: str = "") -> list[str]:
        return self.sandbox().label_values(label, start=start, end=end, selector=selector)

    def volume(self, selector: str, *, start: float, end: float, by: tuple[str, ...]) -> list[MetricSeries]:
        return self.sandbox().volume(selector, start=start, end=end, by=by)

    def patterns(self, selector: str, *, start: float, end: float, step: float) -> list[PatternSeries]:
        return self.sandbox().patterns(selector, start=start, end=end, step=step)
