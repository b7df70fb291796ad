"""Each real golden path end to end on the local provider: request -> run -> repository -> GitOps -> catalog."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from portal.catalog.models import Service
from portal.celery import app as celery_app
from portal.core.models import User
from portal.integrations.source_control import source_control
from portal.scaffolder.models import ScaffoldRun
from portal.slo.models import SLODefinition
from tests.conftest import client_for

TEMPLATES = Path(__file__).resolve().parents[2] / "templates"


@pytest.fixture(autouse=True)
def real_templates(settings, scaffold_sandbox: Path) -> Iterator[None]:
    settings.GOLDEN_PATHS_DIR = TEMPLATES
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


EXPECTED = {
    "python-http-service": (
        "service",
        [
            "Dockerfile",
            "catalog-info.yaml",
            "deploy/overlays/prod/deployment.yaml",
            "slo/openslo.yaml",
            "src/app/main.py",
            ".github/workflows/ci.yaml",
        ],
    ),
    "event-driven-worker": ("worker", ["deploy/base/scaledobject.yaml", "catalog-info.yaml"]),
    "scheduled-job": ("job", ["deploy/base/cronjob.yaml", "catalog-info.yaml"]),
}


@pytest.mark.parametrize("path", sorted(EXPECTED))
def test_a_golden_path_creates_a_service_end_to_end(
    path: str,
    owner: User,
    environments,
    django_capture_on_commit_callbacks,
) -> None:
    name = f"ledger-{path.split('-')[0]}"
    body = {"parameters": {"name": name, "owner": "group:default/payments", "tier": "1"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(f"/api/v1/golden-paths/{path}/runs", body, format="json")
    assert response.status_code == 202, response.json()
    run = ScaffoldRun.objects.get(pk=response.json()["id"])
    assert run.state == "succeeded", list(run.log_lines.values_list("message", flat=True))
    sc = source_control()
    files = sc.file_list(f"acme/{name}", "main")
    kind, expected = EXPECTED[path]
    missing = [f for f in expected if f not in files]
    assert not missing, (missing, files)
    entity = yaml.safe_load(sc.file_read(f"acme/{name}", "main", "catalog-info.yaml"))  # type: ignore[arg-type]
    entity = (
        entity
        if entity.get("kind") == "Component"
        else next(
            d
            for d in yaml.safe_load_all(sc.file_read(f"acme/{name}", "main", "catalog-info.yaml"))  # type: ignore[arg-type]
            if d.get("kind") == "Component"
        )
    )
    assert entity["spec"]["owner"] in ("group:default/payments", "payments")
    gitops = sc.file_list("platform/gitops", f"refs/heads/scaffold/{name}")
    assert f"apps/payments/{name}/prod.yaml" in gitops
    app = yaml.safe_load(
        sc.file_read(
            "platform/gitops",
            f"refs/heads/scaffold/{name}",  # type: ignore[arg-type]
            f"apps/payments/{name}/prod.yaml",
        )
    )
    assert app["spec"]["source"]["path"] == "deploy/overlays/prod"
    assert app["spec"]["source"]["path"].removesuffix("/") + "/kustomization.yaml" in files
    service = Service.objects.get(name=name)
    assert (service.type, service.tier, service.golden_path, service.origin) == (kind, 1, path, "golden_path")
    assert SLODefinition.objects.filter(service=service).count() == 2
    assert run.duration_seconds is not None
    assert run.duration_seconds < 60
