"""Demo data for `make run`: teams, people, environments and services across tiers."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from portal.catalog.models import Environment, Resource, Service, ServiceEnvironment, System
from portal.core.models import Membership, PlatformRole, Team, TeamRole, User

DEMO_PASSWORD = "portal-demo"  # noqa: S105 - printed by `make run`; demo data only

TEAMS = [
    ("platform", "Platform Engineering", "#platform"),
    ("payments", "Payments", "#team-payments"),
    ("checkout", "Checkout", "#team-checkout"),
    ("search", "Search & Discovery", "#team-search"),
]

# Finance's cost centres (the platform-portal/cost-centre label); search has none yet, so its costs read "unassigned".
COST_CENTRES = {"platform": "CC-1000", "payments": "CC-2100", "checkout": "CC-2200"}

# username, first, last, platform role, [(team, role)]
PEOPLE = [
    ("admin", "Ada", "Admin", PlatformRole.PLATFORM_ADMIN, [("platform", TeamRole.ADMIN)]),
    ("sam", "Sam", "Reliability", PlatformRole.SRE, [("platform", TeamRole.MEMBER)]),
    ("priya", "Priya", "Patel", PlatformRole.DEVELOPER, [("payments", TeamRole.ADMIN)]),
    ("lee", "Lee", "Chen", PlatformRole.DEVELOPER, [("payments", TeamRole.MEMBER)]),
    ("carla", "Carla", "Gomez", PlatformRole.DEVELOPER, [("checkout", TeamRole.ADMIN)]),
    ("omar", "Omar", "Haddad", PlatformRole.DEVELOPER, [("search", TeamRole.ADMIN)]),
]

ENVIRONMENTS = [("dev", "dev", "dev-eu-1"), ("staging", "staging", "staging-eu-1"), ("prod", "prod", "prod-eu-1")]

SYSTEMS = [("shop", "Online shop", "checkout"), ("money", "Payments platform", "payments")]

RESOURCES = [
    ("payments-db", "database", "payments", "money"),
    ("orders-queue", "queue", "checkout", "shop"),
    ("catalog-cache", "cache", "search", "shop"),
]

# name, title, owner, system, tier, lifecycle, type, language, deps, resources, tags
SERVICES: list[tuple[Any, ...]] = [
    (
        "checkout-api",
        "Checkout API",
        "checkout",
        "shop",
        1,
        "production",
        "service",
        "python",
        ["payments-api", "cart-service"],
        ["orders-queue"],
        ["python", "http"],
    ),
    (
        "payments-api",
        "Payments API",
        "payments",
        "money",
        1,
        "production",
        "service",
        "python",
        ["fraud-scorer"],
        ["payments-db"],
        ["python", "http", "pci"],
    ),
    (
        "cart-service",
        "Cart service",
        "checkout",
        "shop",
        2,
        "production",
        "service",
        "go",
        ["catalog-search", "recommendations"],  # "you may also like": checkout -> cart -> recommendations -> search
        [],
        ["go", "http"],
    ),
    (
        "catalog-search",
        "Catalog search",
        "search",
        "shop",
        2,
        "production",
        "service",
        "java",
        [],
        ["catalog-cache"],
        ["java", "http"],
    ),
    (
        "fraud-scorer",
        "Fraud scorer",
        "payments",
        "money",
        2,
        "production",
        "worker",
        "python",
        [],
        [],
        ["python", "ml"],
    ),
    (
        "order-events",
        "Order events worker",
        "checkout",
        "shop",
        2,
        "production",
        "worker",
        "python",
        [],
        ["orders-queue"],
        ["python", "kafka"],
    ),
    (
        "nightly-settlement",
        "Nightly settlement",
        "payments",
        "money",
        3,
        "production",
        "job",
        "python",
        [],
        ["payments-db"],
        ["python", "batch"],
    ),
    (
        "recommendations",
        "Recommendations",
        "search",
        None,
        3,
        "experimental",
        "service",
        "python",
        ["catalog-search"],
        [],
        ["python", "ml"],
    ),
]


def demo_loaded() -> bool:
    return Team.objects.filter(name="platform").exists() and Service.objects.exists()


@transaction.atomic
def demo_load() -> None:
    """Create the demo catalog; rows that already exist are left as they are."""
    teams = {
        name: Team.objects.get_or_create(
            name=name,
            defaults={"title": title, "slack_channel": slack, "cost_centre": COST_CENTRES.get(name, "")},
        )[0]
        for name, title, slack in TEAMS
    }
    for username, first, last, role, memberships in PEOPLE:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={
                "first_name": first,
                "last_name": last,
                "email": f"{username}@example.com",
                "platform_role": role,
                "is_staff": role != PlatformRole.DEVELOPER,
                "is_superuser": role == PlatformRole.PLATFORM_ADMIN,
            },
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        for team, team_role in memberships:
            Membership.objects.get_or_create(user=user, team=teams[team], defaults={"role": team_role})
    envs = {
        name: Environment.objects.get_or_create(name=name, defaults={"kind": kind, "default_cluster": cluster})[0]
        for name, kind, cluster in ENVIRONMENTS
    }
    systems = {
        name: System.objects.get_or_create(name=name, defaults={"title": title, "owner": teams[owner]})[0]
        for name, title, owner in SYSTEMS
    }
    resources = {
        name: Resource.objects.get_or_create(
            name=name, defaults={"type": kind, "owner": teams[owner], "system": systems[system]}
        )[0]
        for name, kind, owner, system in RESOURCES
    }
    _load_services(teams, systems, resources, envs)


def _load_services(
    teams: dict[str, Team], systems: dict[str, System], resources: dict[str, Resource], envs: dict[str, Environment]
) -> None:
    services: dict[str, Service] = {}
    for name, title, owner, system, tier, lifecycle, kind, language, _, res, tags in SERVICES:
        service, _created = Service.objects.get_or_create(
            name=name,
            defaults={
                "title": title,
                "owner": teams[owner],
                "system": systems.get(system) if system else None,
                "tier": tier,
                "lifecycle": lifecycle,
                "type": kind,
                "language": language,
                "tags": sorted(tags),
                "repo_url": f"https://github.com/example-org/{name}",
                "runtime": language,
            },
        )
        service.resources.add(*(resources[r] for r in res))
        services[name] = service
        for env in envs.values():
            ServiceEnvironment.objects.get_or_create(
                service=service,
                environment=env,
                defaults={
                    "namespace": f"{owner}-{env.name}",
                    "cluster": env.default_cluster,
                    "argocd_app_name": f"{name}-{env.name}",
                },
            )
    for name, *_, deps, _res, _tags in SERVICES:
        services[name].dependencies.add(*(services[d] for d in deps))
    from portal.slo.services import slos_default_for

    for service in services.values():
        slos_default_for(service)
