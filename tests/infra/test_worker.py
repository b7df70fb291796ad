"""A resource request travels through the real default broker to a real Celery worker process."""

from __future__ import annotations

import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from celery import Celery

from portal.catalog.models import Environment, Resource, Service
from portal.core.models import Membership, Team, User
from portal.infra import services
from portal.infra.models import ResourceRequest
from portal.integrations.backends import backends_reset
from portal.integrations.source_control import source_control
from tests.support.processes import celery_worker

TASK = "portal.infra.tasks.resource_request_execute_task"


def _sender(folder: Path) -> Celery:
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(parents=True, exist_ok=True)
    sender = Celery("sender", broker="filesystem://localhost/")
    sender.conf.broker_transport_options = {
        "data_folder_in": str(folder / "queue"),
        "data_folder_out": str(folder / "queue"),
        "processed_folder": str(folder / "processed"),
        "control_folder": str(folder / "control"),
        "store_processed": False,
    }
    return sender


def _wait_until_finished(request_id: Any, proc: Any, timeout: float = 90) -> ResourceRequest:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        request = ResourceRequest.objects.get(pk=request_id)
        if request.state in ("succeeded", "failed", "awaiting_approval", "rejected"):
            return request
        assert proc.poll() is None, f"worker exited early:\n{proc.stdout.read()}"
        time.sleep(0.3)
    proc.terminate()
    raise AssertionError(
        f"request still {request.state} after {timeout}s; worker log:\n{proc.communicate(timeout=20)[0]}"
    )


@pytest.mark.django_db(transaction=True)
def test_a_request_is_provisioned_by_a_worker_process(tmp_path: Path, settings: Any, monkeypatch: Any) -> None:
    settings.SOURCE_CONTROL = {
        "BACKEND": "portal.integrations.source_control.local.LocalGit",
        "OPTIONS": {"root": str(tmp_path / "git"), "base_url": f"{settings.SITE_URL}/api/v1/scm/repositories"},
    }
    backends_reset()
    team = Team.objects.create(name="payments", cost_centre="cc-1042")
    person = User.objects.create_user(username="lee", password="x-pass-123")
    Membership.objects.create(user=person, team=team)
    Service.objects.create(name="payments-api", owner=team, tier=2)
    Environment.objects.create(name="dev", kind="dev")
    monkeypatch.setattr(services, "_enqueue", lambda request_id: True)  # this test sends it itself, below
    request, _ = services.request_create(
        actor=person, kind="redis", name="sessions", service="payments-api", environment="dev", parameters={}
    )
    queue = f"test-{uuid.uuid4().hex[:8]}"

    with celery_worker({"CELERY_BROKER_URL": "", "PORTAL_DATA_DIR": str(tmp_path)}, queue) as proc:
        _sender(tmp_path / "broker").send_task(TASK, args=[str(request.id)], queue=queue)
        request = _wait_until_finished(request.id, proc)

    assert request.state == "succeeded", list(request.log_lines.values_list("message", flat=True))
    assert Resource.objects.filter(name="sessions-dev", owner=team).exists()
    backends_reset()
    assert source_control().file_read("platform/gitops", "main", "infra/payments/dev/sessions-dev.yaml") is not None
    backends_reset()
