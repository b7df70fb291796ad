"""The statistics Kayenta's judge rests on, pure: Mann-Whitney U with a confidence interval for the shift (as
Kayenta's MannWhitney.scala and R's wilcox.test compute it), effect sizes, and the IQR outlier detector."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray
from scipy import optimize, stats  # type: ignore[import-untyped,unused-ignore]

Array = NDArray[np.float64]
NOISE_SEED = 20170801  # Kayenta jitters all-tied samples with random noise; a fixed seed keeps judgements repeatable


@dataclass(frozen=True)
class ShiftTest:
    """The Mann-Whitney comparison of canary (x) against baseline (y)."""

    lower: float  # confidence interval of the location shift x - y
    upper: float
    estimate: float  # Hodges-Lehmann-style estimate of the shift
    p_value: float  # two-sided, normal approximation with continuity correction (scipy)
    u_statistic: float


def percentile(data: Array, p: float) -> float:
    """Apache Commons Math's default percentile (position p(n+1)/100, linear, clamped), as Kayenta uses."""
    ordered = np.sort(data)
    n = len(ordered)
    position = p * (n + 1) / 100
    if position < 1:
        return float(ordered[0])
    if position >= n:
        return float(ordered[-1])
    k = math.floor(position)
    return float(ordered[k - 1] + (position - k) * (ordered[k] - ordered[k - 1]))


def iqr_outliers(data: Array, factor: float = 3.0) -> NDArray[np.bool_]:
    """Kayenta's IQR detector with reduced sensitivity: outside the wider of the Tukey fences and p1..p99."""
    if len(data) == 0:
        return np.zeros(0, dtype=bool)
    p25, p75 = percentile(data, 25), percentile(data, 75)
    iqr = p75 - p25
    lower = min(percentile(data, 1), p25 - factor * iqr)
    upper = max(percentile(data, 99), p75 + factor * iqr)
    return np.asarray((data > upper) | (data < lower), dtype=bool)


def _wilcoxon_diff(mu: float, quantile: float, x: Array, y: Array) -> float:
    """The standardised rank-sum of x - mu against y, minus a normal quantile (its root bounds the interval)."""
    nx, ny = len(x), len(y)
    ranks = stats.rankdata(np.concatenate([x - mu, y]))
    dz = float(np.sum(ranks[:nx])) - nx * (nx + 1) / 2 - nx * ny / 2
    _, ties = np.unique(ranks, return_counts=True)
    tie_term = float(np.sum(ties.astype(np.float64) ** 3 - ties)) / ((nx + ny) * (nx + ny - 1))
    sigma = math.sqrt(nx * ny / 12 * ((nx + ny + 1) - tie_term))
    if sigma == 0:
        raise ValueError("cannot compute a confidence interval when all observations are tied")
    return (dz - 0.5 * float(np.sign(dz))) / sigma - quantile


def _root(quantile: float, x: Array, y: Array, lo: float, hi: float) -> float:
    f_lo, f_hi = _wilcoxon_diff(lo, quantile, x, y), _wilcoxon_diff(hi, quantile, x, y)
    if f_lo <= 0:
        return lo
    if f_hi >= 0:
        return hi
    return float(optimize.brentq(_wilcoxon_diff, lo, hi, args=(quantile, x, y), xtol=1e-12))


def shift_test(canary: Array, baseline: Array, confidence: float = 0.95) -> ShiftTest:
    """Two-sided Mann-Whitney U test with a confidence interval and estimate for the shift canary - baseline."""
    x, y = canary, baseline
    if len(np.unique(canary)) == 1 and len(np.unique(baseline)) == 1:
        x, y = _jittered(canary), _jittered(baseline)  # as Kayenta: all-tied samples get a tiny noise
    lo, hi = float(np.min(x) - np.max(y)), float(np.max(x) - np.min(y))
    z = float(stats.norm.ppf((1 - confidence) / 2))
    lower, upper = _root(-z, x, y, lo, hi), _root(z, x, y, lo, hi)
    estimate = _root(0.0, x, y, lo, hi)
    test = stats.mannwhitneyu(x, y, alternative="two-sided", method="asymptotic", use_continuity=True)
    return ShiftTest(
        lower=lower, upper=upper, estimate=estimate, p_value=float(test.pvalue), u_statistic=float(test.statistic)
    )


def _jittered(values: Array) -> Array:
    scale = abs(float(values[0])) * 1e-5 or 1e-12
    rng = np.random.default_rng(NOISE_SEED + len(values))
    return np.asarray(values + rng.normal(0.0, scale, len(values)), dtype=np.float64)


def mean_ratio(canary: Array, baseline: Array) -> float:
    c, b = float(np.mean(canary)), float(np.mean(baseline))
    return math.nan if b == 0.0 or c == 0.0 else c / b


def cles(canary: Array, baseline: Array) -> float:
    """Common-language effect size: the share of (canary, baseline) pairs where the canary is higher."""
    m, n = len(canary), len(baseline)
    ranks = stats.rankdata(np.concatenate([canary, baseline]))
    return float((2 * np.sum(ranks[:m]) - m * (m + 1)) / (2 * n * m))
