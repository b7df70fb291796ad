"""Each golden path rendered once per variant (every tier, every broker, both CI systems), shared by the tests."""

from __future__ import annotations

import copy
import subprocess
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from tests.golden_paths.support import ENVIRONMENTS, answers_of, kustomize, render, run_generated_tests


@dataclass(frozen=True)
class Variant:
    path: str
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.path}-tier{self.answers['tier']}"

    @property
    def context(self) -> dict[str, str]:
        """Every answer the render used, defaults included."""
        return answers_of(self.path, **self.answers)


PIPELINES = {"platform_org": "acme-platform", "pipelines_repo": "shared-pipelines", "pipelines_version": "v2.1"}

# Every path in every tier; the other choices (broker, CI system, owner form, pipeline coordinates, schedule,
# no Pushgateway) ride along on those nine renders, so each generated repository's own tests run nine times.
VARIANTS = [
    Variant("python-http-service", {"tier": "1"}),
    Variant("python-http-service", {"tier": "2", "scm": "gitlab", "owner": "payments", **PIPELINES}),
    Variant("python-http-service", {"tier": "3", "python_version": "3.13"}),
    Variant("event-driven-worker", {"tier": "1", "broker": "redis-streams"}),
    Variant("event-driven-worker", {"tier": "2", "broker": "rabbitmq", "scm": "gitlab"}),
    Variant("event-driven-worker", {"tier": "3", "broker": "kafka", "source_name": "orders.v1", **PIPELINES}),
    Variant("scheduled-job", {"tier": "1"}),
    Variant("scheduled-job", {"tier": "2", "scm": "gitlab", "schedule": "@daily", "pushgateway_url": ""}),
    Variant("scheduled-job", {"tier": "3", "schedule": "*/15 6-20 * * 1-5", "owner": "group:data"}),
]


@pytest.fixture(scope="session")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every variant rendered once for the session: id -> generated repository."""
    root = tmp_path_factory.mktemp("golden-paths")
    return {v.id: render(v.path, root / v.id, **v.answers) for v in VARIANTS}


@pytest.fixture(scope="session")
def generated_test_runs(rendered: dict[str, Path]) -> Iterator[dict[str, Future[subprocess.CompletedProcess[str]]]]:
    """Each generated repository's own pytest, started in the background (two at a time) at session start."""
    with ThreadPoolExecutor(max_workers=2, thread_name_prefix="generated-pytest") as pool:
        yield {variant_id: pool.submit(run_generated_tests, path) for variant_id, path in rendered.items()}


@pytest.fixture(params=VARIANTS, ids=lambda v: v.id)
def variant(request: pytest.FixtureRequest) -> Variant:
    return request.param


@pytest.fixture
def repo(variant: Variant, rendered: dict[str, Path], generated_test_runs: dict[str, Future[Any]]) -> Path:
    """The variant's generated repository (asking for it starts every repository's own tests in the background)."""
    return rendered[variant.id]


@pytest.fixture(scope="session")
def kustomized() -> dict[str, dict[str, list[dict[str, Any]]]]:
    """Overlays already rendered in this session: variant id -> environment -> documents."""
    return {}


@pytest.fixture
def manifests(
    variant: Variant, repo: Path, kustomized: dict[str, dict[str, list[dict[str, Any]]]]
) -> dict[str, list[dict[str, Any]]]:
    """Each environment's overlay rendered by kustomize (once per variant): environment -> documents."""
    if variant.id not in kustomized:
        kustomized[variant.id] = {env: kustomize(repo / "deploy" / "overlays" / env) for env in ENVIRONMENTS}
    return copy.deepcopy(kustomized[variant.id])
