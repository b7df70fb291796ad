"""Pull-request events in: stored once per delivery by the webhook's receiver, processed later by a task."""

from __future__ import annotations

import logging
from dataclasses import asdict
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from portal.changes.signals import PullRequestEvent
from portal.core.queue import send
from portal.previews import services
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent, PreviewState

log = logging.getLogger(__name__)
OPEN = ("opened", "reopened", "synchronize")
CLOSE = ("merged", "closed")


def config_for(*, provider: str, repository: str, service: str = "") -> PreviewConfig | None:
    """The preview settings of the service the pull request belongs to, when it has previews on."""
    match = Q(provider=provider, repository=repository)
    if service:
        match |= Q(service__name=service, provider=provider)
    return PreviewConfig.objects.select_related("service__owner").filter(match, enabled=True).first()


def delivery_key(event: PullRequestEvent) -> str:
    """The webhook's delivery id, or (without one) what makes the event itself unique."""
    if event.delivery_id:
        return f"{event.provider}:{event.delivery_id}"[:200]
    return f"{event.provider}:{event.repository}#{event.number}:{event.action}:{event.head_sha}"[:200]


def event_receive(event: PullRequestEvent) -> PreviewEvent | None:
    """Store the event once and queue its processing after commit; None when no service previews it."""
    if event.action not in OPEN + CLOSE:
        return None
    config = config_for(provider=event.provider, repository=event.repository, service=event.service)
    if config is None:
        return None
    stored, created = PreviewEvent.objects.get_or_create(
        delivery_id=delivery_key(event),
        defaults={
            "provider": event.provider,
            "repository": event.repository,
            "service_name": config.service.name,
            "number": event.number,
            "action": event.action,
            "payload": {**asdict(event), "labels": list(event.labels)},
        },
    )
    if created:
        transaction.on_commit(lambda: _enqueue(stored.pk))
    return stored


def _enqueue(event_id: int) -> None:
    from portal.previews.tasks import preview_event_process_task

    send(preview_event_process_task, event_id)


def signal_receiver(sender: object, event: PullRequestEvent, **kwargs: object) -> None:
    """The changes app's signal: store and queue, and never let a failure here fail the webhook."""
    try:
        with transaction.atomic():
            event_receive(event)
    except Exception:
        log.exception("preview event %s#%s %s not stored", event.repository, event.number, event.action)


def event_process(event_id: int, *, now: datetime | None = None) -> PreviewEnvironment | None:
    """Act on a stored event once: bring the preview up or up to date, or tear it down.

    The event stays locked while it is acted on; a crash rolls back and the sweep sends it again.
    """
    now = now or timezone.now()
    with transaction.atomic():
        stored = PreviewEvent.objects.select_for_update().filter(pk=event_id, processed_at__isnull=True).first()
        if stored is None:
            return None  # processed already
        preview, outcome = _act(stored, now)
        stored.processed_at = now
        stored.outcome = (f"preview {preview.state}" if preview is not None else outcome)[:500]
        stored.save(update_fields=["processed_at", "outcome"])
    return preview


def _act(stored: PreviewEvent, now: datetime) -> tuple[PreviewEnvironment | None, str]:
    later = PreviewEvent.objects.filter(service_name=stored.service_name, number=stored.number, id__gt=stored.id)
    if later.exists():
        return None, "superseded by a later event"  # out of order: reopened after closed, or a newer push
    if stored.action in CLOSE:
        return _teardown(stored, now, reason=f"pull request {stored.action}")
    config = config_for(provider=stored.provider, repository=stored.repository, service=stored.service_name)
    payload = stored.payload
    if config is None:
        return None, "previews are switched off for this service"
    wanted = set(config.labels or ())
    if wanted and not wanted & set(payload.get("labels") or ()):
        # As the ApplicationSet's label filter does: no label, no preview (and a removed label removes it).
        return _teardown(stored, now, reason=f"the pull request has none of the labels {', '.join(sorted(wanted))}")
    if not payload.get("head_sha"):
        return None, "the event names no head commit to deploy"
    pull = {key: payload.get(key, "") for key in ("title", "author", "url")}
    pull.update(number=stored.number, branch=payload.get("head_ref", ""), head_sha=payload.get("head_sha", ""))
    pull["action"] = stored.action
    return services.preview_upsert(config=config, pull=pull, now=now), ""


def _teardown(stored: PreviewEvent, now: datetime, *, reason: str) -> tuple[PreviewEnvironment | None, str]:
    preview = PreviewEnvironment.objects.filter(service__name=stored.service_name, number=stored.number).first()
    if preview is None or preview.state == PreviewState.DELETED:
        return None, f"no preview to tear down ({reason})"
    return services.preview_teardown(preview, reason=reason, now=now), ""


def events_waiting_resend(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Queue again events no worker took (the broker was down when they arrived)."""
    from portal.previews.tasks import preview_event_process_task

    waiting = PreviewEvent.objects.filter(processed_at__isnull=True, received_at__lt=timezone.now() - older_than)
    return sum(int(send(preview_event_process_task, event.pk)) for event in waiting.only("id"))
