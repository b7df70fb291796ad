"""Preview background work: act on pull-request events, and the sweep (time to live, off-hours, cost)."""

from celery import shared_task

from portal.previews.events import event_process, events_waiting_resend
from portal.previews.services import previews_sweep


@shared_task(ignore_result=True)
def preview_event_process_task(event_id: int) -> None:
    event_process(event_id)


@shared_task(ignore_result=True)
def previews_sweep_task() -> None:
    """Every few minutes: expire, put to sleep, count cost, and resend events the broker missed."""
    previews_sweep()
    events_waiting_resend()
