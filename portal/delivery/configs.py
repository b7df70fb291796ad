"""Canary configs: per-tier defaults and validation of what people send. Pure: no Django imports."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from portal.delivery.canary import DIRECTIONS, JudgeSettings, MetricSpec
from portal.integrations.metrics.base import Signal, window_seconds

SIGNALS = tuple(s.value for s in Signal)
_BOOLS = ("critical", "must_have_data", "per_pod", "muted")
_NUMBERS = ("allowed_increase", "allowed_decrease", "critical_increase", "critical_decrease", "outlier_factor")
_CHOICES = {
    "direction": DIRECTIONS,
    "nan_strategy": ("remove", "replace"),
    "outliers": ("keep", "remove"),
    "effect_size_measure": ("meanRatio", "cles"),
}
_KNOWN = {"name", "signal", "quantile", "groups", "window", *_BOOLS, *_NUMBERS, *_CHOICES}


@dataclass(frozen=True)
class CanaryMetric:
    """What to ask the metrics adapter for one metric, and how to judge it."""

    spec: MetricSpec
    signal: Signal
    quantile: float = 0.99
    window: str = "2m"
    per_pod: bool = False  # divide by the pods on each side (CPU, memory: sides of different sizes)


def tier_default(tier: int) -> dict[str, Any]:
    """The config every service gets: errors weigh most; tier 1 tolerates the least."""
    latency_allowance = {1: 1.05, 2: 1.1}.get(tier, 1.2)
    thresholds = {1: (95.0, 75.0), 2: (90.0, 70.0)}.get(tier, (80.0, 60.0))
    metrics = [
        {
            "name": "error_ratio",
            "signal": "error_ratio",
            "groups": ["errors"],
            "direction": "increase",
            "critical": tier <= 2,
        },
        {
            "name": "latency_p99",
            "signal": "latency_quantile",
            "quantile": 0.99,
            "groups": ["latency"],
            "direction": "increase",
            "allowed_increase": latency_allowance,
        },
        {
            "name": "latency_p50",
            "signal": "latency_quantile",
            "quantile": 0.5,
            "groups": ["latency"],
            "direction": "increase",
            "allowed_increase": latency_allowance,
        },
        {
            "name": "cpu_per_pod",
            "signal": "cpu",
            "per_pod": True,
            "groups": ["saturation"],
            "direction": "increase",
            "allowed_increase": 1.2,
        },
        {
            "name": "memory_per_pod",
            "signal": "memory",
            "per_pod": True,
            "groups": ["saturation"],
            "direction": "increase",
            "allowed_increase": 1.2,
        },
    ]
    return {
        "metrics": metrics,
        "group_weights": {"errors": 50.0, "latency": 30.0, "saturation": 20.0},
        "pass_threshold": thresholds[0],
        "marginal_threshold": thresholds[1],
        "tolerance": 0.25,
        "confidence": 0.95,
        "lookback_minutes": 30,
        "step_seconds": 60,
    }


def metrics_validate(raw: Any) -> dict[str, list[str]]:
    """Field errors ('metrics[1].direction': [...]) of a config's metric list; empty when valid."""
    if not isinstance(raw, list) or not raw:
        return {"metrics": ["must be a non-empty list of metric objects"]}
    errors: dict[str, list[str]] = {}
    names = set()
    for i, item in enumerate(raw):
        where = f"metrics[{i}]"
        if not isinstance(item, dict):
            errors[where] = ["must be an object"]
            continue
        for key, reasons in _metric_errors(item).items():
            errors[f"{where}.{key}"] = reasons
        if item.get("name") in names:
            errors[f"{where}.name"] = ["duplicate metric name"]
        names.add(item.get("name"))
    return errors


def _metric_errors(item: dict[str, Any]) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {key: ["unknown field"] for key in set(item) - _KNOWN}
    if not isinstance(item.get("name"), str) or not item["name"].strip() or len(item["name"]) > 100:
        errors["name"] = ["required, at most 100 characters"]
    if item.get("signal") not in SIGNALS:
        errors["signal"] = [f"must be one of {', '.join(SIGNALS)}"]
    for key, choices in _CHOICES.items():
        if key in item and item[key] not in choices:
            errors[key] = [f"must be one of {', '.join(choices)}"]
    for key in _BOOLS:
        if key in item and not isinstance(item[key], bool):
            errors[key] = ["must be true or false"]
    for key in _NUMBERS:
        if key in item and (not isinstance(item[key], int | float) or isinstance(item[key], bool) or item[key] <= 0):
            errors[key] = ["must be a positive number"]
    if "quantile" in item and not (isinstance(item["quantile"], int | float) and 0 < item["quantile"] < 1):
        errors["quantile"] = ["must be between 0 and 1"]
    if "window" in item:
        try:
            window_seconds(str(item["window"]))
        except ValueError as exc:
            errors["window"] = [str(exc)]
    groups = item.get("groups", [])
    if not isinstance(groups, list) or not groups or not all(isinstance(g, str) and g for g in groups):
        errors["groups"] = ["must be a non-empty list of group names"]
    return errors


def canary_metrics(raw: list[dict[str, Any]]) -> list[CanaryMetric]:
    """Validated metric objects to what the judge and the metrics adapter need."""
    out = []
    for item in raw:
        spec = MetricSpec(
            name=item["name"],
            groups=tuple(item["groups"]),
            **{k: item[k] for k in (*_BOOLS, *_NUMBERS, *_CHOICES) if k in item and k != "per_pod"},
        )
        out.append(
            CanaryMetric(
                spec=spec,
                signal=Signal(item["signal"]),
                quantile=float(item.get("quantile", 0.99)),
                window=str(item.get("window", "2m")),
                per_pod=bool(item.get("per_pod", False)),
            )
        )
    return out


def judge_settings(config: dict[str, Any]) -> JudgeSettings:
    return JudgeSettings(
        tolerance=float(config["tolerance"]),
        confidence=float(config["confidence"]),
        pass_threshold=float(config["pass_threshold"]),
        marginal_threshold=float(config["marginal_threshold"]),
        group_weights={str(k): float(v) for k, v in (config.get("group_weights") or {}).items()},
    )
