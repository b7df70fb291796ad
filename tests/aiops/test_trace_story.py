"""`manage.py demo_incident --scenario dependency-slowdown`: the front end alerts, the traces name the dependency."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portal.core.models import User
from portal.incidents.models import Incident
from tests.conftest import client_for


def test_the_slowdown_demo_names_the_dependency_three_hops_down(demo_world: Path) -> None:
    out = io.StringIO()
    call_command("demo_incident", "--scenario", "dependency-slowdown", stdout=out)
    text = out.getvalue()
    incident = Incident.objects.get()
    assert incident.service.name == "checkout-api"
    top = incident.hypotheses.order_by("rank").first()
    assert top is not None
    assert top.service is not None
    assert top.service.name == "catalog-search", text
    assert "catalog-search slowed down, 3 hops below checkout-api" in text
    assert "checkout-api -> cart-service -> recommendations -> catalog-search" in text
    assert "/traces/" in text  # the link a person opens
    assert "time to suggest" in text


def test_an_unknown_culprit_is_a_clear_error(demo_world: Path) -> None:
    with pytest.raises(CommandError, match="No service 'nope'"):
        call_command("demo_incident", "--scenario", "dependency-slowdown", "--culprit", "nope", stdout=io.StringIO())


def test_the_incident_page_links_the_trace_behind_the_top_hypothesis(demo_world: Path) -> None:
    call_command("demo_incident", "--scenario", "dependency-slowdown", stdout=io.StringIO())
    incident = Incident.objects.get()
    top = incident.hypotheses.order_by("rank").first()
    assert top is not None
    trace_ids = [e["data"]["trace_id"] for e in top.evidence if e.get("data", {}).get("trace_id")]
    assert trace_ids, top.evidence

    page = client_for(User.objects.get(username="sam")).get(f"/incidents/{incident.pk}")
    html = page.content.decode()

    assert page.status_code == 200
    assert f'/traces/{trace_ids[0]}"' in html
    assert f"open trace {trace_ids[0][:11]}" in html
