"""Fixtures: a fixed cast of people (owner, team admin, outsider, SRE, platform admin) and API clients."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from portal.catalog.models import Environment, Service
from portal.core.models import Membership, PlatformRole, Team, TeamRole, User


@pytest.fixture
def payments(db: None) -> Team:
    return Team.objects.create(name="payments", title="Payments", email="payments@example.com")


@pytest.fixture
def checkout(db: None) -> Team:
    return Team.objects.create(name="checkout", title="Checkout")


def _person(
    username: str, *, role: str = PlatformRole.DEVELOPER, team: Team | None = None, team_role: str = TeamRole.MEMBER
) -> User:
    user = User.objects.create_user(username=username, email=f"{username}@example.com", password="x-pass-123")
    user.platform_role = role
    user.save()
    if team is not None:
        Membership.objects.create(user=user, team=team, role=team_role)
    return user


@pytest.fixture
def owner(payments: Team) -> User:
    """A member of the payments team."""
    return _person("lee", team=payments)


@pytest.fixture
def team_admin(payments: Team) -> User:
    return _person("priya", team=payments, team_role=TeamRole.ADMIN)


@pytest.fixture
def outsider(checkout: Team) -> User:
    """A member of another team (checkout)."""
    return _person("carla", team=checkout)


@pytest.fixture
def sre(db: None) -> User:
    return _person("sam", role=PlatformRole.SRE)


@pytest.fixture
def platform_admin(db: None) -> User:
    return _person("ada", role=PlatformRole.PLATFORM_ADMIN)


def client_for(user: User | None) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def prod(db: None) -> Environment:
    return Environment.objects.create(name="prod", kind="prod", default_cluster="prod-eu-1")


@pytest.fixture
def payments_api(payments: Team) -> Service:
    return Service.objects.create(
        name="payments-api",
        title="Payments API",
        owner=payments,
        tier=1,
        lifecycle="production",
        repo_url="https://github.com/example-org/payments-api",
        tags=["python"],
    )


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def local_adapters(settings, tmp_path, db: None):
    """The product's local defaults, private to the test: data folder, local git, sandbox metrics, runbooks."""
    from portal.integrations.backends import backends_reset
    from portal.remediation.services import runbooks_sync

    settings.DATA_DIR = tmp_path
    settings.SOURCE_CONTROL = {
        "BACKEND": "portal.integrations.source_control.local.LocalGit",
        "OPTIONS": {"root": str(tmp_path / "git"), "base_url": "http://portal.test/scm"},
    }
    settings.METRICS = {
        "BACKEND": "portal.integrations.metrics.sandbox.catalog.CatalogSandbox",
        "OPTIONS": {"data_dir": str(tmp_path)},
    }
    backends_reset()
    runbooks_sync()
    yield tmp_path
    backends_reset()


@pytest.fixture
def demo_world(local_adapters):
    """The local adapters plus the demo catalog (teams, people, services, environments, SLOs)."""
    from portal.catalog.demo import demo_load

    demo_load()
    return local_adapters
