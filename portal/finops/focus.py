"""Read FinOps FOCUS 1.2 billing CSVs into cost lines, naming the line and column of every value that is wrong.

Besides strict FOCUS values (ISO 8601 date-times in UTC, plain decimals, `null` or empty for no value) the reader takes
what spreadsheet exports of FOCUS files carry: a UTF-8 byte-order mark, `M/D/YY` dates, amounts such as
`"$10,000.00 "`, blank lines, and column names in the wrong case. Custom `x_` columns are kept in `extra`.
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation

# FOCUS 1.2 columns by data type (`focus_v1.2_columns.tsv`); every other column is a string.
DATE_TIME_COLUMNS = ("BillingPeriodEnd", "BillingPeriodStart", "ChargePeriodEnd", "ChargePeriodStart")
JSON_COLUMNS = ("SkuPriceDetails", "Tags")
DECIMAL_COLUMNS = (
    "BilledCost",
    "CommitmentDiscountQuantity",
    "ConsumedQuantity",
    "ContractedCost",
    "ContractedUnitPrice",
    "EffectiveCost",
    "ListCost",
    "ListUnitPrice",
    "PricingCurrencyContractedUnitPrice",
    "PricingCurrencyEffectiveCost",
    "PricingCurrencyListUnitPrice",
    "PricingQuantity",
)
STRING_COLUMNS = (
    "AvailabilityZone",
    "BillingAccountId",
    "BillingAccountName",
    "BillingAccountType",
    "BillingCurrency",
    "CapacityReservationId",
    "CapacityReservationStatus",
    "ChargeCategory",
    "ChargeClass",
    "ChargeDescription",
    "ChargeFrequency",
    "CommitmentDiscountCategory",
    "CommitmentDiscountId",
    "CommitmentDiscountName",
    "CommitmentDiscountStatus",
    "CommitmentDiscountType",
    "CommitmentDiscountUnit",
    "ConsumedUnit",
    "InvoiceId",
    "InvoiceIssuerName",
    "PricingCategory",
    "PricingCurrency",
    "PricingUnit",
    "ProviderName",
    "PublisherName",
    "RegionId",
    "RegionName",
    "ResourceId",
    "ResourceName",
    "ResourceType",
    "ServiceCategory",
    "ServiceName",
    "ServiceSubcategory",
    "SkuId",
    "SkuMeter",
    "SkuPriceId",
    "SubAccountId",
    "SubAccountName",
    "SubAccountType",
)
FOCUS_COLUMNS = (*DATE_TIME_COLUMNS, *JSON_COLUMNS, *DECIMAL_COLUMNS, *STRING_COLUMNS)
# The columns a cost line cannot do without; FOCUS makes them mandatory and never null.
REQUIRED_COLUMNS = ("ChargePeriodStart", "ChargePeriodEnd", "BilledCost", "EffectiveCost")
# Tag keys read as our own dimensions, first match wins.
TAG_KEYS: Mapping[str, tuple[str, ...]] = {
    "team": ("team", "owner", "cost-center"),
    "service": ("service", "app", "app.kubernetes.io/name"),
    "environment": ("env", "environment", "stage"),
}

_AMOUNT = re.compile(r"^[$€£]?-?\d{1,3}(,\d{3})+(\.\d+)?$|^[$€£]?-?\d*(\.\d+)?$")
_SHORT_DATE = re.compile(r"^(\d{1,2})/(\d{1,2})/(\d{2}|\d{4})$")
_NULLS = ("", "null", "NULL", "Null")


@dataclass(frozen=True)
class Problem:
    """One value that could not be read: the file line (the header is line 1), the column and why."""

    line: int
    column: str
    reason: str

    def __str__(self) -> str:
        return f"line {self.line}, column {self.column}: {self.reason}"


class FocusError(ValueError):
    """A billing file that cannot be imported, with every problem found in it."""

    def __init__(self, problems: list[Problem]) -> None:
        shown = "\n".join(f"  {problem}" for problem in problems[:20])
        more = f"\n  ... and {len(problems) - 20} more" if len(problems) > 20 else ""
        super().__init__(f"the billing file has {len(problems)} problem(s):\n{shown}{more}")
        self.problems = problems

    @property
    def fields(self) -> dict[str, list[str]]:
        """Return the problems keyed `line <n>.<column>`, the shape of the API's error body."""
        keyed: dict[str, list[str]] = defaultdict(list)
        for problem in self.problems:
            keyed[f"line {problem.line}.{problem.column}"].append(problem.reason)
        return dict(keyed)


@dataclass(frozen=True)
class CostLine:
    """One FOCUS row: when, what, how much (billed and effective), and its tags."""

    line: int
    charge_period_start: datetime
    charge_period_end: datetime
    billed_cost: Decimal
    effective_cost: Decimal
    list_cost: Decimal | None = None
    contracted_cost: Decimal | None = None
    billing_currency: str = ""
    charge_category: str = ""
    charge_frequency: str = ""
    charge_description: str = ""
    provider: str = ""
    service_name: str = ""
    service_category: str = ""
    resource_id: str = ""
    resource_name: str = ""
    resource_type: str = ""
    region: str = ""
    sub_account: str = ""
    sku_id: str = ""
    pricing_quantity: Decimal | None = None
    pricing_unit: str = ""
    consumed_quantity: Decimal | None = None
    consumed_unit: str = ""
    commitment_discount_id: str = ""
    commitment_discount_status: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    extra: Mapping[str, str] = field(default_factory=dict)

    def dimension(self, name: str) -> str:
        """Return our `team`, `service` or `environment` from the tags, or "" when no tag says."""
        return next((self.tags[key] for key in TAG_KEYS.get(name, (name,)) if self.tags.get(key)), "")


def read_focus(text: str) -> list[CostLine]:
    """Read a FOCUS CSV; raise FocusError listing every bad value by line and column."""
    rows = csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline=""))
    header = next(rows, [])
    columns, problems = _columns(header)
    lines = []
    for values in rows:
        if not any(value.strip() for value in values):
            continue
        line = rows.line_num
        if len(values) != len(header):
            problems.append(Problem(line, "*", f"has {len(values)} values, the header has {len(header)}"))
            continue
        row_problems: list[Problem] = []
        parsed = {name: _value(name, values[index], line, row_problems) for index, name in columns.items()}
        row_problems += [Problem(line, name, "is required") for name in REQUIRED_COLUMNS if parsed.get(name) is None]
        problems += row_problems
        if not row_problems and not problems:
            lines.append(_cost_line(line, parsed))
    if problems:
        raise FocusError(problems)
    return lines


def costs_by(
    lines: Iterable[CostLine], key: str | Callable[[CostLine], str], *, metric: str = "effective"
) -> dict[str, Decimal]:
    """Sum effective (or billed) cost per key: `team`, `service`, `environment`, `tag:<name>` or any field."""
    group = key if callable(key) else _key(key)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for line in lines:
        totals[group(line)] += line.effective_cost if metric == "effective" else line.billed_cost
    return dict(totals)


def _key(name: str) -> Callable[[CostLine], str]:
    if name.startswith("tag:"):
        return lambda line: line.tags.get(name.removeprefix("tag:"), "")
    if name in TAG_KEYS:
        return lambda line: line.dimension(name)
    return lambda line: str(getattr(line, name))


def _columns(header: list[str]) -> tuple[dict[int, str], list[Problem]]:
    known = {name.lower(): name for name in FOCUS_COLUMNS}
    columns = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        if name.lower() in known:
            columns[index] = known[name.lower()]
        elif name.startswith("x_"):
            columns[index] = name
    missing = set(REQUIRED_COLUMNS) - set(columns.values())
    return columns, [Problem(1, name, "is a required column but the header lacks it") for name in sorted(missing)]


def _value(name: str, raw: str, line: int, problems: list[Problem]) -> object:
    text = raw.strip()
    if text in _NULLS:
        return None
    try:
        if name in DECIMAL_COLUMNS:
            return _decimal(text)
        if name in DATE_TIME_COLUMNS:
            return _date_time(text)
        if name in JSON_COLUMNS:
            return _json(text)
    except ValueError as error:
        problems.append(Problem(line, name, f"{raw!r} {error}"))
    return text


def _decimal(text: str) -> Decimal:
    if not _AMOUNT.match(text) or text in ("$", "€", "£", "-", "."):
        raise ValueError("is not a decimal number")
    try:
        return Decimal(text.lstrip("$€£").replace(",", ""))
    except InvalidOperation:
        raise ValueError("is not a decimal number") from None


def _date_time(text: str) -> datetime:
    short = _SHORT_DATE.match(text)
    try:
        if short:
            month, day, year = (int(part) for part in short.groups())
            return datetime(year + 2000 if year < 100 else year, month, day, tzinfo=UTC)
        moment = datetime.fromisoformat(text)
    except ValueError as error:
        raise ValueError(f"is not a date-time (ISO 8601 in UTC, or M/D/YYYY): {error}") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _json(text: str) -> dict[str, str]:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"is not JSON: {error.msg} at character {error.pos}") from None
    if not isinstance(value, dict):
        raise ValueError("is not a JSON object")
    return {str(key): item if isinstance(item, str) else json.dumps(item) for key, item in value.items()}


@dataclass(frozen=True)
class _Row:
    values: Mapping[str, object]

    def text(self, name: str) -> str:
        value = self.values.get(name)
        return value if isinstance(value, str) else ""

    def decimal(self, name: str) -> Decimal | None:
        value = self.values.get(name)
        return value if isinstance(value, Decimal) else None

    def moment(self, name: str) -> datetime:
        value = self.values[name]
        assert isinstance(value, datetime)
        return value


def _cost_line(line: int, parsed: Mapping[str, object]) -> CostLine:
    row = _Row(parsed)
    tags = parsed.get("Tags")
    return CostLine(
        line=line,
        charge_period_start=row.moment("ChargePeriodStart"),
        charge_period_end=row.moment("ChargePeriodEnd"),
        billed_cost=row.decimal("BilledCost") or Decimal(0),
        effective_cost=row.decimal("EffectiveCost") or Decimal(0),
        list_cost=row.decimal("ListCost"),
        contracted_cost=row.decimal("ContractedCost"),
        billing_currency=row.text("BillingCurrency"),
        charge_category=row.text("ChargeCategory"),
        charge_frequency=row.text("ChargeFrequency"),
        charge_description=row.text("ChargeDescription"),
        provider=row.text("ProviderName"),
        service_name=row.text("ServiceName"),
        service_category=row.text("ServiceCategory"),
        resource_id=row.text("ResourceId"),
        resource_name=row.text("ResourceName"),
        resource_type=row.text("ResourceType"),
        region=row.text("RegionId"),
        sub_account=row.text("SubAccountId"),
        sku_id=row.text("SkuId"),
        pricing_quantity=row.decimal("PricingQuantity"),
        pricing_unit=row.text("PricingUnit"),
        consumed_quantity=row.decimal("ConsumedQuantity"),
        consumed_unit=row.text("ConsumedUnit"),
        commitment_discount_id=row.text("CommitmentDiscountId"),
        commitment_discount_status=row.text("CommitmentDiscountStatus"),
        tags=tags if isinstance(tags, dict) else {},
        extra={name: str(value) for name, value in parsed.items() if name.startswith("x_") and value is not None},
    )
