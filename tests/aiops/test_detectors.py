"""The streaming ensemble: edge cases never crash nor flood, anomalies come with a reason, state resumes exactly."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from portal.aiops.detectors import Score, SeriesDetector, Settings
from portal.aiops.nab.corpus import load_labels, load_series

STEP = 300.0
DAY = 288
START = 1_400_000_000.0


def timestamps(n: int, start: float = START) -> list[float]:
    return [start + STEP * i for i in range(n)]


def noise(n: int, seed: int = 7, level: float = 50.0, sigma: float = 2.0) -> list[float]:
    return list(np.random.default_rng(seed).normal(level, sigma, n))


def daily(n: int, seed: int = 7) -> list[float]:
    phase = 2 * np.pi * np.arange(n) / DAY
    return list(100 + 40 * np.sin(phase) + np.random.default_rng(seed).normal(0, 2, n))


def run(values: list[float], times: list[float] | None = None, detector: SeriesDetector | None = None) -> list[Score]:
    detector = detector or SeriesDetector()
    return detector.score(zip(times or timestamps(len(values)), values, strict=True))


def alerts(scores: list[Score], at: float = 0.5) -> list[int]:
    return [i for i, score in enumerate(scores) if score.likelihood >= at]


def test_it_says_nothing_while_warming_up():
    values = [*noise(99), 1000.0]  # the default warm-up is 100 points
    assert all(score.likelihood == 0.0 for score in run(values))


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_it_stays_quiet_on_noise_and_quieter_as_it_learns(seed):
    found = alerts(run(noise(6000, seed=seed)))
    # New records in pure noise get rarer as history grows (about 1/n): a few early on, then almost none.
    assert len(found) <= 15
    assert len([i for i in found if i >= 2000]) <= len([i for i in found if i < 2000])


@pytest.mark.parametrize("seed", [3, 7, 11])
def test_it_stays_quiet_on_a_daily_pattern(seed):
    assert len(alerts(run(daily(DAY * 14, seed=seed)))) <= 10


def test_a_spike_is_found_with_its_direction_and_size():
    values = noise(2000)
    values[1500] = 90.0
    scores = run(values)
    assert 1500 in alerts(scores, at=0.9)
    reason = scores[1500].reason
    assert reason is not None
    assert reason.direction == "up"
    assert reason.robust_z > 10
    assert reason.expected == pytest.approx(50.0, abs=1.0)


def test_a_level_shift_down_alerts_once_not_on_every_point():
    values = noise(2000)
    values[1500:] = [v - 20.0 for v in values[1500:]]
    scores = run(values)
    found = [i for i in alerts(scores) if i >= 1500]
    assert found[0] in range(1500, 1510)
    assert len(found) <= 2
    assert scores[found[0]].reason is not None
    assert scores[found[0]].reason.direction == "down"


def test_a_slow_climb_like_a_memory_leak_is_found():
    values = noise(3000)
    values[2000:] = [v + 0.05 * i for i, v in enumerate(values[2000:])]  # +2.5 sigma a day
    found = [i for i in alerts(run(values)) if i >= 2000]
    assert found
    assert found[0] < 2000 + DAY


def test_a_broken_daily_pattern_is_found():
    values = daily(DAY * 10)
    day = DAY * 8
    values[day + 60 : day + 120] = [100.0] * 60  # the afternoon peak never comes
    found = alerts(run(values))
    assert any(day + 60 <= i < day + 120 for i in found)


def test_a_constant_series_is_quiet_until_it_moves():
    values = [42.0] * 1000 + [43.0] * 200
    scores = run(values)
    found = alerts(scores)
    assert found == [1000]
    assert scores[1000].reason is not None


def test_nan_and_inf_are_skipped_and_change_nothing():
    values = noise(1500)
    dirty = list(values)
    times = timestamps(1500)
    for i in (100, 700, 701, 1200):
        dirty[i] = [math.nan, math.inf, -math.inf, math.nan][i % 4]
    clean_scores = run(
        [v for i, v in enumerate(values) if i not in (100, 700, 701, 1200)],
        [t for i, t in enumerate(times) if i not in (100, 700, 701, 1200)],
    )
    dirty_scores = run(dirty, times)
    assert [s.skipped is not None for s in dirty_scores].count(True) == 4
    assert [s.likelihood for s in dirty_scores if s.skipped is None] == [s.likelihood for s in clean_scores]


def test_duplicate_and_out_of_order_timestamps_are_skipped():
    values = noise(1000)
    times = timestamps(1000)
    times[500] = times[499]  # duplicate
    times[800] = times[700]  # out of order
    scores = run(values, times)
    assert scores[500].skipped is not None
    assert scores[800].skipped is not None
    assert scores[501].skipped is None
    assert not [i for i in alerts(scores) if 500 <= i <= 510 or 800 <= i <= 810]


def test_huge_values_never_crash_and_keep_state_json_safe():
    values = noise(1000)
    values[600] = 1e308
    values[601] = -1e308
    values[602:700] = [1e300] * 98
    detector = SeriesDetector()
    scores = run(values, detector=detector)
    assert all(0.0 <= s.likelihood <= 1.0 for s in scores)
    assert all(s.reason is None or math.isfinite(s.reason.robust_z) for s in scores)
    assert len([i for i in alerts(scores) if 600 <= i < 800]) <= 2
    json.dumps(detector.to_state(), allow_nan=False)


def test_a_gap_in_time_does_not_flood():
    values = daily(DAY * 10)
    times = timestamps(DAY * 10)
    times[DAY * 6 :] = [t + 3 * 86400 for t in times[DAY * 6 :]]  # three days missing
    assert not [i for i in alerts(run(values, times)) if DAY * 6 <= i < DAY * 7]


def test_likelihood_is_in_0_1_and_a_reason_comes_with_every_alert():
    values = daily(DAY * 8)
    values[DAY * 6] = 400.0
    for score in run(values):
        assert 0.0 <= score.likelihood <= 1.0
        assert (score.likelihood > 0.0) == (score.reason is not None)


@pytest.mark.parametrize("cut", [10, 300, 2500, 4321])
def test_resuming_from_saved_state_gives_the_scores_of_an_uninterrupted_run(cut):
    values = daily(DAY * 18)
    values[DAY * 12 : DAY * 12 + 40] = [v + 60 for v in values[DAY * 12 : DAY * 12 + 40]]
    times = timestamps(len(values))
    whole = run(values, times)
    first = SeriesDetector(Settings(warmup=60))
    first_scores = run(values[:cut], times[:cut], detector=first)
    saved = json.loads(json.dumps(first.to_state(), allow_nan=False))
    resumed = SeriesDetector.from_state(saved)
    rest = run(values[cut:], times[cut:], detector=resumed)
    reference = run(values, times, detector=SeriesDetector(Settings(warmup=60)))
    assert [s.likelihood for s in first_scores + rest] == [s.likelihood for s in reference]
    assert [s.reason for s in first_scores + rest] == [s.reason for s in reference]
    assert any(s.likelihood > 0.5 for s in whole)


def test_state_stays_the_same_size_on_day_90_as_on_day_30():
    detector = SeriesDetector()
    run(noise(DAY * 30), detector=detector)
    size_30 = len(json.dumps(detector.to_state()))
    run(noise(DAY * 60, seed=8), timestamps(DAY * 60, START + DAY * 30 * STEP), detector=detector)
    assert len(json.dumps(detector.to_state())) <= size_30 * 1.1


def test_an_unknown_state_version_is_refused():
    state = SeriesDetector().to_state()
    state["version"] = 99
    with pytest.raises(ValueError, match="version"):
        SeriesDetector.from_state(state)


def test_resuming_mid_series_on_real_data_matches_an_uninterrupted_run():
    nab = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "nab"
    assert nab.is_dir(), f"NAB test data not found at {nab}: the tests read ../shared/testdata in place"
    name = "realKnownCause/machine_temperature_system_failure.csv"  # has an out-of-order timestamp
    series = load_series(nab / "data" / name, name, load_labels(nab / "labels" / "combined_windows.json")[name])
    points = list(zip(series.timestamps.tolist(), series.values.tolist(), strict=True))
    reference = [s.likelihood for s in SeriesDetector().score(points)]
    resumed, detector = [], SeriesDetector()
    for start in range(0, len(points), 5000):
        resumed += [s.likelihood for s in detector.score(points[start : start + 5000])]
        detector = SeriesDetector.from_state(json.loads(json.dumps(detector.to_state(), allow_nan=False)))
    assert resumed == reference
    assert any(s > 0.5 for s in reference)
