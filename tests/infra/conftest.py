"""Infra fixtures: local adapters (git, runbooks), three environments, eager Celery for queued requests."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rest_framework.test import APIClient

from portal.catalog.models import Environment, Service
from portal.celery import app as celery_app
from portal.core.models import Team

REQUESTS = "/api/v1/infra/requests"


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Queued requests (and approved actions) execute inline once the transaction commits."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


@pytest.fixture
def environments(local_adapters: Any) -> dict[str, Environment]:
    return {
        name: Environment.objects.create(name=name, kind=name, default_cluster=f"{name}-1")
        for name in ("dev", "staging", "prod")
    }


@pytest.fixture
def service(payments_api: Service, payments: Team) -> Service:
    payments.cost_centre = "cc-1042"
    payments.save()
    return payments_api


Post = Callable[..., Any]


@pytest.fixture
def post(django_capture_on_commit_callbacks: Any) -> Post:
    """POST a resource request and run what it queued (the steps, and an approval's executor)."""

    def _post(client: APIClient, **body: Any) -> Any:
        body = {"kind": "postgresql", "name": "ledger-db", "service": "payments-api", "environment": "dev", **body}
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(REQUESTS, body, format="json")

    return _post
