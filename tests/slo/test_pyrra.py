"""Reading Pyrra's ServiceLevelObjectives, with Pyrra's own generated rules as a second opinion."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest
import yaml

from portal.slo.errors import SpecError
from portal.slo.model import LatencySLI, RatioSLI
from portal.slo.promql import Matcher
from portal.slo.rules import spec_rule_groups
from portal.slo.specs import load_spec
from tests.slo.support import PYRRA


def load(name: str):
    """Load one of Pyrra's examples."""
    return load_spec((PYRRA / name).read_text(encoding="utf-8"))


def rejected(text: str) -> dict[str, list[str]]:
    """Load a spec that must be refused and return the reasons by field path."""
    with pytest.raises(SpecError) as caught:
        load_spec(textwrap.dedent(text))
    return caught.value.fields


def test_it_reads_a_ratio_objective_with_pyrras_labels_and_description() -> None:
    spec = load("in-http-slo.yaml")

    (slo,) = spec.slos
    assert (slo.id, slo.objective, slo.period, slo.description) == ("http-http", 99.5, timedelta(days=28), "foo")
    assert slo.labels == {"team": "foo"}
    assert slo.sli == RatioSLI(
        error_query='sum(rate(http_requests_total{job="app",status=~"5.."}[{{.window}}]))',
        total_query='sum(rate(http_requests_total{job="app"}[{{.window}}]))',
    )
    assert (slo.alerting.name, slo.alerting.page.labels, slo.alerting.ticket.labels) == (
        "ErrorBudgetBurn",
        {"severity": "critical"},
        {"severity": "warning"},
    )
    assert spec.labels == {"pyrra.dev/team": "foo", "team": "bar"}


def test_it_reads_a_latency_objective_as_a_histogram_threshold() -> None:
    (slo,) = load("example-apiserver-read-resource-latency.yaml").slos

    assert (slo.service, slo.period) == ("monitoring", timedelta(weeks=2))
    assert slo.sli == LatencySLI("apiserver_request_sli_duration_seconds", "0.1", (Matcher("verb", "=~", "LIST|GET"),))


def test_it_keeps_the_grouping_of_an_objective() -> None:
    (slo,) = load("example-prometheus-http.yaml").slos

    assert isinstance(slo.sli, RatioSLI)
    assert (
        slo.sli.total_query == 'sum by (handler) (rate(prometheus_http_requests_total{handler=~"/api.*"}[{{.window}}]))'
    )


def test_a_success_metric_that_is_not_a_bucket_becomes_a_good_ratio() -> None:
    text = (PYRRA / "example-apiserver-read-resource-latency.yaml").read_text(encoding="utf-8")
    text = text.replace('_bucket{verb=~"LIST|GET",le="0.1"}', '_ok_total{verb=~"LIST|GET"}')

    (slo,) = load_spec(text).slos

    assert slo.sli == RatioSLI(
        good_query='sum(rate(apiserver_request_sli_duration_seconds_ok_total{verb=~"LIST|GET"}[{{.window}}]))',
        total_query='sum(rate(apiserver_request_sli_duration_seconds_count{verb=~"LIST|GET"}[{{.window}}]))',
    )


def test_our_error_ratios_are_pyrras_burn_rates() -> None:
    """Pyrra records the same error ratio per window as `<metric>:burnrate<window>`; compare the windows both have."""
    pyrra = yaml.safe_load((PYRRA / "out-http-prometheusrule.yaml").read_text(encoding="utf-8"))
    theirs = {
        rule["record"].split(":burnrate")[1]: rule["expr"]
        for group in pyrra["spec"]["groups"]
        for rule in group["rules"]
        if ":burnrate" in rule.get("record", "")
    }
    ours = {
        rule.labels["sloth_window"]: rule.expr
        for rule in spec_rule_groups(load("in-http-slo.yaml"))[0].rules
        if rule.labels["sloth_window"] in theirs
    }

    assert set(ours) == {"5m", "30m", "1h", "2h", "6h", "1d"}
    for window, expr in ours.items():
        assert _bare(expr) == _bare(theirs[window]), window


def _bare(expr: str) -> str:
    """Drop whitespace and parentheses, which differ between the two generators but not the arithmetic."""
    return "".join(ch for ch in expr if ch not in "() \n")


BASE = """
apiVersion: pyrra.dev/v1alpha1
kind: ServiceLevelObjective
metadata:
  name: checkout-errors
spec:
  target: "99.5"
  window: 4w
  indicator:
    ratio:
      errors:
        metric: http_requests_total{job="checkout",code=~"5.."}
      total:
        metric: http_requests_total{job="checkout"}
"""


@pytest.mark.parametrize(
    ("old", "new", "fields"),
    [
        ('"99.5"', '"abc"', {"spec.target": ["must be a number, got 'abc'"]}),
        ('"99.5"', '"100"', {"spec.target": ["must be a percentage between 0 and 100, both excluded, got 100"]}),
        ("4w", "4x", {"spec.window": ["'4x' is not a duration like 5m, 1h30m or 28d"]}),
        ("4w", "12h", {"spec.window": ["must be at least 1d, got 12h"]}),
        (
            "    ratio:",
            "    bool_gauge:\n      metric: up\n    ratio:",
            {
                "spec.indicator.bool_gauge": ["is not supported; use a ratio or latency indicator"],
                "spec.indicator": ["must have exactly one of ratio or latency"],
            },
        ),
        (
            'metric: http_requests_total{job="checkout"}',
            "metric: sum(rate(http_requests_total[5m]))",
            {
                "spec.indicator.ratio.total.metric": [
                    "'sum(rate(http_requests_total[5m]))' is not a metric selector"
                    ' like http_requests_total{job="app"}'
                ]
            },
        ),
    ],
)
def test_it_rejects_invalid_objectives(old: str, new: str, fields: dict[str, list[str]]) -> None:
    assert old in BASE
    assert rejected(BASE.replace(old, new)) == fields
