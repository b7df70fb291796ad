"""Scaffold runs end to end on the local provider: request -> steps -> repository, GitOps change, catalog."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml

from portal.catalog.models import Environment, Service
from portal.celery import app as celery_app
from portal.core.models import Team, User
from portal.integrations.source_control import source_control
from portal.scaffolder import steps
from portal.scaffolder.models import ScaffoldRun
from tests.conftest import client_for

RUNS = "/api/v1/golden-paths/tiny-service/runs"


@pytest.fixture(autouse=True)
def eager_celery() -> Iterator[None]:
    """Queued runs execute inline once the request's transaction commits."""
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = False


def _start(client, django_capture_on_commit_callbacks, **overrides: Any):
    body = {
        "parameters": {
            "name": "ledger",
            "owner": "group:default/payments",
            "tier": 1,
            "description": "Double-entry ledger",
        },
        **overrides,
    }
    with django_capture_on_commit_callbacks(execute=True):
        return client.post(RUNS, body, format="json")


def test_golden_paths_are_listed_with_their_parameter_schema(owner: User) -> None:
    paths = client_for(owner).get("/api/v1/golden-paths").json()
    tiny = next(p for p in paths if p["name"] == "tiny-service")
    assert tiny["version"] == "1.2.0"
    assert tiny["parameters"]["required"] == ["name", "owner"]


def test_a_run_creates_repository_gitops_change_and_catalog_entry(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks
) -> None:
    response = _start(client_for(owner), django_capture_on_commit_callbacks)
    assert response.status_code == 202, response.json()
    run = client_for(owner).get(response.json()["status_url"].removeprefix("http://127.0.0.1:8000")).json()
    assert run["state"] == "succeeded", run["log"]
    assert [s["state"] for s in run["steps"]] == ["succeeded"] * 5
    assert all(s["duration_ms"] is not None for s in run["steps"])
    assert run["repo_url"] == "http://portal.test/api/v1/scm/repositories/acme/ledger"
    assert run["entity_ref"] == "component:default/ledger"
    assert run["pull_request_url"].endswith("/platform/gitops/pulls/1")
    assert any("run succeeded" in line["message"] for line in run["log"])

    sc = source_control()
    readme = sc.file_read("acme/ledger", "main", "README.md").decode()
    assert "Owned by payments, tier 1. Double-entry ledger" in readme
    assert "golden path 1.2.0" in readme
    assert f"Scaffold-Run: {run['id']}" in sc.commit_messages("acme/ledger", "main")[0]

    assert sc.file_list("platform/gitops", "refs/heads/scaffold/ledger") == [
        "README.md",
        "apps/payments/ledger/dev.yaml",
        "apps/payments/ledger/prod.yaml",
    ]
    assert sc.file_list("platform/gitops", "main") == ["README.md"]  # the change waits in its pull request
    app = yaml.safe_load(
        sc.file_read(
            "platform/gitops",
            "refs/heads/scaffold/ledger",  # type: ignore[arg-type]
            "apps/payments/ledger/prod.yaml",
        )
    )
    assert app["kind"] == "Application"
    assert app["spec"]["source"] == {"repoURL": run["repo_url"], "targetRevision": "HEAD", "path": "deploy/prod"}
    assert app["spec"]["destination"]["namespace"] == "payments-prod"

    service = Service.objects.get(name="ledger")
    assert (service.origin, service.golden_path, service.golden_path_version, service.tier) == (
        "golden_path",
        "tiny-service",
        "1.2.0",
        1,
    )
    assert sorted(p.environment.name for p in service.placements.all()) == ["dev", "prod"]
    assert service.placements.get(environment__name="prod").argocd_app_name == "ledger-prod"


def test_a_repeated_request_with_the_same_key_is_the_same_run(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks
) -> None:
    client = client_for(owner)
    first = _start(client, django_capture_on_commit_callbacks, idempotency_key="task-42")
    again = _start(client, django_capture_on_commit_callbacks, idempotency_key="task-42")
    assert (first.status_code, again.status_code) == (202, 200)
    assert first.json()["id"] == again.json()["id"]
    assert ScaffoldRun.objects.count() == 1
    assert len(source_control().commit_messages("acme/ledger", "main")) == 1


@pytest.mark.parametrize(
    ("parameters", "status", "field"),
    [
        ({"name": "Ledger", "owner": "payments"}, 400, "parameters.name"),
        ({"name": "ledger"}, 400, "parameters.owner"),
        ({"name": "ledger", "owner": "nobody"}, 400, "parameters.owner"),
        ({"name": "ledger", "owner": "payments", "tier": 5}, 400, "parameters.tier"),
        ({"name": "ledger", "owner": "payments", "colour": "red"}, 400, "parameters.colour"),
        (
            {"name": "ledger", "owner": "payments", "description": "{{ cycler.__init__.__globals__ }}"},
            400,
            "parameters.description",
        ),
    ],
)
def test_bad_parameters_are_named_before_anything_exists(
    owner: User, parameters: dict[str, Any], status: int, field: str, scaffold_sandbox
) -> None:
    response = client_for(owner).post(RUNS, {"parameters": parameters}, format="json")
    assert response.status_code == status, response.json()
    assert field in response.json()["error"]["fields"]
    assert not ScaffoldRun.objects.exists()
    assert not (scaffold_sandbox / "git").exists()


def test_a_taken_name_is_a_conflict(owner: User, payments: Team) -> None:
    Service.objects.create(name="ledger", owner=payments)
    response = client_for(owner).post(RUNS, {"parameters": {"name": "ledger", "owner": "payments"}}, format="json")
    assert response.status_code == 409
    assert response.json()["error"]["fields"] == {"parameters.name": ["already taken"]}


def test_an_outsider_cannot_create_for_another_team(outsider: User, payments: Team) -> None:
    response = client_for(outsider).post(RUNS, {"parameters": {"name": "ledger", "owner": "payments"}}, format="json")
    assert response.status_code == 403
    assert not ScaffoldRun.objects.exists()


def test_a_failed_step_is_resumed_by_retry_without_a_second_repository(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks, monkeypatch
) -> None:
    real = steps.STEP_FUNCTIONS["gitops_change"]
    monkeypatch.setitem(
        steps.STEP_FUNCTIONS, "gitops_change", lambda run, log: (_ for _ in ()).throw(OSError("network unreachable"))
    )
    client = client_for(owner)
    run_id = _start(client, django_capture_on_commit_callbacks).json()["id"]
    failed = client.get(f"/api/v1/scaffolder/runs/{run_id}").json()
    assert failed["state"] == "failed"
    assert failed["error"] == "gitops_change: network unreachable"
    assert [s["state"] for s in failed["steps"]] == ["succeeded", "succeeded", "succeeded", "failed", "pending"]
    assert any(line["level"] == "error" and "retry" in line["message"] for line in failed["log"])
    assert not Service.objects.exists()

    monkeypatch.setitem(steps.STEP_FUNCTIONS, "gitops_change", real)
    with django_capture_on_commit_callbacks(execute=True):
        retry = client.post(f"/api/v1/scaffolder/runs/{run_id}/retry")
    assert retry.status_code == 202
    done = client.get(f"/api/v1/scaffolder/runs/{run_id}").json()
    assert done["state"] == "succeeded"
    assert [s["attempts"] for s in done["steps"]] == [1, 1, 1, 2, 1]
    assert len(source_control().commit_messages("acme/ledger", "main")) == 1
    assert Service.objects.filter(name="ledger").count() == 1
    assert client.post(f"/api/v1/scaffolder/runs/{run_id}/retry").status_code == 409


def test_a_repository_that_is_not_ours_fails_the_run_and_is_left_alone(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks, tmp_path
) -> None:
    sc = source_control()
    sc.repository_create("acme/ledger")
    (tmp_path / "x").mkdir()
    (tmp_path / "x" / "code.py").write_text("print('mine')\n")
    sc.commit_tree("acme/ledger", "main", root=tmp_path / "x", message="someone else's work", replace=True)
    run_id = _start(client_for(owner), django_capture_on_commit_callbacks).json()["id"]
    run = client_for(owner).get(f"/api/v1/scaffolder/runs/{run_id}").json()
    assert run["state"] == "failed"
    assert run["current_step"] == "create_repository"
    assert "already exists and was not created by this run" in run["error"]
    assert sc.file_list("acme/ledger", "main") == ["code.py"]


def test_dry_run_returns_the_files_and_creates_nothing(owner: User, payments: Team, scaffold_sandbox) -> None:
    body = {"parameters": {"name": "ledger", "owner": "payments"}, "dry_run": True}
    response = client_for(owner).post(RUNS, body, format="json")
    assert response.status_code == 200
    files = {f["path"]: f for f in response.json()["files"]}
    assert set(files) == {"README.md", "deploy/prod/deployment.yaml"}
    assert "name: ledger" in files["deploy/prod/deployment.yaml"]["content"]
    assert not ScaffoldRun.objects.exists()
    assert not (scaffold_sandbox / "git").exists()


def test_the_log_can_be_followed_and_runs_are_private_to_their_team(
    owner: User, outsider: User, environments: list[Environment], django_capture_on_commit_callbacks
) -> None:
    run_id = _start(client_for(owner), django_capture_on_commit_callbacks).json()["id"]
    log = client_for(owner).get(f"/api/v1/scaffolder/runs/{run_id}").json()["log"]
    newer = client_for(owner).get(f"/api/v1/scaffolder/runs/{run_id}", {"after": log[2]["id"]}).json()["log"]
    assert [line["id"] for line in newer] == [line["id"] for line in log[3:]]
    assert client_for(outsider).get(f"/api/v1/scaffolder/runs/{run_id}").status_code == 404
    assert client_for(outsider).get("/api/v1/scaffolder/runs").json()["count"] == 0
    assert client_for(owner).get("/api/v1/scaffolder/runs").json()["count"] == 1


def test_a_run_whose_worker_died_resumes_once_and_creates_one_repository(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from portal.scaffolder.models import ScaffoldLogLine
    from portal.scaffolder.services import run_execute

    celery_app.conf.task_always_eager = False  # queue nothing: this test plays the worker itself
    body = {"parameters": {"name": "ledger", "owner": "payments"}}
    with django_capture_on_commit_callbacks(execute=False):
        run_id = client_for(owner).post(RUNS, body, format="json").json()["id"]
    real_push = steps.STEP_FUNCTIONS["push"]

    def killed(run, log):
        real_push(run, log)
        raise SystemExit("worker killed by the OOM killer")  # not an error the run can catch

    monkeypatch.setitem(steps.STEP_FUNCTIONS, "push", killed)
    with pytest.raises(SystemExit):
        run_execute(run_id)
    monkeypatch.setitem(steps.STEP_FUNCTIONS, "push", real_push)
    assert ScaffoldRun.objects.get(pk=run_id).state == "running"
    assert run_execute(run_id) is None  # a live worker may still have it: nobody else touches it
    ScaffoldLogLine.objects.filter(run_id=run_id).update(created_at=timezone.now() - timedelta(hours=1))
    ScaffoldRun.objects.filter(pk=run_id).update(started_at=timezone.now() - timedelta(hours=1))
    run = run_execute(run_id)  # the broker redelivers the task (acks late) after the worker's death
    assert run is not None
    assert run.state == "succeeded"
    assert len(source_control().commit_messages("acme/ledger", "main")) == 1
    assert Service.objects.filter(name="ledger").count() == 1


def test_a_broker_outage_accepts_the_run_and_the_sweeper_sends_it_when_the_broker_is_back(
    owner: User, environments: list[Environment], django_capture_on_commit_callbacks, monkeypatch
) -> None:
    from datetime import timedelta

    from kombu.exceptions import OperationalError

    from portal.scaffolder.services import runs_waiting_resend
    from portal.scaffolder.tasks import scaffold_run_execute_task

    def broker_down(*args, **kwargs):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    celery_app.conf.task_always_eager = False
    monkeypatch.setattr(scaffold_run_execute_task, "apply_async", broker_down)
    body = {"parameters": {"name": "ledger", "owner": "payments"}}
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(owner).post(RUNS, body, format="json")
    assert response.status_code == 202  # accepted and stored, though nothing could be queued
    run = ScaffoldRun.objects.get(pk=response.json()["id"])
    assert run.state == "pending"
    assert runs_waiting_resend(older_than=timedelta(0)) == 0  # still down: nothing sent, nothing lost
    monkeypatch.undo()
    celery_app.conf.task_always_eager = True  # the broker is back; a worker takes the message at once
    assert runs_waiting_resend(older_than=timedelta(0)) == 1
    run.refresh_from_db()
    assert run.state == "succeeded"
    assert len(source_control().commit_messages("acme/ledger", "main")) == 1
