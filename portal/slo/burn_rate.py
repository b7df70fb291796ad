"""Error-budget arithmetic over plain numbers: budgets, burn rates, what is left and how long it lasts."""

from __future__ import annotations

from datetime import timedelta

from portal.slo.promql import hours


def error_budget(objective: float) -> float:
    """Return the share of events allowed to fail for an objective in percent (99.9 gives 0.001), as Sloth does."""
    return (100 - objective) / 100


def allowed_downtime(objective: float, period: timedelta) -> timedelta:
    """Return the length of total outage the budget allows in a period: 99.9% of 30 days allows 43m12s."""
    return period * error_budget(objective)


def burn_rate(error_ratio: float, objective: float) -> float:
    """Return how many times faster than sustainable the budget burns at an error ratio (1 spends it in one period)."""
    return error_ratio / error_budget(objective)


def burn_rate_factor(budget_percent: float, period: timedelta, window: timedelta) -> float:
    """Return the burn rate that spends `budget_percent` of a period's budget within `window` (2%, 30d, 1h: 14.4)."""
    return budget_percent * hours(period) / 100 / hours(window)


def alert_threshold(factor: float, objective: float) -> float:
    """Return the error ratio above which a burn-rate alert with this factor fires."""
    return factor * error_budget(objective)


def budget_consumed(rate: float, window: timedelta, period: timedelta) -> float:
    """Return the share of a period's budget that burning at `rate` for `window` spends."""
    return rate * (window / period)


def error_budget_remaining(period_error_ratio: float, objective: float) -> float:
    """Return the share of the period's budget still unspent (below 0 once overspent), Sloth's remaining ratio."""
    return 1 - burn_rate(period_error_ratio, objective)


def time_to_exhaustion(remaining: float, rate: float, period: timedelta) -> timedelta | None:
    """Return how long the remaining share of budget lasts at a burn rate; None when nothing is burning."""
    if rate <= 0:
        return None
    if remaining <= 0:
        return timedelta(0)
    return period * (remaining / rate)
