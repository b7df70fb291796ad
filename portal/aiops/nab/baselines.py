"""Peers' detectors as NAB publishes them, run here to compare against ours on the same input."""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

FloatArray = npt.NDArray[np.float64]

# NAB's windowedGaussian_detector.py: window and step "tuned to give best performance on NAB".
WG_WINDOW = 6400
WG_STEP = 100
WG_MIN_STD = 0.000001


def normal_tail(x: float, mean: float, std: float) -> float:
    """Return P(X > |x - mean|) for X ~ N(0, std): the Q-function NAB's Windowed Gaussian uses."""
    z = abs(x - mean) / std
    return 0.5 * math.erfc(z / math.sqrt(2.0))


def window_moments(window: FloatArray) -> tuple[float, float]:
    """Return the mean and population std of a window, with NAB's floor for a flat window."""
    std = float(np.std(window))
    return float(np.mean(window)), std if std != 0.0 else WG_MIN_STD


def windowed_gaussian_scores(values: FloatArray) -> FloatArray:
    """Score a series as NAB's Windowed Gaussian does: 1 - Gaussian tail over the last 6,400 values, slid by 100."""
    scores = np.zeros(len(values))
    window = np.empty(0)
    pending: list[float] = []
    mean, std = 0.0, 1.0
    for i, value in enumerate(values):
        if window.size > 0:
            scores[i] = 1.0 - normal_tail(float(value), mean, std)
        if window.size < WG_WINDOW:
            window = np.append(window, value)
            mean, std = window_moments(window)
            continue
        pending.append(float(value))
        if len(pending) == WG_STEP:
            window = np.concatenate((window[WG_STEP:], pending))
            pending = []
            mean, std = window_moments(window)
    return scores


def null_scores(values: FloatArray) -> FloatArray:
    """Score a series as NAB's null detector does: the same score everywhere, so nothing stands out."""
    return np.full(len(values), 0.5)
