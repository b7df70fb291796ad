"""Signals other apps listen to, so that the changes app need not know who cares about a pull request."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.dispatch import Signal


@dataclass(frozen=True)
class PullRequestEvent:
    """A pull/merge request opened, updated, merged or closed, from a verified GitHub or GitLab webhook.

    action: "opened" | "synchronize" | "reopened" | "merged" | "closed" (closed without merging).
    """

    provider: str  # "github" | "gitlab"
    repository: str  # "owner/name" as the source-control adapter names it
    number: int
    action: str
    title: str = ""
    author: str = ""
    head_ref: str = ""
    head_sha: str = ""
    base_ref: str = ""
    url: str = ""
    service: str = ""  # the catalog service whose repository this is, when known
    labels: tuple[str, ...] = field(default_factory=tuple)
    delivery_id: str = ""  # the webhook delivery id: receivers use it to ignore redeliveries
    merge_sha: str = ""  # the commit a merge made (action "merged"), when the sender names it


# Sent once per verified delivery with `event=PullRequestEvent(...)`; receivers must be idempotent.
pull_request_event = Signal()
