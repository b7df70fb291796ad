"""What a preview has cost so far: resources times hours times OpenCost's prices, counted as it changes state."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from portal.finops.prices import DEFAULT_PRICES
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewState
from portal.previews.schedule import Footprint, UnitPrices, cost_between
from portal.previews.specs import config_of


def _prices() -> UnitPrices:
    return UnitPrices(cpu=DEFAULT_PRICES.cpu, ram=DEFAULT_PRICES.ram, storage=DEFAULT_PRICES.storage)


def _footprint(config: PreviewConfig) -> Footprint:
    return Footprint(
        replicas=config.replicas,
        cpu=float(config.cpu),
        memory_gib=float(config.memory_gib),
        storage_gib=float(config.storage_gib),
    )


def cost_accrue(preview: PreviewEnvironment, now: datetime) -> None:
    """Add what the preview cost since it was last counted: compute while active, storage while asleep."""
    if preview.cost_until is None or preview.state not in (PreviewState.ACTIVE, PreviewState.SLEEPING):
        preview.cost_until = now if preview.state in (PreviewState.ACTIVE, PreviewState.SLEEPING) else None
        return
    running = preview.state == PreviewState.ACTIVE
    start = preview.cost_until
    amount = cost_between(start, now, _footprint(config_of(preview)), _prices(), running=running)
    hours = max((now - start).total_seconds(), 0.0) / 3600.0
    preview.cost += Decimal(str(round(amount, 6)))
    if running:
        preview.running_hours += hours
    else:
        preview.sleeping_hours += hours
    preview.cost_until = max(now, start)
