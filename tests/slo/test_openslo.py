"""Reading OpenSLO v1alpha (as Sloth does) and v1 files with SLIs and alert policies beside the SLO."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from portal.slo.errors import SpecError
from portal.slo.model import BurnRateCondition, RatioSLI, RawSLI
from portal.slo.specs import load_spec
from tests.slo.support import OPENSLO, SLOTH

# An SLO that refers to an SLI, an AlertPolicy and an AlertCondition kept as separate documents.
BILLING = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments
  labels:
    team: billing
    tier: ["1", "critical"]
spec:
  description: Card payments succeed.
  service: billing
  indicatorRef: payments-success
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - displayName: Payments
      target: 0.995
  alertPolicies:
    - alertPolicyRef: BillingBurn
---
apiVersion: openslo/v1
kind: SLI
metadata:
  name: payments-success
spec:
  ratioMetric:
    counter: true
    good:
      metricSource:
        type: Prometheus
        spec:
          query: payments_total{outcome="success"}
    total:
      metricSource:
        type: Prometheus
        spec:
          query: sum(rate(payments_total[{{.window}}]))
---
apiVersion: openslo/v1
kind: AlertPolicy
metadata:
  name: BillingBurn
spec:
  alertWhenBreaching: true
  conditions:
    - conditionRef: fast-burn
    - kind: AlertCondition
      metadata:
        name: slow-burn
      spec:
        severity: ticket
        condition:
          kind: burnrate
          op: gt
          threshold: 2
          lookbackWindow: 1d
---
apiVersion: openslo/v1
kind: AlertCondition
metadata:
  name: fast-burn
spec:
  description: A tenth of the budget gone within a day.
  severity: page
  condition:
    kind: burnrate
    op: gte
    threshold: 10
    lookbackWindow: 1h
    alertAfter: 5m
"""


def rejected(text: str) -> dict[str, list[str]]:
    """Load a spec that must be refused and return the reasons by field path."""
    with pytest.raises(SpecError) as caught:
        load_spec(textwrap.dedent(text))
    return caught.value.fields


def test_it_reads_a_v1alpha_slo_as_sloth_does() -> None:
    spec = load_spec((SLOTH / "in-openslo.yaml").read_text(encoding="utf-8"))

    (slo,) = spec.slos
    assert (slo.id, slo.name, slo.objective, slo.period) == ("svc01-slo1-0", "slo1-0", 99.9, timedelta(days=30))
    assert isinstance(slo.sli, RatioSLI)
    assert slo.sli.good_query.startswith("sum(rate(http_request_duration_seconds_count{")
    assert not slo.alerting.page.enabled
    assert (spec.source.spec, spec.source.mode) == ("openslo/v1alpha", "cli-gen-openslo")


def test_it_rejects_v1alpha_calendar_units() -> None:
    text = (SLOTH / "in-openslo.yaml").read_text(encoding="utf-8").replace("unit: Day", "unit: Month")

    assert rejected(text) == {
        "spec.timeWindows[0].unit": ["must be one of Second, Minute, Hour, Day, Week, got 'Month'"]
    }


def test_it_resolves_references_between_v1_documents() -> None:
    (slo,) = load_spec(BILLING).slos

    assert (slo.id, slo.objective, slo.period) == ("billing-payments", 99.5, timedelta(days=28))
    assert slo.labels == {"team": "billing", "tier": "1,critical"}
    assert slo.sli == RatioSLI(
        good_query='sum(rate(payments_total{outcome="success"}[{{.window}}]))',
        total_query="sum(rate(payments_total[{{.window}}]))",
    )
    assert slo.alerting.conditions == (
        BurnRateCondition(
            "BillingBurn",
            "page",
            "gte",
            10,
            timedelta(hours=1),
            timedelta(minutes=5),
            "A tenth of the budget gone within a day.",
        ),
        BurnRateCondition("BillingBurn", "ticket", "gt", 2, timedelta(days=1)),
    )
    assert not slo.alerting.page.enabled


RAW_SUCCESS = """indicator:
    metadata:
      name: raw
    spec:
      ratioMetric:
        rawType: success
        raw:
          metricSource:
            type: prometheus
            spec:
              query: avg_over_time(ok[{{.window}}])"""


def test_it_reads_a_raw_success_ratio_as_one_minus_it() -> None:
    text = BILLING.replace("indicatorRef: payments-success", RAW_SUCCESS)

    assert load_spec(text).slos[0].sli == RawSLI("1 - (avg_over_time(ok[{{.window}}]))")


def test_it_names_one_slo_per_objective() -> None:
    text = BILLING.replace("      target: 0.995\n", "      target: 0.995\n    - targetPercent: 99\n")

    assert [(slo.name, slo.objective) for slo in load_spec(text).slos] == [("payments-0", 99.5), ("payments-1", 99)]


def test_it_rejects_references_to_documents_that_are_not_there() -> None:
    text = BILLING.replace("indicatorRef: payments-success", "indicatorRef: missing").replace(
        "- conditionRef: fast-burn", "- conditionRef: gone"
    )

    assert rejected(text) == {
        "documents[0].spec.indicatorRef": ["no SLI named 'missing' in this file"],
        "documents[2].spec.conditions[0].conditionRef": ["no AlertCondition named 'gone' in this file"],
    }


def test_it_rejects_two_documents_of_one_kind_with_one_name() -> None:
    condition = BILLING[BILLING.rindex("---") :]

    assert rejected(BILLING + condition) == {
        "documents[4].metadata.name": ["another AlertCondition in this file is named 'fast-burn'"]
    }


def test_it_rejects_a_counter_query_it_cannot_take_the_rate_of() -> None:
    text = BILLING.replace('query: payments_total{outcome="success"}', "query: sum(payments_total)")

    assert rejected(text) == {
        "documents[1].spec.ratioMetric.good.metricSource.spec.query": [
            "a counter query must be a plain selector or use {{.window}}"
        ]
    }


def test_it_rejects_conditions_other_than_burn_rates() -> None:
    text = BILLING.replace("kind: burnrate\n    op: gte", "kind: threshold\n    op: above")

    assert rejected(text) == {
        "documents[3].spec.condition.kind": ["only burnrate conditions are supported, got 'threshold'"],
        "documents[3].spec.condition.op": ["must be one of gt, gte, lt, lte, got 'above'"],
    }


@pytest.mark.parametrize(
    ("name", "fields"),
    [
        (
            "readme-01-SLO-foo-slo.yaml",
            {
                "spec.indicator.spec.ratioMetric.good.metricSource.type": [
                    "only Prometheus metric sources are supported, got 'Datadog'"
                ],
                "spec.indicator.spec.ratioMetric.total.metricSource.type": [
                    "only Prometheus metric sources are supported, got 'Datadog'"
                ],
                "spec.timeWindow": ["must list at least one item"],
            },
        ),
        (
            "examples-budgeting-method_occurences-slo.yaml",
            {"spec.indicator.spec.thresholdMetric": ["threshold SLIs are not supported; use a ratioMetric"]},
        ),
        (
            "examples-budgeting-method_timeslices-slo.yaml",
            {
                "spec.budgetingMethod": ["only Occurrences is supported, got 'Timeslices'"],
                "spec.timeWindow[0]": ["only rolling windows are supported: Prometheus rules measure a sliding period"],
                "spec.timeWindow[0].duration": ["must be at least 1d, got 1m"],
            },
        ),
        (
            "examples-budgeting-method_ratio-timeslices.yaml",
            {"spec.budgetingMethod": ["only Occurrences is supported, got 'RatioTimeslices'"]},
        ),
        ("readme-03-AlertPolicy-AlertPolicy.yaml", {"kind": ["the file holds no SLO, only AlertPolicy"]}),
        ("readme-04-AlertCondition-cpu-usage-breach.yaml", {"kind": ["the file holds no SLO, only AlertCondition"]}),
    ],
)
def test_it_rejects_the_openslo_examples_it_cannot_turn_into_prometheus_rules(
    name: str, fields: dict[str, list[str]]
) -> None:
    found = rejected((OPENSLO / name).read_text(encoding="utf-8"))

    assert {path: found[path] for path in fields} == fields
