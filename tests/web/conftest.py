"""Fixtures for the page tests: one realistic portal per module, rolled back at the end."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.db import transaction
from django.test import Client

from portal.core.models import User
from tests.web.world import World, portal_sandbox, world_build


@pytest.fixture(scope="module")
def world(django_db_setup: None, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once per module inside a transaction that is rolled back; each test runs in a savepoint of it."""
    root = tmp_path_factory.mktemp("web")
    with django_db_blocker.unblock(), portal_sandbox(root) as sandbox, transaction.atomic():
        yield world_build(sandbox)
        transaction.set_rollback(True)


def signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client
