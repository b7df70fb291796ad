"""Request-to-done time of scaffold runs on the local provider, next to plain cookiecutter rendering.

    python bench/scaffold.py [--runs 10] [--path python-http-service]

It starts its own embedded PostgreSQL in a temporary folder (nothing touches your .data), migrates, loads
the demo catalog, then for each run: POST /api/v1/golden-paths/<path>/runs through the Django test client
and executes the run's steps (render, create repository, push, GitOps change, register) the way a worker
does. The floor is cookiecutter rendering the same template with the same answers, and nothing else.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--path", default="python-http-service")
    args = parser.parse_args()
    data = tempfile.mkdtemp(prefix="portal-bench-")
    os.environ.update({"PORTAL_DATA_DIR": data, "DJANGO_SETTINGS_MODULE": "portal.settings", "LOG_LEVEL": "WARNING"})
    os.environ.pop("DATABASE_URL", None)
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from rest_framework.test import APIClient

    from portal.catalog.demo import demo_load
    from portal.core.models import User
    from portal.scaffolder.registry import golden_path_get
    from portal.scaffolder.services import run_execute
    from portal.scaffolder.steps import render

    call_command("migrate", verbosity=0)
    demo_load()
    client = APIClient()
    client.force_login(User.objects.get(username="admin"))
    path = golden_path_get(args.path)
    portal, floor = [], []
    for i in range(args.runs):
        parameters = {"name": f"bench-{i}-{int(time.time())}", "owner": "payments", "tier": "2"}
        started = time.perf_counter()
        response = client.post(f"/api/v1/golden-paths/{args.path}/runs", {"parameters": parameters}, format="json")
        assert response.status_code == 202, response.content
        run = run_execute(response.json()["id"])
        assert run is not None and run.state == "succeeded", run and run.error
        portal.append(time.perf_counter() - started)
        context = {"name": parameters["name"] + "-floor", "owner": "payments", "tier": "2"}
        started = time.perf_counter()
        render(path, context, Path(data) / "floor" / str(i))
        floor.append(time.perf_counter() - started)
    print(f"golden path {args.path}, {args.runs} runs, local provider")
    print(f"{'':24} {'median s':>9} {'p95 s':>9}")
    for label, values in (("portal request-to-done", portal), ("cookiecutter render only", floor)):
        print(f"{label:24} {statistics.median(values):9.3f} {percentile(values, 0.95):9.3f}")
    print(f"ratio (portal / render)  {statistics.median(portal) / statistics.median(floor):9.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
