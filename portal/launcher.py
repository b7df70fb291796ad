"""`make run`: start the database, migrate, load demo data, then run web, worker and scheduler together.

Ctrl-C (or SIGTERM) stops all of them, and the embedded PostgreSQL with them.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import FrameType
from typing import IO

BASE_DIR = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
BIN = Path(PYTHON).parent
COLOURS = {"web": "\033[36m", "worker": "\033[33m", "beat": "\033[35m"}
RESET = "\033[0m"
STOP_GRACE_SECONDS = 15


def say(message: str) -> None:
    print(f"portal | {message}", flush=True)


def data_dir() -> Path:
    return Path(os.environ.get("PORTAL_DATA_DIR", BASE_DIR / ".data"))


def database_url() -> str:
    """DATABASE_URL when set; otherwise start the embedded PostgreSQL and keep it until we exit."""
    from portal.core.embedded import embedded_database_url, pgvector_problem

    url = os.environ.get("DATABASE_URL", "")
    if url:
        say("using the PostgreSQL at DATABASE_URL")
    else:
        say(f"starting embedded PostgreSQL (data in {data_dir() / 'postgres'})")
        url = embedded_database_url(data_dir() / "postgres")
    problem = pgvector_problem(url)
    if problem:
        say(f"cannot start: {problem}")
        sys.exit(2)
    return url


def manage(*args: str, env: dict[str, str]) -> None:
    result = subprocess.run([PYTHON, str(BASE_DIR / "manage.py"), *args], env=env, cwd=BASE_DIR)
    if result.returncode != 0:
        say(f"'manage.py {' '.join(args)}' failed (exit {result.returncode}); see the messages above.")
        sys.exit(result.returncode)


def commands(port: str) -> dict[str, list[str]]:
    return {
        "web": [
            str(BIN / "gunicorn"),
            "portal.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            os.environ.get("WEB_CONCURRENCY", "2"),
            "--access-logfile",
            "-",
            "--graceful-timeout",
            "10",
        ],
        "worker": [
            str(BIN / "celery"),
            "-A",
            "portal",
            "worker",
            "--loglevel",
            "INFO",
            "--concurrency",
            os.environ.get("WORKER_CONCURRENCY", "2"),
            "--hostname",
            "worker@%h",
        ],
        "beat": [
            str(BIN / "celery"),
            "-A",
            "portal",
            "beat",
            "--loglevel",
            "INFO",
            "--schedule",
            str(data_dir() / "celerybeat-schedule"),
        ],
    }


def relay(name: str, stream: IO[str]) -> None:
    colour = COLOURS.get(name, "") if sys.stdout.isatty() else ""
    end = RESET if colour else ""
    for line in stream:
        sys.stdout.write(f"{colour}{name:>6} |{end} {line}")
        sys.stdout.flush()


def start(name: str, argv: list[str], env: dict[str, str]) -> subprocess.Popen[str]:
    # Own session: Ctrl-C reaches only the launcher, which then stops each child in order.
    proc = subprocess.Popen(
        argv,
        env=env,
        cwd=BASE_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        bufsize=1,
        start_new_session=True,
    )
    threading.Thread(target=relay, args=(name, proc.stdout), daemon=True).start()
    return proc


def stop_all(procs: dict[str, subprocess.Popen[str]]) -> None:
    for proc in procs.values():
        if proc.poll() is None:
            proc.terminate()
    deadline = time.monotonic() + STOP_GRACE_SECONDS
    for name, proc in procs.items():
        try:
            proc.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            say(f"{name} did not stop in {STOP_GRACE_SECONDS}s; killing it")
            proc.kill()
            proc.wait()


def prepare_environment(url: str) -> dict[str, str]:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="portal.settings", PYTHONUNBUFFERED="1")
    env.setdefault("OPENBLAS_NUM_THREADS", "1")  # one BLAS thread per process: far faster on small machines
    env.setdefault("LOG_FORMAT", "plain")  # people read `make run`'s output; production keeps JSON
    metrics_dir = data_dir() / "prometheus-multiproc"
    shutil.rmtree(metrics_dir, ignore_errors=True)
    metrics_dir.mkdir(parents=True)
    env["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)
    return env


def main() -> int:
    os.chdir(BASE_DIR)
    data_dir().mkdir(parents=True, exist_ok=True)
    port = os.environ.get("PORT", "8000")
    env = prepare_environment(database_url())
    broker = os.environ.get("CELERY_BROKER_URL") or f"filesystem ({data_dir() / 'broker'})"
    say(f"Celery broker: {broker}")
    manage("migrate", "--noinput", env=env)
    manage("collectstatic", "--noinput", "--verbosity", "0", env=env)
    manage("runbooks_sync", env=env)
    manage("load_demo", env=env)

    stopping = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopping.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    procs = {name: start(name, argv, env) for name, argv in commands(port).items()}
    say(f"the portal is at http://127.0.0.1:{port}/  (admin: /admin/, API docs: /api/docs/)")
    say("demo login: admin / portal-demo (platform admin); sam / portal-demo (SRE)")
    say("press Ctrl-C to stop web, worker, scheduler and the database")
    exit_code = 0
    while not stopping.wait(0.5):
        failed = [name for name, proc in procs.items() if proc.poll() is not None]
        if failed:
            say(f"{', '.join(failed)} exited (code {procs[failed[0]].returncode}); stopping the rest")
            exit_code = 1
            break
    say("stopping")
    stop_all(procs)
    say("stopped")
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
