"""A canary judge with Kayenta's method (NetflixACAJudge with its Mann-Whitney classifier), pure: no Django.

Per metric: NaNs removed (or replaced with zero), outliers optionally removed with the IQR detector, then the
canary is compared with the baseline by a two-sided Mann-Whitney U test with a confidence interval for the
location shift (the normal approximation with continuity correction, as R's wilcox.test and Kayenta compute it).
The canary is High when the interval lies above tolerance x |Hodges-Lehmann estimate| (and the mean ratio reaches
`allowed_increase`), Low when it lies below minus that; the metric's direction says which of the two count.
Groups score the share of passing metrics; the summary is the weighted sum of group scores; a failing critical
metric, or 50% or more metrics without data, make it 0. Thresholds turn the score into pass, marginal or fail.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from portal.delivery.statistics import ShiftTest, cles, iqr_outliers, mean_ratio, shift_test

Array = NDArray[np.float64]
Values = Sequence[float] | NDArray[Any]  # a series' values: a list or an array

PASS, HIGH, LOW, NODATA, NODATA_FAIL, ERROR = "pass", "high", "low", "nodata", "nodata_fail", "error"
DIRECTIONS = ("increase", "decrease", "either")
NODATA_THRESHOLD = 50.0  # percent of metrics without data that fails the canary


@dataclass(frozen=True)
class MetricSpec:
    """One metric's analysis settings, named as in Kayenta's canary config (analysisConfigurations.canary)."""

    name: str
    groups: tuple[str, ...] = ()
    direction: str = "either"  # which change fails: increase, decrease, either
    critical: bool = False  # failing it fails the canary
    must_have_data: bool = False  # no data counts as a failing metric (not as "no data")
    nan_strategy: str = "remove"  # remove or replace (with zero)
    outliers: str = "keep"  # keep or remove (IQR detector)
    outlier_factor: float = 3.0
    effect_size_measure: str = "meanRatio"  # meanRatio or cles
    allowed_increase: float | None = None  # effect size the canary may reach upwards before it is High
    allowed_decrease: float | None = None
    critical_increase: float | None = None
    critical_decrease: float | None = None
    muted: bool = False  # reported, never scored

    def effect_default(self) -> float:
        return 0.5 if self.effect_size_measure == "cles" else 1.0


@dataclass(frozen=True)
class JudgeSettings:
    tolerance: float = 0.25  # fraction of the Hodges-Lehmann estimate the interval must clear
    confidence: float = 0.95
    pass_threshold: float = 95.0
    marginal_threshold: float = 75.0
    group_weights: Mapping[str, float] = field(default_factory=dict)


@dataclass
class MetricResult:
    name: str
    classification: str
    reason: str
    groups: tuple[str, ...]
    direction: str
    critical: bool = False
    muted: bool = False
    ratio: float | None = None  # canary mean / baseline mean
    effect_size: float | None = None
    test: ShiftTest | None = None
    baseline: dict[str, float] = field(default_factory=dict)
    canary: dict[str, float] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "classification": self.classification,
            "passed": self.classification == PASS,
            "reason": self.reason,
            "groups": list(self.groups),
            "direction": self.direction,
            "critical": self.critical,
            "muted": self.muted,
            "ratio": _finite(self.ratio),
            "effect_size": _finite(self.effect_size),
            "p_value": _finite(self.test.p_value) if self.test else None,
            "confidence_interval": [_finite(self.test.lower), _finite(self.test.upper)] if self.test else None,
            "estimate": _finite(self.test.estimate) if self.test else None,
            "baseline": {k: _finite(v) for k, v in self.baseline.items()},
            "canary": {k: _finite(v) for k, v in self.canary.items()},
        }


@dataclass
class Judgement:
    score: float
    outcome: str  # pass, marginal, fail
    reasons: list[str]
    metrics: list[MetricResult]
    group_scores: dict[str, float | None]


def _finite(value: float | None) -> float | None:
    return None if value is None or not math.isfinite(value) else float(value)


# --- preprocessing ---------------------------------------------------------------------------------------------


def nans_handled(values: Values, strategy: str) -> Array:
    """Kayenta's NaN strategies: remove them, or replace them with zero."""
    data = np.asarray(values, dtype=np.float64)
    if strategy == "replace":
        return np.where(np.isnan(data), 0.0, data)
    return data[~np.isnan(data)]


def prepared(values: Values, spec: MetricSpec) -> Array:
    data = nans_handled(values, spec.nan_strategy)
    if spec.outliers == "remove" and len(data):
        data = data[~iqr_outliers(data, spec.outlier_factor)]
    return data


def describe(data: Array) -> dict[str, float]:
    if len(data) == 0:
        return {"count": 0}
    return {
        "count": len(data),
        "mean": float(np.mean(data)),
        "median": float(np.median(data)),
        "min": float(np.min(data)),
        "max": float(np.max(data)),
        "std": float(np.std(data, ddof=1)) if len(data) > 1 else 0.0,
    }


# --- one metric -------------------------------------------------------------------------------------------------


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _change(ratio: float) -> str:
    return "n/a" if not math.isfinite(ratio) else f"{(ratio - 1) * 100:+.1f}%"


def _nodata(spec: MetricSpec, baseline: Array, canary: Array) -> MetricResult | None:
    if len(baseline) and len(canary):
        return None
    side = (
        "baseline and canary"
        if not len(baseline) and not len(canary)
        else "baseline"
        if not len(baseline)
        else "canary"
    )
    base = MetricResult(spec.name, PASS, "", spec.groups, spec.direction, muted=spec.muted)
    if spec.nan_strategy == "replace":
        base.reason = f"{spec.name}: no {side} data; with NaNs replaced by zero this counts as a pass"
        return base
    base.reason = f"{spec.name}: no {side} data in the window"
    if spec.must_have_data and not spec.critical:
        base.classification, base.reason = NODATA_FAIL, base.reason + " and the metric must have data: it fails"
    else:
        base.classification, base.critical = NODATA, spec.critical
    return base


def metric_classify(
    spec: MetricSpec, baseline_values: Values, canary_values: Values, settings: JudgeSettings
) -> MetricResult:
    """Classify one metric Pass, High, Low, Nodata (or Nodata-fail), with the reason in words."""
    baseline, canary = prepared(baseline_values, spec), prepared(canary_values, spec)
    result = _nodata(spec, baseline, canary)
    if result is not None:
        result.baseline, result.canary = describe(baseline), describe(canary)
        return result
    result = MetricResult(
        spec.name, PASS, "", spec.groups, spec.direction, muted=spec.muted, baseline=describe(baseline)
    )
    result.canary, result.ratio = describe(canary), mean_ratio(canary, baseline)
    if np.array_equal(np.sort(baseline), np.sort(canary)) or len(np.unique(np.concatenate([baseline, canary]))) == 1:
        result.reason = f"{spec.name}: the canary and baseline data are identical"
        return result
    try:
        return _compared(spec, baseline, canary, settings, result)
    except (ValueError, FloatingPointError) as exc:
        result.classification, result.reason = ERROR, f"{spec.name}: the comparison failed ({exc})"
        return result


def _compared(
    spec: MetricSpec, baseline: Array, canary: Array, settings: JudgeSettings, result: MetricResult
) -> MetricResult:
    test = shift_test(canary, baseline, settings.confidence)
    effect = cles(canary, baseline) if spec.effect_size_measure == "cles" else result.ratio or math.nan
    result.test, result.effect_size = test, effect
    bound = settings.tolerance * abs(test.estimate)
    allowed_up = spec.allowed_increase if spec.allowed_increase is not None else spec.effect_default()
    allowed_down = spec.allowed_decrease if spec.allowed_decrease is not None else spec.effect_default()
    high = (
        spec.direction in ("increase", "either") and test.lower > bound and (math.isnan(effect) or effect >= allowed_up)
    )
    low = (
        spec.direction in ("decrease", "either")
        and test.upper < -bound
        and (math.isnan(effect) or effect <= allowed_down)
    )
    level = round(settings.confidence * 100)
    ratio = result.ratio if result.ratio is not None else math.nan
    summary = (
        f"median {_fmt(result.canary['median'])} vs {_fmt(result.baseline['median'])}, mean {_change(ratio)}; "
        f"{level}% interval of the shift [{_fmt(test.lower)}, {_fmt(test.upper)}], p={test.p_value:.3g}"
    )
    if high or low:
        result.classification = HIGH if high else LOW
        word = "higher" if high else "lower"
        result.critical = spec.critical and _critical_reached(spec, effect, high)
        tag = " (critical)" if result.critical else ""
        result.reason = f"{spec.name}: canary {word} than baseline{tag}: {summary}"
        return result
    result.reason = f"{spec.name}: {_why_pass(spec, test, bound, effect, allowed_up, allowed_down)}: {summary}"
    return result


def _critical_reached(spec: MetricSpec, effect: float, high: bool) -> bool:
    if math.isnan(effect):
        return True
    if high:
        limit = spec.critical_increase if spec.critical_increase is not None else spec.effect_default()
        return effect >= limit
    limit = spec.critical_decrease if spec.critical_decrease is not None else spec.effect_default()
    return effect <= limit


def _why_pass(spec: MetricSpec, test: ShiftTest, bound: float, effect: float, up: float, down: float) -> str:
    if test.lower > bound and spec.direction == "decrease":
        return "canary higher, but only a decrease fails this metric"
    if test.upper < -bound and spec.direction == "increase":
        return "canary lower, but only an increase fails this metric"
    if test.lower > bound:
        return f"canary higher, but within the allowed effect size ({_fmt(effect)} < {_fmt(up)})"
    if test.upper < -bound:
        return f"canary lower, but within the allowed effect size ({_fmt(effect)} > {_fmt(down)})"
    return "no significant difference"


# --- scoring ----------------------------------------------------------------------------------------------------


def group_scores(results: Sequence[MetricResult]) -> dict[str, float | None]:
    """Per group, the percentage of scored metrics (pass, high, low, nodata-fail) that passed; None without data."""
    labels: dict[str, list[str]] = {}
    for result in results:
        for group in result.groups:
            labels.setdefault(group, []).append(result.classification)
    out: dict[str, float | None] = {}
    for group, classes in labels.items():
        scored = [c for c in classes if c in (PASS, HIGH, LOW, NODATA_FAIL)]
        out[group] = 100.0 * scored.count(PASS) / len(scored) if scored else None
    return out


def summary_score(groups: Mapping[str, float | None], weights: Mapping[str, float]) -> float:
    """Weighted sum of group scores; unweighted groups share what the weights leave of 100; empty groups count 100."""
    unweighted = [g for g in groups if g not in weights]
    share = (100 - sum(weights.values())) / len(unweighted) if unweighted else 0.0
    total = sum(
        (100.0 if score is None else score) * weights.get(group, share) / 100 for group, score in groups.items()
    )
    return round(total, 2)


def judge(
    specs: Sequence[MetricSpec],
    series: Mapping[str, tuple[Values, Values]],
    settings: JudgeSettings | None = None,
) -> Judgement:
    """Judge a canary: series maps each metric name to (baseline values, canary values)."""
    settings = settings or JudgeSettings()
    results = [metric_classify(spec, *series.get(spec.name, ((), ())), settings) for spec in specs]
    scored = [r for r in results if not r.muted]
    groups = group_scores(scored)
    score, reasons = summary_score(groups, settings.group_weights), []
    critical = [r for r in scored if r.critical and r.classification != PASS]
    nodata = [r for r in scored if r.classification == NODATA]
    if critical:
        score = 0.0
        reasons.append(f"Critical metric failed: {critical[0].reason}")
    if scored and len(nodata) * 100 / len(scored) >= NODATA_THRESHOLD:
        score = 0.0
        reasons.append(
            f"{len(nodata)} of {len(scored)} metrics have no data ({NODATA_THRESHOLD:.0f}% or more fails the canary): "
            + ", ".join(r.name for r in nodata)
        )
    outcome = (
        "pass" if score >= settings.pass_threshold else "marginal" if score >= settings.marginal_threshold else "fail"
    )
    reasons.append(_verdict(outcome, score, settings))
    reasons += [r.reason for r in scored if r.classification != PASS and not (critical and r is critical[0])]
    return Judgement(score=score, outcome=outcome, reasons=reasons, metrics=results, group_scores=groups)


def _verdict(outcome: str, score: float, settings: JudgeSettings) -> str:
    return (
        f"Score {score:g} -> {outcome} (pass at {settings.pass_threshold:g} or more, "
        f"marginal at {settings.marginal_threshold:g} or more)"
    )
