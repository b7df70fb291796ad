"""Working hours and what a preview costs. Pure: no Django."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time
from zoneinfo import ZoneInfo

DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_HOURS = re.compile(r"^(\d{2}):(\d{2})-(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class WorkingHours:
    """When previews may run: days of the week, a start and end time, in one timezone."""

    start: time
    end: time
    days: frozenset[int]  # 0 = Monday
    timezone: ZoneInfo

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(self.timezone)
        return local.weekday() in self.days and self.start <= local.time() < self.end


def working_hours_parse(hours: str, days: str, timezone: str) -> WorkingHours:
    """Read "08:00-20:00", "mon-fri" (or "mon,wed,fri") and an IANA zone; ValueError names what is wrong."""
    match = _HOURS.match(hours.strip())
    if not match:
        raise ValueError(f"working hours {hours!r} must look like 08:00-20:00")
    h1, m1, h2, m2 = (int(part) for part in match.groups())
    if not (h1 < 24 and h2 <= 24 and m1 < 60 and m2 < 60):
        raise ValueError(f"working hours {hours!r} are not times of day")
    start, end = time(h1, m1), time(23, 59, 59, 999999) if h2 == 24 else time(h2, m2)
    if start >= end:
        raise ValueError(f"working hours {hours!r} must start before they end")
    try:
        zone = ZoneInfo(timezone)
    except (KeyError, ValueError) as exc:
        raise ValueError(f"{timezone!r} is not an IANA timezone such as Europe/London") from exc
    return WorkingHours(start=start, end=end, days=_days_parse(days), timezone=zone)


def _days_parse(days: str) -> frozenset[int]:
    chosen: set[int] = set()
    for part in days.lower().replace(" ", "").split(","):
        first, _, last = part.partition("-")
        if first not in DAYS or (last and last not in DAYS):
            raise ValueError(f"working days {days!r} must be like mon-fri or mon,wed,fri")
        a, b = DAYS.index(first), DAYS.index(last or first)
        chosen.update(range(a, b + 1) if a <= b else [*range(a, 7), *range(0, b + 1)])
    return frozenset(chosen)


@dataclass(frozen=True)
class Footprint:
    """What a preview asks for: replicas of cpu cores and memory GiB each, plus storage it keeps."""

    replicas: int
    cpu: float
    memory_gib: float
    storage_gib: float


@dataclass(frozen=True)
class UnitPrices:
    """$ per core-hour, per GiB-hour of memory, per GiB-hour of storage (OpenCost's price sheet)."""

    cpu: float
    ram: float
    storage: float


def hourly_cost(footprint: Footprint, prices: UnitPrices, *, running: bool) -> float:
    """Dollars an hour: compute while running, storage always (a sleeping preview keeps its volumes)."""
    storage = footprint.storage_gib * prices.storage
    if not running:
        return storage
    compute = footprint.replicas * (footprint.cpu * prices.cpu + footprint.memory_gib * prices.ram)
    return compute + storage


def cost_between(start: datetime, end: datetime, footprint: Footprint, prices: UnitPrices, *, running: bool) -> float:
    """The cost of the interval; nothing for an empty or reversed one."""
    hours = max((end - start).total_seconds(), 0.0) / 3600.0
    return hours * hourly_cost(footprint, prices, running=running)
