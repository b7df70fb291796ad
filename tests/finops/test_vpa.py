"""The VPA recommender reproduces the numbers of vpa_expected.json and its algorithm as stated there."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from portal.finops.strategies import History, OomKill, Vpa, VpaSettings
from portal.finops.strategies.base import DAY, MIB
from portal.finops.strategies.histogram import DecayingHistogram, ExponentialBuckets, LinearBuckets
from portal.finops.strategies.vpa import (
    aggregate,
    confidence,
    confidence_multiplier,
    memory_peaks,
    oom_memory_needed,
    resource_amount,
    scale_amount,
)

FIXTURE = json.loads(
    (Path(__file__).resolve().parents[2].parent / "shared/testdata/rightsizing/vpa_expected.json").read_text()
)
CASES = {case["name"]: case for case in FIXTURE["cases"]}
SETTINGS = VpaSettings()


def nine_cpu_samples_two_minutes_apart() -> History:
    return History.of("app", [(120.0 * i, 1.0, 0.0) for i in range(9)])


def test_confidence_is_samples_per_minute_of_a_day_when_that_is_shorter_than_the_history() -> None:
    state = aggregate(nine_cpu_samples_two_minutes_apart(), SETTINGS)
    assert confidence(state) == CASES["confidence multiplier, 9 samples 2 min apart"]["conf"]


def test_a_low_confidence_multiplies_the_estimate_as_upstream_computes_it() -> None:
    case = CASES["confidence multiplier, 9 samples 2 min apart"]
    factor = confidence_multiplier(0.1, 2.0, case["conf"])  # (1 + 0.1/conf)^2
    assert scale_amount(resource_amount(case["base_cpu_cores"] * 1000), factor) / 1000 == case["expected_cpu_cores"]
    assert scale_amount(resource_amount(3.14e9), factor) == case["expected_memory_bytes"]


def test_a_custom_confidence_interval_gives_half_a_unit_and_cpu_is_truncated_to_millicores() -> None:
    case = CASES["confidence multiplier, samples 18 min apart"]
    state = aggregate(nine_cpu_samples_two_minutes_apart(), SETTINGS)
    conf = confidence(state, interval_hours=18 / 60)  # nine samples against an 18-minute interval
    assert conf == case["conf"]
    factor = confidence_multiplier(0.1, 2.0, conf)
    assert scale_amount(resource_amount(3.14 * 1000), factor) / 1000 == case["expected_cpu_cores"]
    assert scale_amount(resource_amount(3.14e9), factor) == case["expected_memory_bytes"]


def test_no_history_means_an_infinite_upper_and_a_zero_lower_multiplier() -> None:
    assert confidence_multiplier(1.0, 1.0, 0.0) == float("inf")
    assert confidence_multiplier(0.001, -2.0, 0.0) == 0.0
    assert scale_amount(3140, float("inf")) == 1e14


def test_an_oom_kill_bumps_memory_by_20_percent() -> None:
    case = CASES["OOM bump ratio"]
    assert oom_memory_needed(case["oom_at_bytes"], SETTINGS) == case["expected_peak_bytes"]
    peaks = memory_peaks(np.array([]), np.array([]), [OomKill(0.0, case["oom_at_bytes"], 0.0)], SETTINGS)
    assert peaks == [(DAY, case["expected_peak_bytes"])]


def test_an_oom_kill_bumps_memory_by_at_least_100_mib() -> None:
    case = CASES["OOM bump floor"]
    assert oom_memory_needed(case["oom_at_bytes"], SETTINGS) == case["expected_peak_bytes"]
    assert case["expected_peak_bytes"] == case["oom_at_bytes"] + 100 * MIB


def test_an_oom_kill_bumps_the_peak_seen_when_it_beats_the_request() -> None:
    case = CASES["OOM after a 3000 MB sample"]
    times, memory = np.array([0.0]), np.array([float(case["sample_bytes"])])
    peaks = memory_peaks(times, memory, [OomKill(0.0, 1e9, 0.0)], SETTINGS)
    assert peaks == [(DAY, case["expected_peak_bytes"])]


def test_decaying_histogram_percentiles_return_bucket_ends() -> None:
    # Values 1..4 with weights 1..4, one half-life apart, in upstream's test histogram (unit buckets up to 10).
    histogram = DecayingHistogram(LinearBuckets(10.0, 1.0), half_life=3600.0)
    start = 1234567890.0
    for value in (1, 2, 3, 4):
        histogram.add(np.array([float(value)]), float(value), np.array([start + 3600.0 * (value - 1)]))
    expected = {0.0: 2, 0.02: 2, 0.03: 3, 0.10: 3, 0.11: 4, 0.34: 4, 0.35: 5, 1.0: 5}
    assert {p: histogram.percentile(p) for p in expected} == expected
    assert CASES["decaying histogram percentiles"]["expected"] == {"0-2%": 2, "3-10%": 3, "11-34%": 4, "35-100%": 5}


def test_an_empty_histogram_answers_zero_and_subtracting_never_goes_below_zero() -> None:
    histogram = DecayingHistogram(LinearBuckets(10.0, 1.0), half_life=3600.0)
    assert histogram.percentile(0.5) == 0.0
    histogram.add(np.array([2.0]), 1.0, np.array([0.0]))
    histogram.subtract(2.0, 5.0, 0.0)
    assert histogram.empty


def test_buckets_grow_five_percent_from_the_stated_first_bucket() -> None:
    cpu, memory = SETTINGS.cpu_buckets, SETTINGS.memory_buckets
    assert (cpu.first_size, memory.first_size, cpu.ratio) == (0.01, 1e7, 1.05)
    assert cpu.start(1) == pytest.approx(0.01)
    assert cpu.start(2) == pytest.approx(0.01 + 0.0105)
    assert cpu.start(cpu.count - 1) >= 1000.0 > cpu.start(cpu.count - 2)
    assert int(cpu.find(np.array([cpu.start(7) * 1.0001]))[0]) == 7


def test_the_target_is_p90_plus_15_percent_and_bounds_scale_with_confidence() -> None:
    days = 8
    history = History.of("app", [(60.0 * i, 1.0, 5e8) for i in range(days * 1440)])
    estimate = Vpa().estimate(history)
    assert estimate is not None
    cpu_end = _bucket_end(SETTINGS.cpu_buckets, 1.0)
    memory_end = _bucket_end(SETTINGS.memory_buckets, 5e8)
    assert estimate.target_cpu == _with_margin(cpu_end * 1000) / 1000
    assert estimate.target_memory == _with_margin(memory_end)
    conf = (days * 1440 - 1) / 1440  # the history is a minute short of eight days; samples / 1440 is eight
    assert estimate.upper_memory == scale_amount(_with_margin(memory_end), 1 + 1 / conf)
    assert estimate.lower_memory == scale_amount(_with_margin(memory_end), (1 + 0.001 / conf) ** -2)


def test_a_tiny_workload_gets_the_pod_minimum_split_across_its_containers() -> None:
    history = History.of("app", [(60.0 * i, 0.001, 1e6) for i in range(1440)])
    estimate = Vpa().estimate(history)
    assert estimate is not None
    assert (estimate.target_cpu, estimate.target_memory) == (0.025, 250 * MIB)
    two = Vpa(VpaSettings(containers_per_pod=2)).estimate(history)
    assert two is not None
    assert (two.target_cpu, two.target_memory) == (0.012, 125 * MIB)


def test_recent_usage_outweighs_old_usage() -> None:
    old_high = [(60.0 * i, 2.0, 1e9) for i in range(4 * 1440)]
    new_low = [(60.0 * i, 0.5, 5e8) for i in range(4 * 1440, 8 * 1440)]
    answer = Vpa().run(History.of("app", old_high + new_low))
    assert answer.cpu_request is not None
    assert answer.cpu_request < 0.5 * 1.15 * 1.06  # 4 days of decay make the old 2 cores under a tenth of the weight
    assert answer.memory_limit == answer.memory_request


def test_memory_keeps_one_peak_per_day_and_pod() -> None:
    times = np.array([0.0, 3600.0, DAY - 1, DAY, DAY + 60])
    memory = np.array([1.0, 5.0, 2.0, 3.0, 4.0])
    assert memory_peaks(times, memory, [], SETTINGS) == [(DAY, 5.0), (2 * DAY, 4.0)]


def test_no_samples_is_undefined_with_the_reason() -> None:
    answer = Vpa().run(History.of("app", []))
    assert answer.undefined_because == "undefined, because the history holds no sample"


def _bucket_end(buckets: ExponentialBuckets, value: float) -> float:
    return buckets.start(int(buckets.find(np.array([value]))[0]) + 1)


def _with_margin(value: float) -> int:
    base = resource_amount(value)
    return base + scale_amount(base, 0.15)
