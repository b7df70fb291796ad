"""GitLab (gitlab.com or self-managed) through python-gitlab; a tree goes up as one commit of file actions."""

from __future__ import annotations

import base64
import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar, cast

import gitlab
import requests
from gitlab.exceptions import GitlabError
from gitlab.v4.objects import Project, ProjectMergeRequest

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.base import (
    ChangedFile,
    PullRequest,
    PullRequestComment,
    Repository,
    SourceControl,
)
from portal.integrations.source_control.remote import (
    COMMIT_SHA,
    Entry,
    LocalFile,
    branch_check,
    diff_line_counts,
    local_files,
    marked,
    path_check,
    slug_split,
)
from portal.integrations.source_control.retry import NotFound, Retrier, rate_limit_delay, rate_limited

T = TypeVar("T")

GROUP_DEPTH = 20  # GitLab nests subgroups at most 20 deep
READ = "the 'read_api' scope and at least the Reporter role in the project"
WRITE = "the 'api' scope and at least the Developer role in the project"
CREATE = "the 'api' scope and a role allowed to create projects in the group (Maintainer by default)"
STATES = {"opened": "open", "locked": "open", "merged": "merged", "closed": "closed"}


class GitLabSourceControl(SourceControl):
    """Projects on gitlab.com or a self-managed GitLab; a slug's namespace is a group path or the token's user."""

    provider = "gitlab"

    def __init__(
        self,
        *,
        token: str,
        url: str = "https://gitlab.com",
        visibility: str = "private",
        timeout: float = 30,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise IntegrationError("GitLab needs a token: set GITLAB_TOKEN (or GITLAB_TOKEN_FILE).")
        self.base_url = url.rstrip("/")  # where people browse, and the API's root
        self.visibility = visibility
        self._clock = clock
        self._retrier = Retrier(errors=(GitlabError, requests.RequestException), sleep=sleep, max_wait=max_wait)
        session = requests.Session()
        session.hooks["response"].append(self._refuse_rate_limited)
        self._gitlab = gitlab.Gitlab(
            self.base_url,
            private_token=token,
            timeout=timeout,
            session=session,
            per_page=100,
            user_agent="platform-portal",
            retry_transient_errors=False,
        )

    def _refuse_rate_limited(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        """Turn a 429 into our error before python-gitlab sleeps on it itself (its sleep cannot be injected)."""
        if response.status_code == 429:
            response.close()
            raise rate_limited("GitLab", rate_limit_delay(response.headers, self._clock()))

    def _call(self, needs: str, fn: Callable[[], T]) -> T:
        return self._retrier.call(fn, lambda exc: gitlab_error(exc, needs))

    def _find(self, needs: str, fn: Callable[[], T]) -> T | None:
        try:
            return self._call(needs, fn)
        except NotFound:
            return None

    def _project(self, slug: str) -> Project:
        slug_split(slug, max_depth=GROUP_DEPTH)
        return self._gitlab.projects.get(slug, lazy=True)  # no request yet

    def repository_get(self, slug: str) -> Repository | None:
        slug_split(slug, max_depth=GROUP_DEPTH)
        project = self._find(READ, lambda: self._gitlab.projects.get(slug))
        return None if project is None else _repository(project.attributes)

    def repository_create(self, slug: str, *, description: str = "", default_branch: str = "main") -> Repository:
        """Create an empty project; GitLab makes the first branch pushed its default."""
        namespace, name = slug_split(slug, max_depth=GROUP_DEPTH)
        group = self._call(READ, lambda: self._gitlab.namespaces.get(namespace))
        settings = {
            "name": name,
            "path": name,
            "namespace_id": group.id,
            "description": description,
            "visibility": self.visibility,
        }
        try:
            project = self._call(CREATE, lambda: self._gitlab.projects.create(settings))
        except IntegrationError as exc:
            if "has already been taken" in exc.message:
                raise IntegrationError(f"Repository {slug} already exists.", permanent=True) from exc
            raise
        return _repository(project.attributes, default_branch)

    def branch_head(self, slug: str, branch: str) -> str | None:
        project = self._project(slug)
        found = self._find(READ, lambda: project.branches.get(branch_check(branch)))
        return None if found is None else str(found.commit["id"])

    def commit_messages(self, slug: str, branch: str, *, limit: int = 20) -> list[str]:
        head = self.branch_head(slug, branch)
        if head is None:
            return []
        project = self._project(slug)
        commits = self._call(READ, lambda: project.commits.list(ref_name=head, per_page=limit, get_all=False))
        return [str(commit.message).strip() for commit in commits][:limit]

    def commit_tree(
        self, slug: str, branch: str, *, root: Path, message: str, base_branch: str | None = None, replace: bool
    ) -> str:
        project = self._project(slug)
        current = self.branch_head(slug, branch)
        parent = current or (self.branch_head(slug, base_branch) if base_branch else None)
        have = self._files(project, parent) if parent else {}
        actions = commit_actions(have, local_files(root), replace=replace)
        if parent is not None and not actions:
            commit = parent  # nothing new: a repeated step changes nothing
        else:
            data: dict[str, Any] = {"branch": branch, "commit_message": message, "actions": actions}
            if current is None and parent is not None:
                data["start_sha"] = parent  # the new branch starts where the base was read
            commit = str(self._call(WRITE, lambda: project.commits.create(data)).id)
        if current is None and commit == parent:
            self._call(WRITE, lambda: project.branches.create({"branch": branch, "ref": commit}))
        return commit

    def _files(self, project: Project, ref: str) -> dict[str, Entry]:
        items = self._find(READ, lambda: project.repository_tree(ref=ref, recursive=True, get_all=True))
        rows = cast(list[dict[str, Any]], items or [])
        return {row["path"]: Entry(mode=row["mode"], sha=row["id"]) for row in rows if row["type"] != "tree"}

    def file_read(self, slug: str, ref: str, path: str) -> bytes | None:
        project = self._project(slug)
        return self._find(READ, lambda: project.files.raw(file_path=path_check(path), ref=ref))

    def file_list(self, slug: str, ref: str) -> list[str]:
        project = self._project(slug)
        commit = ref if COMMIT_SHA.match(ref) else self.branch_head(slug, ref.removeprefix("refs/heads/"))
        return sorted(self._files(project, commit)) if commit else []

    def pull_request_open(
        self, slug: str, *, source_branch: str, target_branch: str, title: str, body: str
    ) -> PullRequest:
        project = self._project(slug)
        request = self._merge_request_open_find(project, source_branch)
        if request is None:
            fields = {"source_branch": source_branch, "target_branch": target_branch, "title": title}
            try:
                request = self._call(WRITE, lambda: project.mergerequests.create({**fields, "description": body}))
            except IntegrationError as exc:
                request = (
                    self._merge_request_open_find(project, source_branch) if "already exists" in exc.message else None
                )
                if request is None:  # not one a concurrent run opened
                    raise
        return _pull_request(slug, request)

    def _merge_request_open_find(self, project: Project, source_branch: str) -> ProjectMergeRequest | None:
        found = self._call(
            READ, lambda: project.mergerequests.list(state="opened", source_branch=source_branch, get_all=False)
        )
        return found[0] if found else None

    def pull_request_get(self, slug: str, number: int) -> PullRequest | None:
        project = self._project(slug)
        request = self._find(READ, lambda: project.mergerequests.get(number))
        return None if request is None else _pull_request(slug, request)

    def pull_request_files(self, slug: str, number: int) -> list[ChangedFile]:
        """GET /projects/:id/merge_requests/:iid/diffs; GitLab gives hunks, so lines are counted from them."""
        path = f"{self._project(slug).mergerequests.path}/{int(number)}/diffs"
        rows = self._call(READ, lambda: self._gitlab.http_list(path, get_all=True))
        return sorted((_changed_file(row) for row in rows), key=lambda f: f.path)

    def pull_request_comment_upsert(self, slug: str, number: int, *, marker: str, body: str) -> PullRequestComment:
        """Merge request notes: list, then create one or update the one carrying the marker."""
        text = marked(marker, body)
        request = self._project(slug).mergerequests.get(number, lazy=True)
        notes = self._call(READ, lambda: request.notes.list(get_all=True))
        found = next((n for n in notes if marker in str(n.body) and not getattr(n, "system", False)), None)
        if found is None:
            found = self._call(WRITE, lambda: request.notes.create({"body": text}))
        elif found.body != text:
            note_id = found.id
            self._call(WRITE, lambda: request.notes.update(note_id, {"body": text}))
        web = f"{self.base_url}/{slug}/-/merge_requests/{int(number)}#note_{found.id}"
        return PullRequestComment(id=str(found.id), body=text, url=web)


def _changed_file(row: dict[str, Any]) -> ChangedFile:
    additions, deletions = diff_line_counts(str(row.get("diff") or ""))
    status = "added" if row.get("new_file") else "removed" if row.get("deleted_file") else "modified"
    renamed = bool(row.get("renamed_file"))
    return ChangedFile(
        path=str(row["new_path"]),
        additions=additions,
        deletions=deletions,
        status="renamed" if renamed else status,
        previous_path=str(row["old_path"]) if renamed else "",
    )


def commit_actions(have: dict[str, Entry], files: dict[str, LocalFile], *, replace: bool) -> list[dict[str, Any]]:
    """The file actions that turn the parent's files into the wanted ones (none when nothing changes)."""
    actions: list[dict[str, Any]] = []
    for path, file in files.items():
        old = have.get(path)
        if old is None or old.sha != file.sha:
            content = base64.b64encode(file.data).decode()
            change = "update" if old else "create"
            actions.append({"action": change, "file_path": path, "content": content, "encoding": "base64"})
        if file.mode != (old.mode if old else "100644"):  # GitLab sets the execute bit only through chmod
            actions.append({"action": "chmod", "file_path": path, "execute_filemode": file.mode == "100755"})
    if replace:
        actions += [{"action": "delete", "file_path": path} for path in have if path not in files]
    return actions


def gitlab_error(exc: Exception, needs: str) -> IntegrationError:
    """Say what a failed call means and whether trying again can help (never quoting the token)."""
    if not isinstance(exc, GitlabError):
        return IntegrationError(f"GitLab could not be reached ({type(exc).__name__}); try again.", permanent=False)
    status, body = exc.response_code or 0, _body(exc)
    message = _message(body) or str(exc.error_message)
    if status >= 500:
        return IntegrationError(f"GitLab failed ({status} {message}); try again.", permanent=False)
    if status == 401:
        return IntegrationError(f"GitLab rejected the token (401 {message}): check GITLAB_TOKEN.")
    if status == 403:
        scope = f"the '{body['scope']}' scope" if body.get("scope") else needs
        return IntegrationError(f"GitLab denied the request ({message}): the token needs {scope}.")
    if status == 404:
        return NotFound(f"GitLab has nothing there ({message}), or the token lacks {needs}.")
    return IntegrationError(f"GitLab refused the request ({status} {message}).")


def _body(exc: GitlabError) -> dict[str, Any]:
    try:
        data = json.loads(exc.response_body or b"{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _message(body: dict[str, Any]) -> str:
    """GitLab's message: a string, a list, or field -> reasons (as when a name is taken)."""
    message = body.get("message", body.get("error_description", body.get("error", "")))
    if isinstance(message, dict):
        return "; ".join(
            f"{key} {' '.join(map(str, value if isinstance(value, list) else [value]))}"
            for key, value in message.items()
        )
    if isinstance(message, list):
        return "; ".join(map(str, message))
    return str(message)


def _repository(data: dict[str, Any], default_branch: str = "main") -> Repository:
    return Repository(
        slug=data["path_with_namespace"],
        url=data["web_url"],
        clone_url=data["http_url_to_repo"],
        default_branch=data.get("default_branch") or default_branch,
        description=data.get("description") or "",
    )


def _pull_request(slug: str, request: ProjectMergeRequest) -> PullRequest:
    return PullRequest(
        repository=slug,
        number=int(request.iid),
        url=str(request.web_url),
        title=str(request.title),
        source_branch=str(request.source_branch),
        target_branch=str(request.target_branch),
        state=STATES.get(str(request.state), str(request.state)),
        head_sha=str(getattr(request, "sha", "") or ""),
    )
