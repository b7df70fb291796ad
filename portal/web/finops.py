"""FinOps reads through portal.finops.selectors, imported lazily: without that layer the pages say so and go on."""

from __future__ import annotations

import importlib
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import DatabaseError

from portal.core.errors import ApplicationError
from portal.integrations.errors import IntegrationError

SELECTORS = "portal.finops.selectors"


@dataclass(frozen=True)
class Reading:
    """What a FinOps selector returned, or why it could not be read."""

    value: Any = None
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


def finops_read(name: str, **kwargs: Any) -> Reading:
    """Call one selector of the FinOps layer; a missing layer or a failing source becomes a message."""
    try:
        module = importlib.import_module(SELECTORS)
    except ImportError as exc:
        return Reading(error=f"FinOps data is not available yet: the FinOps layer ({SELECTORS}) is missing ({exc}).")
    function = getattr(module, name, None)
    if function is None:
        return Reading(error=f"FinOps data is not available yet: {SELECTORS} has no {name}().")
    try:
        return Reading(value=function(**kwargs))
    except (IntegrationError, ApplicationError) as exc:
        return Reading(error=f"FinOps data could not be read: {exc.message}")
    except DatabaseError as exc:
        return Reading(error=f"FinOps data could not be read from the database ({exc}); are its migrations applied?")


def daily_totals(rows: list[dict[str, Any]], *, key: str | None = None) -> list[tuple[date, float]]:
    """Sum cost_by_day rows per day (of one key, or of all), oldest first."""
    totals: dict[date, float] = defaultdict(float)
    for row in rows:
        if key is None or row["key"] == key:
            totals[row["day"]] += float(row["cost"])
    return sorted(totals.items())


def totals_by_key(rows: list[dict[str, Any]]) -> list[tuple[str, float, list[float]]]:
    """Each key's total over the rows and its daily series, most expensive first."""
    days = sorted({row["day"] for row in rows})
    per_key: dict[str, dict[date, float]] = defaultdict(lambda: defaultdict(float))
    for row in rows:
        per_key[str(row["key"])][row["day"]] += float(row["cost"])
    out = [(k, sum(v.values()), [v.get(d, 0.0) for d in days]) for k, v in per_key.items()]
    return sorted(out, key=lambda item: -item[1])
