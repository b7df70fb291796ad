"""Run the job once: `python -m app`. Exit status 1 tells Kubernetes the run failed."""

from __future__ import annotations

import os
import sys

from app import SERVICE_NAME
from app.job import run_batch
from app.runner import pushgateway_push, run_job
from app.telemetry import configure_telemetry


def main() -> int:
    telemetry = configure_telemetry()
    push = pushgateway_push(
        os.environ.get("PUSHGATEWAY_URL", ""),
        job=SERVICE_NAME,
        grouping_key={"environment": os.environ.get("DEPLOYMENT_ENVIRONMENT", "local")},
    )
    try:
        succeeded = run_job(run_batch, telemetry=telemetry, push=push)
    finally:
        telemetry.shutdown()  # a short-lived process must flush its spans, metrics and logs
    return 0 if succeeded else 1


if __name__ == "__main__":
    sys.exit(main())
