"""A real Redis goes away: requests that queue work are still accepted and stored, and the work is sent when
Redis is back (the rows are the outbox, the sweeper sends them)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from portal.catalog.models import Environment
from portal.core.models import User
from portal.scaffolder.models import ScaffoldRun
from tests.support.processes import ROOT, free_port
from tests.support.processes import test_database_url as database_url_for_tests

FIXTURES = Path(__file__).resolve().parents[1] / "scaffolder" / "fixtures"

REQUEST = """
from portal.core.models import User
from portal.scaffolder.registry import golden_path_get
from portal.scaffolder.services import run_request
run, _ = run_request(actor=User.objects.get(username="lee"), path=golden_path_get("tiny-service"),
                     parameters={"name": "ledger", "owner": "payments"})
print(run.id)
"""
SWEEP = (
    "from datetime import timedelta; from portal.scaffolder.services import runs_waiting_resend; "
    "print(runs_waiting_resend(older_than=timedelta(0)))"
)


def _portal(code: str, env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-c", code],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-1]


def _redis(port: int, folder: Path) -> subprocess.Popen[bytes]:
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it"
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port, socket_connect_timeout=1)
    for _ in range(50):
        try:
            if client.ping():
                return proc
        except redis.RedisError:
            time.sleep(0.1)
    raise AssertionError("redis-server did not start")


@pytest.mark.django_db(transaction=True)
def test_runs_requested_while_redis_is_down_are_sent_when_it_returns(owner: User, tmp_path: Path) -> None:
    Environment.objects.create(name="prod", kind="prod")
    port = free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url_for_tests(),
        "CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0",
        "GOLDEN_PATHS_DIR": str(FIXTURES),
        "PORTAL_DATA_DIR": str(tmp_path),
        "LOG_LEVEL": "ERROR",
    }
    run_id = _portal(REQUEST, env)  # nothing listens on the port: the broker is down
    assert ScaffoldRun.objects.get(pk=run_id).state == "pending"  # accepted and stored all the same
    assert _portal(SWEEP, env) == "0"  # still down: nothing sent, nothing lost
    server = _redis(port, tmp_path)
    try:
        assert _portal(SWEEP, env) == "1"
        assert redis.Redis(port=port).llen("celery") == 1  # the run's task waits in the real queue
    finally:
        server.terminate()
        server.wait(10)
