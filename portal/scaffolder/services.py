"""Scaffold runs: request, execute step by step, retry from the failed step."""

from __future__ import annotations

import shutil
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Service
from portal.core import runs
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict, Forbidden
from portal.core.models import Team, User
from portal.core.permissions import AnyUser, require_write_owned_by
from portal.core.queue import send
from portal.core.telemetry import SCAFFOLD_SECONDS
from portal.scaffolder.models import STEPS, RunState, ScaffoldLogLine, ScaffoldRun, ScaffoldStep
from portal.scaffolder.registry import GoldenPath, parameters_validate
from portal.scaffolder.steps import STEP_FUNCTIONS, render, template_context

MAX_DRY_RUN_FILE_BYTES = 64 * 1024


def _owner_from(parameters: dict[str, Any]) -> Team:
    """Accept Backstage's OwnerPicker value ('group:default/payments') as well as a plain team name."""
    raw = str(parameters.get("owner", ""))
    name = raw.rsplit("/", 1)[-1].removeprefix("group:")
    team = Team.objects.filter(name=name).first()
    if team is None:
        raise ApplicationError(f"No team named '{name}'.", fields={"parameters.owner": ["unknown team"]})
    return team


def _check_name_free(name: str) -> None:
    if Service.objects.filter(name=name).exists():
        raise Conflict(f"A service named '{name}' already exists.", fields={"parameters.name": ["already taken"]})
    if ScaffoldRun.objects.filter(service_name=name, state__in=[RunState.PENDING, RunState.RUNNING]).exists():
        raise Conflict(
            f"A scaffold run for '{name}' is already in progress.", fields={"parameters.name": ["run in progress"]}
        )


def run_request(
    *,
    actor: AnyUser,
    path: GoldenPath,
    parameters: Any,
    idempotency_key: str = "",
    requested_for: str = "",
    context: AuditContext | None = None,
) -> tuple[ScaffoldRun, bool]:
    """Validate and record a run (nothing is created outside yet); return it and whether it is new."""
    if not isinstance(actor, User):
        raise Forbidden("Sign in to start a scaffold run.")
    if idempotency_key:
        previous = ScaffoldRun.objects.filter(requested_by=actor, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous, False
    parameters = parameters_validate(path, parameters)
    owner = _owner_from(parameters)
    require_write_owned_by(actor, owner, what="services it owns")
    name = str(parameters["name"])
    _check_name_free(name)
    try:
        with transaction.atomic():
            run = ScaffoldRun.objects.create(
                golden_path=path.name,
                golden_path_version=path.version,
                service_name=name,
                owner=owner,
                parameters=parameters,
                requested_by=actor,
                requested_for=requested_for[:200],
                idempotency_key=idempotency_key[:200],
            )
            ScaffoldStep.objects.bulk_create(
                ScaffoldStep(run=run, position=i, name=step) for i, step in enumerate(STEPS)
            )
            audit_record(
                actor=actor if isinstance(actor, User) else None,
                action="request",
                instance=run,
                after={"golden_path": path.name, "service": name, "owner": owner.name, "requested_for": requested_for},
                context=context,
            )
            transaction.on_commit(lambda: _enqueue(run.id))
    except IntegrityError as exc:  # a racing duplicate: same key or same name in flight
        if idempotency_key:
            previous = ScaffoldRun.objects.filter(requested_by=actor, idempotency_key=idempotency_key).first()
            if previous is not None:
                return previous, False
        raise Conflict(
            f"A scaffold run for '{name}' is already in progress.", fields={"parameters.name": ["run in progress"]}
        ) from exc
    return run, True


def _enqueue(run_id: Any) -> None:
    from portal.scaffolder.tasks import scaffold_run_execute_task

    send(scaffold_run_execute_task, str(run_id))


def runs_waiting_resend(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send again the runs still pending a while after they were requested (the broker was down)."""
    waiting = ScaffoldRun.objects.filter(state=RunState.PENDING, created_at__lt=timezone.now() - older_than)
    return sum(_enqueue_counted(run.id) for run in waiting.only("id"))


def _enqueue_counted(run_id: Any) -> int:
    from portal.scaffolder.tasks import scaffold_run_execute_task

    return int(send(scaffold_run_execute_task, str(run_id)))


def run_log(run: ScaffoldRun, message: str, *, step: str = "", level: str = "info") -> None:
    ScaffoldLogLine.objects.create(run=run, step=step, level=level, message=message)


def run_execute(run_id: Any) -> ScaffoldRun | None:
    """Walk the run's steps from the first unfinished one; stop at the first failure."""
    run = runs.claim(ScaffoldRun, run_id, run_log)
    if run is None:
        return None
    run_log(run, f"run started (attempt {run.attempts}) for {run.golden_path} -> {run.service_name}")
    for step in run.steps.exclude(state=RunState.SUCCEEDED).order_by("position"):
        if not _step_execute(run, step):
            return run
    run.state = RunState.SUCCEEDED
    run.current_step = ""
    run.finished_at = timezone.now()
    outputs = {s.name: s.output for s in run.steps.all()}
    run.repo_url = outputs["create_repository"].get("url", "")
    run.repo_slug = outputs["create_repository"].get("slug", "")
    run.pull_request_url = outputs["gitops_change"].get("pull_request_url", "")
    run.entity_ref = outputs["register"].get("entity_ref", "")
    run.save()
    run_log(run, f"run succeeded in {run.duration_seconds:.1f}s")
    SCAFFOLD_SECONDS.labels(run.golden_path, "succeeded").observe(run.duration_seconds or 0)
    return run


def _step_execute(run: ScaffoldRun, step: ScaffoldStep) -> bool:
    if not runs.step_call(run, step, STEP_FUNCTIONS[step.name], run_log, noun="run"):
        return False
    return runs.step_succeeded(run, step, run_log)


def run_retry(*, actor: AnyUser, run: ScaffoldRun, context: AuditContext | None = None) -> ScaffoldRun:
    """Resume a failed run at its failed step."""
    require_write_owned_by(actor, run.owner, what=f"the run for '{run.service_name}'")
    retried: ScaffoldRun = runs.retry(run, actor=actor, log=run_log, enqueue=_enqueue, noun="run", context=context)
    return retried


def dry_run(*, actor: AnyUser, path: GoldenPath, parameters: Any) -> list[dict[str, Any]]:
    """Render the template and return its files; nothing is created or recorded."""
    parameters = parameters_validate(path, parameters)
    owner = _owner_from(parameters)
    probe = ScaffoldRun(
        golden_path=path.name,
        golden_path_version=path.version,
        owner=owner,
        service_name=str(parameters["name"]),
        parameters=parameters,
    )
    with tempfile.TemporaryDirectory() as tmp:
        slug = f"preview/{probe.service_name}"
        root = render(path, template_context(path, probe, repo_slug=slug, repo_url=""), Path(tmp))
        files = [_file_entry(root, p) for p in sorted(root.rglob("*")) if p.is_file()]
        shutil.rmtree(tmp, ignore_errors=True)
    return files


def _file_entry(root: Path, path: Path) -> dict[str, Any]:
    data = path.read_bytes()
    try:
        text: str | None = data[:MAX_DRY_RUN_FILE_BYTES].decode()
    except UnicodeDecodeError:
        text = None
    return {
        "path": path.relative_to(root).as_posix(),
        "size": len(data),
        "content": text,
        "truncated": len(data) > MAX_DRY_RUN_FILE_BYTES,
    }
