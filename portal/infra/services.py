"""Resource requests: request, execute step by step (parking for approval), retry, dry run, sweep."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.core import runs
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict, Forbidden
from portal.core.models import User
from portal.core.permissions import AnyUser, require_write_owned_by
from portal.core.queue import send
from portal.infra.kinds import KINDS, KindParameterError, approval_reasons, parameters_resolve
from portal.infra.models import (
    ACTIVE_STATES,
    STEPS,
    RequestState,
    ResourceRequest,
    ResourceRequestLogLine,
    ResourceRequestStep,
)
from portal.infra.renderers import renderer, setting
from portal.infra.spec import resource_name
from portal.infra.steps import APPROVED_STATES, REFUSED_STATES, STEP_FUNCTIONS, resource_name_free, spec_of
from portal.integrations.errors import IntegrationError
from portal.remediation.models import ActionRequest, ActionState

MAX_NAME = 63


def service_name(value: str) -> str:
    """Accept Backstage's EntityPicker value ('component:default/payments-api') as well as a plain name."""
    return value.rsplit("/", 1)[-1].removeprefix("component:")


def _inputs(
    *, kind: str, name: str, service: str, environment: str, parameters: Any
) -> tuple[Any, Service, Environment, str, dict[str, Any]]:
    """Check everything a caller sends; 400/404 naming each field, nothing written."""
    fields: dict[str, list[str]] = {}
    service = service_name(service)
    resource_kind = KINDS.get(kind)
    if resource_kind is None:
        fields["kind"] = [f"unknown kind; one of {', '.join(KINDS)}"]
    svc = Service.objects.select_related("owner", "system").filter(name=service).first()
    if svc is None:
        fields["service"] = ["no such service in the catalog"]
    env = Environment.objects.filter(name=environment).first()
    if env is None:
        fields["environment"] = ["no such environment"]
    full = resource_name(name, environment)
    if len(full) > MAX_NAME:
        fields["name"] = [f"'{full}' (name-environment) is longer than {MAX_NAME} characters"]
    if fields:
        first = next(iter(fields))
        raise ApplicationError(f"{first}: {fields[first][0]}", fields=fields)
    try:
        resolved = parameters_resolve(resource_kind, env.kind, parameters)  # type: ignore[arg-type, union-attr]
    except KindParameterError as exc:
        raise ApplicationError(str(exc), fields=exc.fields) from exc
    return resource_kind, svc, env, full, resolved  # type: ignore[return-value]


def request_create(
    *,
    actor: AnyUser,
    kind: str,
    name: str,
    service: str,
    environment: str,
    parameters: Any,
    idempotency_key: str = "",
    requested_for: str = "",
    context: AuditContext | None = None,
) -> tuple[ResourceRequest, bool]:
    """Validate and record a request (nothing happens outside yet); return it and whether it is new."""
    if not isinstance(actor, User):
        raise Forbidden("Sign in to request resources.")
    if idempotency_key:
        previous = ResourceRequest.objects.filter(requested_by=actor, idempotency_key=idempotency_key).first()
        if previous is not None:
            return previous, False
    resource_kind, svc, env, full, resolved = _inputs(
        kind=kind, name=name, service=service, environment=environment, parameters=parameters
    )
    require_write_owned_by(actor, svc.owner, what=f"resources for '{svc.name}'")
    resource_name_free(full, None)
    if ResourceRequest.objects.filter(resource_name=full, state__in=ACTIVE_STATES).exists():
        raise Conflict(f"A request for '{full}' is already in progress.", fields={"name": ["request in progress"]})
    chosen = renderer().name
    try:
        with transaction.atomic():
            request = ResourceRequest.objects.create(
                kind=kind,
                name=name,
                resource_name=full,
                service=svc,
                environment=env,
                owner=svc.owner,
                parameters=parameters,
                resolved=resolved,
                approval_reasons=approval_reasons(resource_kind, env.kind, resolved),
                renderer=chosen,
                requested_by=actor,
                requested_for=requested_for[:200],
                idempotency_key=idempotency_key[:200],
            )
            ResourceRequestStep.objects.bulk_create(
                ResourceRequestStep(request=request, position=i, name=step) for i, step in enumerate(STEPS)
            )
            audit_record(
                actor=actor,
                action="request",
                instance=request,
                after={
                    "kind": kind,
                    "resource": full,
                    "service": svc.name,
                    "environment": env.name,
                    "parameters": resolved,
                    "renderer": chosen,
                    "requested_for": requested_for,
                },
                context=context,
            )
            transaction.on_commit(lambda: _enqueue(request.id))
    except IntegrityError as exc:  # a racing duplicate: same key, or the same resource in flight
        if idempotency_key:
            previous = ResourceRequest.objects.filter(requested_by=actor, idempotency_key=idempotency_key).first()
            if previous is not None:
                return previous, False
        raise Conflict(
            f"A request for '{full}' is already in progress.", fields={"name": ["request in progress"]}
        ) from exc
    return request, True


def dry_run(*, actor: AnyUser, kind: str, name: str, service: str, environment: str, parameters: Any) -> dict[str, Any]:
    """Render what the request would write; nothing is created or recorded."""
    resource_kind, svc, env, full, resolved = _inputs(
        kind=kind, name=name, service=service, environment=environment, parameters=parameters
    )
    require_write_owned_by(actor, svc.owner, what=f"resources for '{svc.name}'")
    probe = ResourceRequest(
        kind=kind, resource_name=full, service=svc, environment=env, owner=svc.owner, resolved=resolved
    )
    chosen = renderer()
    rendering = chosen.render(spec_of(probe), request_id="dry-run")
    return {
        "dry_run": True,
        "renderer": chosen.name,
        "resource_name": full,
        "parameters": resolved,
        "approval_reasons": approval_reasons(resource_kind, env.kind, resolved),
        "connection_secret": spec_of(probe).connection_reference(setting("INFRA_SECRET_STORE")),
        "files": [
            {"repository": repository, "path": path, "content": text}
            for repository, files in rendering.files.items()
            for path, text in files.items()
        ],
    }


def _enqueue(request_id: Any) -> bool:
    from portal.infra.tasks import resource_request_execute_task

    return send(resource_request_execute_task, str(request_id))


def request_log(request: ResourceRequest, message: str, *, step: str = "", level: str = "info") -> None:
    ResourceRequestLogLine.objects.create(request=request, step=step, level=level, message=message)


def request_execute(request_id: Any) -> ResourceRequest | None:
    """Walk the steps from the first unfinished one; stop at a failure, a wait for approval or a rejection."""
    request = runs.claim(ResourceRequest, request_id, request_log)
    if request is None:
        return None
    request_log(request, f"started (attempt {request.attempts}): {request.kind} {request.resource_name}")
    for step in request.steps.exclude(state=RequestState.SUCCEEDED).order_by("position"):
        if not _step_execute(request, step):
            return request
    request.state, request.current_step, request.finished_at = RequestState.SUCCEEDED, "", timezone.now()
    request.save(update_fields=["state", "current_step", "finished_at"])
    audit_record(actor=None, action="provisioned", instance=request, after={"entity_ref": request.entity_ref})
    request_log(request, f"succeeded in {request.duration_seconds:.1f}s: {request.entity_ref}")
    return request


def _step_execute(request: ResourceRequest, step: ResourceRequestStep) -> bool:
    if not runs.step_call(request, step, STEP_FUNCTIONS[step.name], request_log, noun="request"):
        return False
    if step.output.get("waiting"):
        return _park(request, step)
    if step.output.get("rejected"):
        return _reject(request, step, str(step.output["rejected"]))
    return runs.step_succeeded(request, step, request_log)


def _park(request: ResourceRequest, step: ResourceRequestStep) -> bool:
    step.state = RequestState.AWAITING_APPROVAL
    step.save()
    request.state = RequestState.AWAITING_APPROVAL
    request.save(update_fields=["state", "current_step"])
    return False


def _reject(request: ResourceRequest, step: ResourceRequestStep, why: str) -> bool:
    step.state, step.finished_at, step.error = RequestState.REJECTED, timezone.now(), why
    step.save()
    request.state, request.error, request.finished_at = RequestState.REJECTED, why, timezone.now()
    request.save(update_fields=["state", "error", "finished_at", "current_step"])
    audit_record(actor=None, action="rejected", instance=request, after={"why": why})
    request_log(request, f"{step.name}: {why}; nothing was created", step=step.name, level="error")
    return False


def request_retry(*, actor: AnyUser, request: ResourceRequest, context: AuditContext | None = None) -> ResourceRequest:
    """Resume a failed request at its failed step."""
    require_write_owned_by(actor, request.owner, what=f"the request for '{request.resource_name}'")
    retried: ResourceRequest = runs.retry(
        request, actor=actor, log=request_log, enqueue=_enqueue, noun="request", context=context
    )
    return retried


def _resume(request: ResourceRequest, why: str) -> None:
    with transaction.atomic():
        locked = ResourceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RequestState.AWAITING_APPROVAL:
            return
        locked.state = RequestState.PENDING
        locked.save(update_fields=["state"])
        locked.steps.filter(state=RequestState.AWAITING_APPROVAL).update(state=RequestState.PENDING)
        request_log(locked, why, step="approval")
        transaction.on_commit(lambda: _enqueue(locked.id))


def approval_granted(action: ActionRequest) -> dict[str, Any]:
    """The remediation executor's hook for an approved resource request: carry on with the request."""
    request = ResourceRequest.objects.filter(action_request=action).first()
    if request is None:
        raise IntegrationError(f"No resource request waits on action request {action.pk}.", permanent=True)
    who = action.approved_by.get_username() if action.approved_by else "the policy"
    _resume(request, f"approved by {who}; continuing")
    return {"executor": "resource_request", "resource_request": str(request.id), "commit": ""}


def approval_preview(action: ActionRequest) -> dict[str, str]:
    """The files approving this request writes (GitOps repository paths; other repositories prefixed)."""
    request = ResourceRequest.objects.filter(action_request=action).first()
    if request is None:
        raise IntegrationError(f"No resource request waits on action request {action.pk}.", permanent=True)
    rendering = renderer(request.renderer).render(spec_of(request), request_id=str(request.id))
    gitops = settings.GITOPS_REPOSITORY
    return {
        path if repository == gitops else f"{repository}/{path}": text
        for repository, files in rendering.files.items()
        for path, text in files.items()
    }


def approvals_sync(*, now: Any = None) -> int:
    """End requests whose approval was refused or expired; resume approved ones a lost message left waiting."""
    now = now or timezone.now()
    changed = 0
    waiting = ResourceRequest.objects.filter(state=RequestState.AWAITING_APPROVAL).select_related("action_request")
    for request in waiting:
        action = request.action_request
        if action is None:
            continue
        if action.state in APPROVED_STATES:
            _resume(request, "approved; continuing")
        elif action.state in REFUSED_STATES or action.state == ActionState.FAILED or _expired(action, now):
            _end_refused(request, action, now)
        else:
            continue
        changed += 1
    return changed


def on_action_decided(sender: Any, *, action: ActionRequest, approved: bool, **_: Any) -> None:
    """A refused approval ends its resource request at once (an approval resumes it through the executor)."""
    if approved:
        return
    waiting = ResourceRequest.objects.filter(action_request=action, state=RequestState.AWAITING_APPROVAL)
    for request in waiting:
        _end_refused(request, action, timezone.now())


def _expired(action: ActionRequest, now: Any) -> bool:
    return action.state == ActionState.PENDING and action.expires_at is not None and action.expires_at <= now


def _end_refused(request: ResourceRequest, action: ActionRequest, now: Any) -> None:
    with transaction.atomic():
        locked = ResourceRequest.objects.select_for_update().get(pk=request.pk)
        if locked.state != RequestState.AWAITING_APPROVAL:
            return
        state = ActionState.EXPIRED if _expired(action, now) else action.state
        why = action.decision_comment or "; ".join(action.decision_reasons) or "no decision in time"
        step = locked.steps.get(name="approval")
        _reject(locked, step, f"approval {state}: {why}")


def requests_sweep(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send again requests the broker missed or a dead worker left; settle the approvals that were decided."""
    waiting = ResourceRequest.objects.filter(state=RequestState.PENDING, created_at__lt=timezone.now() - older_than)
    running = ResourceRequest.objects.filter(state=RequestState.RUNNING)
    stalled = [request for request in running if runs.abandoned(request)]  # its worker died mid-step
    sent = sum(int(_enqueue(request.id)) for request in [*waiting.only("id"), *stalled])
    return sent + approvals_sync()
