"""Alertmanager alerts become incidents: deduplicated, grouped by service and dependency, resolved cleanly."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from portal.catalog.models import Service
from portal.core.models import AuditEvent, Team, User
from portal.incidents.models import Alert, Incident
from tests.conftest import client_for

TOKEN = "am-token"
URL = "/api/v1/incidents/webhooks/alertmanager"


@pytest.fixture(autouse=True)
def token(settings) -> None:
    settings.ALERTMANAGER_WEBHOOK_TOKEN = TOKEN


@pytest.fixture
def checkout_api(checkout: Team, payments_api: Service) -> Service:
    service = Service.objects.create(name="checkout-api", owner=checkout, tier=2)
    service.dependencies.add(payments_api)
    return service


def _alert(
    name: str,
    service: str,
    *,
    status: str = "firing",
    fingerprint: str = "",
    severity: str = "critical",
    starts: str = "2026-11-24T10:00:00Z",
) -> dict[str, Any]:
    return {
        "status": status,
        "labels": {"alertname": name, "service": service, "severity": severity},
        "annotations": {"summary": f"{name} is high"},
        "startsAt": starts,
        "endsAt": "2026-11-24T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": "http://prometheus/graph",
        "fingerprint": fingerprint or f"{name}-{service}",
    }


def _send(*alerts: dict[str, Any], token: str = TOKEN):
    payload = {
        "version": "4",
        "groupKey": '{}:{alertname="x"}',
        "truncatedAlerts": 0,
        "status": "firing",
        "receiver": "portal",
        "groupLabels": {},
        "commonLabels": {},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager:9093",
        "alerts": list(alerts),
    }
    return APIClient().post(URL, payload, format="json", HTTP_AUTHORIZATION=f"Bearer {token}")


def test_an_alert_opens_an_incident_with_severity_from_the_tier(payments_api: Service) -> None:
    response = _send(_alert("HighErrorRate", "payments-api"))
    assert response.status_code == 202
    assert response.json()["alerts"][0]["outcome"] == "opened incident"
    incident = Incident.objects.get()
    assert (incident.service, incident.severity, incident.state) == (payments_api, "sev1", "open")
    assert incident.title == "HighErrorRate on payments-api: HighErrorRate is high"
    kinds = list(incident.timeline.values_list("kind", flat=True))
    assert kinds == ["alert", "state"]  # the alert began before the portal opened the incident


def test_repeats_are_deduplicated_by_fingerprint(payments_api: Service) -> None:
    for _ in range(3):
        _send(_alert("HighErrorRate", "payments-api"))
    alert = Alert.objects.get()
    assert alert.received_count == 3
    assert Incident.objects.get().timeline.filter(kind="alert").count() == 1


def test_alerts_on_a_dependency_join_the_same_incident(payments_api: Service, checkout_api: Service) -> None:
    _send(_alert("HighErrorRate", "payments-api"))
    outcome = _send(_alert("HighLatency", "checkout-api")).json()["alerts"][0]["outcome"]
    assert outcome == "grouped into incident"
    incident = Incident.objects.get()
    assert sorted(s.name for s in incident.services.all()) == ["checkout-api", "payments-api"]


def test_an_unrelated_service_or_an_old_incident_gets_a_new_incident(payments_api: Service, checkout: Team) -> None:
    Service.objects.create(name="search", owner=checkout, tier=3)
    _send(_alert("HighErrorRate", "payments-api"))
    _send(_alert("HighLatency", "search"))
    assert Incident.objects.count() == 2
    Incident.objects.update(last_activity_at=timezone.now() - timedelta(hours=2))
    _send(_alert("DiskFull", "payments-api"))
    assert Incident.objects.count() == 3


def test_resolving_every_alert_mitigates_and_a_new_alert_reopens(payments_api: Service) -> None:
    _send(_alert("HighErrorRate", "payments-api"))
    _send(_alert("HighErrorRate", "payments-api", status="resolved"))
    incident = Incident.objects.get()
    assert incident.state == "mitigated"
    assert incident.mitigated_at is not None
    _send(_alert("HighLatency", "payments-api"))
    incident.refresh_from_db()
    assert incident.state == "open"


def test_unknown_services_are_reported_not_stored(db: None) -> None:
    body = _send(_alert("HighErrorRate", "ghost")).json()
    assert body["alerts"][0]["incident"] is None
    assert "no service in the catalog" in body["alerts"][0]["outcome"]
    assert not Alert.objects.exists()


def test_a_wrong_token_is_401_and_a_bad_payload_names_the_field(payments_api: Service) -> None:
    assert _send(_alert("X", "payments-api"), token="nope").status_code == 401
    bad = _alert("X", "payments-api")
    bad["startsAt"] = "yesterday"
    response = _send(bad)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["alerts[0].startsAt"]
    assert not Alert.objects.exists()


def test_state_changes_are_owned_audited_and_checked(
    owner: User, outsider: User, sre: User, payments_api: Service
) -> None:
    _send(_alert("HighErrorRate", "payments-api"))
    incident = Incident.objects.get()
    url = f"/api/v1/incidents/{incident.pk}/state"
    assert client_for(outsider).post(url, {"state": "resolved", "reason": "x"}, format="json").status_code == 404
    assert client_for(owner).post(url, {"state": "resolved", "reason": ""}, format="json").status_code == 400
    assert client_for(owner).post(url, {"state": "resolved", "reason": "rolled back"}, format="json").status_code == 200
    again = client_for(sre).post(url, {"state": "mitigated", "reason": "?"}, format="json")
    assert again.status_code == 409
    event = AuditEvent.objects.get(action="state")
    assert (event.actor_name, event.after["state"]) == ("lee", "resolved")
    detail = client_for(sre).get(f"/api/v1/incidents/{incident.pk}").json()
    assert detail["timeline"][-1]["message"] == "Resolved: rolled back"
    assert detail["resolved_at"] is not None


def test_notes_and_listing_by_service(owner: User, payments_api: Service) -> None:
    _send(_alert("HighErrorRate", "payments-api"))
    incident = Incident.objects.get()
    note = client_for(owner).post(
        f"/api/v1/incidents/{incident.pk}/notes", {"text": "looking at the deploy"}, format="json"
    )
    assert note.status_code == 201
    listed = client_for(owner).get("/api/v1/incidents", {"service": "payments-api", "state": "open"}).json()
    assert [i["id"] for i in listed["results"]] == [incident.pk]
    assert listed["results"][0]["url"].endswith(f"/api/v1/incidents/{incident.pk}")
