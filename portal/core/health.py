"""Health (process up), readiness (database and broker reachable) and metrics endpoints."""

from __future__ import annotations

import time
from datetime import timedelta

from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from rest_framework.request import Request
from rest_framework.views import APIView

from portal.core.metrics import metrics_exposition
from portal.core.models import Heartbeat

WORKER_STALE_AFTER = timedelta(minutes=2)


def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


def _check_database() -> dict[str, object]:
    started = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT extversion FROM pg_extension WHERE extname = 'vector'")
            row = cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "not ready", with the reason
        return {"ok": False, "error": type(exc).__name__}
    return {
        "ok": row is not None,
        "pgvector": row[0] if row else None,
        "latency_ms": round((time.perf_counter() - started) * 1000, 1),
        **({} if row else {"error": "pgvector extension missing: run migrations"}),
    }


def _check_broker() -> dict[str, object]:
    from portal.celery import app

    started = time.perf_counter()
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "error": type(exc).__name__}
    return {"ok": True, "transport": str(transport), "latency_ms": round((time.perf_counter() - started) * 1000, 1)}


def _worker_state() -> dict[str, object]:
    try:
        beat = Heartbeat.objects.filter(component="worker").first()
    except Exception:  # noqa: BLE001
        return {"seen": False}
    if beat is None:
        return {"seen": False}
    age = timezone.now() - beat.last_seen
    return {"seen": True, "last_seen": beat.last_seen.isoformat(), "stale": age > WORKER_STALE_AFTER}


def readyz(request: HttpRequest) -> JsonResponse:
    """Ready when the database and the broker answer; the worker's heartbeat is reported, not required."""
    checks = {"database": _check_database(), "broker": _check_broker()}
    ready = all(bool(check["ok"]) for check in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks, "worker": _worker_state()}
    return JsonResponse(body, status=200 if ready else 503)


class MetricsApi(APIView):
    """Prometheus exposition of the portal's own metrics (scrape with a service token)."""

    schema = None

    def get(self, request: Request) -> HttpResponse:
        payload, content_type = metrics_exposition()
        return HttpResponse(payload, content_type=content_type)
