"""The rightsizing bench: the trace layout, the seeded synthetic trace, the replay, and our strategy's pinned lead."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from portal.finops.strategies import KrrSimple, Recommendation, Seasonal, Strategy, Vpa
from portal.finops.strategies.base import DAY, MIB, History
from portal.finops.strategies.replay import ReplaySettings, replay
from portal.finops.strategies.trace import Series, TraceError, read_trace, synthetic_trace, write_trace

ROOT = Path(__file__).resolve().parents[2]


class FixedLimit(Strategy[None]):
    """Always the same answer; records the histories it was shown."""

    name = "fixed"

    def __init__(self, cpu: float, memory: float) -> None:
        super().__init__(None)
        self.cpu, self.memory = cpu, memory
        self.seen: list[History] = []

    def run(self, history: History) -> Recommendation:
        self.seen.append(history)
        return Recommendation(cpu_request=self.cpu, memory_request=self.memory, memory_limit=self.memory)


def test_the_synthetic_trace_is_the_same_for_the_same_seed() -> None:
    first, again, other = synthetic_trace(days=3), synthetic_trace(days=3), synthetic_trace(days=3, seed=8)
    assert list(first) == ["api", "worker", "cache"]
    assert all(np.array_equal(first[name].memory_bytes, again[name].memory_bytes) for name in first)
    assert not np.array_equal(first["api"].cpu_cores, other["api"].cpu_cores)


def test_the_synthetic_trace_has_a_daily_cycle_and_a_slow_memory_climb() -> None:
    cache = synthetic_trace(days=14)["cache"]
    hours = (cache.timestamps % DAY) / 3600
    assert cache.cpu_cores[(hours >= 12) & (hours < 16)].mean() > 2 * cache.cpu_cores[hours < 4].mean()
    assert cache.memory_bytes[-288:].mean() > 1.1 * cache.memory_bytes[:288].mean()


def test_a_trace_survives_a_round_trip_through_csv() -> None:
    trace = synthetic_trace(days=1)
    again = read_trace(write_trace(trace))
    assert list(again) == sorted(trace)
    for name, series in trace.items():
        assert np.array_equal(again[name].timestamps, series.timestamps)
        assert np.allclose(again[name].cpu_cores, series.cpu_cores, atol=1e-5)
        assert np.allclose(again[name].memory_bytes, series.memory_bytes, atol=1)


def test_a_trace_takes_unix_seconds_and_rows_in_any_order() -> None:
    text = "timestamp,container,cpu_cores,memory_bytes\n600,api,0.2,100\n0,api,0.1,90\n1970-01-01T00:05:00,api,0.3,95\n"
    [api] = read_trace(text).values()
    assert api.timestamps.tolist() == [0.0, 300.0, 600.0]
    assert api.cpu_cores.tolist() == [0.1, 0.3, 0.2]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("timestamp,container,cpu\n", "line 1: missing column(s) cpu_cores, memory_bytes"),
        ("timestamp,container,cpu_cores,memory_bytes\n0,api,lots,1\n", "line 2, column cpu_cores: 'lots'"),
        ("timestamp,container,cpu_cores,memory_bytes\n0,api,0.1,-5\n", "line 2, column memory_bytes"),
    ],
)
def test_a_bad_trace_is_named_by_line_and_column(text: str, message: str) -> None:
    with pytest.raises(TraceError, match=re.escape(message)):
        read_trace(text)


def test_the_replay_hides_memory_above_the_applied_limit_and_records_the_kills() -> None:
    times = np.arange(0.0, 3 * DAY, 3600.0)
    memory = np.full(len(times), 100 * MIB)
    memory[60] = 300 * MIB  # one hour above the limit, after the one-day warm-up
    strategy = FixedLimit(cpu=0.5, memory=200 * MIB)
    outcome = replay(strategy, {"app": Series(times, np.full(len(times), 0.25), memory)}, ReplaySettings(6, 1))
    last = strategy.seen[-1]
    assert last.memory_bytes.max() == 200 * MIB
    assert [(kill.timestamp, kill.memory_limit) for kill in last.oom_kills] == [(times[60], 200 * MIB)]
    assert outcome.oom_risk == pytest.approx(1 / 48)
    assert outcome.memory_slack == pytest.approx(47 / 48 * 0.5)
    assert (outcome.cpu_slack, outcome.throttling, outcome.runs) == (0.5, 0.0, 8)


def test_our_strategy_beats_krr_and_vpa_on_the_deterministic_trace() -> None:
    """Lower memory and CPU slack than both references, at no more OOM risk and no more CPU above request."""
    trace = synthetic_trace()
    krr, vpa, ours = (replay(strategy, trace) for strategy in (KrrSimple(), Vpa(), Seasonal()))
    for reference in (krr, vpa):
        assert ours.memory_slack <= 0.97 * reference.memory_slack
        assert ours.cpu_slack <= 0.90 * reference.cpu_slack
        assert ours.oom_risk <= reference.oom_risk
        assert ours.throttling <= reference.throttling
        assert ours.undefined == reference.undefined == 0


def test_the_bench_prints_the_table_and_our_ratios() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "rightsizing.py"), "--days", "9", "--every", "12"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "| seasonal (ours) |" in result.stdout
    assert "| vs krr_simple |" in result.stdout
    assert "| vs vpa |" in result.stdout
