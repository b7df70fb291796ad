"""Usage traces for the rightsizing bench: the CSV layout, and a seeded synthetic trace shaped like the sandbox's.

Layout: a header `timestamp,container,cpu_cores,memory_bytes`, then one row per container and sample. `timestamp` is
ISO 8601 (`2026-01-05T00:05:00Z`; no zone means UTC) or Unix seconds; `cpu_cores` is average cores over the step;
`memory_bytes` the working set. Rows may come in any order; each container should be sampled at a regular step.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np
import numpy.typing as npt

from portal.finops.strategies.base import DAY, HOUR, MIB, FloatArray

COLUMNS = ("timestamp", "container", "cpu_cores", "memory_bytes")
SYNTHETIC_START = datetime(2026, 1, 5, tzinfo=UTC)  # a Monday


@dataclass(frozen=True, eq=False)
class Series:
    """One container's demand, oldest first."""

    timestamps: FloatArray
    cpu_cores: FloatArray
    memory_bytes: FloatArray


Trace = dict[str, Series]


class TraceError(ValueError):
    """A trace file that cannot be read, naming the line and column."""


def read_trace(text: str) -> Trace:
    """Read a trace CSV into one series per container."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    missing = [name for name in COLUMNS if name not in (reader.fieldnames or [])]
    if missing:
        raise TraceError(f"line 1: missing column(s) {', '.join(missing)}; expected {','.join(COLUMNS)}")
    rows: dict[str, list[tuple[float, float, float]]] = defaultdict(list)
    for row in reader:
        rows[row["container"]].append(_sample(row, reader.line_num))
    trace = {}
    for container, samples in sorted(rows.items()):
        values = np.array(sorted(samples), dtype=np.float64)
        trace[container] = Series(values[:, 0].copy(), values[:, 1].copy(), values[:, 2].copy())
    return trace


def write_trace(trace: Trace) -> str:
    """Write a trace in the CSV layout, timestamps in ISO 8601 UTC."""
    out = io.StringIO()
    out.write(",".join(COLUMNS) + "\n")
    for container, series in trace.items():
        for moment, cpu, memory in zip(series.timestamps, series.cpu_cores, series.memory_bytes, strict=True):
            stamp = datetime.fromtimestamp(moment, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
            out.write(f"{stamp},{container},{cpu:.5f},{memory:.0f}\n")
    return out.getvalue()


def _sample(row: dict[str, str], line: int) -> tuple[float, float, float]:
    values = []
    for column in ("timestamp", "cpu_cores", "memory_bytes"):
        raw = (row.get(column) or "").strip()
        try:
            values.append(_moment(raw) if column == "timestamp" else float(raw))
        except ValueError:
            raise TraceError(f"line {line}, column {column}: {raw!r} is not a number or date-time") from None
        if not np.isfinite(values[-1]) or values[-1] < 0:
            raise TraceError(f"line {line}, column {column}: {raw!r} must be a finite number >= 0")
    return values[0], values[1], values[2]


def _moment(raw: str) -> float:
    try:
        return float(raw)
    except ValueError:
        moment = datetime.fromisoformat(raw)
        return (moment if moment.tzinfo else moment.replace(tzinfo=UTC)).timestamp()


def synthetic_trace(*, days: int = 28, step_minutes: float = 5.0, seed: int = 7) -> Trace:
    """Return three sandbox-like containers: a web API, a queue worker and a cache.

    Daily business-hours seasonality with quieter weekends, short CPU and memory spikes, memory that leaks until the
    next deploy or restart, a nightly batch, and a cache whose data set grows steadily. Same seed, same trace.
    """
    rng = np.random.default_rng(seed)
    times = SYNTHETIC_START.timestamp() + np.arange(0.0, days * DAY, step_minutes * 60.0)
    return {name: make(times, rng) for name, make in (("api", _api), ("worker", _worker), ("cache", _cache))}


def _api(times: FloatArray, rng: np.random.Generator) -> Series:
    hours, weekend, day = _calendar(times)
    busy = _business_hours(hours) * np.where(weekend, 0.55, 1.0) * (1.0 + 0.004 * day)
    cpu = (0.06 + 0.5 * busy) * rng.lognormal(0.0, 0.12, len(times)) * _spikes(rng, times, 3.0, (1.6, 2.8))
    deploys = _deploys(rng, times, every_days=(2.0, 6.0))
    leak = 9 * MIB * (times - deploys) / DAY
    memory = (380 * MIB + 70 * MIB * busy + leak) * rng.normal(1.0, 0.01, len(times))
    return Series(times, cpu, memory * _spikes(rng, times, 1.0, (1.08, 1.25)))


def _worker(times: FloatArray, rng: np.random.Generator) -> Series:
    hours, _, _ = _calendar(times)
    hourly_job = (hours % 1.0) < 10 / 60
    batch = (hours >= 1.0) & (hours < 2.5)
    cpu = 0.03 + 0.35 * hourly_job * rng.lognormal(0.0, 0.2, len(times)) + 1.1 * batch
    cpu = cpu * rng.lognormal(0.0, 0.1, len(times)) * _spikes(rng, times, 2.0, (1.5, 2.5))
    restarts = (
        SYNTHETIC_START.timestamp() + np.floor((times - SYNTHETIC_START.timestamp() - 4 * HOUR) / (7 * DAY)) * 7 * DAY
    )
    leak = 15 * MIB * (times - np.maximum(restarts + 4 * HOUR, times[0])) / DAY
    memory = (520 * MIB + 350 * MIB * batch * (hours - 1.0) / 1.5 + leak) * rng.normal(1.0, 0.01, len(times))
    return Series(times, cpu, memory * _spikes(rng, times, 0.5, (1.05, 1.2)))


def _cache(times: FloatArray, rng: np.random.Generator) -> Series:
    hours, weekend, _ = _calendar(times)
    busy = _business_hours(hours) * np.where(weekend, 0.6, 1.0)
    cpu = (0.04 + 0.12 * busy) * rng.lognormal(0.0, 0.15, len(times)) * _spikes(rng, times, 2.0, (1.5, 2.0))
    memory = (900 * MIB * (1.0 + 0.012 * (times - times[0]) / DAY) + 20 * MIB * busy) * rng.normal(
        1.0, 0.005, len(times)
    )
    return Series(times, cpu, memory)


def _calendar(times: FloatArray) -> tuple[FloatArray, npt.NDArray[np.bool_], FloatArray]:
    since = times - SYNTHETIC_START.timestamp()
    day = np.floor(since / DAY)
    return (since % DAY) / HOUR, (day % 7) >= 5, day


def _business_hours(hours: FloatArray) -> FloatArray:
    """Return 0..1 load peaking at 14:00 UTC and bottoming out at 02:00."""
    return (0.5 * (1.0 + np.cos(2 * np.pi * (hours - 14.0) / 24.0))) ** 2


def _spikes(rng: np.random.Generator, times: FloatArray, per_day: float, size: tuple[float, float]) -> FloatArray:
    """Return multipliers: 1, except for short bursts (one to four samples) at random times."""
    factor = np.ones(len(times))
    step = times[1] - times[0]
    count = rng.poisson(per_day * (times[-1] - times[0] + step) / DAY)
    for start, length, height in zip(
        rng.integers(0, len(times), count), rng.integers(1, 5, count), rng.uniform(*size, count), strict=True
    ):
        factor[start : start + length] = height
    return factor


def _deploys(rng: np.random.Generator, times: FloatArray, *, every_days: tuple[float, float]) -> FloatArray:
    """Return, for each sample, when the running version was deployed (the first deploy is at the start)."""
    moments = [times[0]]
    while moments[-1] < times[-1]:
        moments.append(moments[-1] + rng.uniform(*every_days) * DAY)
    deploys = np.array(moments)
    return deploys[np.searchsorted(deploys, times, side="right") - 1]
