"""Chart geometry for server-rendered inline SVG: pure functions from numbers to paths, ticks and markers."""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

Points = Sequence[tuple[float, float]]
Formatter = Callable[[float], str]


@dataclass(frozen=True)
class Line:
    label: str
    css: str  # a class naming its colour: line-a, line-b, line-budget
    d: str  # the SVG path
    latest: str  # the last value, formatted


@dataclass(frozen=True)
class Tick:
    pos: float
    label: str
    anchor: str = "middle"  # text-anchor: the first and last time labels stay inside the chart


@dataclass(frozen=True)
class Marker:
    x: float
    kind: str  # deploy, rollback, anomaly
    label: str


@dataclass(frozen=True)
class Chart:
    title: str
    description: str
    width: int
    height: int
    left: int
    top: int
    right: int
    bottom: int
    lines: list[Line] = field(default_factory=list)
    x_ticks: list[Tick] = field(default_factory=list)
    y_ticks: list[Tick] = field(default_factory=list)
    markers: list[Marker] = field(default_factory=list)
    threshold: Tick | None = None
    empty: str = ""  # why there is nothing to draw

    @property
    def plot_width(self) -> int:
        return self.right - self.left

    @property
    def plot_height(self) -> int:
        return self.bottom - self.top


@dataclass(frozen=True)
class Series:
    label: str
    points: Points
    css: str = "line-a"


@dataclass(frozen=True)
class Box:
    """Maps data coordinates to pixels inside the plot area."""

    x0: float
    x1: float
    y0: float
    y1: float
    left: int
    top: int
    right: int
    bottom: int

    def x(self, value: float) -> float:
        span = (self.x1 - self.x0) or 1.0
        return round(self.left + (value - self.x0) / span * (self.right - self.left), 1)

    def y(self, value: float) -> float:
        span = (self.y1 - self.y0) or 1.0
        clamped = min(max(value, self.y0), self.y1)
        return round(self.bottom - (clamped - self.y0) / span * (self.bottom - self.top), 1)


def nice_step(span: float, count: int = 4) -> float:
    """A round tick step (1, 2, 2.5 or 5 times a power of ten) giving about `count` ticks over span."""
    if span <= 0 or not math.isfinite(span):
        return 1.0
    raw = span / count
    power = 10 ** math.floor(math.log10(raw))
    for factor in (1, 2, 2.5, 5, 10):
        if factor * power >= raw:
            return factor * power
    return 10 * power


def value_ticks(low: float, high: float, fmt: Formatter, count: int = 4) -> tuple[float, float, list[float]]:
    """Extend [low, high] to round bounds and return them with the tick values between."""
    if high <= low:
        high = low + (abs(low) or 1.0)
    step = nice_step(high - low, count)
    start, end = round(math.floor(low / step) * step, 12), round(math.ceil(high / step) * step, 12)
    ticks = [round(start + i * step, 12) for i in range(round((end - start) / step) + 1)]
    return start, end, ticks


def time_ticks(start: float, end: float, count: int = 5) -> list[tuple[float, str]]:
    """Evenly spaced times with labels: clock time within two days, dates beyond."""
    span = end - start
    fmt = "%H:%M" if span <= 2 * 86400 else "%d %b"
    return [
        (t, datetime.fromtimestamp(t, UTC).strftime(fmt))
        for t in (start + span * i / (count - 1) for i in range(count))
    ]


def path(points: Points, box: Box, gap: float) -> str:
    """An SVG path through the points; a jump in time longer than `gap` starts a new segment."""
    parts: list[str] = []
    previous: float | None = None
    for t, v in points:
        if not math.isfinite(v):
            previous = None
            continue
        command = "L" if previous is not None and t - previous <= gap else "M"
        parts.append(f"{command}{box.x(t)} {box.y(v)}")
        previous = t
    return " ".join(parts)


def _finite(series: Sequence[Series]) -> list[float]:
    return [v for s in series for _, v in s.points if math.isfinite(v)]


def _describe(title: str, series: Sequence[Series], fmt: Formatter, markers: Sequence[Marker]) -> str:
    parts = []
    for s in series:
        values = [v for _, v in s.points if math.isfinite(v)]
        if values:
            parts.append(f"{s.label} from {fmt(min(values))} to {fmt(max(values))}, latest {fmt(values[-1])}")
    kinds = sorted({m.kind for m in markers})
    counts = ", ".join(f"{sum(1 for m in markers if m.kind == k)} {k} marker(s)" for k in kinds)
    return f"{title}: " + "; ".join(parts) + (f"; {counts}" if counts else "") + "."


def _x_ticks(box: Box, start: float, end: float) -> list[Tick]:
    ticks = time_ticks(start, end)
    return [
        Tick(box.x(t), label, "start" if i == 0 else "end" if i == len(ticks) - 1 else "middle")
        for i, (t, label) in enumerate(ticks)
    ]


def time_chart(
    *,
    title: str,
    series: Sequence[Series],
    start: float,
    end: float,
    fmt: Formatter,
    markers: Sequence[tuple[float, str, str]] = (),
    y_floor: float | None = 0.0,
    y_ceiling: float | None = None,
    threshold: tuple[float, str] | None = None,
    width: int = 640,
    height: int = 200,
    empty: str = "No data for this period.",
) -> Chart:
    """A line chart over time with optional markers (deploys, anomalies) and a threshold line."""
    left, top, right, bottom = 56, 12, width - 12, height - 26
    values = _finite(series) + ([threshold[0]] if threshold else [])
    if not _finite(series):
        return Chart(title, f"{title}: {empty}", width, height, left, top, right, bottom, empty=empty)
    low = min(values) if y_floor is None else min(y_floor, *values)
    high = max(values) * 1.05 if max(values) > 0 else max(values)
    y0, y1, y_values = value_ticks(low, high if y_ceiling is None else max(y_ceiling, max(values)), fmt)
    box = Box(start, end, y0, y1, left, top, right, bottom)
    step = min((b[0] - a[0] for s in series for a, b in zip(s.points, s.points[1:], strict=False)), default=end - start)
    lines = [
        Line(s.label, s.css, path(s.points, box, gap=2.5 * step), fmt(_finite([s])[-1]) if _finite([s]) else "n/a")
        for s in series
    ]
    shown = [Marker(box.x(t), kind, label) for t, kind, label in markers if start <= t <= end]
    return Chart(
        title=title,
        description=_describe(title, series, fmt, shown),
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        lines=lines,
        x_ticks=_x_ticks(box, start, end),
        y_ticks=[Tick(box.y(v), fmt(v)) for v in y_values],
        markers=shown,
        threshold=Tick(box.y(threshold[0]), threshold[1]) if threshold else None,
    )


@dataclass(frozen=True)
class Sparkline:
    d: str
    width: int
    height: int
    label: str


def sparkline(values: Sequence[float], *, label: str, width: int = 120, height: int = 28) -> Sparkline | None:
    """A small trend line without axes; None when there are fewer than two values."""
    finite = [v for v in values if math.isfinite(v)]
    if len(finite) < 2:
        return None
    low = min(0.0, *finite)  # from zero, so a steady series looks steady
    high = max(finite)
    box = Box(0, len(finite) - 1, low, high if high > low else low + 1, 2, 2, width - 2, height - 2)
    d = " ".join(f"{'M' if i == 0 else 'L'}{box.x(i)} {box.y(v)}" for i, v in enumerate(finite))
    return Sparkline(d=d, width=width, height=height, label=label)


def trend_percent(current: float | None, previous: float | None) -> float | None:
    """Change from previous to current in percent; None when there is nothing to compare with."""
    if current is None or previous is None or previous == 0:
        return None
    return (current - previous) / abs(previous) * 100
