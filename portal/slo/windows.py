"""Multi-window multi-burn-rate alert windows: Google's for 28 and 30 days, Sloth's AlertWindows files, or scaled."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from portal.slo.burn_rate import burn_rate_factor
from portal.slo.promql import format_duration
from portal.slo.reader import SpecReader, at

ALERT_WINDOWS_VERSION = "sloth.slok.dev/v1"


@dataclass(frozen=True)
class BurnWindow:
    """Alert when `budget_percent` of the period's error budget burns within `long`, still burning over `short`."""

    budget_percent: float
    short: timedelta
    long: timedelta


@dataclass(frozen=True)
class AlertWindows:
    """The four windows of Sloth's page (quick, slow) and ticket (quick, slow) alerts for one SLO period."""

    period: timedelta
    page_quick: BurnWindow
    page_slow: BurnWindow
    ticket_quick: BurnWindow
    ticket_slow: BurnWindow

    def factor(self, window: BurnWindow) -> float:
        """Return how many times faster than sustainable the budget burns when this window alerts."""
        return burn_rate_factor(window.budget_percent, self.period, window.long)

    def durations(self) -> list[timedelta]:
        """Return every short and long window once, shortest first."""
        windows = (self.page_quick, self.page_slow, self.ticket_quick, self.ticket_slow)
        return sorted({d for w in windows for d in (w.short, w.long)})


def google_windows(period: timedelta) -> AlertWindows:
    """Return the SRE workbook's windows (budget shares 2, 5, 10, 10 %) for a period."""
    minutes, hours = timedelta(minutes=1), timedelta(hours=1)
    return AlertWindows(
        period=period,
        page_quick=BurnWindow(2, 5 * minutes, hours),
        page_slow=BurnWindow(5, 30 * minutes, 6 * hours),
        ticket_quick=BurnWindow(10, 2 * hours, 24 * hours),
        ticket_slow=BurnWindow(10, 6 * hours, 72 * hours),
    )


GOOGLE_CATALOG = (google_windows(timedelta(days=28)), google_windows(timedelta(days=30)))


def scaled_windows(period: timedelta) -> AlertWindows:
    """Shrink or stretch the 30-day windows to another period, to the minute, so the factors stay about 14.4/6/3/1."""
    base = google_windows(timedelta(days=30))

    def scale(window: BurnWindow) -> BurnWindow:
        short, long = (
            max(timedelta(minutes=1), _to_minute(d * (period / base.period))) for d in (window.short, window.long)
        )
        return BurnWindow(window.budget_percent, short, long)

    return AlertWindows(
        period, scale(base.page_quick), scale(base.page_slow), scale(base.ticket_quick), scale(base.ticket_slow)
    )


def _to_minute(value: timedelta) -> timedelta:
    """Round a duration to the nearest whole minute."""
    return timedelta(minutes=round(value / timedelta(minutes=1)))


def alert_windows_for(period: timedelta, catalog: tuple[AlertWindows, ...] = ()) -> AlertWindows:
    """Pick the windows for a period: a custom catalog first, then Google's 28d and 30d, else scaled ones."""
    for windows in (*catalog, *GOOGLE_CATALOG):
        if windows.period == period:
            return windows
    return scaled_windows(period)


def parse_alert_windows(document: dict[str, Any]) -> AlertWindows:
    """Read a Sloth `AlertWindows` document (sloth.slok.dev/v1); raise SpecError naming each bad field."""
    reader = SpecReader()
    if document.get("apiVersion") != ALERT_WINDOWS_VERSION or document.get("kind") != "AlertWindows":
        reader.report("kind", f"must be an AlertWindows document of apiVersion {ALERT_WINDOWS_VERSION}")
        reader.check("invalid alert windows")
    spec = reader.mapping(document, "spec", "")
    period = reader.duration(spec, "sloPeriod", "spec")
    severities = {name: reader.mapping(spec, name, "spec") for name in ("page", "ticket")}
    windows = {
        f"{severity}_{speed}": _burn_window(reader, reader.mapping(node, speed, at("spec", severity)), severity, speed)
        for severity, node in severities.items()
        for speed in ("quick", "slow")
    }
    reader.check("invalid alert windows")
    return AlertWindows(period=period or timedelta(0), **windows)


def _burn_window(reader: SpecReader, node: dict[str, Any], severity: str, speed: str) -> BurnWindow:
    """Read one of the four windows of an AlertWindows document."""
    path = f"spec.{severity}.{speed}"
    budget = reader.number(node, "errorBudgetPercent", path)
    short = reader.duration(node, "shortWindow", path)
    long = reader.duration(node, "longWindow", path)
    if budget is not None and not 0 < budget <= 100:
        reader.report(at(path, "errorBudgetPercent"), f"must be above 0 and at most 100, got {budget:g}")
    if short and long and short >= long:
        reader.report(at(path, "shortWindow"), f"must be shorter than the long window ({format_duration(long)})")
    return BurnWindow(budget or 0, short or timedelta(0), long or timedelta(0))
