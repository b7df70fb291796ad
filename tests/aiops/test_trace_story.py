"""`manage.py demo_incident --scenario dependency-slowdown`: the front end alerts, the traces name the dependency."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from portal.incidents.models import Incident


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
