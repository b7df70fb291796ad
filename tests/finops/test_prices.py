"""Price sheets: OpenCost's default numbers, cloud sheets, per-asset prices, overrides and spot prices."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from portal.finops.prices import (
    DEFAULT_PRICES,
    HOURS_PER_MONTH,
    PriceSheet,
    PriceSheetError,
    ResourcePrices,
    normalized_to_node_price,
    prices_from_opencost,
    read_asset_prices,
    with_asset_prices,
)

OPENCOST = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "finops" / "opencost"


def sheet(name: str) -> dict[str, str]:
    return json.loads((OPENCOST / name).read_text())


def test_the_embedded_defaults_are_opencosts_default_json() -> None:
    assert prices_from_opencost(sheet("default.json"), base=ResourcePrices(0, 0, 0, 0)) == DEFAULT_PRICES


def test_the_defaults_are_the_published_unit_prices() -> None:
    assert (DEFAULT_PRICES.cpu, DEFAULT_PRICES.ram, DEFAULT_PRICES.gpu) == (0.031611, 0.004237, 0.95)
    assert round(DEFAULT_PRICES.storage, 8) == 0.00005479
    # Storage is $0.04 per GiB-month spread over OpenCost's 730-hour month.
    assert round(DEFAULT_PRICES.storage * HOURS_PER_MONTH, 4) == 0.04


@pytest.mark.parametrize(
    ("name", "cpu", "ram", "gpu", "internet"),
    [
        ("aws.json", 0.031611, 0.004237, 0.95, 0.143),
        ("gcp.json", 0.031611, 0.004237, 0.95, 0.12),
        ("azure.json", 0.039, 0.001917, 0.0428925, 0.0725),
    ],
)
def test_it_reads_each_cloud_sheet(name: str, cpu: float, ram: float, gpu: float, internet: float) -> None:
    prices = prices_from_opencost(sheet(name))
    assert (prices.cpu, prices.ram, prices.gpu, prices.internet_egress) == (cpu, ram, gpu, internet)


def test_a_sheet_without_gpu_keeps_the_default_gpu_price() -> None:
    assert prices_from_opencost(sheet("gcp.json")).gpu == DEFAULT_PRICES.gpu


def test_it_rejects_a_price_that_is_not_a_number_and_names_the_key() -> None:
    with pytest.raises(PriceSheetError) as error:
        prices_from_opencost({"CPU": "cheap"})
    assert error.value.field == "CPU"


def test_spot_nodes_pay_spot_cpu_and_ram_but_list_gpu() -> None:
    spot = DEFAULT_PRICES.spot()
    assert (spot.cpu, spot.ram, spot.gpu) == (0.006655, 0.000892, 0.95)


def test_a_node_override_beats_its_instance_type_which_beats_the_default() -> None:
    cheap, dear = DEFAULT_PRICES.scaled(0.5), DEFAULT_PRICES.scaled(2.0)
    prices = PriceSheet(instance_types={"n2-standard-4": cheap}, nodes={"node-a": dear})
    assert prices.resource_prices(node="node-a", instance_type="n2-standard-4") == dear
    assert prices.resource_prices(node="node-b", instance_type="n2-standard-4") == cheap
    assert prices.resource_prices(node="node-b", instance_type="e2-small") == DEFAULT_PRICES


def test_appendix_a_prices_are_scaled_to_the_node_price_keeping_their_ratios() -> None:
    # A node with 1 GPU, 1 CPU and 1 GB of RAM costs $35/month; base prices $30, $30 and $10 become $15, $15, $5.
    base = ResourcePrices(cpu=30.0, ram=10.0, gpu=30.0, storage=0.0)
    prices = normalized_to_node_price(base, cpu_cores=1, ram_gib=1, gpus=1, node_price=35.0)
    assert (round(prices.gpu, 2), round(prices.cpu, 2), round(prices.ram, 2)) == (15.00, 15.00, 5.00)
    assert prices.gpu / prices.ram == pytest.approx(3.0)


def test_it_reads_the_per_asset_pricing_csv() -> None:
    nodes = read_asset_prices((OPENCOST / "pricing_schema.csv").read_text())
    volumes = read_asset_prices((OPENCOST / "pricing_schema_pv.csv").read_text())
    prices = with_asset_prices(PriceSheet(), nodes + volumes)
    assert prices.node_hourly == {"gke-standard-cluster-1-pool-1-91dc432d-cg69": 0.1337}
    assert prices.gpu_hourly == {"Quadro_RTX_4000": 0.75, "Quadro_RTX_4001": 0.80}
    assert prices.volume_hourly == {"pvc-08e1f205-d7a9-4430-90fc-7b3965a18c4d": 0.1337}
    assert [asset.instance_id_field for asset in nodes] == [
        "metadata.name",
        "nvidia.com/gpu_type",
        "gpu.nvidia.com/class",
    ]


def test_a_per_asset_row_with_an_unknown_class_is_named_by_line_and_column() -> None:
    text = "EndTimestamp,InstanceID,Region,AssetClass,InstanceIDField,InstanceType,MarketPriceHourly,Version\n"
    text += "2019-04-17 23:34:22 UTC,lb-1,,loadbalancer,metadata.name,,0.02,\n"
    with pytest.raises(PriceSheetError) as error:
        read_asset_prices(text)
    assert error.value.field == "line 2:AssetClass"
