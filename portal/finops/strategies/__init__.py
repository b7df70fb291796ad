"""Rightsizing strategies: `Strategy(settings).run(history) -> Recommendation`, plus the replay bench's parts."""

from typing import Any

from portal.finops.strategies.base import History, OomKill, Recommendation, Strategy
from portal.finops.strategies.krr_simple import KrrSimple, KrrSimpleSettings
from portal.finops.strategies.seasonal import Seasonal, SeasonalSettings
from portal.finops.strategies.vpa import Vpa, VpaSettings

# Strategies by name, for settings and the bench; `seasonal` is ours.
STRATEGIES: dict[str, type[Strategy[Any]]] = {"krr_simple": KrrSimple, "vpa": Vpa, "seasonal": Seasonal}

__all__ = [
    "STRATEGIES",
    "History",
    "KrrSimple",
    "KrrSimpleSettings",
    "OomKill",
    "Recommendation",
    "Seasonal",
    "SeasonalSettings",
    "Strategy",
    "Vpa",
    "VpaSettings",
]
