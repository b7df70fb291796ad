"""Working hours and cost arithmetic (OpenCost's default price sheet)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from portal.finops.prices import DEFAULT_PRICES
from portal.previews.schedule import Footprint, UnitPrices, cost_between, hourly_cost, working_hours_parse

OPENCOST_DEFAULT = Path(__file__).resolve().parents[3] / "shared" / "testdata" / "finops" / "opencost" / "default.json"


def test_working_hours_follow_the_configured_timezone() -> None:
    hours = working_hours_parse("08:00-20:00", "mon-fri", "America/New_York")
    # 13:00 UTC on a Wednesday is 08:00 in New York (EST): the first minute of work.
    assert hours.contains(datetime(2026, 11, 25, 13, 0, tzinfo=UTC))
    assert not hours.contains(datetime(2026, 11, 25, 12, 59, tzinfo=UTC))
    assert not hours.contains(datetime(2026, 11, 26, 1, 0, tzinfo=UTC))  # 20:00 Wednesday in New York
    assert not hours.contains(datetime(2026, 11, 28, 15, 0, tzinfo=UTC))  # Saturday


def test_day_ranges_may_wrap_over_the_weekend() -> None:
    assert working_hours_parse("00:00-24:00", "fri-mon", "UTC").days == frozenset({4, 5, 6, 0})


@pytest.mark.parametrize(
    ("hours", "days", "zone", "message"),
    [
        ("8-20", "mon-fri", "UTC", "08:00-20:00"),
        ("20:00-08:00", "mon-fri", "UTC", "start before"),
        ("08:00-20:00", "weekdays", "UTC", "mon-fri"),
        ("08:00-20:00", "mon-fri", "Mars/Olympus", "IANA"),
    ],
)
def test_bad_settings_say_what_is_expected(hours: str, days: str, zone: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        working_hours_parse(hours, days, zone)


def test_cost_is_resources_times_hours_times_opencost_prices() -> None:
    if not OPENCOST_DEFAULT.exists():
        pytest.fail(f"OpenCost's default price sheet is missing at {OPENCOST_DEFAULT}; restore ../shared/testdata")
    sheet = json.loads(OPENCOST_DEFAULT.read_text())
    prices = UnitPrices(cpu=float(sheet["CPU"]), ram=float(sheet["RAM"]), storage=float(sheet["storage"]))
    assert prices.cpu == DEFAULT_PRICES.cpu
    assert prices.ram == DEFAULT_PRICES.ram
    footprint = Footprint(replicas=2, cpu=0.5, memory_gib=1.0, storage_gib=10.0)
    start = datetime(2026, 11, 25, 8, tzinfo=UTC)
    running = cost_between(start, start + timedelta(hours=10), footprint, prices, running=True)
    assert running == pytest.approx(10 * (2 * (0.5 * 0.031611 + 1.0 * 0.004237) + 10 * float(sheet["storage"])))
    asleep = cost_between(start, start + timedelta(hours=12), footprint, prices, running=False)
    assert asleep == pytest.approx(12 * 10 * float(sheet["storage"]))
    assert (
        hourly_cost(footprint, prices, running=False) < hourly_cost(footprint, prices, running=True) / 50
    )  # asleep costs ~1.3%


def test_an_empty_or_reversed_interval_costs_nothing() -> None:
    prices = UnitPrices(cpu=1, ram=1, storage=1)
    footprint = Footprint(replicas=1, cpu=1, memory_gib=1, storage_gib=1)
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert cost_between(moment, moment - timedelta(hours=1), footprint, prices, running=True) == 0
