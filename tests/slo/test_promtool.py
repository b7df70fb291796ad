"""promtool on what we generate: every rules file is valid, and each alert fires at its burn rate, not below it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import yaml

from portal.slo.burn_rate import error_budget
from portal.slo.model import SLO, SLOSpec
from portal.slo.output import prometheus_rule, rules_file, to_yaml
from portal.slo.promql import format_duration
from portal.slo.rules import spec_rule_groups
from portal.slo.specs import load_spec
from portal.slo.windows import AlertWindows, alert_windows_for
from tests.slo.support import PYRRA, promtool, write_yaml
from tests.slo.test_openslo import BILLING
from tests.slo.test_sloth_fixtures import CASES, ours

GAUGE = "slo_test_error_ratio"


def test_promtool_accepts_every_generated_rules_file(tmp_path: Path) -> None:
    documents = [ours(case) for case in CASES]
    documents = [document.get("spec", document) for document in documents]
    for name in sorted(p.name for p in PYRRA.glob("*.yaml") if not p.name.startswith(("crd-", "out-"))):
        documents.append(rules_file(spec_rule_groups(load_spec((PYRRA / name).read_text(encoding="utf-8")))))
    documents.append(prometheus_rule(load_spec(BILLING), spec_rule_groups(load_spec(BILLING)))["spec"])
    names = [write_yaml(tmp_path / f"rules-{n}.yaml", document).name for n, document in enumerate(documents)]

    result = promtool("check", "rules", *names, cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.count("SUCCESS") == len(names) == 12


def gauge_spec(service: str, period: timedelta) -> SLOSpec:
    """Return an SLO whose error ratio over each window is a gauge the test sets: `slo_test_error_ratio{window=...}`."""
    spec = {
        "version": "prometheus/v1",
        "service": service,
        "slos": [
            {
                "name": "requests",
                "objective": 99.9,
                "sli": {"raw": {"error_ratio_query": f'sum({GAUGE}{{slo="{service}",window="{{{{.window}}}}"}})'}},
                "alerting": {"name": "CheckoutBurn", "page_alert": {"labels": {"severity": "critical"}}},
            }
        ],
    }
    return load_spec(yaml.safe_dump(spec), period=period)


def burn_tests(slo: SLO, windows: AlertWindows) -> list[dict[str, Any]]:
    """Per alert window: error ratios just above the factor fire that severity alone; just below, nothing fires."""
    tests = []
    for severity, window in (
        ("page", windows.page_quick),
        ("page", windows.page_slow),
        ("ticket", windows.ticket_quick),
        ("ticket", windows.ticket_slow),
    ):
        for scale, fires in ((1.001, True), (0.999, False)):
            ratio = windows.factor(window) * error_budget(slo.objective) * scale
            labels = {"severity": "critical"} if severity == "page" else {}
            expected = [_expected_alert(slo, severity, labels=labels)] if fires else []
            tests.append(
                _test([_gauge(slo, d, ratio) for d in (window.short, window.long)], "10m", "CheckoutBurn", expected)
            )
    return tests


def _gauge(slo: SLO, window: timedelta, value: float) -> dict[str, str]:
    """Hold the error ratio of one window at a value for a quarter of an hour."""
    return {"series": f'{GAUGE}{{slo="{slo.service}",window="{format_duration(window)}"}}', "values": f"{value!r}x15"}


def _test(series: list[dict[str, str]], at: str, alert: str, expected: list[dict[str, Any]]) -> dict[str, Any]:
    """Return one promtool test case."""
    return {
        "interval": "1m",
        "input_series": series,
        "alert_rule_test": [{"eval_time": at, "alertname": alert, "exp_alerts": expected}],
    }


def _expected_alert(
    slo: SLO, severity: str, *, labels: dict[str, str] | None = None, summary: str = "", description: str = ""
) -> dict[str, Any]:
    """Return the labels and rendered annotations the alert must carry."""
    who = f"{slo.service} {slo.name}"
    annotations = {
        "title": f"({severity}) {who} SLO error budget burn rate is too fast.",
        "summary": summary or f"{who} SLO error budget burn rate is over expected.",
    }
    if description:
        annotations["description"] = description
    return {
        "exp_labels": {
            "sloth_id": slo.id,
            "sloth_service": slo.service,
            "sloth_slo": slo.name,
            "sloth_severity": severity,
            **(labels or {}),
        },
        "exp_annotations": annotations,
    }


def condition_tests(slo: SLO) -> list[dict[str, Any]]:
    """The OpenSLO condition (burn rate >= 10 over 1h for 5m): firing after 5m above it, pending before, quiet below."""
    (condition,) = slo.alerting.conditions
    ratio = condition.threshold * error_budget(slo.objective)
    summary = f"{slo.service} {slo.name} SLO error budget burn rate over 1h is >= 10."
    expected = _expected_alert(slo, "page", summary=summary, description="A tenth of the budget gone within a day.")
    above, below = [_gauge(slo, condition.lookback, ratio * 1.001)], [_gauge(slo, condition.lookback, ratio * 0.999)]
    return [
        _test(above, "10m", condition.alert, [expected]),
        _test(above, "3m", condition.alert, []),
        _test(below, "10m", condition.alert, []),
    ]


BILLING_GAUGE = """
apiVersion: openslo/v1
kind: SLO
metadata:
  name: payments
spec:
  service: billing
  indicator:
    metadata:
      name: payments-errors
    spec:
      ratioMetric:
        rawType: failure
        raw:
          metricSource:
            type: Prometheus
            spec:
              query: sum(slo_test_error_ratio{slo="billing",window="{{.window}}"})
  timeWindow:
    - duration: 28d
      isRolling: true
  budgetingMethod: Occurrences
  objectives:
    - target: 0.995
  alertPolicies:
    - kind: AlertPolicy
      metadata:
        name: BillingBurn
      spec:
        conditions:
          - kind: AlertCondition
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


def test_each_alert_fires_at_its_burn_rate_and_not_just_below_it(tmp_path: Path) -> None:
    files, tests = [], []
    for service, days in (("checkout30", 30), ("checkout28", 28)):
        spec = gauge_spec(service, timedelta(days=days))
        (slo,) = spec.slos
        files.append(write_yaml(tmp_path / f"{service}.yaml", rules_file(spec_rule_groups(spec))).name)
        tests += burn_tests(slo, alert_windows_for(slo.period))
    billing = load_spec(BILLING_GAUGE)
    files.append((tmp_path / "billing.yaml").name)
    (tmp_path / "billing.yaml").write_text(to_yaml(rules_file(spec_rule_groups(billing))), encoding="utf-8")
    tests += condition_tests(billing.slos[0])
    write_yaml(tmp_path / "tests.yaml", {"rule_files": files, "evaluation_interval": "1m", "tests": tests})

    result = promtool("test", "rules", "tests.yaml", cwd=tmp_path)

    assert result.returncode == 0, result.stdout + result.stderr
    assert len(tests) == 19
