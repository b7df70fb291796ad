"""Turn GitHub, GitLab and Argo CD webhook payloads into change drafts, and check their signatures.

Pure functions over the senders' documented payloads; no Django.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class ChangeDraft:
    """A change as a sender describes it; the service is still a reference to resolve."""

    repository: str  # "owner/name" (GitHub, GitLab) or "" when the app names the service
    kind: str
    status: str
    version: str
    occurred_at: datetime | None
    author: str = ""
    environment: str = ""
    link: str = ""
    description: str = ""
    duration_seconds: float | None = None
    argocd_app: str = ""
    details: dict[str, Any] = field(default_factory=dict)


def github_signature_valid(secret: str, body: bytes, header: str) -> bool:
    """X-Hub-Signature-256: 'sha256=' + HMAC-SHA256 of the raw body with the webhook secret."""
    if not secret or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256="))


def token_valid(secret: str, presented: str) -> bool:
    """GitLab's X-Gitlab-Token and Argo CD's bearer token: a shared secret compared in constant time."""
    return bool(secret) and hmac.compare_digest(secret.encode(), presented.encode())


def _time(value: Any) -> datetime | None:
    if not value or not isinstance(value, str):
        return None
    text = value.replace("Z", "+00:00").replace(" UTC", "+00:00")
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _seconds(start: datetime | None, end: datetime | None) -> float | None:
    return (end - start).total_seconds() if start and end else None


GITHUB_DEPLOY_STATES = {
    "success": "succeeded",
    "failure": "failed",
    "error": "failed",
    "inactive": None,
    "pending": "started",
    "queued": "started",
    "in_progress": "started",
}


def github_drafts(event: str, payload: dict[str, Any]) -> list[ChangeDraft]:
    """Drafts for workflow_run (completed), deployment_status and pushes to the default branch."""
    repo = str((payload.get("repository") or {}).get("full_name", ""))
    if event == "workflow_run" and payload.get("action") == "completed":
        run = payload["workflow_run"]
        started, finished = _time(run.get("run_started_at")), _time(run.get("updated_at"))
        return [
            ChangeDraft(
                repository=repo,
                kind="pipeline",
                status="succeeded" if run.get("conclusion") == "success" else "failed",
                version=str(run.get("head_sha", "")),
                occurred_at=finished,
                author=str((run.get("actor") or {}).get("login", "")),
                link=str(run.get("html_url", "")),
                description=f"{run.get('name', 'workflow')} on {run.get('head_branch', '')}",
                duration_seconds=_seconds(started, finished),
                details={"conclusion": run.get("conclusion"), "run_id": run.get("id")},
            )
        ]
    if event == "deployment_status":
        status = payload.get("deployment_status") or {}
        deployment = payload.get("deployment") or {}
        mapped = GITHUB_DEPLOY_STATES.get(str(status.get("state")))
        if mapped is None:
            return []
        return [
            ChangeDraft(
                repository=repo,
                kind="deploy",
                status=mapped,
                version=str(deployment.get("sha", "")),
                occurred_at=_time(status.get("created_at")),
                author=str((status.get("creator") or {}).get("login", "")),
                environment=str(status.get("environment") or deployment.get("environment") or ""),
                link=str(status.get("target_url") or status.get("log_url") or ""),
                description=str(status.get("description") or ""),
                details={"deployment_id": deployment.get("id"), "ref": deployment.get("ref")},
            )
        ]
    if event == "push":
        default = (payload.get("repository") or {}).get("default_branch", "main")
        head = payload.get("head_commit") or {}
        if payload.get("ref") != f"refs/heads/{default}" or not head:
            return []
        return [
            ChangeDraft(
                repository=repo,
                kind="commit",
                status="succeeded",
                version=str(payload.get("after", "")),
                occurred_at=_time(head.get("timestamp")),
                author=str((head.get("author") or {}).get("name", "")),
                link=str(head.get("url", "")),
                description=str(head.get("message", "")).split("\n", 1)[0][:500],
                details={"commits": len(payload.get("commits") or [])},
            )
        ]
    return []


GITLAB_TERMINAL = {"success": "succeeded", "failed": "failed", "canceled": "failed"}


def gitlab_drafts(payload: dict[str, Any]) -> list[ChangeDraft]:
    """Drafts for pipeline and deployment events that reached a final status."""
    project = str((payload.get("project") or {}).get("path_with_namespace", ""))
    user = payload.get("user") or {}
    if payload.get("object_kind") == "pipeline":
        attrs = payload.get("object_attributes") or {}
        status = GITLAB_TERMINAL.get(str(attrs.get("status")))
        if status is None:
            return []
        return [
            ChangeDraft(
                repository=project,
                kind="pipeline",
                status=status,
                version=str(attrs.get("sha", "")),
                occurred_at=_time(attrs.get("finished_at")) or _time(attrs.get("created_at")),
                author=str(user.get("username", "")),
                link=str(attrs.get("url", "")),
                description=f"pipeline {attrs.get('id')} on {attrs.get('ref', '')}",
                duration_seconds=float(attrs["duration"]) if attrs.get("duration") is not None else None,
                details={"pipeline_id": attrs.get("id")},
            )
        ]
    if payload.get("object_kind") == "deployment":
        status = GITLAB_TERMINAL.get(str(payload.get("status"))) or (
            "started" if payload.get("status") == "running" else None
        )
        if status is None:
            return []
        return [
            ChangeDraft(
                repository=project,
                kind="deploy",
                status=status,
                version=str(payload.get("sha", "")),
                occurred_at=_time(payload.get("status_changed_at")),
                author=str(user.get("username", "")),
                environment=str(payload.get("environment", "")),
                link=str(payload.get("deployable_url", "")),
                details={"deployment_id": payload.get("deployment_id")},
            )
        ]
    return []


def argocd_drafts(payload: dict[str, Any]) -> list[ChangeDraft]:
    """Drafts from the portal's Argo CD notifications template (see README: on-sync-succeeded/failed)."""
    app = str(payload.get("app", ""))
    phase = str(payload.get("phase", payload.get("status", ""))).lower()
    status = {"succeeded": "succeeded", "failed": "failed", "error": "failed", "running": "started"}.get(phase)
    if not app or status is None:
        return []
    return [
        ChangeDraft(
            repository="",
            argocd_app=app,
            kind="deploy",
            status=status,
            version=str(payload.get("revision", "")),
            occurred_at=_time(payload.get("finishedAt")),
            author=str(payload.get("initiatedBy", "")),
            link=str(payload.get("url", "")),
            description=str(payload.get("message", ""))[:500],
            details={"phase": phase},
        )
    ]


@dataclass(frozen=True)
class PullRequestDraft:
    """A pull/merge request event as the sender describes it (the fields of signals.PullRequestEvent it knows)."""

    provider: str
    repository: str
    number: int
    action: str  # opened, synchronize, reopened, merged, closed
    title: str = ""
    author: str = ""
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    url: str = ""
    labels: tuple[str, ...] = ()
    merge_sha: str = ""


GITHUB_PULL_ACTIONS = {"opened", "synchronize", "reopened", "closed"}


def github_pull_request(event: str, payload: dict[str, Any]) -> PullRequestDraft | None:
    """GitHub's `pull_request` event for opened, synchronize, reopened and closed (merged or not); else None."""
    action = str(payload.get("action", ""))
    pull = payload.get("pull_request")
    if event != "pull_request" or action not in GITHUB_PULL_ACTIONS or not isinstance(pull, dict):
        return None
    if action == "closed":
        action = "merged" if pull.get("merged") else "closed"
    head, base = pull.get("head") or {}, pull.get("base") or {}
    return PullRequestDraft(
        provider="github",
        repository=str((payload.get("repository") or {}).get("full_name", "")),
        number=int(pull.get("number") or payload.get("number") or 0),
        action=action,
        title=str(pull.get("title") or ""),
        author=str((pull.get("user") or {}).get("login", "")),
        head_ref=str(head.get("ref", "")),
        head_sha=str(head.get("sha", "")),
        base_ref=str(base.get("ref", "")),
        url=str(pull.get("html_url", "")),
        labels=tuple(str(label.get("name", "")) for label in pull.get("labels") or [] if isinstance(label, dict)),
        merge_sha=str(pull.get("merge_commit_sha") or "") if action == "merged" else "",
    )


GITLAB_MR_ACTIONS = {"open": "opened", "reopen": "reopened", "merge": "merged", "close": "closed"}


def gitlab_merge_request(payload: dict[str, Any]) -> PullRequestDraft | None:
    """GitLab's Merge Request Hook: open, reopen, merge, close, and update when it brings new commits (oldrev)."""
    attrs = payload.get("object_attributes")
    if payload.get("object_kind") != "merge_request" or not isinstance(attrs, dict):
        return None
    action = str(attrs.get("action", ""))
    mapped = "synchronize" if action == "update" and attrs.get("oldrev") else GITLAB_MR_ACTIONS.get(action)
    if mapped is None:
        return None
    labels = payload.get("labels") or attrs.get("labels") or []
    return PullRequestDraft(
        provider="gitlab",
        repository=str((payload.get("project") or {}).get("path_with_namespace", "")),
        number=int(attrs.get("iid") or 0),
        action=mapped,
        title=str(attrs.get("title") or ""),
        author=str((payload.get("user") or {}).get("username", "")),
        head_ref=str(attrs.get("source_branch", "")),
        head_sha=str((attrs.get("last_commit") or {}).get("id", "")),
        base_ref=str(attrs.get("target_branch", "")),
        url=str(attrs.get("url", "")),
        labels=tuple(str(label.get("title", "")) for label in labels if isinstance(label, dict)),
        merge_sha=str(attrs.get("merge_commit_sha") or "") if mapped == "merged" else "",
    )
