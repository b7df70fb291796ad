"""Run catalog YAML through Backstage's own validators (npm packages in tests/backstage)."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

HARNESS = Path(__file__).resolve().parent.parent / "backstage"


def backstage_validate(yaml_text: str) -> dict[str, Any]:
    """Return the validator's verdict: {"ok": bool, "results": [{"kind", "name", "ok", "errors"}]}."""
    node = shutil.which("node")
    assert node, "node is needed for Backstage validation; `make test` installs it"
    assert (HARNESS / "node_modules").is_dir(), "run `make test` (it runs npm ci in tests/backstage)"
    proc = subprocess.run(
        [node, str(HARNESS / "validate.mjs")], input=yaml_text, capture_output=True, text=True, timeout=120
    )
    assert proc.stdout, f"validator printed nothing: {proc.stderr}"
    verdict: dict[str, Any] = json.loads(proc.stdout)
    verdict["exit_code"] = proc.returncode
    return verdict


def rejections(verdict: dict[str, Any]) -> list[str]:
    return [f"{r['kind']}:{r['name']}: {'; '.join(r['errors'])}" for r in verdict["results"] if not r["ok"]]
