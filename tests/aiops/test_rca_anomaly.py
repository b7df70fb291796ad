"""Judging one node's metric during an incident against its normal samples."""

from __future__ import annotations

import math

import numpy as np
import pytest

from portal.aiops.rca import AnomalySettings, MetricSpec, NodeAnomaly, Window, Worse, node_anomaly, score_nodes
from portal.aiops.rca.anomaly import normal_scale, probability_of, strongest

STEP = 300.0
# Six five-minute samples; the symptom starts at the third, so two come before it and four during it.
WINDOW = Window.of([STEP * index for index in range(6)], start=2 * STEP)


def reference(level: float = 0.1, spread: float = 0.005, n: int = 300, seed: int = 1) -> np.ndarray:
    return np.random.default_rng(seed).normal(level, spread, n)


def judged(
    samples: list[float],
    normal: np.ndarray | list[float],
    worse: Worse = Worse.HIGHER,
    settings: AnomalySettings | None = None,
) -> NodeAnomaly:
    return node_anomaly(
        node="api", metric="latency", window=WINDOW, samples=samples, reference=normal, worse=worse, settings=settings
    )


PERCENT = AnomalySettings(relative_floor=0.0, absolute_floor=0.1)


def test_the_window_counts_a_sample_whose_period_reaches_past_the_start() -> None:
    window = Window.of([0.0, 300.0, 600.0, 900.0], start=550.0)
    assert window.step == 300.0
    assert window.during.tolist() == [False, True, True, True]


def test_a_clear_rise_scores_high_with_its_onset_and_worst_sample() -> None:
    anomaly = judged([0.1, 0.1, 0.1, 0.2, 0.3, 0.2], reference())
    assert anomaly.score > 30
    assert anomaly.probability > 0.95
    assert anomaly.onset == 3 * STEP
    assert anomaly.worst == pytest.approx(0.3)
    assert anomaly.has_data


def test_normal_samples_score_low() -> None:
    anomaly = judged([0.1, 0.101, 0.099, 0.1, 0.102, 0.098], reference())
    assert anomaly.score < 1
    assert anomaly.onset is None


def test_a_drop_counts_only_when_lower_is_worse() -> None:
    availability = reference(level=99.9, spread=0.05)
    dropped = [99.9, 99.9, 95.0, 96.0, 99.9, 99.9]
    assert judged(dropped, availability, Worse.LOWER, PERCENT).probability > 0.95
    assert judged(dropped, availability, Worse.HIGHER, PERCENT).score == 0


def test_a_level_that_was_already_as_bad_before_the_incident_is_not_a_symptom() -> None:
    anomaly = judged([0.3, 0.3, 0.3, 0.31, 0.3, 0.29], reference())
    assert anomaly.baseline == pytest.approx(0.3)
    assert anomaly.probability < 0.2


def test_a_spike_no_bigger_than_the_normal_bad_tail_scores_low() -> None:
    normal = reference()
    normal[::25] = 0.5  # a spike in every twenty-fifth normal sample
    spiky = judged([0.1, 0.1, 0.45, 0.1, 0.1, 0.1], normal)
    plain = judged([0.1, 0.1, 0.45, 0.1, 0.1, 0.1], reference())
    assert spiky.probability < 0.5 < plain.probability


def test_a_constant_normal_level_is_floored_rather_than_divided_by_zero() -> None:
    centre, scale = normal_scale(np.full(100, 100.0), Worse.LOWER, AnomalySettings(absolute_floor=0.1))
    assert (centre, scale) == (100.0, 1.0)  # the default 1% relative floor beats the absolute one
    anomaly = judged([100, 100, 99, 100, 100, 100], [100.0] * 100, Worse.LOWER, PERCENT)
    assert math.isfinite(anomaly.score)
    assert anomaly.score == pytest.approx(10.0)


def test_nan_samples_are_skipped_in_both_the_incident_and_the_reference() -> None:
    normal = reference()
    normal[::5] = np.nan
    anomaly = judged([np.nan, 0.1, np.nan, 0.3, np.nan, 0.25], normal)
    assert anomaly.worst == pytest.approx(0.3)
    assert anomaly.onset == 3 * STEP


def test_a_node_with_no_incident_samples_is_unknown() -> None:
    anomaly = judged([0.1, 0.1, np.nan, np.nan, np.nan, np.nan], reference())
    assert not anomaly.has_data
    assert anomaly.probability == 0
    assert anomaly.note == "no samples during the incident"


def test_a_short_reference_is_topped_up_with_the_samples_before_the_incident() -> None:
    window = Window.of([STEP * index for index in range(14)], start=10 * STEP)
    samples = [0.1 + 0.001 * (index % 3) for index in range(10)] + [0.3, 0.3, 0.3, 0.3]
    anomaly = node_anomaly(
        node="api", metric="latency", window=window, samples=samples, reference=[0.1] * 3, worse=Worse.HIGHER
    )
    assert anomaly.has_data
    assert anomaly.probability > 0.9


def test_a_node_with_too_few_normal_samples_is_unknown_and_says_why() -> None:
    anomaly = judged([0.1, 0.1, 0.3, 0.3, 0.3, 0.3], [0.1, 0.1, 0.1])
    assert not anomaly.has_data
    assert anomaly.note == "only 5 normal samples to compare with"


def test_probability_is_a_half_at_the_half_probability_score() -> None:
    assert probability_of(5.0, 5.0) == 0.5
    assert probability_of(0.0, 5.0) == 0.0
    assert probability_of(50.0, 5.0) > 0.99


def test_score_nodes_judges_every_node_with_samples() -> None:
    metric = MetricSpec("latency", Worse.HIGHER)
    samples = {"api": [0.1, 0.1, 0.3, 0.3, 0.3, 0.3], "db": [0.1] * 6}
    found = score_nodes(metric=metric, window=WINDOW, samples=samples, reference={"api": reference()})
    assert found["api"].probability > 0.9
    assert not found["db"].has_data


def test_strongest_keeps_each_nodes_most_probable_judgement() -> None:
    slow = NodeAnomaly("api", "latency", 3.0, 0.3, baseline=0.1)
    failing = NodeAnomaly("api", "availability", 9.0, 0.8, baseline=100.0)
    unknown = NodeAnomaly("db", "latency", 0.0, 0.0)
    assert strongest([slow, failing, unknown]) == {"api": failing, "db": unknown}
