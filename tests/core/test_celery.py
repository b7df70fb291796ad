"""Celery tasks travel through a real broker to a real worker process, on Redis and on the default."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from celery import Celery

from portal.core.models import Heartbeat
from tests.support.processes import celery_worker, redis_server

TASK = "portal.core.tasks.heartbeat_record_task"


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    with redis_server() as url:
        yield url


def _wait_for_heartbeat(proc, timeout: float = 60) -> Heartbeat:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        beat = Heartbeat.objects.filter(component="worker").first()
        if beat is not None:
            return beat
        assert proc.poll() is None, f"worker exited early:\n{proc.stdout.read()}"
        time.sleep(0.3)
    proc.terminate()
    raise AssertionError(f"no heartbeat within {timeout}s; worker log:\n{proc.communicate(timeout=20)[0]}")


@pytest.mark.django_db(transaction=True)
def test_a_task_sent_through_redis_runs_in_a_worker_process(redis_url: str) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    sender = Celery("sender", broker=redis_url)
    with celery_worker({"CELERY_BROKER_URL": redis_url}, queue) as proc:
        sender.send_task(TASK, queue=queue)
        beat = _wait_for_heartbeat(proc)
    assert beat.detail["pid"] == proc.pid  # the solo pool runs tasks in the worker's own process


@pytest.mark.django_db(transaction=True)
def test_the_default_broker_needs_no_server(tmp_path: Path) -> None:
    queue = f"test-{uuid.uuid4().hex[:8]}"
    folder = tmp_path / "broker"
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True)
    sender = Celery("sender", broker="filesystem://localhost/")
    sender.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    with celery_worker({"CELERY_BROKER_URL": "", "PORTAL_DATA_DIR": str(tmp_path)}, queue) as proc:
        sender.send_task(TASK, queue=queue)
        beat = _wait_for_heartbeat(proc)
    assert beat.detail["pid"] == proc.pid
