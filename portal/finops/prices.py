"""Price sheets: OpenCost's default prices, per-node and per-instance-type overrides, spot and per-asset prices."""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

HOURS_PER_MONTH = 730.0
GIB = 1024.0**3


class PriceSheetError(ValueError):
    """A price sheet that cannot be read; `field` names the key or `line:column` at fault."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


@dataclass(frozen=True)
class ResourcePrices:
    """Unit prices: $ per core-hour, GiB-hour of RAM, GPU-hour, GiB-hour of storage, and $ per GB of egress."""

    cpu: float
    ram: float
    gpu: float
    storage: float
    spot_cpu: float | None = None
    spot_ram: float | None = None
    zone_egress: float = 0.0
    region_egress: float = 0.0
    internet_egress: float = 0.0

    def spot(self) -> ResourcePrices:
        """Return these prices as a spot node pays them (GPU and storage have no spot price)."""
        return replace(
            self,
            cpu=self.cpu if self.spot_cpu is None else self.spot_cpu,
            ram=self.ram if self.spot_ram is None else self.spot_ram,
        )

    def scaled(self, factor: float) -> ResourcePrices:
        """Return CPU, RAM and GPU prices multiplied by one factor, keeping their ratios."""
        return replace(self, cpu=self.cpu * factor, ram=self.ram * factor, gpu=self.gpu * factor)


# OpenCost's `default.json` (GCP us-central1 list prices), embedded so the product never reads test data.
DEFAULT_PRICES = ResourcePrices(
    cpu=0.031611,
    ram=0.004237,
    gpu=0.95,
    storage=0.00005479452,
    spot_cpu=0.006655,
    spot_ram=0.000892,
    zone_egress=0.01,
    region_egress=0.01,
    internet_egress=0.12,
)

_OPENCOST_KEYS = {
    "CPU": "cpu",
    "RAM": "ram",
    "GPU": "gpu",
    "storage": "storage",
    "spotCPU": "spot_cpu",
    "spotRAM": "spot_ram",
    "zoneNetworkEgress": "zone_egress",
    "regionNetworkEgress": "region_egress",
    "internetNetworkEgress": "internet_egress",
}


def prices_from_opencost(sheet: Mapping[str, object], *, base: ResourcePrices = DEFAULT_PRICES) -> ResourcePrices:
    """Read an OpenCost custom pricing sheet (`default.json` layout); keys it lacks keep the base prices."""
    values: dict[str, float] = {}
    for key, name in _OPENCOST_KEYS.items():
        if key in sheet and sheet[key] not in ("", None):
            values[name] = _price(key, sheet[key])
    return replace(base, **values)


def normalized_to_node_price(
    base: ResourcePrices, *, cpu_cores: float, ram_gib: float, gpus: float, node_price: float
) -> ResourcePrices:
    """Scale CPU, RAM and GPU prices by one factor so the node's resources add up to its price (spec Appendix A)."""
    list_price = cpu_cores * base.cpu + ram_gib * base.ram + gpus * base.gpu
    if list_price <= 0.0:
        raise PriceSheetError("node_price", "the node has no CPU, RAM or GPU to carry its price")
    return base.scaled(node_price / list_price)


@dataclass(frozen=True)
class PriceSheet:
    """Default prices, overridden per instance type, then per node; whole-asset prices from a per-asset sheet."""

    default: ResourcePrices = DEFAULT_PRICES
    instance_types: Mapping[str, ResourcePrices] = field(default_factory=dict)
    nodes: Mapping[str, ResourcePrices] = field(default_factory=dict)
    node_hourly: Mapping[str, float] = field(default_factory=dict)
    gpu_hourly: Mapping[str, float] = field(default_factory=dict)
    volume_hourly: Mapping[str, float] = field(default_factory=dict)

    def resource_prices(self, *, node: str = "", instance_type: str = "", spot: bool = False) -> ResourcePrices:
        """Return the unit prices for one node: its own override, else its instance type's, else the default."""
        prices = self.nodes.get(node) or self.instance_types.get(instance_type) or self.default
        return prices.spot() if spot else prices


@dataclass(frozen=True)
class AssetPrice:
    """One row of OpenCost's per-asset pricing CSV: an asset's market price per hour."""

    asset_class: str
    instance_id: str
    instance_id_field: str
    instance_type: str
    region: str
    hourly: float


_ASSET_COLUMNS = ("EndTimestamp", "InstanceID", "Region", "AssetClass", "InstanceIDField", "InstanceType")


def read_asset_prices(text: str) -> list[AssetPrice]:
    """Read OpenCost's per-asset pricing CSV (`pricing_schema.csv` layout)."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    missing = [name for name in (*_ASSET_COLUMNS, "MarketPriceHourly") if name not in (reader.fieldnames or [])]
    if missing:
        raise PriceSheetError("header", f"missing column(s) {', '.join(missing)}")
    rows = []
    for row in reader:
        line = reader.line_num
        asset_class = (row["AssetClass"] or "").strip().lower()
        if asset_class not in ("node", "gpu", "pv"):
            raise PriceSheetError(f"line {line}:AssetClass", f"{row['AssetClass']!r} is not node, gpu or pv")
        rows.append(
            AssetPrice(
                asset_class=asset_class,
                instance_id=(row["InstanceID"] or "").strip(),
                instance_id_field=(row["InstanceIDField"] or "").strip(),
                instance_type=(row["InstanceType"] or "").strip(),
                region=(row["Region"] or "").strip(),
                hourly=_price(f"line {line}:MarketPriceHourly", row["MarketPriceHourly"]),
            )
        )
    return rows


def with_asset_prices(sheet: PriceSheet, assets: list[AssetPrice]) -> PriceSheet:
    """Return the sheet with whole-node, per-GPU-type and per-volume hourly prices added."""
    by_class: dict[str, dict[str, float]] = {"node": {}, "gpu": {}, "pv": {}}
    for asset in assets:
        by_class[asset.asset_class][asset.instance_id] = asset.hourly
    return replace(
        sheet,
        node_hourly={**sheet.node_hourly, **by_class["node"]},
        gpu_hourly={**sheet.gpu_hourly, **by_class["gpu"]},
        volume_hourly={**sheet.volume_hourly, **by_class["pv"]},
    )


def _price(name: str, value: object) -> float:
    try:
        number = float(str(value).strip())
    except ValueError:
        raise PriceSheetError(name, f"{value!r} is not a number") from None
    if not math.isfinite(number) or number < 0.0:
        raise PriceSheetError(name, f"{value!r} is not a price (a finite number >= 0)")
    return number
