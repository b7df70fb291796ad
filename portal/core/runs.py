"""The step machine behind scaffold runs and resource requests: claim, walk the steps, fail with an explanation, retry.

A run model has `state`, `attempts`, `started_at`, `finished_at`, `error` and `current_step`, a `steps` relation
(position, name, state, attempts, started_at, finished_at, output, error) and a `log_lines` relation with
`created_at`. The states it shares are the strings below; a run may add its own (waiting for an approval, rejected).
Every write is recorded in the run's log through `log(run, message, step=..., level=...)`, which Backstage follows.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from datetime import timedelta
from typing import Any, Protocol

from django.conf import settings
from django.db import models, transaction
from django.db.models import Model
from django.utils import timezone

from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict
from portal.core.models import User
from portal.core.permissions import AnyUser
from portal.integrations.errors import IntegrationError

PENDING, RUNNING, SUCCEEDED, FAILED = "pending", "running", "succeeded", "failed"

_log = logging.getLogger(__name__)


class RunBase(models.Model):
    """What every run records besides its subject: who asked through Backstage, its key, where it is, how long."""

    requested_for = models.CharField(max_length=200, blank=True, help_text="The Backstage user behind a token.")
    idempotency_key = models.CharField(max_length=200, blank=True)
    current_step = models.CharField(max_length=30, blank=True)
    error = models.TextField(blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        abstract = True

    @property
    def duration_seconds(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return (self.finished_at - self.created_at).total_seconds()


class StepBase(models.Model):
    """One step of a run (the run's foreign key and its state's choices are the subclass's)."""

    position = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=30)
    attempts = models.PositiveSmallIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    output = models.JSONField(default=dict, blank=True)
    error = models.TextField(blank=True)

    class Meta:
        abstract = True


class LogLineBase(models.Model):
    """A line of a run's log; Backstage follows it with ?after=<id>."""

    step = models.CharField(max_length=30, blank=True)
    level = models.CharField(max_length=10, default="info")
    message = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        abstract = True
        ordering = ["id"]

    def __str__(self) -> str:
        return self.message[:80]


class Log(Protocol):
    def __call__(self, run: Any, message: str, /, *, step: str = "", level: str = "info") -> None: ...


StepFunction = Callable[[Any, Callable[[str], None]], dict[str, Any]]


def abandoned(run: Any) -> bool:
    """A running run whose worker died: no progress for longer than a task may live (its hard time limit)."""
    last = run.log_lines.order_by("-id").values_list("created_at", flat=True).first() or run.started_at
    return last is not None and timezone.now() - last > timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def claim(model: type[Model], run_id: Any, log: Log) -> Any | None:
    """Move a pending run (or one abandoned by a dead worker) to running; None when it is someone else's or done."""
    with transaction.atomic():
        run: Any = model._default_manager.select_for_update(skip_locked=True).filter(pk=run_id).first()
        if run is None:
            return None
        dead = run.state == RUNNING and abandoned(run)
        if not (run.state == PENDING or dead):
            return None
        if dead:
            log(run, "the worker running this stopped mid-step; resuming at the unfinished step", level="warning")
            run.steps.filter(state=RUNNING).update(state=PENDING)
        run.state = RUNNING
        run.attempts += 1
        run.started_at = run.started_at or timezone.now()
        run.error = ""
        run.save(update_fields=["state", "attempts", "started_at", "error"])
        return run


def step_call(run: Any, step: Any, function: StepFunction, log: Log, *, noun: str) -> bool:
    """Start the step and run its function in a transaction; on an error, fail the run with the reason."""
    step.state, step.started_at, step.error = RUNNING, timezone.now(), ""
    step.attempts += 1
    step.save()
    type(run)._default_manager.filter(pk=run.pk).update(current_step=step.name)
    run.current_step = step.name
    log(run, f"{step.name}: started", step=step.name)
    try:
        with transaction.atomic():
            step.output = function(run, lambda message: log(run, message, step=step.name))
    except (IntegrationError, ApplicationError, OSError, RuntimeError, ValueError) as exc:
        return step_failed(run, step, exc, log, noun=noun)
    except Exception as exc:  # noqa: BLE001 - a bug must still leave a resumable, explained run
        _log.exception("%s step %s of %s crashed", noun, step.name, run.pk)
        return step_failed(run, step, exc, log, noun=noun, detail=traceback.format_exc(limit=3))
    return True


def step_succeeded(run: Any, step: Any, log: Log) -> bool:
    step.state, step.finished_at = SUCCEEDED, timezone.now()
    step.save()
    log(run, f"{step.name}: done in {(step.finished_at - step.started_at).total_seconds():.2f}s", step=step.name)
    return True


def step_failed(run: Any, step: Any, exc: Exception, log: Log, *, noun: str, detail: str = "") -> bool:
    """Record why the step failed, stop the run there, and say how to resume it."""
    message = getattr(exc, "message", None) or str(exc) or type(exc).__name__
    step.state, step.finished_at, step.error = FAILED, timezone.now(), message
    step.save()
    run.state, run.error, run.finished_at = FAILED, f"{step.name}: {message}", timezone.now()
    run.save(update_fields=["state", "error", "finished_at", "current_step"])
    log(run, f"{step.name}: failed: {message}", step=step.name, level="error")
    if detail:
        log(run, detail, step=step.name, level="debug")
    log(run, f"the {noun} stopped; fix the cause and POST .../retry to resume at this step", level="error")
    return False


def retry(
    run: Any,
    *,
    actor: AnyUser,
    log: Log,
    enqueue: Callable[[Any], Any],
    noun: str,
    context: AuditContext | None = None,
) -> Any:
    """Resume a failed run at its failed step (the caller checks the actor may)."""
    with transaction.atomic():
        locked = type(run)._default_manager.select_for_update().get(pk=run.pk)
        if locked.state != FAILED:
            raise Conflict(
                f"Only a failed {noun} can be retried; this one is {locked.state}.", fields={"state": [locked.state]}
            )
        locked.state, locked.finished_at = PENDING, None
        locked.save(update_fields=["state", "finished_at"])
        locked.steps.filter(state=FAILED).update(state=PENDING)
        audit_record(actor=actor if isinstance(actor, User) else None, action="retry", instance=locked, context=context)
        log(locked, f"retry requested by {actor.get_username()}")
        transaction.on_commit(lambda: enqueue(locked.pk))
    return locked
