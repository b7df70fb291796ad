"""The portal's own telemetry: JSON logs with request ids, task and work metrics, traces only when asked."""

from __future__ import annotations

import json
import logging

from portal.core.middleware import request_id_var
from portal.core.models import User
from portal.core.tasks import heartbeat_record_task
from portal.core.telemetry import JsonFormatter, queue_length, tracing_configure
from tests.conftest import client_for


def test_logs_are_json_with_the_request_id() -> None:
    token = request_id_var.set("req-42")
    try:
        record = logging.LogRecord("portal", logging.WARNING, __file__, 1, "service %s created", ("ledger",), None)
        line = json.loads(JsonFormatter().format(record))
    finally:
        request_id_var.reset(token)
    assert line["message"] == "service ledger created"
    assert (line["level"], line["request_id"]) == ("WARNING", "req-42")


def test_task_durations_and_queue_length_are_exported(sre: User) -> None:
    heartbeat_record_task.apply()
    body = client_for(sre).get("/metrics").content.decode()
    assert 'portal_task_duration_seconds_count{task="portal.core.tasks.heartbeat_record_task"}' in body
    assert 'portal_celery_queue_length{queue="celery"}' in body
    assert queue_length("celery") is not None


def test_tracing_is_off_unless_an_endpoint_is_configured(monkeypatch) -> None:
    monkeypatch.delenv("OTEL_EXPORTER_OTLP_ENDPOINT", raising=False)
    assert tracing_configure() is False
