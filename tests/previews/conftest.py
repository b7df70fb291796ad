"""Previews on the local providers: local git, a LocalCluster in a JSON file, a fixed clock and working hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from portal.catalog.models import Service
from portal.changes.signals import PullRequestEvent, pull_request_event
from portal.integrations.kubernetes.local import LocalCluster
from portal.previews.events import event_process
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent

# Wednesday 2026-11-25: 10:00 is inside the default working hours (08:00-20:00 Mon-Fri, UTC), 22:00 outside.
WORKDAY_MORNING = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
SHA_1 = "1111111111111111111111111111111111111111"
SHA_2 = "2222222222222222222222222222222222222222"


@pytest.fixture
def previews_world(local_adapters: Path, settings: Any) -> Iterator[Path]:
    """The local adapters plus a local cluster kept in a file, as `make run` has it."""
    from portal.integrations.backends import backends_reset

    settings.KUBERNETES = {
        "BACKEND": "portal.integrations.kubernetes.local.LocalCluster",
        "OPTIONS": {"state_file": str(local_adapters / "cluster.json")},
    }
    settings.PREVIEWS_TIMEZONE = "UTC"
    settings.PREVIEWS_WORKING_HOURS = "08:00-20:00"
    settings.PREVIEWS_WORKING_DAYS = "mon-fri"
    backends_reset()
    yield local_adapters
    backends_reset()


@pytest.fixture
def preview_config(previews_world: Path, payments_api: Service) -> PreviewConfig:
    payments_api.owner.cost_centre = "cc-1234"
    payments_api.owner.save()
    return PreviewConfig.objects.create(
        service=payments_api,
        provider="github",
        repository="example-org/payments-api",
        image="registry.example.com/payments-api",
        labels=["preview"],
        replicas=2,
        cpu=Decimal("0.5"),
        memory_gib=Decimal("1"),
        storage_gib=Decimal("10"),
        ttl_hours=72,
    )


def cluster_state(world: Path) -> LocalCluster:
    return LocalCluster(state_file=str(world / "cluster.json"))


def pull_event(
    action: str,
    *,
    number: int = 7,
    sha: str = SHA_1,
    delivery: str = "",
    labels: tuple[str, ...] = ("preview", "backend"),
    **extra: Any,
) -> PullRequestEvent:
    return PullRequestEvent(
        provider="github",
        repository="example-org/payments-api",
        number=number,
        action=action,
        title="Faster refunds",
        author="lee",
        head_ref="feature/faster-refunds",
        head_sha=sha,
        base_ref="main",
        url=f"https://github.com/example-org/payments-api/pull/{number}",
        delivery_id=delivery or f"{action}-{number}-{sha[:4]}",
        labels=labels,
        **extra,
    )


def deliver(event: PullRequestEvent, *, at: datetime = WORKDAY_MORNING) -> PreviewEnvironment | None:
    """What the webhook and the worker do: the signal stores the event, the task processes it."""
    pull_request_event.send(sender=None, event=event)
    preview = None
    for stored in PreviewEvent.objects.filter(processed_at__isnull=True).order_by("id"):
        preview = event_process(stored.pk, now=at) or preview
    return preview
