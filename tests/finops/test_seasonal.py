"""Our strategy: CPU that follows the clock, memory from level, shape, growth and spikes, OOM-aware headroom."""

from __future__ import annotations

import numpy as np
import pytest

from portal.finops.strategies import History, KrrSimple, OomKill, Seasonal, SeasonalSettings
from portal.finops.strategies.base import DAY, HOUR, MIB
from portal.finops.strategies.seasonal import DailyShape

STEP = 300.0
MONDAY = 1767571200.0  # 2026-01-05T00:00:00Z


def history(days: float, cpu, memory, *, end_hour: float = 0.0, kills: tuple[OomKill, ...] = ()) -> History:
    """Samples every five minutes for `days` days ending at `end_hour` o'clock; cpu and memory are f(t)."""
    end = MONDAY + 14 * DAY + end_hour * HOUR
    times = np.arange(end - days * DAY + STEP, end + 1, STEP)
    return History("app", times, cpu(times), memory(times), oom_kills=kills)


def business_hours(times: np.ndarray) -> np.ndarray:
    hours = (times % DAY) / HOUR
    return np.where((hours >= 8) & (hours < 20), 1.0, 0.1)


def flat(level: float):
    return lambda times: np.full(len(times), level)


def test_under_a_day_of_history_is_undefined_with_the_reason() -> None:
    answer = Seasonal().run(history(0.5, flat(0.1), flat(100 * MIB)))
    assert not answer.defined
    assert answer.undefined_because == "undefined, because the history covers 11.9 h and 24 h are needed"


@pytest.mark.parametrize(("end_hour", "expected"), [(21.0, 0.1), (8.0, 1.0)])
def test_the_cpu_request_follows_the_hours_it_will_be_in_force(end_hour: float, expected: float) -> None:
    answer = Seasonal().run(history(7, business_hours, flat(300 * MIB), end_hour=end_hour))
    assert answer.cpu_request == pytest.approx(expected)


def test_a_whole_day_horizon_sees_every_hour() -> None:
    answer = Seasonal(SeasonalSettings(horizon_hours=24)).run(history(7, business_hours, flat(300 * MIB), end_hour=21))
    assert answer.cpu_request == pytest.approx(1.0)


def test_memory_follows_a_restart_within_a_day_where_a_two_week_peak_does_not() -> None:
    restarted = MONDAY + 12 * DAY

    def leak_then_restart(times: np.ndarray) -> np.ndarray:
        return np.where(times < restarted, 800 * MIB, 300 * MIB)

    before_and_after = history(7, flat(0.1), leak_then_restart)
    ours = Seasonal().run(before_and_after).memory_limit
    assert ours is not None
    assert ours < 350 * MIB
    assert KrrSimple().run(before_and_after).memory_limit == 920 * MIB


def test_memory_that_climbs_is_carried_to_the_end_of_the_horizon() -> None:
    climb = 50 * MIB / DAY
    answer = Seasonal().run(history(7, flat(0.1), lambda times: 500 * MIB + climb * (times - times[0])))
    level_now = 500 * MIB + climb * 7 * DAY
    assert answer.memory_limit is not None
    assert answer.memory_limit > level_now + climb * 6 * HOUR


def test_the_largest_spike_is_covered_at_the_usual_peak() -> None:
    def with_one_spike(times: np.ndarray) -> np.ndarray:
        memory = np.full(len(times), 400 * MIB)
        memory[len(times) // 2] = 600 * MIB  # +50%, once, at night
        return memory

    shape = DailyShape.of(*_series(history(7, flat(0.1), with_one_spike)))
    assert shape.spike_ratio == pytest.approx(1.5)
    answer = Seasonal().run(history(7, flat(0.1), with_one_spike))
    assert answer.memory_limit is not None
    assert answer.memory_limit >= 600 * MIB


def test_a_nightly_batch_is_part_of_the_usual_day_not_a_spike() -> None:
    def nightly_batch(times: np.ndarray) -> np.ndarray:
        hours = (times % DAY) / HOUR
        return np.where((hours >= 1) & (hours < 2.5), 900 * MIB, 500 * MIB)

    shape = DailyShape.of(*_series(history(7, flat(0.1), nightly_batch)))
    assert shape.peak == pytest.approx(1.8)
    assert shape.spike_ratio == pytest.approx(1.0)


def test_after_an_oom_kill_the_limit_is_at_least_the_killed_limit_bumped() -> None:
    kill = OomKill(MONDAY + 13 * DAY, memory_request=400 * MIB, memory_limit=400 * MIB)
    answer = Seasonal().run(history(7, flat(0.1), flat(390 * MIB), kills=(kill,)))
    assert answer.memory_limit == pytest.approx(500 * MIB)  # max(400 MiB + 100 MiB, 400 MiB * 1.2)


def test_an_old_oom_kill_no_longer_counts() -> None:
    kill = OomKill(MONDAY + 5 * DAY, memory_request=400 * MIB, memory_limit=400 * MIB)
    answer = Seasonal().run(history(10, flat(0.1), flat(200 * MIB), kills=(kill,)))
    assert answer.memory_limit is not None
    assert answer.memory_limit < 250 * MIB


def test_the_limit_fits_the_pod_that_needs_most() -> None:
    single = history(3, flat(0.2), flat(300 * MIB))
    times = np.repeat(single.timestamps, 2)
    memory = np.tile([300 * MIB, 600 * MIB], len(single.timestamps))
    pods = ("a", "b") * len(single.timestamps)
    answer = Seasonal().run(History("app", times, np.full(len(times), 0.2), memory, pods))
    assert answer.memory_limit is not None
    assert 600 * MIB <= answer.memory_limit < 650 * MIB


def test_settings_are_checked() -> None:
    with pytest.raises(ValueError, match="horizon_hours"):
        SeasonalSettings(horizon_hours=48)
    with pytest.raises(ValueError, match="cpu_percentile"):
        SeasonalSettings(cpu_percentile=0)


def _series(item: History) -> tuple[np.ndarray, np.ndarray, float]:
    return item.timestamps, item.memory_bytes, item.end
