"""Backstage end to end: a real Backstage backend with our plugin modules creates services, and requests resources
for them, through a running portal."""

from __future__ import annotations

import json
import os
import shutil
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

PLUGIN = ROOT / "backstage-plugin"


def _get(url: str, token: str = "") -> tuple[int, Any]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 - loopback only
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")
    except (urllib.error.URLError, ConnectionError, TimeoutError):
        return 0, None


def _portal_env(data_dir: Path, port: int) -> dict[str, str]:
    env = {
        k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "CELERY_BROKER_URL", "DJANGO_SETTINGS_MODULE")
    }
    return {
        **env,
        "PORTAL_DATA_DIR": str(data_dir),
        "PORT": str(port),
        "SITE_URL": f"http://127.0.0.1:{port}",
        "WEB_CONCURRENCY": "1",
        "WORKER_CONCURRENCY": "1",
    }


def _wait_for_health(base: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if _get(f"{base}/healthz")[0] == 200:
            return
        if proc.poll() is not None:
            raise AssertionError(f"the portal exited ({proc.returncode}):\n{log.read_text()[-4000:]}")
        time.sleep(0.5)
    raise AssertionError("the portal did not answer /healthz in time")


def _service_token(env: dict[str, str]) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", "create_service_token", "backstage", "--role", "platform_admin", "--quiet"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()[-1]


def _run_backstage_e2e(base: str, token: str, result_file: Path) -> subprocess.CompletedProcess[str]:
    npm = shutil.which("npm")
    assert npm, "npm is missing: `make test` installs it"
    env = {**os.environ, "PORTAL_BASE_URL": base, "PORTAL_TOKEN": token, "E2E_RESULT_FILE": str(result_file)}
    return subprocess.run(
        [npm, "run", "--silent", "test:e2e"], cwd=PLUGIN, env=env, capture_output=True, text=True, timeout=480
    )


def _assert_resources_requested(base: str, token: str, result: dict[str, Any]) -> None:
    """Each kind the portal offers was requested through each resource-request template, provisioned without an
    approval, and is now a catalog Resource of that kind that the service depends on."""
    assert result["resourceTemplates"], "no template using platform-portal:resource:request under golden_paths/"
    _, kinds = _get(f"{base}/api/v1/infra/kinds", token)
    catalog_type = {kind["name"]: kind["catalog_type"] for kind in kinds}
    assert sorted((r["template"], r["kind"]) for r in result["requested"]) == sorted(
        (template, kind) for template in result["resourceKinds"] for kind in catalog_type
    )
    _, entities = _get(f"{base}/api/v1/catalog/entities", token)
    by_ref = {f"{e['kind'].lower()}:default/{e['metadata']['name']}": e for e in entities["items"]}
    for requested in result["requested"]:
        output = requested["output"]
        request_id = requested["request"]["id"]
        status, request = _get(f"{base}/api/v1/infra/requests/{request_id}", token)
        assert status == 200, request
        assert (request["state"], request["kind"], request["service"], request["environment"]) == (
            "succeeded",
            requested["kind"],
            requested["service"],
            "dev",
        ), request
        assert request["approval_url"] == ""  # dev, default size: nobody had to approve it
        assert request["requested_for"] == "user:default/mock"
        steps = [(step["name"], step["state"]) for step in request["steps"]]
        assert steps == [(name, "succeeded") for name in ("validate", "approval", "render", "deliver", "register")]
        resource_name = f"{requested['name']}-dev"
        assert request["resource_name"] == resource_name
        entity_ref = f"resource:default/{resource_name}"
        assert request["entity_ref"] == entity_ref
        assert request["connection_secret"]["kubernetes_secret"].endswith(f"/{resource_name}-connection")
        links = {link.get("title"): link for link in output["links"]}
        assert links["Open in catalog"]["entityRef"] == entity_ref
        assert links["Request status and log"]["url"] == request["run_url"]

        status, resource = _get(f"{base}/api/v1/catalog/resources/{resource_name}", token)
        assert status == 200, resource
        assert (resource["type"], resource["owner"]) == (catalog_type[requested["kind"]], "payments")
        _, service = _get(f"{base}/api/v1/catalog/services/{requested['service']}", token)
        assert resource_name in service["resources"]
        assert by_ref[entity_ref]["spec"]["type"] == catalog_type[requested["kind"]]
        assert entity_ref in by_ref[f"component:default/{requested['service']}"]["spec"]["dependsOn"]


@pytest.mark.timeout(720)
def test_backstage_runs_each_action_template_and_the_portal_shows_the_new_services(tmp_path: Path) -> None:
    assert (PLUGIN / "node_modules").is_dir(), "run `make test` (it runs npm ci in backstage-plugin)"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = _portal_env(tmp_path / "data", port)
    log = tmp_path / "portal.log"
    with log.open("wb") as output:  # a file, not a pipe: nobody reads the worker's chatter while it runs
        proc = subprocess.Popen(
            [sys.executable, "-m", "portal.launcher"], cwd=ROOT, env=env, stdout=output, stderr=output
        )
    try:
        _wait_for_health(base, proc, log)
        token = _service_token(env)
        result_file = tmp_path / "backstage-e2e.json"

        node = _run_backstage_e2e(base, token, result_file)

        assert node.returncode == 0, f"{node.stdout}\n{node.stderr}\nportal log:\n{log.read_text()[-4000:]}"
        result = json.loads(result_file.read_text())
        assert result["created"], "no template using portal:golden-path:run was found under golden_paths/"
        assert len(result["created"]) == len(result["templates"])
        for created in result["created"]:
            status, service = _get(f"{base}/api/v1/catalog/services/{created['name']}", token)
            assert status == 200, service
            assert service["owner"] == "payments"
            assert service["repo_url"].endswith(f"/{created['name']}")
            links = {link.get("title"): link for link in created["output"]["links"]}
            assert links["Repository"]["url"] == service["repo_url"]
            _, runs = _get(f"{base}/api/v1/scaffolder/runs?service={created['name']}", token)
            [run] = runs["results"]
            assert run["state"] == "succeeded"
            assert run["golden_path"] == created["goldenPath"]
            assert run["requested_for"] == "user:default/mock"
            assert run["repo_url"] == service["repo_url"]
        _assert_resources_requested(base, token, result)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
