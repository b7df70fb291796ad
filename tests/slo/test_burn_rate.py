"""Error-budget arithmetic with worked numbers from Google's SRE workbook, Sloth's and Pyrra's published rules."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import yaml

from portal.slo.burn_rate import (
    alert_threshold,
    allowed_downtime,
    budget_consumed,
    burn_rate,
    burn_rate_factor,
    error_budget,
    error_budget_remaining,
    time_to_exhaustion,
)
from portal.slo.promql import format_duration, go_float
from tests.slo.support import PYRRA

DAYS_30, DAYS_28, DAYS_7 = timedelta(days=30), timedelta(days=28), timedelta(days=7)
HOUR = timedelta(hours=1)


def test_error_budget_is_the_share_of_events_allowed_to_fail() -> None:
    assert error_budget(99.9) == pytest.approx(0.001)
    assert error_budget(95) == pytest.approx(0.05)


def test_error_budget_is_computed_as_sloth_prints_it() -> None:
    assert go_float(error_budget(99.9)) == "0.0009999999999999432"


def test_allowed_downtime_of_three_nines_over_30_days_is_43_minutes_12_seconds() -> None:
    assert allowed_downtime(99.9, DAYS_30).total_seconds() == pytest.approx(43 * 60 + 12)
    assert allowed_downtime(99.5, DAYS_28).total_seconds() == pytest.approx(3 * 3600 + 21 * 60 + 36)


def test_burn_rate_is_the_error_ratio_over_the_budget() -> None:
    assert burn_rate(0.0144, 99.9) == pytest.approx(14.4)
    assert burn_rate(0.001, 99.9) == pytest.approx(1)
    assert burn_rate(0, 99.9) == 0


@pytest.mark.parametrize(
    ("budget_percent", "period", "window", "factor"),
    [
        (2, DAYS_30, HOUR, "14.4"),
        (5, DAYS_30, 6 * HOUR, "6"),
        (10, DAYS_30, 24 * HOUR, "3"),
        (10, DAYS_30, 72 * HOUR, "1"),
        (2, DAYS_28, HOUR, "13.44"),
        (5, DAYS_28, 6 * HOUR, "5.6000000000000005"),
        (10, DAYS_28, 24 * HOUR, "2.8000000000000003"),
        (10, DAYS_28, 72 * HOUR, "0.9333333333333333"),
        (8, DAYS_7, HOUR, "13.44"),
        (12.5, DAYS_7, 6 * HOUR, "3.5"),
        (20, DAYS_7, 24 * HOUR, "1.4000000000000001"),
        (42, DAYS_7, 72 * HOUR, "0.98"),
    ],
)
def test_burn_rate_factor_matches_sloths_printed_factors(
    budget_percent: float, period: timedelta, window: timedelta, factor: str
) -> None:
    assert go_float(burn_rate_factor(budget_percent, period, window)) == factor


@pytest.mark.parametrize(
    ("rate", "window", "share"), [(14.4, HOUR, 0.02), (6, 6 * HOUR, 0.05), (3, 24 * HOUR, 0.1), (1, 72 * HOUR, 0.1)]
)
def test_each_google_alert_fires_after_spending_its_share_of_the_budget(
    rate: float, window: timedelta, share: float
) -> None:
    assert budget_consumed(rate, window, DAYS_30) == pytest.approx(share)


def test_alert_threshold_is_the_error_ratio_at_the_factor() -> None:
    assert alert_threshold(14.4, 99.9) == pytest.approx(0.0144)
    assert alert_threshold(6, 95) == pytest.approx(0.3)


def test_remaining_budget_is_one_minus_the_period_burn_rate() -> None:
    assert error_budget_remaining(0.0005, 99.9) == pytest.approx(0.5)
    assert error_budget_remaining(0, 99.9) == 1
    assert error_budget_remaining(0.002, 99.9) == pytest.approx(-1)


def test_a_full_budget_burning_at_14_4_lasts_50_hours() -> None:
    assert time_to_exhaustion(1, 14.4, DAYS_30) == pytest.approx(timedelta(hours=50), abs=timedelta(seconds=1))
    assert time_to_exhaustion(0.5, 2, DAYS_30) == pytest.approx(timedelta(hours=180), abs=timedelta(seconds=1))


def test_time_to_exhaustion_is_unknown_when_nothing_burns_and_zero_when_nothing_is_left() -> None:
    assert time_to_exhaustion(0.3, 0, DAYS_30) is None
    assert time_to_exhaustion(0, 5, DAYS_30) == timedelta(0)
    assert time_to_exhaustion(-0.2, 5, DAYS_30) == timedelta(0)


def test_time_to_exhaustion_matches_pyrras_exhaustion_labels() -> None:
    rule = yaml.safe_load((PYRRA / "out-http-prometheusrule.yaml").read_text(encoding="utf-8"))
    alerts = [r for group in rule["spec"]["groups"] for r in group["rules"] if r.get("alert") == "ErrorBudgetBurn"]
    assert len(alerts) == 4
    for alert in alerts:
        found = re.search(r"> \((\d+) \* \(1-0\.995\)\)", alert["expr"])
        assert found, alert["expr"]
        exhaustion = time_to_exhaustion(1, float(found.group(1)), DAYS_28)
        assert exhaustion is not None
        assert format_duration(exhaustion) == alert["labels"]["exhaustion"]
