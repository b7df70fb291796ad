"""Publishing the steps and rolling a new version out to services by pull requests, on local git."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.core.models import AuditEvent, User
from portal.integrations.source_control.local import LocalGit
from portal.pipelines.models import PipelineUsage, Rollout
from tests.conftest import client_for
from tests.pipelines.conftest import steps_v2

VERSIONS = "/api/v1/pipelines/versions"
PUBLISH = "/api/v1/pipelines/versions/publish"
ROLLOUTS = "/api/v1/pipelines/rollouts"


def _publish(user: User) -> Any:
    return client_for(user).post(PUBLISH, {}, format="json")


def _roll_out(user: User, capture: Any, version: str = "v2") -> Any:
    with capture(execute=True):
        return client_for(user).post(ROLLOUTS, {"version": version}, format="json")


def _changed_lines(diff: str) -> tuple[list[str], list[str]]:
    removed = [line[1:] for line in diff.splitlines() if line.startswith("-") and not line.startswith("---")]
    added = [line[1:] for line in diff.splitlines() if line.startswith("+") and not line.startswith("+++")]
    return removed, added


def _pulls(git: LocalGit, slug: str) -> int:
    return len(list(git._pulls_dir(slug).glob("*.json")))


def test_publishing_pushes_one_branch_per_version_and_never_rewrites_one(
    git: LocalGit, admin_user: User, settings: Any, tmp_path: Path
) -> None:
    first = _publish(admin_user)
    again = _publish(admin_user)

    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["branch"] == "v1"
    assert git.file_read("acme/pipelines", "v1", ".github/workflows/deploy.yaml") is not None
    assert git.file_read("acme/pipelines", "v1", "scripts/affected_tests.py") is not None
    assert not any("__pycache__" in path for path in git.file_list("acme/pipelines", "v1"))
    settings.PIPELINES_STEPS_DIR = steps_v2(tmp_path)
    assert _publish(admin_user).status_code == 201
    tree = {ref: git._git("acme/pipelines", "rev-parse", f"{ref}^{{tree}}") for ref in ("main", "v1", "v2")}
    assert tree["main"] == tree["v2"] != tree["v1"]  # main follows the newest version
    assert b"pytest -q -x" not in (git.file_read("acme/pipelines", "v1", ".github/workflows/test.yaml") or b"")
    test_step = settings.PIPELINES_STEPS_DIR / ".github" / "workflows" / "test.yaml"
    test_step.write_text(test_step.read_text() + "# changed after publishing\n")

    refused = _publish(admin_user)

    assert refused.status_code == 409
    assert "never changes" in refused.json()["error"]["message"]
    assert AuditEvent.objects.filter(action="publish", object_type="pipelines.stepspublication").count() == 2


def test_a_roll_out_opens_pull_requests_that_move_only_the_version_refs(
    git: LocalGit,
    fleet: dict,
    admin_user: User,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert _publish(admin_user).status_code == 201
    settings.PIPELINES_STEPS_DIR = steps_v2(tmp_path)
    assert _publish(admin_user).status_code == 201

    answer = _roll_out(admin_user, django_capture_on_commit_callbacks)

    assert answer.status_code == 202
    rollout = client_for(admin_user).get(answer["Location"]).json()
    assert rollout["state"] == "done"
    assert rollout["progress"] == {
        "total": 4,
        "done": 4,
        "percent": 100,
        "pending": 0,
        "pull_request": 2,
        "up_to_date": 0,
        "failed": 2,
    }
    targets = {t["service"]: t for t in rollout["targets"]}
    assert set(targets) == {"ledger", "basket", "legacy", "elsewhere"}  # no-repo has no repository
    # ledger: test, build, scan, three deploys, gate and canary; basket: the one include
    for name, files, pins in (("ledger", [".github/workflows/ci.yaml"], 8), ("basket", [".gitlab-ci.yml"], 1)):
        target = targets[name]
        assert (target["state"], target["from_versions"], target["files"]) == ("pull_request", ["v1"], files)
        diff = git.pull_request_diff(f"acme/{name}", target["pull_request_number"])
        removed, added = _changed_lines(diff)
        assert len(removed) == pins, diff
        assert added == [line.replace("v1", "v2") for line in removed], diff
        assert all("v1" in line for line in removed)
        body = yaml.safe_load((git._pulls_dir(f"acme/{name}") / f"{target['pull_request_number']}.json").read_text())
        assert "pytest runs with -x" in body["body"]
        assert body["source_branch"] == "platform/pipelines-v2"
    assert "no CI file" in targets["legacy"]["reason"]
    assert "add the golden path's CI file" in targets["legacy"]["reason"]
    assert "No repository 'example-org/elsewhere'" in targets["elsewhere"]["reason"]
    assert [entry["message"] for entry in targets["ledger"]["log"]][-2].startswith("pull request #1 opened")


def test_a_second_roll_out_opens_nothing_new_and_a_merged_one_is_up_to_date(
    git: LocalGit,
    fleet: dict,
    admin_user: User,
    owner: User,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    _publish(admin_user)
    settings.PIPELINES_STEPS_DIR = steps_v2(tmp_path)
    _publish(admin_user)
    first = _roll_out(admin_user, django_capture_on_commit_callbacks).json()

    second = _roll_out(admin_user, django_capture_on_commit_callbacks)

    assert second.status_code == 202
    assert second.json()["id"] != first["id"]
    detail = client_for(admin_user).get(second["Location"]).json()
    ledger = next(t for t in detail["targets"] if t["service"] == "ledger")
    assert ledger["pull_request_number"] == 1
    assert "was already open" in ledger["log"][-2]["message"]
    assert (_pulls(git, "acme/ledger"), _pulls(git, "acme/basket")) == (1, 1)
    assert git.commit_messages("acme/ledger", "platform/pipelines-v2", limit=10)[0].startswith("Use the platform")
    assert len(git.commit_messages("acme/ledger", "platform/pipelines-v2", limit=10)) == 2  # create + one bump
    versions = client_for(owner).get(VERSIONS).json()
    assert {v["version"]: v["services"] for v in versions["versions"]} == {"v2": [], "v1": ["basket", "ledger"]}

    # The team merges the pull request: the next roll-out finds ledger current and leaves it alone.
    ci = git.file_read("acme/ledger", "platform/pipelines-v2", ".github/workflows/ci.yaml") or b""
    merged = tmp_path / "merge" / ".github" / "workflows"
    merged.mkdir(parents=True)
    (merged / "ci.yaml").write_bytes(ci)
    git.commit_tree("acme/ledger", "main", root=tmp_path / "merge", message="Merge", replace=False)
    third = client_for(admin_user).get(_roll_out(admin_user, django_capture_on_commit_callbacks)["Location"]).json()

    assert next(t for t in third["targets"] if t["service"] == "ledger")["state"] == "up_to_date"
    assert PipelineUsage.objects.get(service__name="ledger").version == "v2"
    assert _pulls(git, "acme/ledger") == 1


def test_a_repeat_while_a_roll_out_is_queued_joins_it(
    git: LocalGit, fleet: dict, admin_user: User, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(admin_user)
    with django_capture_on_commit_callbacks(execute=False):
        first = client_for(admin_user).post(ROLLOUTS, {"version": "v1"}, format="json")
        second = client_for(admin_user).post(ROLLOUTS, {"version": "v1"}, format="json")

    assert (first.status_code, second.status_code) == (202, 200)
    assert first.json()["id"] == second.json()["id"]
    assert Rollout.objects.count() == 1
    listed = client_for(admin_user).get(ROLLOUTS).json()
    assert [(r["id"], r["state"], r["progress"]["pending"]) for r in listed["results"]] == [
        (first.json()["id"], "queued", 4)
    ]


def test_services_already_on_the_version_are_recorded_as_up_to_date(
    git: LocalGit, fleet: dict, admin_user: User, eager_celery: None, django_capture_on_commit_callbacks: Any
) -> None:
    _publish(admin_user)

    rollout = client_for(admin_user).get(_roll_out(admin_user, django_capture_on_commit_callbacks, "v1")["Location"])

    states = {t["service"]: t["state"] for t in rollout.json()["targets"]}
    assert states == {"basket": "up_to_date", "ledger": "up_to_date", "legacy": "failed", "elsewhere": "failed"}
    assert _pulls(git, "acme/ledger") == 0
    assert AuditEvent.objects.filter(object_type="pipelines.rollout", action__in=["request", "finish"]).count() == 2


@pytest.mark.parametrize(
    ("body", "field"),
    [({"version": "2"}, "version"), ({}, "version"), ({"version": "v2", "force": True}, "force")],
)
def test_bad_roll_out_requests_name_the_field(git: LocalGit, admin_user: User, body: dict, field: str) -> None:
    answer = client_for(admin_user).post(ROLLOUTS, body, format="json")

    assert answer.status_code == 400
    assert field in answer.json()["error"]["fields"]


def test_unknown_or_unpublished_versions_are_refused_before_anything_starts(git: LocalGit, admin_user: User) -> None:
    unknown = client_for(admin_user).post(ROLLOUTS, {"version": "v9"}, format="json")
    unpublished = client_for(admin_user).post(ROLLOUTS, {"version": "v1"}, format="json")

    assert (unknown.status_code, unpublished.status_code) == (400, 400)
    assert unknown.json()["error"]["fields"] == {"version": ["unknown"]}
    assert "POST /api/v1/pipelines/versions/publish first" in unpublished.json()["error"]["message"]
    assert Rollout.objects.count() == 0


def test_only_platform_admins_publish_and_roll_out(git: LocalGit, owner: User, sre: User) -> None:
    for user in (owner, sre):
        assert _publish(user).status_code == 403
        assert client_for(user).post(ROLLOUTS, {"version": "v1"}, format="json").status_code == 403
    assert client_for(None).get(VERSIONS).status_code in (401, 403)
    assert client_for(None).post(ROLLOUTS, {"version": "v1"}, format="json").status_code in (401, 403)
    assert client_for(owner).get(VERSIONS).status_code == 200
    assert client_for(owner).get(f"{ROLLOUTS}/999").status_code == 404


def test_a_service_the_portal_scaffolds_calls_the_steps_it_publishes(
    git: LocalGit, payments: Any, tmp_path: Path, settings: Any
) -> None:
    from portal.scaffolder.models import ScaffoldRun
    from portal.scaffolder.registry import golden_path_get
    from portal.scaffolder.steps import render, template_context

    settings.PIPELINES_REPOSITORY = "acme-platform/ci-steps"
    path = golden_path_get("python-http-service")
    run = ScaffoldRun(golden_path=path.name, service_name="ledger", owner=payments, parameters={"scm": "github"})

    context = template_context(path, run, repo_slug="acme/ledger", repo_url=f"{git.base_url}/acme/ledger")
    ci = (render(path, context, tmp_path / "render") / ".github" / "workflows" / "ci.yaml").read_text()

    assert "uses: acme-platform/ci-steps/.github/workflows/test.yaml@v1" in ci
    run.parameters = {"pipelines_version": "v0"}  # a team that asks for another version still gets it
    assert template_context(path, run, repo_slug="acme/ledger", repo_url="")["pipelines_version"] == "v0"


def test_one_service_crashing_is_recorded_and_the_others_still_move(
    git: LocalGit,
    fleet: dict,
    admin_user: User,
    settings: Any,
    tmp_path: Path,
    eager_celery: None,
    django_capture_on_commit_callbacks: Any,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from portal.pipelines import rollout as rollout_module

    _publish(admin_user)
    settings.PIPELINES_STEPS_DIR = steps_v2(tmp_path)
    _publish(admin_user)
    real = rollout_module._pins

    def flaky(sc: Any, slug: str, ref: str, repo_name: str) -> Any:
        if slug == "acme/basket":
            raise KeyError("boom")
        return real(sc, slug, ref, repo_name)

    monkeypatch.setattr(rollout_module, "_pins", flaky)

    detail = client_for(admin_user).get(_roll_out(admin_user, django_capture_on_commit_callbacks)["Location"]).json()

    targets = {t["service"]: t for t in detail["targets"]}
    assert detail["state"] == "done"
    assert targets["ledger"]["state"] == "pull_request"
    assert targets["basket"]["state"] == "failed"
    assert "Unexpected error (KeyError" in targets["basket"]["reason"]
