"""Preview lifecycle: create, update, sleep, wake, extend and tear down; every change audited and logged as a step.

States: requested -> deploying -> active <-> sleeping -> deleting -> deleted; failed when a step cannot finish.
Every function is idempotent: a repeated event or sweep finds the work done and changes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from portal.catalog.models import Service
from portal.core.audit import AuditContext, audit_record, snapshot
from portal.core.errors import ApplicationError, Conflict
from portal.core.models import User
from portal.core.permissions import require_write_owned_by
from portal.integrations.errors import IntegrationError
from portal.previews import delivery
from portal.previews.costs import cost_accrue
from portal.previews.delivery import dump
from portal.previews.models import (
    LIVE_STATES,
    PreviewConfig,
    PreviewEnvironment,
    PreviewState,
    PreviewStep,
    Provider,
)
from portal.previews.render import (
    application,
    applicationset,
    namespace_for,
    namespace_objects,
    preview_objects,
)
from portal.previews.schedule import WorkingHours
from portal.previews.specs import config_of, pull_for, spec_for, working_hours
from portal.previews.validation import applicationset_errors

GITOPS_STATES = LIVE_STATES  # what the previews branch holds: every preview that is, or is about to be, up
AUDIT_EXCLUDE = ("cost", "running_hours", "sleeping_hours", "cost_until")


class Steps:
    """The preview's step log: each line says what happened and the state it left."""

    def __init__(self, preview: PreviewEnvironment) -> None:
        self.preview = preview

    def __call__(self, action: str, message: str, *, started: float | None = None) -> None:
        elapsed = int((time.monotonic() - started) * 1000) if started is not None else 0
        PreviewStep.objects.create(
            preview=self.preview,
            at=timezone.now(),
            action=action,
            state=self.preview.state,
            message=message,
            duration_ms=elapsed,
        )


def _move(
    preview: PreviewEnvironment,
    state: str,
    *,
    now: datetime,
    action: str,
    reason: str,
    actor: User | None = None,
    context: AuditContext | None = None,
) -> None:
    """Count the cost of the state being left, enter the new one, log and audit it."""
    before = snapshot(preview, exclude=AUDIT_EXCLUDE)
    cost_accrue(preview, now)
    preview.state, preview.reason = state, reason[:500]
    if state in (PreviewState.ACTIVE, PreviewState.SLEEPING) and preview.cost_until is None:
        preview.cost_until = now
    preview.save()
    Steps(preview)(action, reason)
    audit_record(
        actor=actor,
        action=f"preview.{action}",
        instance=preview,
        before=before,
        after=snapshot(preview, exclude=AUDIT_EXCLUDE),
        context=context,
    )


def gitops_sync(message: str) -> str:
    """Write the previews branch from the database (lock held until the transaction ends); the commit.

    PREVIEWS_GENERATOR=argocd: the branch holds each service's ApplicationSet and Argo CD generates the
    Applications; portal (the default, and what the local providers need): the portal generates them.
    Never both, or two controllers would own the same Applications.
    """
    delivery.branch_lock()
    if _generator() == "argocd":
        configs = PreviewConfig.objects.filter(enabled=True).select_related("service__owner")
        files = {f"applicationsets/{c.service.name}.yaml": dump([applicationset(spec_for(c))]) for c in configs}
        return delivery.branch_commit(files, message)
    files = {}
    live = PreviewEnvironment.objects.filter(state__in=GITOPS_STATES).select_related(
        "service__owner", "service__preview_config"
    )
    for preview in live:
        spec, pull = spec_for(config_of(preview)), pull_for(preview)
        folder = f"previews/{preview.service.name}/pr-{preview.number}"
        files[f"{folder}/application.yaml"] = dump([application(spec, pull)])
        files[f"{folder}/namespace.yaml"] = dump(namespace_objects(spec, pull))
    return delivery.branch_commit(files, message)


def _generator() -> str:
    generator = str(settings.PREVIEWS_GENERATOR)
    if generator not in ("portal", "argocd"):
        raise IntegrationError(f"PREVIEWS_GENERATOR is '{generator}'; set it to portal or argocd.", permanent=True)
    return generator


def _deploy(preview: PreviewEnvironment, *, now: datetime, log: Steps, why: str) -> None:
    """Commit the preview to GitOps and apply it (local providers); active when both are done."""
    if preview.state not in LIVE_STATES:
        return  # torn down meanwhile
    _move(preview, PreviewState.DEPLOYING, now=now, action="deploy", reason=why)
    started = time.monotonic()
    preview.gitops_commit = gitops_sync(f"Preview {preview}: {why}")
    log("gitops", f"previews branch at {preview.gitops_commit[:12]}", started=started)
    started = time.monotonic()
    spec = spec_for(config_of(preview))
    log(
        "apply",
        delivery.cluster_apply(preview_objects(spec, pull_for(preview), replicas=spec.replicas)),
        started=started,
    )
    preview.deployed_sha = preview.head_sha
    preview.awake_until = None if working_hours(preview.service.owner).contains(now) else now + _wake_window()
    _move(preview, PreviewState.ACTIVE, now=now, action="active", reason=f"running {preview.head_sha[:12]}")


def _wake_window() -> timedelta:
    return timedelta(hours=settings.PREVIEWS_WAKE_HOURS)


def _guarded(
    preview: PreviewEnvironment, now: datetime, work: Callable[[], None], *, retry: str = "wake it to try again"
) -> PreviewEnvironment:
    """Run a lifecycle step; an outside failure leaves the preview failed with the reason, never half-written."""
    try:
        with transaction.atomic():
            PreviewEnvironment.objects.select_for_update(of=("self",)).filter(pk=preview.pk).exists()
            preview.refresh_from_db()
            work()
    except IntegrationError as exc:
        with transaction.atomic():
            preview.refresh_from_db()
            _move(preview, PreviewState.FAILED, now=now, action="failed", reason=f"{exc}; {retry}")
            _gitops_mend(preview)
    return preview


def _gitops_mend(preview: PreviewEnvironment) -> None:
    """Take a failed preview off the previews branch too, when the repository answers (best effort)."""
    try:
        with transaction.atomic():
            commit = gitops_sync(f"Preview {preview}: failed, withdrawn")
    except IntegrationError as exc:
        Steps(preview)("gitops", f"could not withdraw it from GitOps yet: {exc}")
    else:
        Steps(preview)("gitops", f"withdrawn from the previews branch at {commit[:12]}")


def preview_upsert(*, config: PreviewConfig, pull: dict[str, Any], now: datetime | None = None) -> PreviewEnvironment:
    """Create or bring up to date the preview of a pull request (opened, reopened or pushed to)."""
    now = now or timezone.now()
    with transaction.atomic():
        preview = (
            PreviewEnvironment.objects.select_for_update(of=("self",))
            .select_related("service__owner", "service__preview_config")
            .filter(service=config.service, number=pull["number"])
            .first()
        )
        if preview is not None and preview.state in LIVE_STATES and preview.deployed_sha == pull["head_sha"]:
            return preview  # already running this commit: a repeated event changes nothing
        if preview is None:
            preview = PreviewEnvironment(service=config.service, number=pull["number"], provider=config.provider)
        fresh = preview.pk is None or preview.state not in LIVE_STATES
        _pull_fields(preview, config, pull, now)
        preview.save()
        if fresh:
            preview.deleted_at = None
            _move(preview, PreviewState.REQUESTED, now=now, action="requested", reason=f"pull request {pull['action']}")
    why = "pull request opened" if fresh else f"pushed {preview.head_sha[:12]}"
    return _guarded(preview, now, lambda: _deploy(preview, now=now, log=Steps(preview), why=why))


def _pull_fields(preview: PreviewEnvironment, config: PreviewConfig, pull: dict[str, Any], now: datetime) -> None:
    preview.repository = config.repository
    preview.namespace = namespace_for(config.service.name, pull["number"])
    for name in ("title", "author", "url", "branch", "head_sha"):
        if pull.get(name):
            limit = {"title": 500, "author": 200, "url": 500, "branch": 255, "head_sha": 64}[name]
            setattr(preview, name, str(pull[name])[:limit])
    preview.last_push_at = now
    preview.expires_at = now + timedelta(hours=config.ttl_hours)


def preview_teardown(
    preview: PreviewEnvironment,
    *,
    reason: str,
    now: datetime | None = None,
    actor: User | None = None,
    context: AuditContext | None = None,
) -> PreviewEnvironment:
    """Remove the preview from GitOps and delete its namespace; a deleted preview stays deleted."""
    now = now or timezone.now()

    def work() -> None:
        if preview.state == PreviewState.DELETED:
            return
        _move(preview, PreviewState.DELETING, now=now, action="teardown", reason=reason, actor=actor, context=context)
        log, started = Steps(preview), time.monotonic()
        preview.gitops_commit = gitops_sync(f"Preview {preview}: remove ({reason})")
        log("gitops", f"removed from the previews branch at {preview.gitops_commit[:12]}", started=started)
        started = time.monotonic()
        log("namespace", delivery.cluster_namespace_delete(preview.namespace), started=started)
        preview.deleted_at, preview.awake_until = now, None
        _move(preview, PreviewState.DELETED, now=now, action="deleted", reason=reason, actor=actor, context=context)

    return _guarded(preview, now, work, retry="delete it again, or the sweep retries once it expires")


def preview_sleep(preview: PreviewEnvironment, *, now: datetime | None = None) -> PreviewEnvironment:
    """Scale an active preview to zero (off-hours); its namespace, volumes and GitOps files stay."""
    now = now or timezone.now()

    def work() -> None:
        if preview.state != PreviewState.ACTIVE:
            return
        started = time.monotonic()
        Steps(preview)("scale", delivery.cluster_scale(preview.namespace, preview.service.name, 0), started=started)
        preview.awake_until = None
        _move(preview, PreviewState.SLEEPING, now=now, action="sleep", reason="outside working hours")

    return _guarded(preview, now, work)


def preview_wake(
    preview: PreviewEnvironment,
    *,
    now: datetime | None = None,
    actor: User | None = None,
    context: AuditContext | None = None,
) -> PreviewEnvironment:
    """Scale a sleeping preview back up, or redeploy a failed one; off-hours it stays up for the wake window."""
    now = now or timezone.now()
    if preview.state == PreviewState.FAILED:
        return _redeploy_failed(preview, now=now, actor=actor, context=context)
    if preview.state not in (PreviewState.SLEEPING, PreviewState.ACTIVE):
        raise Conflict(f"Preview {preview} is {preview.state}; only a sleeping or failed preview can be woken.")

    def work() -> None:
        if preview.state not in (PreviewState.SLEEPING, PreviewState.ACTIVE):
            return
        replicas = config_of(preview).replicas
        preview.awake_until = None if working_hours(preview.service.owner).contains(now) else now + _wake_window()
        if preview.state == PreviewState.ACTIVE:
            preview.save(update_fields=["awake_until", "updated_at"])
            return
        started = time.monotonic()
        message = delivery.cluster_scale(preview.namespace, preview.service.name, replicas)
        Steps(preview)("scale", message, started=started)
        _move(preview, PreviewState.ACTIVE, now=now, action="wake", reason="woken", actor=actor, context=context)

    return _guarded(preview, now, work)


def _redeploy_failed(
    preview: PreviewEnvironment, *, now: datetime, actor: User | None, context: AuditContext | None
) -> PreviewEnvironment:
    with transaction.atomic():
        _move(preview, PreviewState.REQUESTED, now=now, action="retry", reason="retry", actor=actor, context=context)
    return _guarded(preview, now, lambda: _deploy(preview, now=now, log=Steps(preview), why="retry"))


def preview_extend(
    preview: PreviewEnvironment,
    *,
    hours: int,
    actor: User | None,
    context: AuditContext | None = None,
    now: datetime | None = None,
) -> PreviewEnvironment:
    """Push the expiry back by hours, never past the longest time to live from now."""
    now = now or timezone.now()
    limit = settings.PREVIEWS_MAX_TTL_HOURS
    if not 1 <= hours <= limit:
        raise ApplicationError(f"Extend by 1 to {limit} hours.", fields={"hours": [f"must be 1 to {limit}"]})
    with transaction.atomic():
        preview = (
            PreviewEnvironment.objects.select_for_update(of=("self",)).select_related("service").get(pk=preview.pk)
        )
        if preview.state not in LIVE_STATES:
            raise Conflict(f"Preview {preview} is {preview.state}; only a running or sleeping preview can be extended.")
        before = snapshot(preview, exclude=AUDIT_EXCLUDE)
        preview.expires_at = min(max(preview.expires_at, now) + timedelta(hours=hours), now + timedelta(hours=limit))
        preview.save(update_fields=["expires_at", "updated_at"])
        Steps(preview)("extend", f"expires {preview.expires_at:%Y-%m-%d %H:%M} UTC (+{hours} h)")
        after = snapshot(preview, exclude=AUDIT_EXCLUDE)
        audit_record(
            actor=actor, action="preview.extend", instance=preview, before=before, after=after, context=context
        )
    return preview


def previews_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Tear down expired previews, put idle ones to sleep off-hours, count cost; safe to run any number of times."""
    now = now or timezone.now()
    done = {"expired": 0, "slept": 0, "counted": 0}
    states = (PreviewState.ACTIVE, PreviewState.SLEEPING, PreviewState.FAILED)
    for preview in PreviewEnvironment.objects.filter(state__in=states).select_related("service__owner"):
        if now >= preview.expires_at:  # failed ones too: whatever they left behind is cleaned up
            preview_teardown(preview, reason="time to live ran out", now=now)
            done["expired"] += 1
        elif preview.state == PreviewState.ACTIVE and _off_hours(preview, working_hours(preview.service.owner), now):
            preview_sleep(preview, now=now)
            done["slept"] += int(preview.state == PreviewState.SLEEPING)
        elif preview.state != PreviewState.FAILED:
            _cost_count(preview, now)
            done["counted"] += 1
    return done


def _off_hours(preview: PreviewEnvironment, hours: WorkingHours, now: datetime) -> bool:
    return not hours.contains(now) and (preview.awake_until is None or now >= preview.awake_until)


def _cost_count(preview: PreviewEnvironment, now: datetime) -> None:
    with transaction.atomic():
        locked = (
            PreviewEnvironment.objects.select_for_update(of=("self",))
            .select_related("service__preview_config")
            .get(pk=preview.pk)
        )
        cost_accrue(locked, now)
        locked.save(update_fields=["cost", "running_hours", "sleeping_hours", "cost_until", "updated_at"])


def preview_config_set(
    *, actor: User, service: Service, values: dict[str, Any], context: AuditContext | None = None
) -> PreviewConfig:
    """Turn previews on (or change how they are sized) for a service its team owns; the ApplicationSet follows."""
    require_write_owned_by(actor, service.owner, what=f"the preview settings of {service.name}")
    if values.get("provider", Provider.GITHUB) == Provider.GITHUB and "/" not in values.get("repository", "/"):
        raise ApplicationError("A GitHub repository is owner/name.", fields={"repository": ["must be owner/name"]})
    with transaction.atomic():
        config = PreviewConfig.objects.select_for_update(of=("self",)).filter(service=service).first()
        before = snapshot(config) if config is not None else None
        config = config or PreviewConfig(service=service, ttl_hours=settings.PREVIEWS_TTL_HOURS)
        for name, value in values.items():
            setattr(config, name, value)
        clash = PreviewConfig.objects.filter(provider=config.provider, repository=config.repository)
        if clash.exclude(service=service).exists():
            raise Conflict(
                f"Another service already previews {config.repository}.", fields={"repository": ["already used"]}
            )
        config.save()
        _applicationset_check(config)
        audit_record(
            actor=actor,
            action="preview.config_set",
            instance=config,
            before=before,
            after=snapshot(config),
            context=context,
        )
        gitops_sync(f"Previews of {service.name}: settings changed")
    return config


def _applicationset_check(config: PreviewConfig) -> None:
    """Refuse settings whose ApplicationSet Argo CD would not take."""
    try:
        errors = applicationset_errors(applicationset(spec_for(config)))
    except ValueError as exc:  # a label value Kubernetes refuses
        raise ApplicationError(str(exc), fields={"service": [str(exc)]}) from exc
    if errors:
        raise ApplicationError("These settings give an invalid ApplicationSet.", fields={"settings": errors})
