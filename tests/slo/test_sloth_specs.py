"""Reading Sloth specs, and rejecting bad ones with the field path and the reason."""

from __future__ import annotations

import textwrap
from datetime import timedelta

import pytest

from portal.slo.errors import SpecError
from portal.slo.model import RatioSLI, RawSLI
from portal.slo.specs import load_spec
from tests.slo.support import SLOTH

VALID = """
version: prometheus/v1
service: checkout
slos:
  - name: requests-availability
    objective: 99.9
    sli:
      events:
        error_query: sum(rate(http_requests_total{job="checkout",code=~"5.."}[{{.window}}]))
        total_query: sum(rate(http_requests_total{job="checkout"}[{{.window}}]))
    alerting:
      name: CheckoutAvailability
"""


def rejected(text: str) -> dict[str, list[str]]:
    """Load a spec that must be refused and return the reasons by field path."""
    with pytest.raises(SpecError) as caught:
        load_spec(textwrap.dedent(text))
    return caught.value.fields


def edited(old: str, new: str) -> str:
    """Return the valid spec with one piece of text replaced."""
    assert old in VALID
    return VALID.replace(old, new)


def test_it_reads_sloths_base_spec() -> None:
    spec = load_spec((SLOTH / "in-base.yaml").read_text(encoding="utf-8"), period=timedelta(days=28))

    first, second = spec.slos
    assert (first.id, first.service, first.name, first.objective) == ("svc01-slo1", "svc01", "slo1", 99.9)
    assert first.period == timedelta(days=28)
    assert first.labels == {"global01k1": "global01v1", "global02k1": "global02v1"}
    assert isinstance(first.sli, RatioSLI)
    assert first.sli.error_query.endswith('code=~"(5..|429)"}[{{.window}}]))')
    assert first.alerting.name == "myServiceAlert"
    assert first.alerting.page.labels == {"alert03k1": "alert03v1"}
    assert isinstance(second.sli, RawSLI)
    assert not second.alerting.page.enabled
    assert not second.alerting.ticket.enabled
    assert (spec.source.spec, spec.source.mode, spec.name) == ("prometheus/v1", "cli-gen-prom", "svc01")


def test_it_reads_the_kubernetes_form_with_camel_case_keys() -> None:
    spec = load_spec((SLOTH / "in-base-k8s.yaml").read_text(encoding="utf-8"))

    assert (spec.name, spec.namespace, spec.source.mode) == ("svc", "test-ns", "cli-gen-k8s")
    assert [slo.id for slo in spec.slos] == ["svc01-slo1", "svc01-slo02"]
    assert spec.slos[0].alerting.ticket.labels == {"alert04k1": "alert04v1"}


@pytest.mark.parametrize("objective", ["100", "0", "-1", "100.5"])
def test_it_rejects_an_objective_outside_0_to_100(objective: str) -> None:
    fields = rejected(edited("objective: 99.9", f"objective: {objective}"))

    assert fields == {"slos[0].objective": [f"must be a percentage between 0 and 100, both excluded, got {objective}"]}


def test_it_rejects_an_objective_that_is_not_a_number() -> None:
    assert rejected(edited("objective: 99.9", "objective: high")) == {
        "slos[0].objective": ["must be a number, got 'high'"]
    }


def test_it_rejects_an_events_query_without_the_window_placeholder() -> None:
    fields = rejected(edited('code=~"5.."}[{{.window}}]', 'code=~"5.."}[5m]'))

    assert list(fields) == ["slos[0].sli.events.error_query"]
    assert "{{.window}} placeholder" in fields["slos[0].sli.events.error_query"][0]


def test_it_rejects_other_template_variables() -> None:
    fields = rejected(edited('job="checkout"}[{{.window}}]))\n', 'job="{{.job}}"}[{{.window}}]))\n'))

    assert fields == {
        "slos[0].sli.events.total_query": ["only the {{.window}} placeholder may be templated, found {{.job}}"]
    }


def test_it_rejects_unbalanced_queries() -> None:
    fields = rejected(edited('job="checkout"}[{{.window}}]))\n', 'job="checkout"}[{{.window}}])\n'))

    assert fields == {"slos[0].sli.events.total_query": ["has unbalanced brackets"]}


def test_it_names_every_missing_field_at_once() -> None:
    fields = rejected("version: prometheus/v1\nslos:\n  - sli: {}\n")

    assert fields == {
        "service": ["is required"],
        "slos[0].name": ["is required"],
        "slos[0].objective": ["is required"],
        "slos[0].alerting.name": ["is required unless both the page and ticket alerts are disabled"],
    }


def test_it_requires_at_least_one_slo() -> None:
    assert rejected("version: prometheus/v1\nservice: checkout\n") == {"slos": ["must list at least one item"]}


def test_it_rejects_an_sli_with_two_kinds() -> None:
    fields = rejected(edited("    sli:\n", "    sli:\n      raw:\n        error_ratio_query: x[{{.window}}]\n"))

    assert fields == {"slos[0].sli": ["must have exactly one of events or raw"]}


def test_it_rejects_sli_plugins_it_cannot_run() -> None:
    text = edited("      events:", "      plugin:\n        id: sloth-common/availability\n      events_:")

    assert rejected(text)["slos[0].sli.plugin"] == [
        "Sloth SLI plugins are not supported; write the events or raw queries out"
    ]


def test_it_rejects_invalid_names_and_label_names() -> None:
    text = edited("service: checkout", "service: -checkout\nlabels:\n  bad-key: x\n  __name__: y")

    fields = rejected(text)

    assert set(fields) == {"service", "labels.bad-key", "labels.__name__"}
    assert "must start and end with a letter or digit" in fields["service"][0]


def test_it_rejects_two_slos_with_one_name() -> None:
    slo = VALID[VALID.index("  - name") :]

    assert rejected(VALID + slo) == {
        "slos[1].name": ["another SLO of this service is already named 'requests-availability'"]
    }


def test_it_names_kubernetes_fields_with_their_own_keys() -> None:
    text = (
        (SLOTH / "in-base-k8s.yaml")
        .read_text(encoding="utf-8")
        .replace("[{{.window}}]))\n          total", "[5m]))\n          total")
    )

    assert list(rejected(text)) == ["spec.slos[0].sli.events.errorQuery"]


@pytest.mark.parametrize(
    ("text", "fields"),
    [
        ("apiVersion: example.com/v1\nkind: SLO\n", {"apiVersion"}),
        ("service: checkout\n", {"apiVersion"}),
        ("version: [unclosed\n", {"(document)"}),
        ("", {"(document)"}),
        ("- a list\n", {"documents[0]"}),
        (VALID + "---\n" + VALID, {"documents[1]"}),
    ],
)
def test_it_rejects_what_is_not_one_supported_spec(text: str, fields: set[str]) -> None:
    assert set(rejected(text)) == fields
