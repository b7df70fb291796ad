"""Core background tasks."""

import os
import socket

from celery import shared_task

from portal.core.services import heartbeat_record


@shared_task(ignore_result=True)
def heartbeat_record_task() -> None:
    """Prove that the scheduler queues and a worker runs tasks."""
    heartbeat_record(component="worker", detail={"host": socket.gethostname(), "pid": os.getpid()})
