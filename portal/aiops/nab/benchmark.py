"""Run detectors over a NAB corpus and score them with NAB's rules, timing each one."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from portal.aiops.detectors import SeriesDetector
from portal.aiops.nab.baselines import windowed_gaussian_scores
from portal.aiops.nab.corpus import FloatArray, LabelledSeries
from portal.aiops.nab.scoring import CostMatrix, ProfileResult, ScoredFile, score_corpus

SeriesScorer = Callable[[FloatArray, FloatArray], FloatArray]


@dataclass(frozen=True)
class DetectorRun:
    """One detector's anomaly scores over a corpus and how long producing them took."""

    name: str
    files: list[ScoredFile]
    seconds: float

    @property
    def points(self) -> int:
        """Return how many points were scored."""
        return sum(len(file.scores) for file in self.files)

    @property
    def points_per_second(self) -> float:
        """Return the scoring throughput."""
        return self.points / self.seconds if self.seconds > 0 else float("inf")


def ensemble_scores(timestamps: FloatArray, values: FloatArray) -> FloatArray:
    """Score a series with our streaming ensemble, one point at a time, from a cold start."""
    detector = SeriesDetector()
    return np.array([detector.update(float(t), float(v)).likelihood for t, v in zip(timestamps, values, strict=True)])


def windowed_gaussian(timestamps: FloatArray, values: FloatArray) -> FloatArray:
    """Score a series with our implementation of NAB's Windowed Gaussian."""
    return windowed_gaussian_scores(values)


def as_published(scores: FloatArray) -> FloatArray:
    """Round scores to 12 significant digits, as NAB's published results files store them."""
    return np.array([float(f"{score:.12g}") for score in scores])


def windowed_gaussian_as_published(timestamps: FloatArray, values: FloatArray) -> FloatArray:
    """Score a series with Windowed Gaussian, rounded the way NAB's published results files are."""
    return as_published(windowed_gaussian_scores(values))


DETECTORS: dict[str, SeriesScorer] = {
    "ensemble": ensemble_scores,
    "windowedGaussian": windowed_gaussian,
    "windowedGaussian_12digits": windowed_gaussian_as_published,
}


def run_detector(name: str, scorer: SeriesScorer, corpus: Sequence[LabelledSeries]) -> DetectorRun:
    """Score every series of a corpus with one detector, timing the detector alone."""
    started = time.perf_counter()
    scores = [scorer(series.timestamps, series.values) for series in corpus]
    seconds = time.perf_counter() - started
    return DetectorRun(name, [ScoredFile(s, series.windows) for s, series in zip(scores, corpus, strict=True)], seconds)


def published_run(name: str, scores: Sequence[FloatArray], corpus: Sequence[LabelledSeries]) -> DetectorRun:
    """Wrap a detector's published outputs as a run that took no time here."""
    return DetectorRun(name, [ScoredFile(s, series.windows) for s, series in zip(scores, corpus, strict=True)], 0.0)


def score_run(run: DetectorRun, profiles: Mapping[str, CostMatrix]) -> dict[str, ProfileResult]:
    """Score a run under every profile, each with its own corpus-wide threshold."""
    return {name: score_corpus(run.files, cost) for name, cost in profiles.items()}
