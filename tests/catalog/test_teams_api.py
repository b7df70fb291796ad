"""Teams: platform admins create them, team admins manage members, members cannot."""

from __future__ import annotations

from portal.catalog.models import Resource, System
from portal.core.models import AuditEvent, Membership, Team, User
from tests.conftest import client_for

URL = "/api/v1/catalog/teams"


def test_only_platform_admins_create_teams(owner: User, platform_admin: User) -> None:
    body = {"name": "data", "title": "Data platform", "email": "data@example.com"}
    assert client_for(owner).post(URL, body, format="json").status_code == 403
    created = client_for(platform_admin).post(URL, body, format="json")
    assert created.status_code == 201
    assert created.json()["title"] == "Data platform"
    assert client_for(platform_admin).post(URL, body, format="json").status_code == 409


def test_a_team_admin_adds_a_member_and_a_member_cannot(team_admin: User, owner: User, sre: User) -> None:
    assert client_for(owner).put(f"{URL}/payments/members/sam", {"role": "member"}, format="json").status_code == 403
    response = client_for(team_admin).put(f"{URL}/payments/members/sam", {"role": "admin"}, format="json")
    assert response.status_code == 200
    assert Membership.objects.get(user=sre).role == "admin"
    assert AuditEvent.objects.filter(object_type="core.membership", action="create").exists()
    assert client_for(team_admin).delete(f"{URL}/payments/members/sam").status_code == 204
    assert not Membership.objects.filter(user=sre).exists()


def test_unknown_member_or_role_is_named(team_admin: User) -> None:
    missing = client_for(team_admin).put(f"{URL}/payments/members/ghost", {}, format="json")
    assert missing.status_code == 404
    assert "username" in missing.json()["error"]["fields"]
    bad_role = client_for(team_admin).put(f"{URL}/payments/members/priya", {"role": "boss"}, format="json")
    assert bad_role.status_code == 400
    assert "role" in bad_role.json()["error"]["fields"]


def test_a_team_that_owns_services_cannot_be_deleted(platform_admin: User, payments_api) -> None:
    response = client_for(platform_admin).delete(f"{URL}/payments")
    assert response.status_code == 409
    assert Team.objects.filter(name="payments").exists()


def test_members_filter(owner: User, outsider: User) -> None:
    body = client_for(owner).get(URL, {"member": "carla"}).json()
    assert [t["name"] for t in body["results"]] == ["checkout"]


def test_systems_and_resources_belong_to_teams(owner: User, outsider: User) -> None:
    client = client_for(owner)
    assert (
        client.post("/api/v1/catalog/systems", {"name": "money", "owner": "payments"}, format="json").status_code == 201
    )
    res = client.post(
        "/api/v1/catalog/resources",
        {"name": "ledger-db", "owner": "payments", "type": "database", "system": "money"},
        format="json",
    )
    assert res.status_code == 201
    assert res.json()["system"] == "money"
    bad = client.post("/api/v1/catalog/resources", {"name": "x", "owner": "payments", "type": "floppy"}, format="json")
    assert "type" in bad.json()["error"]["fields"]
    assert client_for(outsider).delete("/api/v1/catalog/resources/ledger-db").status_code == 403
    assert client.delete("/api/v1/catalog/resources/ledger-db").status_code == 204
    assert not Resource.objects.exists()
    assert System.objects.get().owner.name == "payments"


def test_a_team_admin_sets_the_cost_centre_and_backstage_sees_it(team_admin: User, owner: User) -> None:
    assert client_for(owner).patch(f"{URL}/payments", {"cost_centre": "CC-4100"}, format="json").status_code == 403
    response = client_for(team_admin).patch(f"{URL}/payments", {"cost_centre": "CC-4100"}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["cost_centre"] == "CC-4100"
    assert AuditEvent.objects.filter(object_type="core.team", action="update").latest("id").after["cost_centre"] == (
        "CC-4100"
    )
    group = next(
        e
        for e in client_for(owner).get("/api/v1/catalog/entities").json()["items"]
        if e["kind"] == "Group" and e["metadata"]["name"] == "payments"
    )
    assert group["metadata"]["annotations"]["platform-portal/cost-centre"] == "CC-4100"


def test_a_cost_centre_kubernetes_would_refuse_as_a_label_is_refused(team_admin: User) -> None:
    response = client_for(team_admin).patch(f"{URL}/payments", {"cost_centre": "CC 4100/finance"}, format="json")
    assert response.status_code == 400
    assert "cost_centre" in response.json()["error"]["fields"]
    assert Team.objects.get(name="payments").cost_centre == ""


def test_a_team_sets_its_timezone_and_a_name_that_is_no_timezone_is_refused(team_admin: User) -> None:
    client = client_for(team_admin)
    bad = client.patch(f"{URL}/payments", {"timezone": "Europe/Atlantis"}, format="json")
    assert bad.status_code == 400
    assert "timezone" in bad.json()["error"]["fields"]
    assert Team.objects.get(name="payments").timezone == ""

    good = client.patch(f"{URL}/payments", {"timezone": "Europe/Berlin"}, format="json")
    assert good.status_code == 200, good.json()
    assert good.json()["timezone"] == "Europe/Berlin"
    group = next(
        e
        for e in client.get("/api/v1/catalog/entities").json()["items"]
        if e["kind"] == "Group" and e["metadata"]["name"] == "payments"
    )
    assert group["metadata"]["annotations"]["platform-portal/timezone"] == "Europe/Berlin"
