"""Two workers at once: the previews branch is rewritten whole, so writers must never lose each other's preview."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from celery import Task
from django.db import connection

from portal.changes.signals import pull_request_event
from portal.previews import delivery, events
from portal.previews.events import event_process
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent, PreviewState
from tests.previews.conftest import WORKDAY_MORNING, pull_event


@pytest.mark.django_db(transaction=True)
def test_concurrent_workers_keep_every_preview_on_the_branch(
    preview_config: PreviewConfig, previews_world: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_broker(task: Task, *args: object) -> bool:
        return True

    monkeypatch.setattr(events, "send", no_broker)  # the workers below take the events instead
    numbers = [21, 22, 23, 24]
    for number in numbers:
        pull_request_event.send(sender=None, event=pull_event("opened", number=number, sha=f"{number:040d}"))
    stored = list(PreviewEvent.objects.order_by("id").values_list("id", flat=True))
    assert len(stored) == len(numbers)
    failures: list[BaseException] = []
    start = threading.Barrier(len(stored))

    def worker(event_id: int) -> None:
        try:
            start.wait()
            event_process(event_id, now=WORKDAY_MORNING)
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(event_id,)) for event_id in stored]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    assert set(PreviewEnvironment.objects.values_list("state", flat=True)) == {PreviewState.ACTIVE}
    on_branch = {path.split("/")[2] for path in delivery.branch_files() if path.endswith("application.yaml")}
    assert on_branch == {f"pr-{number}" for number in numbers}
    for number in numbers:
        kinds = {obj["kind"] for obj in delivery.cluster_objects(f"pr-{number}-payments-api")}
        assert {"Namespace", "Deployment"} <= kinds
