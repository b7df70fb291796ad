"""A scaffold run end to end on GitHub and GitLab (their fakes): repository, push, GitOps pull request, resume."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from portal.catalog.models import Environment
from portal.celery import app as celery_app
from portal.core.models import User
from portal.integrations.backends import backends_reset
from portal.integrations.source_control import source_control
from tests.conftest import client_for
from tests.integrations import fake_github, fake_gitlab
from tests.integrations.fake_http import FakeServer
from tests.integrations.hosted import PROVIDERS

FIXTURES = Path(__file__).parents[1] / "scaffolder" / "fixtures"
RUNS = "/api/v1/golden-paths/tiny-service/runs"
BODY = {"parameters": {"name": "ledger", "owner": "group:default/payments", "tier": 1, "description": "Ledger"}}


@pytest.fixture(params=PROVIDERS)
def server(request: pytest.FixtureRequest, settings: Any, tmp_path: Path) -> Iterator[FakeServer]:
    """The provider's fake, configured the way settings will name it."""
    if request.param == "github":
        github = fake_github.FakeGitHub()
        server = FakeServer(github)
        github.base = server.url
        backend = "portal.integrations.source_control.github.GitHubSourceControl"
        options: dict[str, Any] = {"token": fake_github.TOKEN, "api_url": f"{server.url}/api/v3"}
    else:
        gitlab = fake_gitlab.FakeGitLab()
        server = FakeServer(gitlab)
        gitlab.base = server.url
        backend = "portal.integrations.source_control.gitlab.GitLabSourceControl"
        options = {"token": fake_gitlab.TOKEN, "url": server.url}
    settings.DATA_DIR = tmp_path / "data"
    settings.GOLDEN_PATHS_DIR = FIXTURES
    settings.SCM_OWNER, settings.GITOPS_REPOSITORY = "acme", "platform/gitops"
    settings.SOURCE_CONTROL = {"BACKEND": backend, "OPTIONS": options}
    backends_reset()
    _gitops_repository(tmp_path / "gitops")
    celery_app.conf.task_always_eager = True
    yield server
    celery_app.conf.task_always_eager = False
    backends_reset()
    server.close()


def _gitops_repository(root: Path) -> None:
    """The GitOps repository exists with a main branch (a pull request into a branch that does not exist fails)."""
    root.mkdir()
    (root / "README.md").write_text("Argo CD applications\n")
    sc = source_control()
    sc.repository_create("platform/gitops")
    sc.commit_tree("platform/gitops", "main", root=root, message="Start", replace=True)


@pytest.fixture
def environments(db: None) -> list[Environment]:
    return [Environment.objects.create(name=n, kind=n, default_cluster=f"{n}-1") for n in ("dev", "staging", "prod")]


def _run(client: Any, capture: Any, run_id: str = "") -> dict[str, Any]:
    with capture(execute=True):
        response = (
            client.post(f"/api/v1/scaffolder/runs/{run_id}/retry") if run_id else client.post(RUNS, BODY, format="json")
        )
    assert response.status_code == 202, response.json()
    return dict(client.get(f"/api/v1/scaffolder/runs/{response.json()['id']}").json())


def test_a_run_creates_the_repository_and_the_gitops_pull_request(
    server: FakeServer, owner: User, environments: list[Environment], django_capture_on_commit_callbacks: Any
) -> None:
    run = _run(client_for(owner), django_capture_on_commit_callbacks)
    assert run["state"] == "succeeded", run["error"]
    sc = source_control()
    assert run["repo_url"] == f"{server.url}/acme/ledger"
    assert sc.file_list("acme/ledger", "main") == ["README.md", "deploy/prod/deployment.yaml"]
    assert f"Scaffold-Run: {run['id']}" in sc.commit_messages("acme/ledger", "main")[0]
    assert sc.file_list("platform/gitops", "scaffold/ledger") == [
        "README.md",
        "apps/payments/ledger/dev.yaml",
        "apps/payments/ledger/prod.yaml",
    ]
    pull = sc.pull_request_get("platform/gitops", 1)
    assert pull is not None
    assert (pull.source_branch, pull.state, pull.url) == ("scaffold/ledger", "open", run["pull_request_url"])


def test_a_push_cut_by_the_network_is_resumed_by_retry_without_a_second_commit(
    server: FakeServer, owner: User, environments: list[Environment], django_capture_on_commit_callbacks: Any
) -> None:
    server.fail("drop_after", method="POST", path=r"acme/ledger/(git/commits|repository/commits)$")
    client = client_for(owner)
    failed = _run(client, django_capture_on_commit_callbacks)
    assert failed["state"] == "failed"
    assert failed["current_step"] == "push"
    assert "could not be reached" in failed["error"]
    done = _run(client, django_capture_on_commit_callbacks, failed["id"])
    assert done["state"] == "succeeded", done["log"]
    assert len(source_control().commit_messages("acme/ledger", "main")) == 1
