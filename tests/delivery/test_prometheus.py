"""The judge through a real Prometheus: baseline and canary pods selected by version label and by pod regex."""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from portal.catalog.models import Environment, Service
from portal.core.models import Team, User
from portal.delivery.services import canary_judge
from portal.integrations.metrics.prometheus import PrometheusMetrics
from portal.integrations.metrics.sandbox.fleet import Fleet, ServiceProfile
from portal.integrations.metrics.sandbox.openmetrics import openmetrics_export
from tests.support.prometheus import prometheus_server

WEEK = 7 * 86400
SAMPLE = re.compile(r'^(?P<name>[a-z_]+)\{(?P<labels>.*pod="(?P<pod>[^"]+)".*)\} (?P<value>\S+) (?P<t>\d+)$')


def _released(lines: Iterable[str], canary_pod: str, *, cpu: float, errors: float) -> Iterator[str]:
    """Label every pod with its version; the canary pod's release burns `cpu` x CPU and throws `errors` x 5xx."""
    for line in lines:
        match = SAMPLE.match(line.rstrip("\n"))
        if match is None:
            yield line
            continue
        pod, value = match["pod"], float(match["value"])
        canary = pod == canary_pod
        if canary and match["name"] == "container_cpu_usage_seconds_total":
            value *= cpu
        if canary and match["name"] == "http_requests_total" and 'code="500"' in match["labels"]:
            value *= errors
        version = "1.5.0" if canary else "1.4.2"
        yield f'{match["name"]}{{{match["labels"]},version="{version}"}} {value:.10g} {match["t"]}\n'


def test_a_real_prometheus_judges_a_bad_release_by_version_and_sibling_pods_by_regex(
    tmp_path: Path, payments: Team, prod: Environment, owner: User
) -> None:
    service = Service.objects.create(name="checkout-api", owner=payments, tier=2)
    epoch = float((int(time.time()) // WEEK - 4) * WEEK)
    fleet = Fleet(services=(ServiceProfile(name="checkout-api", replicas=4),), epoch=epoch)
    pods = fleet.pod_names("checkout-api")
    start, end = epoch + 2 * 86400 + 10 * 3600, epoch + 2 * 86400 + 11 * 3600
    lines = _released(openmetrics_export(fleet, start=start - 600, end=end), pods[3], cpu=3.0, errors=10.0)
    begins, ends = datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)

    with prometheus_server(tmp_path, lines) as url:
        source = PrometheusMetrics(url)
        release, _ = canary_judge(
            actor=owner,
            service=service,
            environment=prod,
            baseline={"version": "1.4.2"},
            canary={"version": "1.5.0"},
            source=source,
            start=begins,
            end=ends,
        )
        siblings, _ = canary_judge(
            actor=owner,
            service=service,
            environment=prod,
            baseline={"pod_regex": f"{pods[0]}|{pods[1]}"},
            canary={"pod_regex": f"{pods[2]}"},
            source=source,
            start=begins,
            end=ends,
        )

    by_name = {m["name"]: m for m in release.metrics}
    assert by_name["cpu_per_pod"]["classification"] == "high"
    assert by_name["cpu_per_pod"]["ratio"] > 2
    assert by_name["error_ratio"]["classification"] == "high"
    assert by_name["error_ratio"]["critical"]
    assert by_name["latency_p99"]["classification"] == "pass"
    assert all(m["canary"]["count"] == 61 for m in release.metrics)
    assert release.outcome == "fail"
    assert release.reasons[0].startswith("Critical metric failed: error_ratio: canary higher than baseline")
    assert siblings.outcome == "pass", siblings.reasons
