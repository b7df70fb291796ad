"""Alert windows: Sloth's catalog first, Google's for 28 and 30 days, scaled ones for any other period."""

from __future__ import annotations

from datetime import timedelta

import pytest

from portal.slo.errors import SpecError
from portal.slo.specs import load_alert_windows
from portal.slo.windows import alert_windows_for, google_windows, scaled_windows
from tests.slo.support import SLOTH

WINDOWS_7D = (SLOTH / "windows-7d.yaml").read_text(encoding="utf-8")


def test_a_custom_catalog_wins_over_the_built_in_windows() -> None:
    custom = load_alert_windows(WINDOWS_7D)

    assert alert_windows_for(timedelta(days=7), (custom,)) is custom
    assert alert_windows_for(timedelta(days=28), (custom,)) == google_windows(timedelta(days=28))


@pytest.mark.parametrize("days", [7, 14, 90])
def test_scaled_windows_keep_googles_burn_rate_factors(days: int) -> None:
    windows = alert_windows_for(timedelta(days=days))

    assert windows == scaled_windows(timedelta(days=days))
    factors = [
        windows.factor(w) for w in (windows.page_quick, windows.page_slow, windows.ticket_quick, windows.ticket_slow)
    ]
    assert factors == pytest.approx([14.4, 6, 3, 1], rel=0.05)
    assert all(d % timedelta(minutes=1) == timedelta(0) for d in windows.durations())


def test_scaled_windows_for_a_week_are_a_quarter_of_an_hour_for_the_quick_page() -> None:
    windows = scaled_windows(timedelta(days=7))

    assert (windows.page_quick.short, windows.page_quick.long) == (timedelta(minutes=1), timedelta(minutes=14))
    assert windows.ticket_slow.long == timedelta(hours=16, minutes=48)


def test_it_rejects_alert_windows_with_missing_or_crossed_windows() -> None:
    text = WINDOWS_7D.replace("      errorBudgetPercent: 8\n", "").replace(
        "shortWindow: 6h\n      longWindow: 72h", "shortWindow: 3d\n      longWindow: 72h"
    )

    with pytest.raises(SpecError) as caught:
        load_alert_windows(text)

    assert caught.value.fields == {
        "spec.page.quick.errorBudgetPercent": ["is required"],
        "spec.ticket.slow.shortWindow": ["must be shorter than the long window (3d)"],
    }


def test_it_rejects_documents_that_are_not_alert_windows() -> None:
    with pytest.raises(SpecError) as caught:
        load_alert_windows("apiVersion: sloth.slok.dev/v1\nkind: PrometheusServiceLevel\n")

    assert caught.value.fields == {"kind": ["must be an AlertWindows document of apiVersion sloth.slok.dev/v1"]}
