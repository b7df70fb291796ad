"""NAB's scoring rules, and the proof ours are NAB's: its published Windowed Gaussian outputs score as published."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from portal.aiops.nab.baselines import windowed_gaussian_scores
from portal.aiops.nab.benchmark import as_published
from portal.aiops.nab.corpus import LabelledSeries, load_corpus, load_results
from portal.aiops.nab.scoring import (
    CostMatrix,
    ScoredFile,
    load_profiles,
    probation_rows,
    scaled_sigmoid,
    score_corpus,
)

ROOT = Path(__file__).resolve().parents[2]
NAB = ROOT.parent / "shared" / "testdata" / "nab"
PUBLISHED_WG = {"standard": 29.06, "reward_low_FP": 14.79, "reward_low_FN": 35.80}
STANDARD = CostMatrix(tp_weight=1.0, fp_weight=0.11, fn_weight=1.0)


@pytest.fixture(scope="module")
def corpus() -> list[LabelledSeries]:
    assert NAB.is_dir(), f"NAB test data not found at {NAB}: the tests read ../shared/testdata in place"
    return load_corpus(NAB / "data", NAB / "labels" / "combined_windows.json")


@pytest.fixture(scope="module")
def published(corpus: list[LabelledSeries]) -> list[np.ndarray]:
    return load_results(NAB / "results" / "windowedGaussian", "windowedGaussian", corpus)


def one_file(scores: list[float], windows: tuple[tuple[int, int], ...]) -> ScoredFile:
    return ScoredFile(np.array(scores, dtype=np.float64), windows)


def test_it_reproduces_nabs_published_windowed_gaussian_scores(corpus, published):
    files = [ScoredFile(scores, series.windows) for scores, series in zip(published, corpus, strict=True)]
    for profile, cost in load_profiles(NAB / "profiles.json").items():
        assert score_corpus(files, cost).normalised == pytest.approx(PUBLISHED_WG[profile], abs=0.01)


def test_the_shared_subset_has_41_files_and_69_windows(corpus):
    assert len(corpus) == 41
    assert sum(len(series.windows) for series in corpus) == 69


def test_our_windowed_gaussian_reproduces_nabs_published_outputs(corpus, published):
    ours = [windowed_gaussian_scores(series.values) for series in corpus]
    # NAB's results files keep 12 significant digits; ours are the same numbers before that rounding.
    assert max(float(np.max(np.abs(a - b))) for a, b in zip(ours, published, strict=True)) < 1e-11
    rounded = [ScoredFile(as_published(scores), series.windows) for scores, series in zip(ours, corpus, strict=True)]
    assert score_corpus(rounded, STANDARD).normalised == pytest.approx(PUBLISHED_WG["standard"], abs=0.01)


def test_scaled_sigmoid_has_nabs_published_values():
    values = scaled_sigmoid(np.array([-1.0, -0.5, 0.0, 1.0, 3.5]))
    assert values == pytest.approx([0.98661, 0.84828, 0.0, -0.98661, -1.0], abs=1e-5)


def test_probation_is_15_percent_of_a_file_and_at_most_750_rows():
    assert probation_rows(4032) == 604
    assert probation_rows(22695) == 750


def test_a_detection_on_the_first_row_of_every_window_scores_100():
    scores = [0.0] * 1000
    scores[500] = 1.0
    assert score_corpus([one_file(scores, ((500, 599),))], STANDARD).normalised == pytest.approx(100.0)


def test_only_the_earliest_detection_in_a_window_counts():
    early, early_and_late = [0.0] * 1000, [0.0] * 1000
    early[550] = early_and_late[550] = 1.0
    early_and_late[590] = 1.0
    one = score_corpus([one_file(early, ((500, 599),))], STANDARD)
    both = score_corpus([one_file(early_and_late, ((500, 599),))], STANDARD)
    assert both.raw == pytest.approx(one.raw)
    position = -(599 - 550 + 1) / 100
    assert one.raw == pytest.approx(
        float(scaled_sigmoid(np.array([position]))[0] / scaled_sigmoid(np.array([-1.0]))[0])
    )


def test_a_missed_window_costs_the_false_negative_weight():
    result = score_corpus([one_file([0.0] * 1000, ((500, 599),))], STANDARD)
    assert result.raw == pytest.approx(-1.0)
    assert result.normalised == pytest.approx(0.0)


def test_a_false_positive_before_any_window_costs_the_full_weight():
    scores = [0.0] * 1000
    scores[300] = 1.0
    scores[500] = 1.0
    raw = score_corpus([one_file(scores, ((500, 599),))], STANDARD).raw
    assert raw == pytest.approx(1.0 - 0.11)


def test_a_false_positive_just_after_a_window_costs_less_than_one_far_after():
    near, far = [0.0] * 2000, [0.0] * 2000
    near[500] = far[500] = near[610] = 1.0
    far[1500] = 1.0
    cost_near = 1.0 - score_corpus([one_file(near, ((500, 599),))], STANDARD).raw
    cost_far = 1.0 - score_corpus([one_file(far, ((500, 599),))], STANDARD).raw
    assert 0.0 < cost_near < cost_far == pytest.approx(0.11)


def test_detections_in_probation_are_not_scored():
    scores = [0.0] * 1000
    scores[10] = 1.0
    scores[500] = 1.0
    assert score_corpus([one_file(scores, ((500, 599),))], STANDARD).normalised == pytest.approx(100.0)


def test_the_threshold_is_chosen_once_for_the_whole_corpus():
    first, second = [0.0] * 1000, [0.0] * 1000
    first[500] = 0.9
    second[500] = 0.5
    second[300] = 0.9  # a false positive that a threshold of 0.9 must also take
    result = score_corpus([one_file(first, ((500, 599),)), one_file(second, ((500, 599),))], STANDARD)
    assert result.threshold == 0.5
    assert result.raw == pytest.approx(2.0 - 0.11)
