"""Writing the SLO model back out as Sloth, OpenSLO and Pyrra specs: round trips, and what a format cannot hold."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from portal.slo.errors import SpecError
from portal.slo.model import RatioSLI, SLOSpec
from portal.slo.openslo import to_openslo
from portal.slo.output import to_yaml
from portal.slo.pyrra import to_pyrra
from portal.slo.rules import spec_rule_groups
from portal.slo.sloth import to_sloth
from portal.slo.specs import load_spec
from tests.slo.support import PYRRA, SLOTH
from tests.slo.test_openslo import BILLING


def reread(documents: list[dict] | dict, *, period: timedelta = timedelta(days=30)) -> SLOSpec:
    """Print documents as YAML and read them back."""
    items = documents if isinstance(documents, list) else [documents]
    return load_spec("---\n".join(to_yaml(item) for item in items), period=period)


@pytest.mark.parametrize("name", ["in-base.yaml", "in-base-k8s.yaml", "example-getting-started.yml"])
def test_sloth_specs_survive_a_round_trip(name: str) -> None:
    spec = load_spec((SLOTH / name).read_text(encoding="utf-8"))

    assert reread(to_sloth(spec)).slos == spec.slos


@pytest.mark.parametrize(
    "name",
    [
        "in-http-slo.yaml",
        "example-apiserver-read-resource-latency.yaml",
        "example-apiserver-read-response-errors.yaml",
        "example-prometheus-http.yaml",
    ],
)
def test_pyrra_objectives_survive_a_round_trip(name: str) -> None:
    spec = load_spec((PYRRA / name).read_text(encoding="utf-8"))

    assert reread(to_pyrra(spec)).slos == spec.slos


def test_openslo_files_survive_a_round_trip_with_their_alert_policies() -> None:
    spec = load_spec(BILLING)

    again = reread(to_openslo(spec))

    assert again.slos == spec.slos
    assert again.slos[0].alerting.conditions


@pytest.mark.parametrize("name", ["example-apiserver-read-resource-latency.yaml", "example-prometheus-http.yaml"])
def test_a_pyrra_objective_written_as_sloth_records_the_same_error_ratios(name: str) -> None:
    spec = load_spec((PYRRA / name).read_text(encoding="utf-8"))
    period = spec.slos[0].period

    as_sloth = reread(to_sloth(spec), period=period)

    assert spec_rule_groups(as_sloth)[0] == spec_rule_groups(spec)[0]


def test_a_latency_objective_is_written_to_openslo_as_good_requests_over_all() -> None:
    spec = load_spec((PYRRA / "example-apiserver-read-resource-latency.yaml").read_text(encoding="utf-8"))

    (slo,) = reread(to_openslo(spec)).slos

    assert slo.sli == RatioSLI(
        good_query='sum(rate(apiserver_request_sli_duration_seconds_bucket{verb=~"LIST|GET",le="0.1"}[{{.window}}]))',
        total_query='sum(rate(apiserver_request_sli_duration_seconds_count{verb=~"LIST|GET"}[{{.window}}]))',
    )
    assert (slo.objective, slo.period) == (99, timedelta(weeks=2))


def test_sloth_cannot_hold_two_services() -> None:
    spec = load_spec((SLOTH / "in-base.yaml").read_text(encoding="utf-8"))
    other = replace(spec.slos[1], service="svc02", id="svc02-slo02")

    with pytest.raises(SpecError) as caught:
        to_sloth(replace(spec, slos=(spec.slos[0], other)))

    assert caught.value.fields == {"service": ["found ['svc01', 'svc02']"]}


def test_sloth_and_pyrra_cannot_hold_single_window_conditions() -> None:
    spec = load_spec(BILLING)

    for write in (to_sloth, to_pyrra):
        with pytest.raises(SpecError) as caught:
            write(spec)
        assert list(caught.value.fields) == ["slos[0].alerting"]


def test_pyrra_cannot_hold_a_raw_error_ratio() -> None:
    spec = load_spec((SLOTH / "in-base.yaml").read_text(encoding="utf-8"))

    with pytest.raises(SpecError) as caught:
        to_pyrra(replace(spec, slos=spec.slos[1:]))

    assert caught.value.fields == {
        "slos[0].sli": ["Pyrra needs queries of the form sum(rate(<selector>[{{.window}}])), grouped alike"]
    }
