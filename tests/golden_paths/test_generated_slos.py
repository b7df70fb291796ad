"""Each generated repository's OpenSLO file holds an availability and a latency objective set by its tier."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.golden_paths.conftest import VARIANTS, Variant
from tests.golden_paths.schemas import OPENSLO_SERVICE, OPENSLO_SLO

AVAILABILITY = {"1": 0.999, "2": 0.995, "3": 0.99}
LATENCY_TARGET = 0.99
LATENCY_THRESHOLD_SECONDS = {
    "python-http-service": {"1": 0.3, "2": 0.5, "3": 1.0},
    "event-driven-worker": {"1": 1.0, "2": 2.5, "3": 5.0},
    "scheduled-job": {"1": 600, "2": 1800, "3": 3600},
}
SCHEMAS = {"Service": OPENSLO_SERVICE, "SLO": OPENSLO_SLO}
# The job's SLIs come from kube-state-metrics (one Job per run), the others' from metrics their code exports.
OWN_METRICS = [v for v in VARIANTS if v.path != "scheduled-job"]


@pytest.fixture
def slos(variant: Variant, repo: Path) -> dict[str, dict[str, Any]]:
    """The file's SLOs by name, each document checked against the OpenSLO v1 structure first."""
    documents = list(yaml.safe_load_all((repo / "slo" / "openslo.yaml").read_text()))
    for document in documents:
        jsonschema.Draft202012Validator(SCHEMAS[document["kind"]]).validate(document)
    services = [d["metadata"]["name"] for d in documents if d["kind"] == "Service"]
    assert services == [variant.context["name"]]
    return {d["metadata"]["name"]: d for d in documents if d["kind"] == "SLO"}


def queries(slo: dict[str, Any]) -> tuple[str, str]:
    ratio = slo["spec"]["indicator"]["spec"]["ratioMetric"]
    return ratio["good"]["metricSource"]["spec"]["query"], ratio["total"]["metricSource"]["spec"]["query"]


def test_availability_target_follows_the_tier(variant: Variant, slos: dict[str, dict[str, Any]]) -> None:
    slo = slos[f"{variant.context['name']}-availability"]

    assert [o["target"] for o in slo["spec"]["objectives"]] == [AVAILABILITY[variant.context["tier"]]]
    assert slo["spec"]["service"] == variant.context["name"]
    assert slo["spec"]["timeWindow"] == [{"duration": "28d", "isRolling": True}]
    assert slo["metadata"]["annotations"]["platform-portal/tier"] == variant.context["tier"]


def test_latency_threshold_follows_the_tier(variant: Variant, slos: dict[str, dict[str, Any]]) -> None:
    slo = slos[f"{variant.context['name']}-latency"]
    threshold = LATENCY_THRESHOLD_SECONDS[variant.path][variant.context["tier"]]
    good, _total = queries(slo)

    assert [o["target"] for o in slo["spec"]["objectives"]] == [LATENCY_TARGET]
    assert float(slo["metadata"]["annotations"]["platform-portal/latency-threshold-seconds"]) == threshold
    if variant.path == "scheduled-job":
        assert f"<= {threshold})" in good
    else:
        assert f'le="{float(threshold)}"' in good  # a bucket bound, as prometheus_client writes it


@pytest.mark.parametrize("variant", OWN_METRICS, ids=lambda v: v.id)
def test_queries_count_metrics_that_the_generated_code_exports(
    variant: Variant, repo: Path, slos: dict[str, dict[str, Any]]
) -> None:
    source = "\n".join(p.read_text() for p in (repo / "src").rglob("*.py"))
    for slo in slos.values():
        for query in queries(slo):
            metric = re.match(r"sum\(([a-z_]+?)(_total|_bucket|_count)?\{", query)
            assert metric, query
            assert f'"{metric.group(1)}"' in source, f"{metric.group(1)} is not exported by the code"


@pytest.mark.parametrize("variant", OWN_METRICS, ids=lambda v: v.id)
def test_the_latency_threshold_is_a_histogram_bucket_bound(variant: Variant, repo: Path) -> None:
    threshold = LATENCY_THRESHOLD_SECONDS[variant.path][variant.context["tier"]]
    source = "\n".join(p.read_text() for p in (repo / "src").rglob("*.py"))
    buckets = re.search(r"_BUCKETS = \(([^)]*)\)", source)

    assert buckets, "no *_BUCKETS tuple in the generated code"
    assert threshold in [float(b) for b in buckets.group(1).split(",")]
