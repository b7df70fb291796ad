"""Sending work to the broker without losing it: a broker outage never fails the request that stored the work.

The rows a task works on (a pending scaffold run, an approved action) are the outbox: when the broker is
down the send is skipped and logged, and the sweeper (Celery beat, every minute) sends again whatever has
been waiting, once the broker is back.
"""

from __future__ import annotations

import logging
from typing import Any

from celery import Task

log = logging.getLogger(__name__)


def send(task: Task, *args: Any) -> bool:
    """Queue a task; False (and a warning) when the broker cannot take it now."""
    try:
        task.apply_async(args=args, retry=False)
    except Exception as exc:  # noqa: BLE001 - kombu raises several types; all mean "not now"
        log.warning("broker unavailable, %s(%s) waits for the sweeper: %s", task.name, args, exc)
        return False
    return True
