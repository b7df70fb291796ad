"""Where the shared SLO test data lives, and promtool for the rules the tests generate."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
TESTDATA = ROOT.parent / "shared" / "testdata" / "slo"
SLOTH = TESTDATA / "sloth"
OPENSLO = TESTDATA / "openslo"
PYRRA = TESTDATA / "pyrra"


def promtool(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run promtool and return its result; fail the test with a hint when it is not installed."""
    binary = shutil.which("promtool")
    assert binary, "promtool is missing: `make test` installs it (Debian package prometheus)"
    return subprocess.run([binary, *args], cwd=cwd, capture_output=True, text=True, timeout=120, check=False)


def write_yaml(path: Path, data: object) -> Path:
    """Write data as YAML and return the path."""
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path
