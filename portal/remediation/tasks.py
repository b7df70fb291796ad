"""Remediation background work: execute approved actions, then watch the signals until they recover."""

from celery import shared_task

from portal.remediation.models import ActionState
from portal.remediation.services import action_execute, action_verify, actions_waiting_resend

VERIFY_EVERY_SECONDS = 30


@shared_task(ignore_result=True)
def action_execute_task(action_id: int) -> None:
    action = action_execute(action_id)
    if action is not None and action.state == ActionState.VERIFYING:
        action_verify_task.apply_async(args=(action_id,), countdown=VERIFY_EVERY_SECONDS)


@shared_task(ignore_result=True)
def action_verify_task(action_id: int) -> None:
    if action_verify(action_id) == ActionState.VERIFYING:
        action_verify_task.apply_async(args=(action_id,), countdown=VERIFY_EVERY_SECONDS)


@shared_task(ignore_result=True)
def actions_sweep_task() -> None:
    """Re-send approved actions whose first send found the broker down."""
    actions_waiting_resend()
