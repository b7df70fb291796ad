"""Run one preview environment's whole life on the local providers and print its step log and cost."""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from portal.catalog.models import Service
from portal.changes.signals import PullRequestEvent, pull_request_event
from portal.core.models import User
from portal.previews import delivery
from portal.previews.events import event_process
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent
from portal.previews.services import preview_config_set, preview_wake, previews_sweep
from portal.previews.specs import working_hours


class Command(BaseCommand):
    help = "A pull request opens -> preview up -> push -> off-hours sleep -> wake -> merge -> torn down."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--service", default="payments-api")
        parser.add_argument("--actor", default="admin", help="who turns previews on when they are off")

    def handle(self, *args: Any, **options: Any) -> None:
        service = Service.objects.select_related("owner").filter(name=options["service"]).first()
        actor = User.objects.filter(username=options["actor"]).first()
        if service is None or actor is None:
            raise CommandError("Load the demo first (make run does), or name a --service and --actor that exist.")
        config = self._config(service, actor)
        number = (PreviewEnvironment.objects.filter(service=service).order_by("-number").first() or _Zero()).number + 1
        now = timezone.now()
        self._send(config, number, "opened", now)
        self._send(config, number, "synchronize", now + timedelta(minutes=20))
        # Off-hours, and past the wake window a push outside working hours grants.
        night = _next_off_hours(now + timedelta(minutes=25, hours=settings.PREVIEWS_WAKE_HOURS))
        previews_sweep(now=night)
        preview = PreviewEnvironment.objects.get(service=service, number=number)
        self.stdout.write(f"after the sweep at {night:%a %H:%M %Z}: {preview.state}")
        preview = preview_wake(preview, now=night + timedelta(minutes=5), actor=actor)
        self._send(config, number, "merged", night + timedelta(hours=1))
        preview.refresh_from_db()
        for step in preview.steps.all():
            self.stdout.write(f"{step.at:%H:%M:%S} {step.state:>9} {step.action:<10} {step.message}")
        left = [path for path in delivery.branch_files() if path.startswith(f"previews/{service.name}/pr-{number}/")]
        self.stdout.write(
            f"\n{preview}: {preview.state}; cost ${preview.cost:.4f} over {preview.running_hours:.2f} h running "
            f"and {preview.sleeping_hours:.2f} h asleep; GitOps files left: {len(left)}; "
            f"cluster objects left: {len(delivery.cluster_objects(preview.namespace))}"
        )
        self.stdout.write(f"/api/v1/previews/{preview.pk}")

    def _config(self, service: Service, actor: User) -> PreviewConfig:
        existing = PreviewConfig.objects.filter(service=service, enabled=True).first()
        if existing is not None:
            return existing
        slug = service.repo_url.removeprefix("https://github.com/") or f"example-org/{service.name}"
        return preview_config_set(
            actor=actor, service=service, values={"provider": "github", "repository": slug, "labels": ["preview"]}
        )

    def _send(self, config: PreviewConfig, number: int, action: str, at: datetime) -> None:
        event = PullRequestEvent(
            provider=config.provider,
            repository=config.repository,
            number=number,
            action=action,
            title="Demo: faster refunds",
            author="lee",
            head_ref="feature/faster-refunds",
            head_sha=secrets.token_hex(20),
            delivery_id=f"demo-{secrets.token_hex(8)}",
            labels=tuple(config.labels or ()),
        )
        pull_request_event.send(sender=self.__class__, event=event)
        for stored in PreviewEvent.objects.filter(processed_at__isnull=True, number=number).order_by("id"):
            event_process(stored.pk, now=at)
        self.stdout.write(f"{action}: delivered")


class _Zero:
    number = 0


def _next_off_hours(moment: datetime) -> datetime:
    """The first quarter hour at or after moment that lies outside working hours."""
    hours = working_hours()
    while hours.contains(moment):
        moment += timedelta(minutes=15)
    return moment
