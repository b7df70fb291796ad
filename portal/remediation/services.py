"""Action requests: request -> policy decision -> approval by someone else -> execution -> verification."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import jsonschema
import yaml
from django.db import transaction
from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.core.audit import AuditContext, audit_record
from portal.core.errors import ApplicationError, Conflict, Forbidden
from portal.core.models import User
from portal.core.permissions import AnyUser, can_write_owned_by
from portal.core.queue import send
from portal.incidents.models import IncidentState, TimelineKind
from portal.incidents.services import timeline_add
from portal.integrations.errors import IntegrationError
from portal.integrations.metrics import Query, Signal, metrics
from portal.remediation import executors
from portal.remediation.models import ActionRequest, ActionState, Runbook
from portal.remediation.policy import decide, policy_input
from portal.remediation.signals import action_decided

RUNBOOK_DIR = Path(__file__).parent / "runbooks"
APPROVAL_TTL = timedelta(hours=4)
RUNBOOK_FIELDS = (
    "title",
    "description",
    "action",
    "fits",
    "risk",
    "parameters",
    "steps",
    "verification",
    "rollback",
    "version",
)


def runbooks_sync(folder: Path = RUNBOOK_DIR) -> list[str]:
    """Load the YAML runbooks; those edited in the admin are left as they are."""
    names = []
    for path in sorted(folder.glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        runbook = Runbook.objects.filter(name=data["name"]).first()
        if runbook is not None and runbook.edited_in_admin:
            continue
        Runbook.objects.update_or_create(
            name=data["name"], defaults={k: data.get(k, "") for k in RUNBOOK_FIELDS if k in data}
        )
        names.append(data["name"])
    return names


def _transition(
    action: ActionRequest,
    state: str,
    *,
    actor: User | None,
    why: str,
    context: AuditContext | None = None,
    **fields: Any,
) -> None:
    before = action.state
    action.state = state
    for key, value in fields.items():
        setattr(action, key, value)
    action.save()
    audit_record(
        actor=actor,
        action=f"action_{state}",
        instance=action,
        context=context,
        before={"state": before},
        after={"state": state, "why": why},
    )
    if action.incident is not None:
        timeline_add(
            action.incident,
            kind=TimelineKind.ACTION,
            actor=actor.get_username() if actor else "portal",
            message=f"{action.runbook.title} ({action.environment.name}): {before} -> {state}: {why}",
            data={"action_request": action.pk},
        )


def action_request(
    *,
    runbook: Runbook,
    service: Service,
    environment: Environment,
    parameters: dict[str, Any],
    reason: str,
    evidence: list[Any],
    requested_by: AnyUser | None,
    incident: Any = None,
    context: AuditContext | None = None,
) -> ActionRequest:
    """Record a request (by a person, or by the analysis when requested_by is None) and apply the policy."""
    person = requested_by if isinstance(requested_by, User) else None
    if requested_by is not None and not (person and (person.is_sre or can_write_owned_by(person, service.owner))):
        raise Forbidden(f"Only SREs and members of '{service.owner.name}' can request actions on {service.name}.")
    if not reason.strip():
        raise ApplicationError("Every action request needs a reason.", fields={"reason": ["required"]})
    errors = [e.message for e in jsonschema.Draft202012Validator(runbook.parameters).iter_errors(parameters)]
    if errors:
        raise ApplicationError(f"parameters: {errors[0]}", fields={"parameters": errors})
    decision = decide(
        policy_input(
            runbook=runbook,
            service=service,
            environment=environment,
            parameters=parameters,
            requester=person.username if person else None,
        )
    )
    state = {"auto": ActionState.APPROVED, "needs_approval": ActionState.PENDING}.get(
        decision.decision, ActionState.DENIED
    )
    with transaction.atomic():
        action = ActionRequest.objects.create(
            runbook=runbook,
            service=service,
            environment=environment,
            incident=incident,
            parameters=parameters,
            reason=reason,
            evidence=evidence,
            requested_by=person,
            state=ActionState.PENDING,
            decision=decision.decision,
            decision_reasons=decision.reasons,
            policy_version=decision.policy_version,
            policy_input=decision.input,
            expires_at=timezone.now() + APPROVAL_TTL,
        )
        audit_record(
            actor=person,
            action="action_request",
            instance=action,
            context=context,
            after={
                "runbook": runbook.name,
                "service": service.name,
                "environment": environment.name,
                "decision": decision.decision,
                "reasons": decision.reasons,
            },
        )
        if state != ActionState.PENDING:
            _transition(action, state, actor=None, why=f"policy {decision.decision}: {'; '.join(decision.reasons)}")
        if state == ActionState.APPROVED:
            transaction.on_commit(lambda: _enqueue_execute(action.pk))
    return action


def _enqueue_execute(action_id: int) -> None:
    from portal.remediation.tasks import action_execute_task

    send(action_execute_task, action_id)


def actions_waiting_resend(*, older_than: timedelta = timedelta(minutes=1)) -> int:
    """Send again approved actions that no executor has picked up (the broker was down)."""
    waiting = ActionRequest.objects.filter(state=ActionState.APPROVED, updated_at__lt=timezone.now() - older_than)
    from portal.remediation.tasks import action_execute_task

    return sum(int(send(action_execute_task, action.pk)) for action in waiting.only("id"))


def _expire_if_due(action: ActionRequest) -> None:
    """Close the approval window for good (committed even though the approval attempt then fails)."""
    with transaction.atomic():
        locked = ActionRequest.objects.select_for_update().get(pk=action.pk)
        if locked.state == ActionState.PENDING and locked.expires_at and locked.expires_at <= timezone.now():
            _transition(locked, ActionState.EXPIRED, actor=None, why="the approval window closed")
    action.refresh_from_db()


def action_decide(
    *, actor: AnyUser, action: ActionRequest, approve: bool, comment: str, context: AuditContext | None = None
) -> ActionRequest:
    """Approve or reject a pending request. Only an SRE who did not request it may decide."""
    if not isinstance(actor, User) or not actor.is_sre:
        raise Forbidden("Only SREs can approve or reject remediation actions.")
    if action.requested_by_id == actor.pk:
        raise Forbidden("You requested this action; another SRE has to approve or reject it.")
    _expire_if_due(action)
    if action.state == ActionState.EXPIRED:
        raise Conflict(
            "This request expired before anyone decided; request it again if it is still needed.",
            fields={"state": ["expired"]},
        )
    if not comment.strip():
        raise ApplicationError("Say why.", fields={"comment": ["required"]})
    with transaction.atomic():
        action = ActionRequest.objects.select_for_update().get(pk=action.pk)
        if action.state != ActionState.PENDING:
            raise Conflict(f"This request is {action.state}, not pending.", fields={"state": [action.state]})
        state = ActionState.APPROVED if approve else ActionState.REJECTED
        _transition(
            action,
            state,
            actor=actor,
            why=comment,
            context=context,
            approved_by=actor,
            decided_at=timezone.now(),
            decision_comment=comment,
        )
        action_decided.send(sender=ActionRequest, action=action, approved=approve)
        if approve:
            transaction.on_commit(lambda: _enqueue_execute(action.pk))
    return action


def action_execute(action_id: int, *, at: float | None = None) -> ActionRequest | None:
    """Run an approved action through its executor, then start verification."""
    with transaction.atomic():
        action = ActionRequest.objects.select_for_update().filter(pk=action_id, state=ActionState.APPROVED).first()
        if action is None:
            return None
        _transition(action, ActionState.RUNNING, actor=None, why="executor started")
    try:
        change = executors.execute(action, at=at)
    except IntegrationError as exc:
        _transition(action, ActionState.FAILED, actor=None, why=exc.message, result={"error": exc.message})
        _reopen(action, f"remediation failed: {exc.message}")
        return action
    if change.get("executor") == "pull_request":  # a person reviews and merges; nothing to watch yet
        _transition(
            action,
            ActionState.SUCCEEDED,
            actor=None,
            why=f"pull request opened: {change['pull_request_url']}",
            change=change,
        )
        return action
    _transition(
        action,
        ActionState.VERIFYING,
        actor=None,
        why=f"committed {change['commit'][:12]}" if change.get("commit") else f"ran {change.get('executor')}",
        change=change,
        result={"verify_started": at if at is not None else time.time()},
    )
    return action


def _reopen(action: ActionRequest, why: str) -> None:
    incident = action.incident
    if incident is not None and incident.state != IncidentState.OPEN:
        incident.state = IncidentState.OPEN
        incident.save(update_fields=["state"])
        timeline_add(incident, kind=TimelineKind.STATE, actor="portal", message=f"Reopened: {why}")


def signals_ok(action: ActionRequest, *, at: float) -> tuple[bool, list[dict[str, Any]]]:
    """Check each verification signal against its bound at time `at`."""
    checks = []
    for spec in action.runbook.verification.get("signals", []):
        query = Query(
            Signal(spec["signal"]),
            action.service.name,
            quantile=spec.get("quantile", 0.99),
            window=spec.get("window", "5m"),
        )
        series = metrics().instant(query, at=at)
        value = float(series[0].points[0][1]) if series else None
        checks.append({**spec, "value": value, "ok": bool(value is not None and value < spec["below"])})
    return all(c["ok"] for c in checks), checks


def action_verify(action_id: int, *, at: float | None = None) -> str:
    """One verification look: succeeded (and the incident mitigated), failed after the deadline, or waiting."""
    action = ActionRequest.objects.select_related("runbook", "service", "incident").get(pk=action_id)
    if action.state != ActionState.VERIFYING:
        return action.state
    now = at if at is not None else time.time()
    ok, checks = signals_ok(action, at=now)
    started = float(action.result.get("verify_started", now))
    deadline = started + 60 * float(action.runbook.verification.get("within_minutes", 15))
    if ok:
        _transition(
            action,
            ActionState.SUCCEEDED,
            actor=None,
            why="the signals are back to normal",
            result={**action.result, "checks": checks},
        )
        _mitigate(action)
    elif now >= deadline:
        _transition(
            action,
            ActionState.FAILED,
            actor=None,
            why="the signals did not recover in time",
            result={**action.result, "checks": checks},
        )
        _reopen(action, "the remediation did not bring the signals back; decide again")
    return action.state


def _mitigate(action: ActionRequest) -> None:
    incident = action.incident
    if incident is not None and incident.state == IncidentState.OPEN:
        incident.state = IncidentState.MITIGATED
        incident.mitigated_at = timezone.now()
        incident.save(update_fields=["state", "mitigated_at"])
        timeline_add(
            incident,
            kind=TimelineKind.STATE,
            actor="portal",
            message=f"Mitigated: {action.runbook.title} worked, the signals recovered",
        )
