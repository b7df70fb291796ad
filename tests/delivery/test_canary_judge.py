"""The judge on generated series with known outcomes, and its statistics against scipy and hand-worked numbers."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats  # type: ignore[import-untyped,unused-ignore]

from portal.delivery.canary import (
    HIGH,
    LOW,
    NODATA,
    NODATA_FAIL,
    PASS,
    JudgeSettings,
    MetricSpec,
    Values,
    judge,
    metric_classify,
    summary_score,
)
from portal.delivery.statistics import iqr_outliers, percentile, shift_test

LATENCY = MetricSpec("latency_p99", groups=("latency",), direction="increase")
ERRORS = MetricSpec("error_ratio", groups=("errors",), direction="increase", critical=True)
CPU = MetricSpec("cpu", groups=("saturation",), direction="increase")


def noisy(seed: int, level: float, n: int = 60, spread: float = 0.1) -> np.ndarray:
    """A latency-like series: log-normal noise around level."""
    return level * np.random.default_rng(seed).lognormal(0.0, spread, n)


def test_a_clear_latency_regression_fails_the_canary() -> None:
    series = {
        "latency_p99": (noisy(1, 0.120), noisy(2, 0.180)),
        "error_ratio": (noisy(3, 0.001), noisy(4, 0.001)),
        "cpu": (noisy(5, 0.4), noisy(6, 0.4)),
    }
    verdict = judge([LATENCY, ERRORS, CPU], series, JudgeSettings(group_weights={"latency": 40}))

    latency = next(m for m in verdict.metrics if m.name == "latency_p99")
    assert latency.classification == HIGH
    assert "canary higher than baseline" in latency.reason
    assert verdict.outcome == "fail"
    assert verdict.score == 60.0  # latency weighs 40 and fails; errors and saturation share 60 and pass
    assert any("latency_p99" in r for r in verdict.reasons)


@pytest.mark.parametrize("seed", range(20))
def test_noise_between_two_identical_builds_passes(seed: int) -> None:
    series = {
        "latency_p99": (noisy(seed, 0.120), noisy(seed + 1000, 0.120)),
        "error_ratio": (noisy(seed + 1, 0.001, spread=0.3), noisy(seed + 1001, 0.001, spread=0.3)),
        "cpu": (noisy(seed + 2, 0.4), noisy(seed + 1002, 0.4)),
    }
    verdict = judge([LATENCY, ERRORS, CPU], series)

    assert verdict.outcome == "pass", verdict.reasons


def test_missing_data_for_half_the_metrics_fails_the_canary() -> None:
    series: dict[str, tuple[Values, Values]] = {
        "latency_p99": ([], []),
        "error_ratio": (noisy(1, 0.001), noisy(2, 0.001)),
        "cpu": ([], []),
    }
    verdict = judge([LATENCY, ERRORS, CPU], series)

    assert [m.classification for m in verdict.metrics] == [NODATA, PASS, NODATA]
    assert verdict.score == 0.0
    assert verdict.outcome == "fail"
    assert "2 of 3 metrics have no data" in verdict.reasons[0]


def test_nan_only_series_count_as_missing_unless_nans_are_replaced_by_zero() -> None:
    nans = [float("nan")] * 10
    removed = metric_classify(LATENCY, nans, nans, JudgeSettings())
    replaced = metric_classify(MetricSpec("x", groups=("g",), nan_strategy="replace"), nans, nans, JudgeSettings())

    assert removed.classification == NODATA
    assert replaced.classification == PASS


def test_a_metric_that_must_have_data_fails_without_it() -> None:
    spec = MetricSpec("requests", groups=("traffic",), must_have_data=True)
    result = metric_classify(spec, noisy(1, 10.0), [], JudgeSettings())

    assert result.classification == NODATA_FAIL
    assert "must have data" in result.reason


def test_a_failing_critical_metric_fails_the_canary_whatever_the_score() -> None:
    many_latency = [MetricSpec(f"latency_{i}", groups=("latency",)) for i in range(9)]
    series = {m.name: (noisy(i, 0.1), noisy(i + 50, 0.1)) for i, m in enumerate(many_latency)}
    series["error_ratio"] = (noisy(1, 0.001), noisy(2, 0.004))
    verdict = judge([*many_latency, ERRORS], series, JudgeSettings(group_weights={"latency": 95, "errors": 5}))

    errors = next(m for m in verdict.metrics if m.name == "error_ratio")
    assert errors.classification == HIGH
    assert errors.critical
    assert verdict.score == 0.0
    assert verdict.outcome == "fail"
    assert verdict.reasons[0].startswith("Critical metric failed: error_ratio")


def test_direction_decides_which_change_fails() -> None:
    baseline, dropped = noisy(1, 100.0), noisy(2, 60.0)
    settings = JudgeSettings()

    assert (
        metric_classify(
            MetricSpec("rps", groups=("g",), direction="increase"), baseline, dropped, settings
        ).classification
        == PASS
    )
    assert (
        metric_classify(
            MetricSpec("rps", groups=("g",), direction="decrease"), baseline, dropped, settings
        ).classification
        == LOW
    )
    assert (
        metric_classify(
            MetricSpec("rps", groups=("g",), direction="either"), baseline, dropped, settings
        ).classification
        == LOW
    )
    passed = metric_classify(MetricSpec("rps", groups=("g",), direction="increase"), baseline, dropped, settings)
    assert "only an increase fails" in passed.reason


def test_an_allowed_increase_lets_a_small_significant_rise_pass() -> None:
    baseline, canary = noisy(1, 0.100, n=200, spread=0.02), noisy(2, 0.105, n=200, spread=0.02)
    strict = metric_classify(MetricSpec("p99", groups=("g",), direction="increase"), baseline, canary, JudgeSettings())
    lenient = MetricSpec("p99", groups=("g",), direction="increase", allowed_increase=1.10)

    assert strict.classification == HIGH
    assert metric_classify(lenient, baseline, canary, JudgeSettings()).classification == PASS


def test_one_failure_in_five_metrics_of_one_group_is_marginal() -> None:
    specs = [MetricSpec(f"m{i}", groups=("service",), direction="increase") for i in range(5)]
    series = {s.name: (noisy(i, 1.0), noisy(i + 10, 1.0)) for i, s in enumerate(specs)}
    series["m0"] = (noisy(0, 1.0), noisy(10, 1.5))
    verdict = judge(specs, series)

    assert verdict.score == 80.0
    assert verdict.outcome == "marginal"


def test_group_weights_follow_kayenta_unweighted_groups_share_the_rest_and_empty_groups_count_full() -> None:
    assert summary_score({"a": 50.0, "b": 100.0, "c": 0.0}, {"a": 50}) == 50.0  # 25 + 25 + 0
    assert summary_score({"a": None, "b": 0.0}, {}) == 50.0


def test_identical_data_passes_without_a_test() -> None:
    values = noisy(1, 0.1)
    result = metric_classify(LATENCY, values, values[::-1], JudgeSettings())

    assert result.classification == PASS
    assert "identical" in result.reason


def test_constant_but_different_samples_are_still_judged() -> None:
    result = metric_classify(ERRORS, [0.0] * 20, [0.05] * 20, JudgeSettings())

    assert result.classification == HIGH


def test_muted_metrics_are_reported_but_not_scored() -> None:
    muted = MetricSpec("cpu", groups=("saturation",), muted=True)
    verdict = judge(
        [LATENCY, muted], {"latency_p99": (noisy(1, 0.1), noisy(2, 0.1)), "cpu": (noisy(3, 1.0), noisy(4, 3.0))}
    )

    assert verdict.metrics[1].classification == HIGH
    assert verdict.outcome == "pass"


def test_p_values_match_scipy_asymptotic_mann_whitney() -> None:
    rng = np.random.default_rng(3)
    for _ in range(10):
        x, y = rng.normal(1.0, 1.0, 40), rng.normal(1.3, 1.2, 35)
        expected = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic").pvalue
        assert shift_test(x, y).p_value == pytest.approx(expected, rel=1e-12)


def test_a_hand_worked_example() -> None:
    # canary 4,5,6 against baseline 1,2,3: every canary value is higher, U = 9 of 9 pairs.
    # Pairwise differences 1,2,2,3,3,3,4,4,5: their median (Hodges-Lehmann) is 3.
    # Normal approximation: mean 4.5, sd sqrt(3*3*7/12) = 2.2913; z = (9 - 4.5 - 0.5) / 2.2913 = 1.7457;
    # two-sided p = 2 * (1 - Phi(1.7457)) = 0.0809.
    test = shift_test(np.array([4.0, 5.0, 6.0]), np.array([1.0, 2.0, 3.0]))

    assert test.u_statistic == 9.0
    assert test.estimate == pytest.approx(3.0, abs=1e-6)
    assert test.p_value == pytest.approx(0.0809, abs=1e-4)
    assert test.lower == pytest.approx(1.0)
    assert test.upper == pytest.approx(5.0)


def test_the_confidence_interval_excludes_zero_exactly_when_the_test_rejects() -> None:
    rng = np.random.default_rng(11)
    for shift in np.linspace(0.0, 0.8, 17):
        x, y = rng.normal(shift, 1.0, 50), rng.normal(0.0, 1.0, 50)
        test = shift_test(x, y, confidence=0.95)
        assert (test.lower > 0 or test.upper < 0) == (test.p_value < 0.05), (shift, test)


def test_the_interval_covers_a_known_shift() -> None:
    rng = np.random.default_rng(5)
    x, y = rng.normal(10.5, 1.0, 300), rng.normal(10.0, 1.0, 300)
    test = shift_test(x, y)

    assert test.lower < 0.5 < test.upper
    assert test.estimate == pytest.approx(0.5, abs=0.2)


def test_percentiles_and_outliers_follow_commons_math_and_kayentas_iqr_detector() -> None:
    data = np.arange(1.0, 11.0)  # 1..10
    assert percentile(data, 25) == pytest.approx(2.75)  # position 0.25 * 11 = 2.75
    assert percentile(data, 75) == pytest.approx(8.25)
    assert percentile(data, 1) == 1.0
    assert percentile(data, 99) == 10.0
    # Reduced sensitivity: the fences are never inside p1..p99, which for under ~100 points are min and max.
    assert not iqr_outliers(np.append(data, 100.0), 3.0).any()
    many = np.append(np.arange(1.0, 200.0), 10_000.0)
    assert list(np.nonzero(iqr_outliers(many, 3.0))[0]) == [199]


def test_outlier_removal_takes_a_spike_out_of_the_canary() -> None:
    baseline = noisy(1, 0.1, n=200, spread=0.05)
    canary = np.append(noisy(2, 0.1, n=199, spread=0.05), [20.0])
    kept = metric_classify(MetricSpec("p", groups=("g",), outliers="keep"), baseline, canary, JudgeSettings())
    removed = metric_classify(MetricSpec("p", groups=("g",), outliers="remove"), baseline, canary, JudgeSettings())

    assert (kept.canary["count"], removed.canary["count"]) == (200, 199)
    assert kept.ratio is not None
    assert kept.ratio > 1.5
    assert removed.ratio == pytest.approx(1.0, abs=0.02)
    assert removed.classification == PASS


def test_the_interval_falls_on_the_pairwise_differences_moses_method_picks() -> None:
    # Distribution-free: the interval runs from the k-th to the (nm - k)-th of the nm sorted differences x_i - y_j,
    # with k = nm/2 - z * sqrt(nm(n + m + 1)/12); its midpoint estimate is their median (Hodges-Lehmann).
    rng = np.random.default_rng(2)
    for _ in range(5):
        x, y = rng.normal(0.3, 1.0, 40), rng.normal(0.0, 1.0, 35)
        test = shift_test(x, y)
        differences = np.sort(np.subtract.outer(x, y).ravel())
        nm = len(differences)
        k = int(nm / 2 - stats.norm.ppf(0.975) * np.sqrt(nm * (len(x) + len(y) + 1) / 12))
        assert abs(int(np.searchsorted(differences, test.lower)) - k) <= 1
        assert abs(int(np.searchsorted(differences, test.upper)) - (nm - k)) <= 1
        median_at = int(np.searchsorted(differences, np.median(differences)))
        assert abs(int(np.searchsorted(differences, test.estimate)) - median_at) <= 2
