"""Load on loopback: the portal as `make run` starts it (gunicorn, embedded PostgreSQL), driven by threads.

    python bench/load.py [--seconds 20] [--concurrency 8]

It starts the portal in a temporary data folder on a free loopback port, creates a service token, then
for each scenario sends requests from --concurrency threads for --seconds and prints throughput, p50 and
p99 latency and the number of errors. Everything stays on 127.0.0.1 and stops by itself.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
Request = Callable[[int], urllib.request.Request]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_portal(data: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "PORTAL_DATA_DIR": data,
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "WORKER_CONCURRENCY": "1",
        "LOG_LEVEL": "WARNING",
    }
    env.pop("DATABASE_URL", None)
    proc = subprocess.Popen(
        [sys.executable, "-m", "portal.launcher"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 240
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except OSError:
            time.sleep(0.5)
    proc.send_signal(signal.SIGINT)
    raise SystemExit("the portal did not start")


def token(data: str) -> str:
    env = {**os.environ, "PORTAL_DATA_DIR": data}
    env.pop("DATABASE_URL", None)
    out = subprocess.run(
        [sys.executable, "manage.py", "create_service_token", "load", "--role", "platform_admin", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip().splitlines()[-1]


def drive(make: Request, seconds: float, concurrency: int) -> tuple[list[float], int]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    stop = time.monotonic() + seconds

    def worker(worker_id: int) -> None:
        nonlocal errors
        n = 0
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                with urllib.request.urlopen(make(worker_id * 1_000_000 + n), timeout=10) as response:
                    response.read()
                    ok = response.status < 400
            except (urllib.error.URLError, OSError):
                ok = False
            with lock:
                latencies.append(time.perf_counter() - started)
                errors += 0 if ok else 1
            n += 1

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies, errors


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    data, port = tempfile.mkdtemp(prefix="portal-load-"), free_port()
    proc = start_portal(data, port)
    try:
        bearer = {"Authorization": f"Bearer {token(data)}", "Content-Type": "application/json"}
        base = f"http://127.0.0.1:{port}"

        def get(path: str) -> Request:
            return lambda n: urllib.request.Request(base + path, headers=bearer)

        def change(n: int) -> urllib.request.Request:
            body = json.dumps(
                {"service": "payments-api", "kind": "config", "version": f"v{n}", "external_id": f"load-{n}"}
            ).encode()
            return urllib.request.Request(f"{base}/api/v1/changes", data=body, headers=bearer, method="POST")

        scenarios = {
            "GET /api/v1/catalog/services": get("/api/v1/catalog/services"),
            "GET /api/v1/catalog/entities": get("/api/v1/catalog/entities"),
            "GET /api/v1/incidents": get("/api/v1/incidents"),
            "POST /api/v1/changes (write)": change,
        }
        print(f"{args.concurrency} threads x {args.seconds:.0f} s per scenario, gunicorn with 2 workers, loopback")
        print(f"{'scenario':34} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}")
        for name, make in scenarios.items():
            latencies, errors = drive(make, args.seconds, args.concurrency)
            ordered = sorted(latencies)
            p99 = ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]
            print(
                f"{name:34} {len(latencies) / args.seconds:8.1f} {statistics.median(latencies) * 1000:8.1f} "
                f"{p99 * 1000:8.1f} {errors:7d}"
            )
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(60)
    return 0


if __name__ == "__main__":
    sys.exit(main())
