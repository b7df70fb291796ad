"""Authentication: service tokens for machines, sessions for people, 401 for everyone else."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone
from rest_framework.test import APIClient

from portal.core.models import AuditEvent, PlatformRole, ServiceToken, User
from portal.core.services import service_account_token_create, service_token_revoke
from tests.conftest import client_for

PROTECTED = [
    "/api/v1/catalog/services",
    "/api/v1/catalog/entities",
    "/api/v1/me",
    "/metrics",
    "/api/schema/",
    "/api/v1/audit",
]


@pytest.mark.parametrize("path", PROTECTED)
def test_it_answers_401_with_the_error_shape_without_credentials(db: None, path: str) -> None:
    response = APIClient().get(path, HTTP_ACCEPT="application/json")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize("path", ["/healthz", "/readyz"])
def test_health_endpoints_need_no_credentials(db: None, path: str) -> None:
    assert APIClient().get(path).status_code == 200


def test_readyz_reports_database_with_pgvector_and_broker(db: None) -> None:
    body = APIClient().get("/readyz").json()
    assert body["status"] == "ok"
    assert body["checks"]["database"]["pgvector"]
    assert body["checks"]["broker"]["ok"] is True


def _bearer(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    return client


def test_create_service_token_prints_it_once_and_stores_only_a_digest(db: None) -> None:
    out = StringIO()
    call_command("create_service_token", "backstage", "--role", "platform_admin", "--quiet", stdout=out)
    secret = out.getvalue().strip()
    assert secret.startswith("ppt_")
    token = ServiceToken.objects.get(name="backstage")
    assert secret not in (token.digest, token.prefix)
    stored = [str(v) for v in ServiceToken.objects.values_list().get()]
    assert not any(secret in value for value in stored)
    assert not AuditEvent.objects.filter(after__icontains=secret.split("_")[-1]).exists()
    me = _bearer(secret).get("/api/v1/me").json()
    assert me == {
        "username": "sa-backstage",
        "platform_role": "platform_admin",
        "is_service_account": True,
        "teams": [],
    }


def test_it_rejects_unknown_revoked_and_expired_tokens(db: None) -> None:
    token, secret = service_account_token_create(name="ci", platform_role=PlatformRole.DEVELOPER)
    assert _bearer(secret).get("/api/v1/me").status_code == 200
    assert _bearer(secret + "x").get("/api/v1/me").status_code == 401
    service_token_revoke(token=token, actor=None)
    revoked = _bearer(secret).get("/api/v1/me")
    assert revoked.status_code == 401
    assert "revoked" in revoked.json()["error"]["message"]
    _, secret2 = service_account_token_create(name="ci", expires_at=timezone.now() - timedelta(seconds=1))
    expired = _bearer(secret2).get("/api/v1/me")
    assert expired.status_code == 401
    assert "expired" in expired.json()["error"]["message"]


def test_token_use_is_recorded(db: None) -> None:
    token, secret = service_account_token_create(name="backstage")
    assert token.last_used_at is None
    _bearer(secret).get("/api/v1/me")
    token.refresh_from_db()
    assert token.last_used_at is not None


def test_a_person_logs_in_with_a_session(owner: User) -> None:
    assert client_for(owner).get("/api/v1/me").json()["teams"] == [{"name": "payments", "role": "member"}]


def test_schema_and_docs_are_served_to_signed_in_users(owner: User) -> None:
    client = client_for(owner)
    schema = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema.status_code == 200
    paths = schema.json()["paths"]
    assert "/api/v1/catalog/services" in paths
    assert "/api/v1/catalog/import" in paths
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    assert b"swagger-ui" in docs.content


def test_metrics_are_exposed_in_prometheus_format(sre: User) -> None:
    client = client_for(sre)
    client.get("/api/v1/me")
    body = client.get("/metrics").content.decode()
    assert 'portal_http_requests_total{method="GET",route="/api/v1/me",status="200"}' in body


def test_a_person_account_is_not_turned_into_a_service_account(owner: User) -> None:
    User.objects.create_user(username="sa-oops")
    with pytest.raises(Exception, match="person's account"):
        service_account_token_create(name="oops")


def test_the_openapi_schema_is_valid_and_generates_without_warnings(db: None, tmp_path) -> None:
    target = tmp_path / "schema.yaml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert "serviceToken" in target.read_text()


def test_a_database_outage_answers_503_with_retry_after(owner: User, monkeypatch) -> None:
    from django.db import OperationalError

    from portal.catalog import selectors

    def down(*args, **kwargs):
        raise OperationalError("connection to server on socket failed: No such file or directory")

    monkeypatch.setattr(selectors, "service_list", down)
    response = client_for(owner).get("/api/v1/catalog/services")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert response.json()["error"]["code"] == "database_unavailable"


def test_nul_characters_are_bad_input_not_a_server_error(sre: User) -> None:
    response = client_for(sre).get("/api/v1/audit", {"actor": "a\x00b"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid"


def test_a_value_the_database_cannot_hold_is_bad_input(sre: User) -> None:
    response = client_for(sre).get("/api/v1/audit", {"until": "0131-03-07T09:33:11+21:32"})
    assert response.status_code == 400
    assert "out of range" in response.json()["error"]["message"]
