"""Shared pipelines: publish a version of the steps, request a roll-out, run it service by service."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Service
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict
from portal.core.models import User
from portal.core.permissions import AnyUser, require_platform_admin
from portal.core.queue import send
from portal.integrations.source_control import SourceControl, source_control
from portal.pipelines.models import Rollout, RolloutState, RolloutTarget, StepsPublication, TargetState
from portal.pipelines.rollout import target_run
from portal.pipelines.versions import Catalogue, catalogue_load, steps_problems, version_key

IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache", ".mypy_cache", ".ruff_cache")


def steps_catalogue() -> Catalogue:
    return catalogue_load(Path(settings.PIPELINES_STEPS_DIR))


def _published_files(sc: SourceControl, slug: str, ref: str) -> dict[str, bytes]:
    return {path: sc.file_read(slug, ref, path) or b"" for path in sc.file_list(slug, ref)}


def _local_files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _actor(actor: AnyUser) -> User | None:
    return actor if isinstance(actor, User) else None


def steps_publish(*, actor: AnyUser, context: AuditContext | None = None) -> tuple[StepsPublication, bool]:
    """Push the current version of the steps to its branch (and main); a published version never changes."""
    require_platform_admin(actor, what="publish the shared pipelines")
    steps_dir = Path(settings.PIPELINES_STEPS_DIR)
    problems = steps_problems(steps_dir)
    if problems:
        raise ApplicationError("The steps cannot be published: " + "; ".join(problems), fields={"steps": problems})
    version, slug, sc = steps_catalogue().current, settings.PIPELINES_REPOSITORY, source_control()
    repo = sc.repository_get(slug) or sc.repository_create(slug, description="Shared CI/CD steps (platform portal)")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "steps"
        shutil.copytree(steps_dir, root, ignore=IGNORED)
        if sc.branch_head(slug, version) is not None and _published_files(sc, slug, version) != _local_files(root):
            raise Conflict(
                f"{version} is already published in {slug} with other content; a published version never changes. "
                f"Add a new version to versions.yaml (and PLATFORM_PIPELINES_VERSION in gitlab/*.yml), then publish.",
                fields={"version": ["already published with other content"]},
            )
        message, main = f"Publish the shared pipeline steps {version}", repo.default_branch
        if _newest_published(version) or sc.branch_head(slug, main) is None:
            # main follows the newest version; it goes first because hosted providers branch from it
            sc.commit_tree(slug, main, root=root, message=message, replace=True)
        commit = sc.commit_tree(slug, version, root=root, message=message, base_branch=main, replace=True)
    with transaction.atomic():
        publication, created = StepsPublication.objects.get_or_create(
            version=version,
            defaults={"repository": slug, "branch": version, "commit": commit, "published_by": _actor(actor)},
        )
        if created:
            audit_record(
                actor=_actor(actor),
                action="publish",
                instance=publication,
                after={"version": version, "repository": slug, "commit": commit},
                context=context,
            )
    return publication, created


def _newest_published(version: str) -> bool:
    """Is version at least as new as every version published before (main follows the newest)?"""
    key = version_key(version)
    others = (version_key(v) for v in StepsPublication.objects.values_list("version", flat=True))
    return key is not None and all(other is None or other <= key for other in others)


def _published(version: str) -> bool:
    if StepsPublication.objects.filter(version=version).exists():
        return True
    return source_control().branch_head(settings.PIPELINES_REPOSITORY, version) is not None


def rollout_request(*, actor: AnyUser, version: str, context: AuditContext | None = None) -> tuple[Rollout, bool]:
    """Record a roll-out of version to every service with a repository; a repeat joins the one under way."""
    require_platform_admin(actor, what="roll out the shared pipelines")
    catalogue = steps_catalogue()
    if catalogue.get(version) is None:
        known = ", ".join(v.version for v in catalogue.versions)
        raise ApplicationError(
            f"No version {version} in versions.yaml (known: {known}).", fields={"version": ["unknown"]}
        )
    if not _published(version):
        raise ApplicationError(
            f"{version} is not published yet: POST /api/v1/pipelines/versions/publish first.",
            fields={"version": ["not published"]},
        )
    active = Rollout.objects.filter(version=version, state__in=[RolloutState.QUEUED, RolloutState.RUNNING]).first()
    if active is not None:
        return active, False
    try:
        with transaction.atomic():
            rollout = Rollout.objects.create(version=version, requested_by=_actor(actor))
            services = Service.objects.exclude(repo_url="").order_by("name")
            RolloutTarget.objects.bulk_create(RolloutTarget(rollout=rollout, service=s) for s in services)
            audit_record(
                actor=_actor(actor),
                action="request",
                instance=rollout,
                after={"version": version, "services": [s.name for s in services]},
                context=context,
            )
            transaction.on_commit(lambda: _enqueue(rollout.pk))
    except IntegrityError:  # a concurrent identical request won the race: join it
        return Rollout.objects.get(version=version, state__in=[RolloutState.QUEUED, RolloutState.RUNNING]), False
    return rollout, True


def _enqueue(rollout_id: int) -> None:
    from portal.pipelines.tasks import rollout_run_task

    send(rollout_run_task, rollout_id)


def rollouts_waiting_resend(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send again the roll-outs still queued a while after they were requested (the broker was down)."""
    waiting = Rollout.objects.filter(state=RolloutState.QUEUED, created_at__lt=timezone.now() - older_than)
    return sum(_enqueue_counted(pk) for pk in waiting.values_list("pk", flat=True))


def _enqueue_counted(rollout_id: int) -> int:
    from portal.pipelines.tasks import rollout_run_task

    return int(send(rollout_run_task, rollout_id))


def _claim(rollout_id: int) -> Rollout | None:
    """Queued, or running with no progress for longer than a task may live (its worker died); else None."""
    with transaction.atomic():
        rollout = Rollout.objects.select_for_update(skip_locked=True).filter(pk=rollout_id).first()
        if rollout is None or rollout.state == RolloutState.DONE:
            return None
        stale = timezone.now() - timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)
        last = rollout.progressed_at or rollout.started_at or timezone.now()
        if rollout.state == RolloutState.RUNNING and last > stale:
            return None
        rollout.state, rollout.progressed_at = RolloutState.RUNNING, timezone.now()
        rollout.started_at = rollout.started_at or rollout.progressed_at
        rollout.save(update_fields=["state", "started_at", "progressed_at"])
        return rollout


def rollout_run(rollout_id: int) -> Rollout | None:
    """Work through the roll-out's pending services; each failure is recorded on its service, never raised."""
    rollout = _claim(rollout_id)
    if rollout is None:
        return None
    catalogue = steps_catalogue()
    for target in rollout.targets.filter(state=TargetState.PENDING).select_related("service"):
        target_run(target, version=rollout.version, catalogue=catalogue)
        Rollout.objects.filter(pk=rollout.pk).update(progressed_at=timezone.now())  # progress keeps the claim
    with transaction.atomic():
        rollout.state, rollout.finished_at = RolloutState.DONE, timezone.now()
        rollout.save(update_fields=["state", "finished_at"])
        audit_record(
            actor=None,
            action="finish",
            instance=rollout,
            after=rollout_counts(rollout),
        )
    return rollout


def rollout_counts(rollout: Rollout) -> dict[str, Any]:
    states = list(rollout.targets.values_list("state", flat=True))
    counts = {state.value: states.count(state.value) for state in TargetState}
    return {"total": len(states), **counts}
