"""Gunicorn settings for the container image (copied to /app/gunicorn.conf.py by deploy/Dockerfile)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

bind = ["0.0.0.0:8000"]  # every interface of the pod: the Service and the Ingress reach it there
accesslog = "-"
timeout = 60
graceful_timeout = 20
# Heartbeat files in memory: the root filesystem is read-only and /tmp may be disk-backed.
worker_tmp_dir = "/dev/shm"  # noqa: S108
# Pods are reached only through the Service and the Ingress, whose X-Forwarded-Proto tells Django it is HTTPS.
forwarded_allow_ips = "*"


def on_starting(server: Any) -> None:
    """Clear metric files left by processes of an earlier start of this container."""
    metrics_dir = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if metrics_dir:
        for stale in Path(metrics_dir).glob("*.db"):
            stale.unlink()


def child_exit(server: Any, worker: Any) -> None:
    """Drop a dead worker's live gauges from the merged /metrics."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)
