"""Schemathesis against the portal's own OpenAPI schema, authenticated: no operation answers 5xx."""

from __future__ import annotations

import json

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from portal.catalog.demo import demo_load
from portal.core.services import service_account_token_create
from portal.wsgi import application

# Webhooks check signatures over the raw body; they are fuzzed by their own tests.
SKIP = ("/webhooks/",)


def _openapi() -> dict:
    """The schema the portal serves at /api/schema/, generated in process (that endpoint needs a login)."""
    from django.core.serializers.json import DjangoJSONEncoder
    from drf_spectacular.generators import SchemaGenerator

    return json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True), cls=DjangoJSONEncoder))


schema = schemathesis.openapi.from_dict(_openapi())
schema.app = application


@pytest.fixture(scope="module")
def token(django_db_setup, django_db_blocker) -> str:
    with django_db_blocker.unblock():
        demo_load()
        _, secret = service_account_token_create(name="fuzz", platform_role="platform_admin")
    return secret


@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(max_examples=5, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_operation_answers_5xx(case, token: str) -> None:
    if any(part in case.path for part in SKIP):
        return
    response = case.call(headers={"Authorization": f"Bearer {token}"})
    assert response.status_code < 500, (
        f"{case.method} {case.formatted_path}: {response.status_code} {response.text[:500]}"
    )
