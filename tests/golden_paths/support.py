"""Rendering golden paths for tests: cookiecutter into a temporary folder, Kustomize overlays to manifests."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml
from cookiecutter.main import cookiecutter

ROOT = Path(__file__).resolve().parent.parent.parent
TEMPLATES = ROOT / "templates"
BACKSTAGE_TEMPLATES = ROOT / "golden_paths"
PATHS = ("python-http-service", "event-driven-worker", "scheduled-job")
ENVIRONMENTS = ("dev", "staging", "prod")
KUBERNETES_VERSION = "1.33.0"


def isolated_config(workdir: Path) -> dict[str, str]:
    """Cookiecutter settings that keep replay files and caches in workdir (concurrent runs never collide)."""
    return {"replay_dir": str(workdir / "replay"), "cookiecutters_dir": str(workdir / "cache")}


def render(path: str, workdir: Path, **answers: str) -> Path:
    """Render templates/<path> into workdir/out without prompting and return the generated repository."""
    (workdir / "out").mkdir(parents=True, exist_ok=True)
    output = cookiecutter(
        str(TEMPLATES / path),
        no_input=True,
        extra_context=answers,
        output_dir=str(workdir / "out"),
        default_config=isolated_config(workdir),
    )
    return Path(output)


def cookiecutter_defaults(path: str) -> dict[str, Any]:
    return json.loads((TEMPLATES / path / "cookiecutter.json").read_text())


def golden_path_meta(path: str) -> dict[str, Any]:
    return yaml.safe_load((TEMPLATES / path / "golden-path.yaml").read_text())


def answers_of(path: str, **answers: str) -> dict[str, str]:
    """The answers a render used: the template's defaults (first choice of a list) overridden by answers."""
    defaults = {k: (v[0] if isinstance(v, list) else v) for k, v in cookiecutter_defaults(path).items()}
    public = {k: v for k, v in defaults.items() if not k.startswith("_")}
    return {**public, **answers}


def kustomize(overlay: Path) -> list[dict[str, Any]]:
    """Render an overlay with kustomize (built into kubectl) and return its documents."""
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl (with kustomize built in) is needed to render the overlays"
    proc = subprocess.run([kubectl, "kustomize", str(overlay)], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"kustomize failed for {overlay}: {proc.stderr}"
    return [doc for doc in yaml.safe_load_all(proc.stdout) if doc]


def pod_spec(manifest: dict[str, Any]) -> dict[str, Any] | None:
    """The pod template spec of a workload (Deployment, CronJob...), or None for other kinds."""
    spec = manifest.get("spec", {})
    if manifest["kind"] == "CronJob":
        return spec["jobTemplate"]["spec"]["template"]["spec"]
    if manifest["kind"] in {"Deployment", "StatefulSet", "DaemonSet", "Job"}:
        return spec["template"]["spec"]
    return None


def containers(manifest: dict[str, Any]) -> list[dict[str, Any]]:
    spec = pod_spec(manifest)
    return [] if spec is None else [*spec.get("initContainers", []), *spec["containers"]]


def quantity(value: str | int | float) -> float:
    """A Kubernetes quantity as a number of cores or bytes (the suffixes these templates use)."""
    text = str(value)
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "k": 1e3, "M": 1e6, "G": 1e9}
    match = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", text)
    assert match, f"unexpected quantity {text!r}"
    assert match.group(2) in {"", *units}, f"unexpected unit in {text!r}"
    return float(match.group(1)) * units.get(match.group(2), 1)


def text_files(root: Path) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if path.is_file() and "__pycache__" not in path.parts:
            yield path


def run_generated_tests(repo: Path) -> subprocess.CompletedProcess[str]:
    """Run the generated repository's own pytest with this venv's Python, isolated from the portal's settings."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "PYTEST_", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:django", "-p", "no:cacheprovider", "-p", "no:xdist"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
