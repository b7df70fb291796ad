"""Reading FOCUS 1.2 billing CSVs: the published sample files, and bad values named by line and column."""

from __future__ import annotations

import csv
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from portal.finops.focus import (
    DATE_TIME_COLUMNS,
    DECIMAL_COLUMNS,
    FOCUS_COLUMNS,
    JSON_COLUMNS,
    FocusError,
    costs_by,
    read_focus,
)

FOCUS = Path(__file__).resolve().parents[2].parent / "shared" / "testdata" / "finops" / "focus"
SAMPLES = sorted((FOCUS / "data").glob("*.csv"))
# The two samples whose charge period ends at hour 30, which no clock has.
BROKEN = {"commitment_discount_purchase_scenario_2.csv": 4, "commitment_discount_purchase_scenario_3.csv": 5}


def read(name: str):
    return read_focus((FOCUS / "data" / name).read_text(encoding="utf-8"))


def test_the_embedded_columns_are_focus_1_2s() -> None:
    with (FOCUS / "focus_v1.2_columns.tsv").open() as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    assert sorted(FOCUS_COLUMNS) == sorted(row["ColumnID"] for row in rows)
    by_type = {row["ColumnID"]: row["DataType"] for row in rows}
    assert {name for name, kind in by_type.items() if kind == "Decimal"} == set(DECIMAL_COLUMNS)
    assert {name for name, kind in by_type.items() if kind == "Date/Time"} == set(DATE_TIME_COLUMNS)
    assert {name for name, kind in by_type.items() if kind == "JSON"} == set(JSON_COLUMNS)


@pytest.mark.parametrize("path", [path for path in SAMPLES if path.name not in BROKEN], ids=lambda path: path.stem)
def test_it_reads_every_well_formed_sample(path: Path) -> None:
    lines = read_focus(path.read_text(encoding="utf-8"))
    assert lines
    assert all(line.charge_period_end >= line.charge_period_start for line in lines)


@pytest.mark.parametrize(("name", "line"), sorted(BROKEN.items()))
def test_an_impossible_date_time_is_named_by_line_and_column(name: str, line: int) -> None:
    with pytest.raises(FocusError) as error:
        read(name)
    [problem] = error.value.problems
    assert (problem.line, problem.column) == (line, "ChargePeriodEnd")
    assert "'2023-02-01T30:00:00Z' is not a date-time" in problem.reason
    assert f"line {line}, column ChargePeriodEnd" in str(error.value)
    assert list(error.value.fields) == [f"line {line}.ChargePeriodEnd"]


@pytest.mark.parametrize(
    "name", ["saas_spend_agreements_a1.csv", "saas_spend_agreements_a2.csv", "saas_spend_agreements_b1.csv"]
)
def test_a_spend_commitment_adds_up_to_its_1200_whether_billed_or_effective(name: str) -> None:
    lines = read(name)
    assert sum(line.billed_cost for line in lines) == Decimal(1200)
    assert sum(line.effective_cost for line in lines) == Decimal(1200)


def test_an_upfront_purchase_is_billed_once_and_amortized_into_effective_cost() -> None:
    lines = read("saas_spend_agreements_b2.csv")
    purchase = [line for line in lines if line.charge_category == "Purchase"]
    assert [(line.billed_cost, line.effective_cost) for line in purchase] == [(Decimal(1200), Decimal(0))]
    assert sum(line.effective_cost for line in lines) == Decimal(1200)


@pytest.mark.parametrize(
    "name",
    [
        "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_1_resource.csv",
        "one_hundred_percent_utilization_with_commitment_discount_flexibility_with_2_resources.csv",
        "one_hundred_percent_utilization_without_commitment_discount_flexibility.csv",
        "zero_percent_utilization_without_commitment_discount_flexibility.csv",
    ],
)
def test_a_commitment_bought_and_used_in_one_hour_bills_what_it_costs(name: str) -> None:
    lines = read(name)
    assert sum(line.billed_cost for line in lines) == sum(line.effective_cost for line in lines)


def test_spreadsheet_amounts_and_dates_are_read() -> None:
    [line] = read("simple_saas_agreements_a2.csv")
    assert (line.billed_cost, line.list_cost, line.pricing_quantity) == (Decimal(50000), Decimal(50000), Decimal(500))
    assert line.charge_period_start == datetime(2025, 4, 1, tzinfo=UTC)
    assert (line.service_name, line.sku_id, line.billing_currency) == ("ACMECORP Licenses", "ACL-123", "USD")


def test_a_byte_order_mark_and_crlf_do_not_get_in_the_way() -> None:
    [line] = read("virtual_currency_pricing_model_a1.csv")
    assert (line.billed_cost, line.effective_cost, line.resource_id) == (Decimal(200000), Decimal(0), "abcde")


def test_null_means_no_value_and_custom_columns_are_kept() -> None:
    lines = read("one_hundred_percent_utilization_without_commitment_discount_flexibility.csv")
    assert [line.line for line in lines] == [2, 4]  # the blank line 3 is skipped, lines keep their numbers
    assert lines[0].consumed_quantity is None
    assert lines[0].extra == {"x_CommitmentDiscountUnitPrice": "1.50"}
    assert lines[1].commitment_discount_status == "Used"


def test_costs_roll_up_by_any_field() -> None:
    lines = read("saas_spend_agreements_a2.csv")
    assert costs_by(lines, "sku_id") == {"U-123": Decimal(228), "C-002": Decimal(972)}


def test_tags_give_team_service_and_environment() -> None:
    text = _one_row('{"team": "payments", "app": "payments-api", "env": "prod", "replicas": 3}')
    [line] = read_focus(text)
    assert (line.dimension("team"), line.dimension("service"), line.dimension("environment")) == (
        "payments",
        "payments-api",
        "prod",
    )
    assert line.tags["replicas"] == "3"
    assert costs_by([line], "team") == {"payments": Decimal("1.50")}
    assert costs_by([line], "tag:env", metric="billed") == {"prod": Decimal("2.00")}


@pytest.mark.parametrize(
    ("billed", "tags", "column", "reason"),
    [
        ("twelve", "", "BilledCost", "is not a decimal number"),
        ('"$1,00.0"', "", "BilledCost", "is not a decimal number"),
        ("2.00", '"{not json"', "Tags", "is not JSON"),
        ("2.00", '"[1, 2]"', "Tags", "is not a JSON object"),
    ],
)
def test_bad_values_are_named_by_line_and_column(billed: str, tags: str, column: str, reason: str) -> None:
    text = (
        f"ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,Tags\n2025-04-01,2025-04-02,{billed},1.50,{tags}\n"
    )
    with pytest.raises(FocusError) as error:
        read_focus(text)
    [problem] = error.value.problems
    assert (problem.line, problem.column) == (2, column)
    assert reason in problem.reason


def test_every_problem_in_a_file_is_reported_at_once() -> None:
    text = "ChargePeriodStart,ChargePeriodEnd,BilledCost\n2025-04-01,,1\n2025-04-01,2025-04-02\n"
    with pytest.raises(FocusError) as error:
        read_focus(text)
    assert [(p.line, p.column) for p in error.value.problems] == [
        (1, "EffectiveCost"),
        (2, "ChargePeriodEnd"),
        (2, "EffectiveCost"),
        (3, "*"),
    ]


def _one_row(tags: str) -> str:
    escaped = '"' + tags.replace('"', '""') + '"'
    return "ChargePeriodStart,ChargePeriodEnd,BilledCost,EffectiveCost,Tags\n" + (
        f"2025-04-01T00:00:00Z,2025-04-01T01:00:00Z,2.00,1.50,{escaped}\n"
    )
