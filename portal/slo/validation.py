"""The rules every SLO must keep whatever format it came in, each check returning the reason it fails or None."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from portal.slo.promql import (
    LABEL_NAME,
    brackets_balanced,
    format_duration,
    has_window_placeholder,
    unknown_template_actions,
)
from portal.slo.reader import SpecReader, at

NAME = re.compile(r"^[A-Za-z0-9][-A-Za-z0-9_.]*[A-Za-z0-9]$|^[A-Za-z0-9]$")
SHORTEST_PERIOD = timedelta(days=1)


def name_problem(value: str) -> str | None:
    """Check a service or SLO name as Sloth does: alphanumerics, `.`, `_` and `-`, alphanumeric at both ends."""
    if value and not NAME.match(value):
        return f"{value!r} must start and end with a letter or digit and hold only letters, digits, '.', '_' and '-'"
    return None


def objective_problem(value: float) -> str | None:
    """Check an objective in percent: above 0 and below 100, since 100% leaves no error budget to burn."""
    if not 0 < value < 100:
        return f"must be a percentage between 0 and 100, both excluded, got {value:g}"
    return None


def ratio_target_problem(value: float) -> str | None:
    """Check a target given as a ratio (OpenSLO's `target`): above 0 and below 1."""
    if not 0 < value < 1:
        return f"must be a ratio between 0 and 1, both excluded, got {value:g}"
    return None


def period_problem(value: timedelta) -> str | None:
    """Check an SLO period: at least a day, in whole minutes."""
    if value < SHORTEST_PERIOD:
        return f"must be at least 1d, got {format_duration(value)}"
    if value % timedelta(minutes=1):
        return "must be a whole number of minutes"
    return None


def budgeting_problem(method: object) -> str | None:
    """Check an OpenSLO budgeting method: occurrences only, as time slices need per-slice rules Sloth does not make."""
    if method not in (None, "Occurrences"):
        return f"only Occurrences is supported, got {method!r}"
    return None


def rolling_problem(window: dict[str, Any]) -> str | None:
    """Check an OpenSLO time window is rolling: Prometheus rules measure a sliding period, not a calendar one."""
    if "calendar" in window or window.get("isRolling") is False:
        return "only rolling windows are supported: Prometheus rules measure a sliding period"
    return None


def query_problems(query: str, *, needs_window: bool = True) -> list[str]:
    """Check a PromQL query template: the `{{.window}}` placeholder where a range is needed, nothing else templated."""
    problems = []
    if needs_window and not has_window_placeholder(query):
        problems.append("must contain the {{.window}} placeholder where the range goes, as in rate(x[{{.window}}])")
    unknown = unknown_template_actions(query)
    if unknown:
        problems.append(f"only the {{{{.window}}}} placeholder may be templated, found {', '.join(unknown)}")
    if not brackets_balanced(query):
        problems.append("has unbalanced brackets")
    return problems


def label_name_problem(name: str) -> str | None:
    """Check a Prometheus label or annotation name."""
    if not LABEL_NAME.match(name):
        return f"{name!r} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)"
    if name == "__name__":
        return "'__name__' cannot be set as a label"
    return None


def check_query(reader: SpecReader, query: str, path: str, *, needs_window: bool = True) -> None:
    """Report every problem of a query at its path."""
    for problem in query_problems(query, needs_window=needs_window):
        reader.report(path, problem)


def check_labels(reader: SpecReader, labels: dict[str, str], path: str) -> None:
    """Report every label (or annotation) name Prometheus would refuse."""
    for name in labels:
        reader.report(at(path, name), label_name_problem(name))
