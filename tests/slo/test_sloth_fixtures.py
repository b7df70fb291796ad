"""Our rules against the rules Sloth itself generated for the same specs, rule by rule (testdata/slo/sloth)."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
import yaml

from portal.slo.output import MANAGED_BY, prometheus_rule, rules_file, to_yaml
from portal.slo.rules import GENERATOR_VERSION, spec_rule_groups
from portal.slo.specs import load_alert_windows, load_spec
from portal.slo.windows import google_windows
from tests.slo.support import SLOTH


@dataclass(frozen=True)
class Case:
    """One Sloth fixture pair and the command-line options Sloth's own tests generated it with."""

    spec: str
    expected: str
    period: timedelta = timedelta(days=30)
    windows: str = ""
    alerts: bool = True
    extra_labels: dict[str, str] = field(default_factory=dict)
    kubernetes: bool = False


CASES = [
    Case("in-base.yaml", "out-base.yaml.tpl"),
    Case("in-base.yaml", "out-base-28d.yaml.tpl", period=timedelta(days=28)),
    Case("in-base.yaml", "out-base-custom-windows-7d.yaml.tpl", period=timedelta(days=7), windows="windows-7d.yaml"),
    Case("in-base.yaml", "out-base-no-alerts.yaml.tpl", alerts=False),
    Case("in-base-k8s.yaml", "out-base-k8s.yaml.tpl", kubernetes=True),
    Case("in-openslo.yaml", "out-openslo.yaml.tpl"),
    Case("example-getting-started.yml", "example-getting-started.gen.yml", extra_labels={"cmd": "examplesgen.sh"}),
]


def sloth_expected(name: str) -> dict[str, Any]:
    """Load one of Sloth's outputs, rendering its Go template the way Sloth's test does before comparing."""
    text = (SLOTH / name).read_text(encoding="utf-8")
    text = re.sub(r'\{\{"(.*?)"\}\}', r"\1", text)  # {{"{{$labels.x}}"}} is how Go templates escape {{$labels.x}}
    return yaml.safe_load(text.replace("{{ .version }}", "dev"))


def ours(case: Case) -> dict[str, Any]:
    """Generate the rules for a case and read them back from the YAML we print."""
    spec = load_spec((SLOTH / case.spec).read_text(encoding="utf-8"), period=case.period)
    catalog = (load_alert_windows((SLOTH / case.windows).read_text(encoding="utf-8")),) if case.windows else ()
    groups = spec_rule_groups(spec, catalog=catalog, alerts=case.alerts, extra_labels=case.extra_labels)
    document = prometheus_rule(spec, groups) if case.kubernetes else rules_file(groups)
    return yaml.safe_load(to_yaml(document))


def comparable(rule: dict[str, Any]) -> dict[str, Any]:
    """Return what must match in a rule: names, whitespace-normalised expression, for, labels and annotations.

    `sloth_version` is the generator's own version ({{ .version }} or "dev" in the fixtures), so it is ours.
    """
    labels = dict(rule.get("labels") or {})
    if "sloth_version" in labels:
        labels["sloth_version"] = GENERATOR_VERSION
    return {
        "record": rule.get("record"),
        "alert": rule.get("alert"),
        "expr": " ".join(str(rule["expr"]).split()),
        "for": rule.get("for"),
        "labels": labels,
        "annotations": rule.get("annotations") or {},
    }


def test_every_sloth_fixture_pair_is_compared() -> None:
    outputs = {path.name for path in SLOTH.iterdir() if path.name.startswith("out-") or ".gen." in path.name}
    assert outputs == {case.expected for case in CASES}


@pytest.mark.parametrize("case", CASES, ids=[case.expected for case in CASES])
def test_rules_match_what_sloth_generates(case: Case) -> None:
    expected, got = sloth_expected(case.expected), ours(case)
    if case.kubernetes:
        expected_meta, got_meta = expected["metadata"], got["metadata"]
        assert expected["apiVersion"] == got["apiVersion"] == "monitoring.coreos.com/v1"
        assert expected["kind"] == got["kind"] == "PrometheusRule"
        assert (got_meta["name"], got_meta["namespace"]) == (expected_meta["name"], expected_meta["namespace"])
        assert got_meta["labels"] == {**expected_meta["labels"], "app.kubernetes.io/managed-by": MANAGED_BY}
        expected, got = expected["spec"], got["spec"]
    assert [g["name"] for g in got["groups"]] == [g["name"] for g in expected["groups"]]
    for theirs, mine in zip(expected["groups"], got["groups"], strict=True):
        assert [comparable(r) for r in mine["rules"]] == [comparable(r) for r in theirs["rules"]], theirs["name"]


@pytest.mark.parametrize("period", [28, 30])
def test_built_in_windows_are_sloths_google_windows(period: int) -> None:
    windows = load_alert_windows((SLOTH / f"google-{period}d.yaml").read_text(encoding="utf-8"))

    assert windows == google_windows(timedelta(days=period))
