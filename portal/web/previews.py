"""What approving an action would change: the executor's files against the GitOps repository, as a diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from typing import Any

from django.conf import settings

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import source_control
from portal.remediation.executors import desired_state_change
from portal.remediation.models import ActionRequest


@dataclass(frozen=True)
class FileChange:
    path: str
    lines: list[tuple[str, str]]  # (css class, text): add, remove, hunk, context
    added: int
    removed: int
    new_file: bool


def _steps(action: ActionRequest) -> list[dict[str, Any]]:
    """The executor's steps: a workflow's own, otherwise the runbook's one action with the parameters."""
    if action.runbook.action == "workflow":
        return [{**step, **action.parameters} for step in action.runbook.steps if isinstance(step, dict)]
    return [{"action": action.runbook.action, **action.parameters}]


def _current(path: str) -> str | None:
    sc = source_control()
    slug = settings.GITOPS_REPOSITORY
    repo = sc.repository_get(slug)
    data = sc.file_read(slug, repo.default_branch, path) if repo is not None else None
    return data.decode() if data is not None else None


def diff_lines(old: str, new: str, path: str) -> list[tuple[str, str]]:
    """A unified diff of one file, each line tagged for colouring."""
    diff = difflib.unified_diff(
        old.splitlines(), new.splitlines(), fromfile=f"a/{path}", tofile=f"b/{path}", lineterm=""
    )
    out = []
    for line in diff:
        if line.startswith(("+++", "---")):
            css = "file"
        elif line.startswith("@@"):
            css = "hunk"
        else:
            css = {"+": "add", "-": "remove"}.get(line[:1], "context")
        out.append((css, line))
    return out


def action_preview(action: ActionRequest) -> tuple[list[FileChange], str]:
    """The files the action would commit, as diffs; or why the change cannot be worked out."""
    files: dict[str, str] = {}
    try:
        for step in _steps(action):
            parameters = dict(step)
            files.update(desired_state_change(action, parameters.pop("action"), parameters))
        current = {path: _current(path) for path in files}
    except IntegrationError as exc:
        return [], f"The change cannot be worked out: {exc.message}"
    except (KeyError, ValueError, TypeError) as exc:
        return [], f"The change cannot be worked out from the parameters {action.parameters}: {exc!r}"
    changes = []
    for path, new in sorted(files.items()):
        lines = diff_lines(current[path] or "", new, path)
        changes.append(
            FileChange(
                path=path,
                lines=lines,
                added=sum(1 for css, _ in lines if css == "add"),
                removed=sum(1 for css, _ in lines if css == "remove"),
                new_file=current[path] is None,
            )
        )
    return changes, ""
