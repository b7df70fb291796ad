"""A real Prometheus for tests: backfilled from OpenMetrics text with promtool, served on a free port."""

from __future__ import annotations

import shutil
import subprocess
import time
import urllib.request
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from tests.support.processes import free_port


def promtool() -> str:
    path = shutil.which("promtool")
    assert path, "promtool is missing: `make test` installs the Debian package prometheus"
    return path


@contextmanager
def prometheus_server(
    folder: Path, openmetrics: Iterable[str], *, rule_files: list[Path] | None = None
) -> Iterator[str]:
    """Backfill a TSDB in folder from openmetrics lines, start Prometheus on it, yield its URL."""
    folder.mkdir(parents=True, exist_ok=True)
    source = folder / "data.om"
    with source.open("w") as handle:
        handle.writelines(openmetrics)
    tsdb = folder / "tsdb"
    subprocess.run(
        [promtool(), "tsdb", "create-blocks-from", "openmetrics", str(source), str(tsdb)],
        check=True,
        capture_output=True,
        timeout=600,
    )
    config = folder / "prometheus.yml"
    rules = "".join(f"  - {p}\n" for p in rule_files or [])
    config.write_text("global:\n  evaluation_interval: 15s\n" + (f"rule_files:\n{rules}" if rules else ""))
    port = free_port()
    binary = shutil.which("prometheus")
    assert binary, "prometheus is missing: `make test` installs the Debian package prometheus"
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tsdb}",
            f"--web.listen-address=127.0.0.1:{port}",
            "--storage.tsdb.retention.time=3650d",
            "--log.level=warn",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, proc)
        yield url
    finally:
        proc.terminate()
        proc.wait(20)


def _wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert proc.poll() is None, f"prometheus exited: {proc.stderr.read().decode() if proc.stderr else ''}"
        try:
            with urllib.request.urlopen(f"{url}/-/ready", timeout=2) as response:  # noqa: S310 - loopback
                if response.status == 200:
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise AssertionError("prometheus did not become ready")
