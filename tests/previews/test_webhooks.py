"""Through the verified webhooks: GitHub's `pull_request` event and GitLab's Merge Request Hook, as documented."""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path
from typing import Any

import pytest
from rest_framework.test import APIClient

from portal.previews import delivery
from portal.previews.events import event_process
from portal.previews.models import PreviewConfig, PreviewEnvironment, PreviewEvent, PreviewState
from tests.previews.conftest import SHA_1, SHA_2, WORKDAY_MORNING

SECRET = "previews-webhook-secret"
pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def webhook_secrets(settings: Any) -> None:
    settings.GITHUB_WEBHOOK_SECRET = SECRET
    settings.GITLAB_WEBHOOK_TOKEN = SECRET


def _github(action: str, *, sha: str, merged: bool = False, delivery_id: str) -> Any:
    payload = {
        "action": action,
        "number": 12,
        "pull_request": {
            "number": 12,
            "state": "closed" if action == "closed" else "open",
            "title": "Refund in one click",
            "user": {"login": "lee"},
            "html_url": "https://github.com/example-org/payments-api/pull/12",
            "head": {"ref": "one-click-refund", "sha": sha},
            "base": {"ref": "main", "sha": "0" * 40},
            "merged": merged,
            "merge_commit_sha": "9" * 40 if merged else None,
            "labels": [{"name": "preview"}],
        },
        "repository": {"full_name": "example-org/payments-api", "default_branch": "main"},
        "sender": {"login": "lee"},
    }
    body = json.dumps(payload).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    return APIClient().post(
        "/api/v1/changes/webhooks/github",
        body,
        content_type="application/json",
        HTTP_X_GITHUB_EVENT="pull_request",
        HTTP_X_GITHUB_DELIVERY=delivery_id,
        HTTP_X_HUB_SIGNATURE_256=signature,
    )


def _gitlab(action: str, *, sha: str, oldrev: str = "", delivery_id: str) -> Any:
    payload = {
        "object_kind": "merge_request",
        "event_type": "merge_request",
        "user": {"username": "lee"},
        "project": {"path_with_namespace": "acme/payments/payments-api"},
        "object_attributes": {
            "iid": 5,
            "action": action,
            "title": "Refund in one click",
            "source_branch": "one-click-refund",
            "target_branch": "main",
            "last_commit": {"id": sha},
            "url": "https://gitlab.com/acme/payments/payments-api/-/merge_requests/5",
            **({"oldrev": oldrev} if oldrev else {}),
        },
        "labels": [{"title": "preview"}],
    }
    return APIClient().post(
        "/api/v1/changes/webhooks/gitlab",
        payload,
        format="json",
        HTTP_X_GITLAB_TOKEN=SECRET,
        HTTP_X_GITLAB_EVENT="Merge Request Hook",
        HTTP_X_GITLAB_EVENT_UUID=delivery_id,
    )


def _work() -> PreviewEnvironment | None:
    """What the worker does with the queued events."""
    preview = None
    for stored in PreviewEvent.objects.filter(processed_at__isnull=True).order_by("id"):
        preview = event_process(stored.pk, now=WORKDAY_MORNING) or preview
    return preview


def test_a_github_pull_request_gets_a_preview_until_it_is_merged(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    assert _github("opened", sha=SHA_1, delivery_id="gh-1").status_code == 202
    assert _github("opened", sha=SHA_1, delivery_id="gh-1").status_code in (200, 202)  # GitHub redelivers
    preview = _work()
    assert preview is not None
    assert (preview.number, preview.state, preview.deployed_sha) == (12, PreviewState.ACTIVE, SHA_1)
    assert PreviewEvent.objects.count() == 1
    assert _github("synchronize", sha=SHA_2, delivery_id="gh-2").status_code == 202
    pushed = _work()
    assert pushed is not None
    assert pushed.deployed_sha == SHA_2
    assert _github("closed", sha=SHA_2, merged=True, delivery_id="gh-3").status_code == 202
    preview = _work()
    assert preview is not None
    assert preview.state == PreviewState.DELETED
    assert preview.reason == "pull request merged"
    assert delivery.cluster_objects("pr-12-payments-api") == []


def test_a_gitlab_merge_request_gets_a_preview_until_it_is_closed(
    preview_config: PreviewConfig, previews_world: Path
) -> None:
    preview_config.provider, preview_config.repository, preview_config.gitlab_project = (
        "gitlab",
        "acme/payments/payments-api",
        "4242",
    )
    preview_config.save()
    assert _gitlab("open", sha=SHA_1, delivery_id="gl-1").status_code == 202
    preview = _work()
    assert preview is not None
    assert (preview.provider, preview.number, preview.state) == ("gitlab", 5, PreviewState.ACTIVE)
    assert _gitlab("update", sha=SHA_2, oldrev=SHA_1, delivery_id="gl-2").status_code == 202
    pushed = _work()
    assert pushed is not None
    assert pushed.deployed_sha == SHA_2
    assert _gitlab("close", sha=SHA_2, delivery_id="gl-3").status_code == 202
    preview = _work()
    assert preview is not None
    assert preview.state == PreviewState.DELETED
    assert delivery.cluster_objects("pr-5-payments-api") == []
