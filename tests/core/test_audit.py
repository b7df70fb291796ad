"""The audit trail: who did what to which object, from where, with before and after."""

from __future__ import annotations

from portal.catalog.models import Service
from portal.core.models import AuditEvent, User
from tests.conftest import client_for


def test_an_api_write_is_audited_with_actor_source_and_before_after(owner: User, payments_api: Service) -> None:
    client = client_for(owner)
    response = client.patch(
        "/api/v1/catalog/services/payments-api",
        {"tier": 2},
        format="json",
        HTTP_USER_AGENT="pytest-agent",
        HTTP_X_REQUEST_ID="req-123",
    )
    assert response.status_code == 200
    event = AuditEvent.objects.get(action="update", object_type="catalog.service")
    assert event.actor_name == "lee"
    assert event.object_repr == "payments-api"
    assert event.before["tier"] == 1
    assert event.after["tier"] == 2
    assert event.source_ip == "127.0.0.1"
    assert event.user_agent == "pytest-agent"
    assert event.request_id == "req-123"
    assert event.via == "api"


def test_audit_trail_is_for_sres_only(owner: User, sre: User, payments_api: Service) -> None:
    client_for(owner).patch("/api/v1/catalog/services/payments-api", {"tier": 2}, format="json")
    assert client_for(owner).get("/api/v1/audit").status_code == 403
    listing = client_for(sre).get("/api/v1/audit", {"object_type": "catalog.service"}).json()
    assert listing["count"] == 1
    assert listing["results"][0]["after"]["tier"] == 2


def test_admin_changes_are_audited(platform_admin: User, payments_api: Service) -> None:
    platform_admin.is_staff = True
    platform_admin.is_superuser = True
    platform_admin.save()
    client = client_for(platform_admin)
    page = client.get(f"/admin/catalog/service/{payments_api.pk}/change/")
    assert page.status_code == 200
    data = {
        "name": "payments-api",
        "title": "Payments API v2",
        "description": "",
        "owner": payments_api.owner_id,
        "type": "service",
        "tier": "1",
        "lifecycle": "production",
        "tags": "python",
        "origin": "manual",
        "repo_url": payments_api.repo_url,
        "runtime": "",
        "language": "",
        "links": "[]",
        "placements-TOTAL_FORMS": "0",
        "placements-INITIAL_FORMS": "0",
        "placements-MIN_NUM_FORMS": "0",
        "placements-MAX_NUM_FORMS": "1000",
    }
    response = client.post(f"/admin/catalog/service/{payments_api.pk}/change/", data)
    assert response.status_code == 302, response.content[:2000]
    event = AuditEvent.objects.get(via="admin", action="update")
    assert event.before["title"] == "Payments API"
    assert event.after["title"] == "Payments API v2"


def test_an_sre_can_use_the_admin_for_the_catalog_but_not_for_people(sre: User, payments_api: Service) -> None:
    sre.is_staff = True
    sre.save()
    client = client_for(sre)
    assert client.get("/admin/catalog/service/").status_code == 200
    assert b"payments-api" in client.get("/admin/catalog/service/").content
    assert client.get(f"/admin/catalog/service/{payments_api.pk}/change/").status_code == 200
    assert client.get("/admin/core/auditevent/").status_code == 200
    assert client.get("/admin/core/user/add/").status_code == 403
    assert client.get("/admin/core/servicetoken/").status_code == 200
