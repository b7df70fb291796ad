"""Real outside processes for tests: Redis (reused or started), Celery workers, free ports."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def redis_answers(url: str) -> bool:
    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except redis.RedisError:
        return False


@contextmanager
def redis_server() -> Iterator[str]:
    """Yield a Redis URL: TEST_REDIS_URL, else the one on 127.0.0.1:6379, else a redis-server we start."""
    for url in (os.environ.get("TEST_REDIS_URL", ""), "redis://127.0.0.1:6379/15"):
        if url and redis_answers(url):
            yield url
            return
    binary = shutil.which("redis-server")
    assert binary, "redis-server is missing: `make test` installs it (Debian package redis-server)"
    port = free_port()
    with tempfile.TemporaryDirectory() as folder:
        proc = subprocess.Popen(
            [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", folder],
            stdout=subprocess.DEVNULL,
        )
        url = f"redis://127.0.0.1:{port}/0"
        try:
            _wait_for(lambda: redis_answers(url), what="redis-server")
            yield url
        finally:
            proc.terminate()
            proc.wait(10)


def _wait_for(check, *, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"{what} did not come up within {timeout}s")


def test_database_url() -> str:
    """A URL for the database the test run is using, so another process can see committed rows."""
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or ""
    if host.startswith("/"):
        return f"postgresql://{s['USER']}{password}@/{s['NAME']}?host={host}"
    return f"postgresql://{s['USER']}{password}@{host}:{s.get('PORT') or 5432}/{s['NAME']}"


@contextmanager
def celery_worker(env: dict[str, str], queue: str) -> Iterator[subprocess.Popen[str]]:
    """Run a real `celery worker` process on queue with env, and stop it afterwards."""
    full_env = {**os.environ, **env, "DATABASE_URL": test_database_url(), "PYTHONUNBUFFERED": "1"}
    argv = [
        str(BIN / "celery"),
        "-A",
        "portal",
        "worker",
        "--pool",
        "solo",
        "--queues",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--loglevel",
        "INFO",
        "--without-heartbeat",
        "--without-mingle",
        "--without-gossip",
    ]
    proc = subprocess.Popen(argv, env=full_env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
