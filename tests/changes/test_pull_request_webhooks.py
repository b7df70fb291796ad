"""Pull-request webhooks: verified, announced to listeners, assessed once per head, summarised in one sticky comment.

GitHub and GitLab are their fakes (tests/integrations) built from the documented REST payloads; the webhook bodies
follow GitHub's `pull_request` event and GitLab's Merge Request Hook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from portal.catalog.models import Environment, Service
from portal.changes import tasks
from portal.changes.models import ChangeEvent, RiskAssessment
from portal.changes.signals import PullRequestEvent, pull_request_event
from portal.changes.summary import MARKER
from portal.core.models import User
from portal.integrations.backends import backends_reset
from tests.conftest import client_for
from tests.integrations import fake_github, fake_gitlab
from tests.integrations.hosted import Hosted, hosted

SECRET = "s3cret-webhook"
SLUG = "acme/payments-api"


@pytest.fixture(autouse=True)
def _secrets(settings: Any) -> None:
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITLAB_WEBHOOK_TOKEN = SECRET


@pytest.fixture
def events() -> Iterator[list[PullRequestEvent]]:
    received: list[PullRequestEvent] = []

    def receiver(sender: object, event: PullRequestEvent, **kwargs: object) -> None:
        received.append(event)

    pull_request_event.connect(receiver, dispatch_uid="test-risk-receiver")
    yield received
    pull_request_event.disconnect(dispatch_uid="test-risk-receiver")


@pytest.fixture
def inline_tasks(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run the queued assessment in the request's process, as the worker would run it."""

    def run(args: tuple[Any, ...], **kwargs: Any) -> None:
        tasks.pull_request_risk_task.run(*args)

    monkeypatch.setattr(tasks.pull_request_risk_task, "apply_async", run)


def _provider(name: str, settings: Any, tmp_path: Path) -> Iterator[Hosted]:
    fake = hosted(name)
    if name == "github":
        options = {"token": fake_github.TOKEN, "api_url": f"{fake.server.url}/api/v3"}
        backend = "portal.integrations.source_control.github.GitHubSourceControl"
    else:
        options = {"token": fake_gitlab.TOKEN, "url": fake.server.url}
        backend = "portal.integrations.source_control.gitlab.GitLabSourceControl"
    settings.SOURCE_CONTROL = {"BACKEND": backend, "OPTIONS": options}
    backends_reset()
    _pull_request(fake, tmp_path)
    yield fake
    fake.server.close()
    backends_reset()


@pytest.fixture
def github(settings: Any, tmp_path: Path) -> Iterator[Hosted]:
    yield from _provider("github", settings, tmp_path)


@pytest.fixture
def gitlab(settings: Any, tmp_path: Path) -> Iterator[Hosted]:
    yield from _provider("gitlab", settings, tmp_path)


@pytest.fixture
def service(payments_api: Service) -> Service:
    payments_api.repo_url = f"https://github.com/{SLUG}"
    payments_api.save()
    return payments_api


def _write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _pull_request(fake: Hosted, tmp: Path) -> None:
    sc = fake.sc
    sc.repository_create(SLUG)
    sc.commit_tree(SLUG, "main", root=_write(tmp / "m", {"app.py": "v = 1\n"}), message="init", replace=True)
    feature = _write(tmp / "f", {"app.py": "v = 2\n", "config/settings.yaml": "pool: 20\n"})
    sc.commit_tree(SLUG, "bigger-pool", root=feature, message="pool", base_branch="main", replace=False)
    sc.pull_request_open(SLUG, source_branch="bigger-pool", target_branch="main", title="Bigger pool", body="")


def _push(fake: Hosted, tmp: Path) -> str:
    root = _write(tmp / "push", {"requirements.txt": "requests==2.32.5\n"})
    return fake.sc.commit_tree(SLUG, "bigger-pool", root=root, message="deps", replace=False)


def _github_event(fake: Hosted, action: str, *, merged: bool = False) -> dict[str, Any]:
    head = fake.sc.branch_head(SLUG, "bigger-pool")
    return {
        "action": action,
        "number": 1,
        "pull_request": {
            "number": 1,
            "state": "closed" if action == "closed" else "open",
            "title": "Bigger pool",
            "user": {"login": "lee"},
            "html_url": f"https://github.com/{SLUG}/pull/1",
            "head": {"ref": "bigger-pool", "sha": head},
            "base": {"ref": "main", "sha": fake.sc.branch_head(SLUG, "main")},
            "merged": merged,
            "labels": [{"name": "preview"}],
        },
        "repository": {"full_name": SLUG, "default_branch": "main"},
        "sender": {"login": "lee"},
    }


def _deliver_github(payload: dict[str, Any], *, delivery: str, secret: str = SECRET) -> Any:
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return APIClient().post(
        "/api/v1/changes/webhooks/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="pull_request",
        HTTP_X_GITHUB_DELIVERY=delivery,
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def _comment_writes(fake: Hosted) -> list[tuple[str, str]]:
    return [call for call in fake.writes() if "/comments" in call[1] or "/notes" in call[1]]


def test_an_opened_pull_request_is_assessed_and_summarised_in_one_comment(
    service: Service,
    github: Hosted,
    events: list[PullRequestEvent],
    inline_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _deliver_github(_github_event(github, "opened"), delivery="d-1")
    assert response.status_code == 202, response.json()
    assert response.json()["risk"] == "queued"
    assessment = RiskAssessment.objects.get()
    assert (assessment.repository, assessment.pull_request, assessment.source) == (SLUG, 1, "github")
    assert assessment.head_sha == github.sc.branch_head(SLUG, "bigger-pool")
    assert {f["path"] for f in assessment.files} == {"app.py", "config/settings.yaml"}
    assert "config" in assessment.areas
    comments = github.fake.repos[SLUG].comments
    assert len(comments) == 1
    assert comments[0]["body"].startswith(MARKER)
    assert f"({assessment.score}/100)" in comments[0]["body"]
    assert assessment.comment_url.endswith(f"#issuecomment-{comments[0]['id']}")
    assert [(e.action, e.service, e.delivery_id, e.labels) for e in events] == [
        ("opened", "payments-api", "d-1", ("preview",))
    ]


def test_a_redelivery_does_nothing_twice_and_a_push_edits_the_same_comment(
    service: Service, github: Hosted, tmp_path: Path, inline_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    opened = _github_event(github, "opened")
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_github(opened, delivery="d-1")
    calls = len(github.server.calls)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_github(opened, delivery="d-1")
    assert len(github.server.calls) == calls  # the redelivery asks GitHub for nothing
    assert RiskAssessment.objects.count() == 1
    assert _comment_writes(github) == [("POST", f"/api/v3/repos/{SLUG}/issues/1/comments")]
    first = RiskAssessment.objects.get()
    new_head = _push(github, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_github(_github_event(github, "synchronize"), delivery="d-2")
    latest = RiskAssessment.objects.get(head_sha=new_head)
    assert "dependencies" in latest.areas
    assert latest.score > first.score
    comments = github.fake.repos[SLUG].comments
    assert len(comments) == 1
    assert "dependencies and lockfiles" in comments[0]["body"]
    assert _comment_writes(github)[-1] == ("PATCH", f"/api/v3/repos/{SLUG}/issues/comments/{comments[0]['id']}")


def test_a_comment_the_provider_refused_is_posted_when_the_delivery_comes_again(
    service: Service, github: Hosted, inline_tasks: None, django_capture_on_commit_callbacks: Any
) -> None:
    github.server.fail("denied", method="POST", path="/issues/1/comments")
    opened = _github_event(github, "opened")
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_github(opened, delivery="d-1")
    refused = RiskAssessment.objects.get()
    assert "issues=write" in refused.comment_error
    assert github.fake.repos[SLUG].comments == []
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_github(opened, delivery="d-1")  # GitHub redelivers what was not acknowledged, or someone does
    posted = RiskAssessment.objects.get()
    assert (posted.pk, posted.comment_error) == (refused.pk, "")
    assert len(github.fake.repos[SLUG].comments) == 1


@pytest.mark.parametrize("secret", ["wrong", ""])
def test_a_bad_signature_is_401_and_nothing_happens(
    service: Service, github: Hosted, events: list[PullRequestEvent], secret: str, settings: Any
) -> None:
    settings.GITHUB_WEBHOOK_SECRET = secret
    payload = _github_event(github, "opened")
    calls_before = len(github.server.calls)
    response = _deliver_github(payload, delivery="d-1", secret="an-attacker's")
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert events == []
    assert not RiskAssessment.objects.exists()
    assert len(github.server.calls) == calls_before


@pytest.mark.parametrize(("action", "merged", "expected"), [("closed", True, "merged"), ("closed", False, "closed")])
def test_merged_and_closed_pull_requests_are_announced_but_not_assessed(
    service: Service,
    github: Hosted,
    events: list[PullRequestEvent],
    action: str,
    merged: bool,
    expected: str,
    django_capture_on_commit_callbacks: Any,
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = _deliver_github(_github_event(github, action, merged=merged), delivery="d-9")
    assert response.json()["risk"] == f"not assessed: the pull request was {expected}"
    assert callbacks == []
    assert [(e.provider, e.repository, e.number, e.action, e.head_ref) for e in events] == [
        ("github", SLUG, 1, expected, "bigger-pool")
    ]
    assert not RiskAssessment.objects.exists()


def test_other_pull_request_actions_are_not_announced(service: Service, github: Hosted, events: list[Any]) -> None:
    response = _deliver_github(_github_event(github, "labeled"), delivery="d-3")
    assert response.status_code == 202
    assert events == []


def _gitlab_hook(fake: Hosted, action: str, **attrs: Any) -> dict[str, Any]:
    head = fake.sc.branch_head(SLUG, "bigger-pool")
    return {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {"id": 1, "name": "Lee", "username": "lee"},
        "project": {"id": 100, "path_with_namespace": SLUG, "web_url": f"https://gitlab.example.com/{SLUG}"},
        "object_attributes": {
            "iid": 1,
            "title": "Bigger pool",
            "source_branch": "bigger-pool",
            "target_branch": "main",
            "state": "opened",
            "action": action,
            "url": f"https://gitlab.example.com/{SLUG}/-/merge_requests/1",
            "last_commit": {"id": head, "message": "pool"},
            **attrs,
        },
        "labels": [],
    }


def _deliver_gitlab(payload: dict[str, Any], *, delivery: str, token: str = SECRET) -> Any:
    return APIClient().post(
        "/api/v1/changes/webhooks/gitlab",
        payload,
        format="json",
        HTTP_X_GITLAB_TOKEN=token,
        HTTP_X_GITLAB_EVENT="Merge Request Hook",
        HTTP_X_GITLAB_EVENT_UUID=delivery,
    )


def test_gitlab_merge_request_hooks_are_assessed_with_one_note_edited_on_new_commits(
    service: Service,
    gitlab: Hosted,
    tmp_path: Path,
    events: list[PullRequestEvent],
    inline_tasks: None,
    django_capture_on_commit_callbacks: Any,
) -> None:
    assert _deliver_gitlab(_gitlab_hook(gitlab, "open"), delivery="u-1", token="nope").status_code == 401
    assert events == []
    with django_capture_on_commit_callbacks(execute=True):
        assert _deliver_gitlab(_gitlab_hook(gitlab, "open"), delivery="u-1").status_code == 202
        _deliver_gitlab(_gitlab_hook(gitlab, "open"), delivery="u-1")  # redelivered
    assert RiskAssessment.objects.count() == 1
    notes = gitlab.fake.projects[SLUG].notes
    assert len(notes) == 1
    old_head = gitlab.sc.branch_head(SLUG, "bigger-pool")
    _push(gitlab, tmp_path)
    with django_capture_on_commit_callbacks(execute=True):
        _deliver_gitlab(_gitlab_hook(gitlab, "update", oldrev=old_head), delivery="u-2")
        _deliver_gitlab(_gitlab_hook(gitlab, "update"), delivery="u-3")  # a title edit: no new commits
        _deliver_gitlab(_gitlab_hook(gitlab, "merge", state="merged"), delivery="u-4")
    assert RiskAssessment.objects.count() == 2
    assert len(notes) == 1
    assert "requirements.txt" in notes[0]["body"]
    assert [c for c in _comment_writes(gitlab) if c[0] == "PUT"] == [
        ("PUT", f"/api/v4/projects/{SLUG}/merge_requests/1/notes/{notes[0]['id']}")
    ]
    assert [e.action for e in events] == ["opened", "opened", "synchronize", "merged"]


def test_a_merged_pull_request_whose_deploy_failed_makes_later_changes_to_its_files_riskier(
    service: Service, owner: User, prod: Environment
) -> None:
    from portal.aiops.models import Hypothesis
    from portal.incidents.models import Incident

    first = {
        "service": "payments-api",
        "repository": SLUG,
        "pull_request": 7,
        "head_sha": "a" * 40,
        "files": [{"path": "config/settings.yaml", "additions": 2, "deletions": 1}],
        "comment": False,
        "at": "2026-11-20T10:00:00Z",
    }
    assert client_for(owner).post("/api/v1/changes/risk", first, format="json").status_code == 201
    merged = {
        "action": "closed",
        "number": 7,
        "pull_request": {
            "number": 7,
            "merged": True,
            "merge_commit_sha": "b" * 40,
            "head": {"ref": "pool", "sha": "a" * 40},
            "base": {"ref": "main"},
            "user": {"login": "lee"},
        },
        "repository": {"full_name": SLUG},
    }
    assert _deliver_github(merged, delivery="m-1").status_code == 202
    assert RiskAssessment.objects.get().merge_sha == "b" * 40
    when = datetime(2026, 11, 21, 9, tzinfo=UTC)
    deploy = ChangeEvent.objects.create(
        service=service,
        environment=prod,
        kind="deploy",
        status="failed",
        version="b" * 40,
        occurred_at=when,
        source="api",
        external_id="deploy-b",
    )
    incident = Incident.objects.create(
        title="Pool exhausted", service=service, started_at=when, detected_at=when, last_activity_at=when
    )
    Hypothesis.objects.create(
        incident=incident,
        rank=1,
        kind="config_change",
        title="The pool change",
        change=deploy,
        confidence=0.8,
        analysis=1,
    )
    later = {**first, "pull_request": 8, "head_sha": "c" * 40, "at": "2026-11-24T10:00:00Z"}
    body = client_for(owner).post("/api/v1/changes/risk", later, format="json").json()
    reasons = {f["key"]: f["reason"] for f in body["factors"]}
    assert reasons["area_history"] == "1 earlier change(s) to the same files failed or were rolled back."
    assert reasons["file_incidents"] == "1 incident(s) were traced to earlier changes of the same files."
    assert reasons["open_incidents"].startswith("The service has 1 open incident(s)")
    assert sum(f["points"] for f in body["factors"]) == body["score"]


def test_a_pull_request_from_a_provider_the_portal_does_not_read_is_announced_but_not_assessed(
    service: Service, local_adapters: Path, events: list[PullRequestEvent], django_capture_on_commit_callbacks: Any
) -> None:
    payload = {
        "action": "opened",
        "number": 3,
        "pull_request": {"number": 3, "head": {"ref": "x", "sha": "d" * 40}, "base": {"ref": "main"}},
        "repository": {"full_name": SLUG},
    }
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        answer = _deliver_github(payload, delivery="x-1").json()
    assert answer["risk"] == "not assessed: the portal reads pull requests from local, not github"
    assert callbacks == []
    assert [e.action for e in events] == ["opened"]
