"""GitHub and GitHub Enterprise Server through PyGithub; a tree goes up through the Git Data API."""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

import requests
from github import Auth, Github, GithubException, InputGitTreeElement
from github.GitCommit import GitCommit
from github.GitRef import GitRef
from github.GitTree import GitTree
from github.PullRequest import PullRequest as GitHubPull
from github.Repository import Repository as GitHubRepository

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
    local_files,
    marked,
    path_check,
    slug_split,
    tree_wanted,
)
from portal.integrations.source_control.retry import NotFound, Retrier, rate_limit_delay, rate_limited

T = TypeVar("T")

ADMINISTRATION = "the 'repo' scope (classic token) or Administration: write (fine-grained token)"
CONTENTS_READ = "the 'repo' scope (classic token) or Contents: read (fine-grained token)"
CONTENTS_WRITE = "the 'repo' scope (classic token) or Contents: write (fine-grained token)"
PULLS_READ = "the 'repo' scope (classic token) or Pull requests: read (fine-grained token)"
PULLS_WRITE = "the 'repo' scope (classic token) or Pull requests: write (fine-grained token)"
# The Git Data API answers 409 until a repository has a commit; this one is made to start it and is then replaced.
PLACEHOLDER_PATH = ".portal-init"
PLACEHOLDER_MESSAGE = "Start the repository (the platform portal replaces this commit)"


class GitHubSourceControl(SourceControl):
    """Repositories on github.com or a GitHub Enterprise Server; a slug's owner is the token's user or an org."""

    provider = "github"

    def __init__(
        self,
        *,
        token: str,
        api_url: str = "https://api.github.com",
        web_url: str = "",
        private: bool = True,
        timeout: int = 30,
        max_wait: float = 60.0,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not token:
            raise IntegrationError("GitHub needs a token: set GITHUB_TOKEN (or GITHUB_TOKEN_FILE).")
        self.api_url = api_url.rstrip("/")
        self.base_url = (web_url or web_url_for(self.api_url)).rstrip("/")  # where people browse
        self.private = private
        self._clock = clock
        self._retrier = Retrier(errors=(GithubException, requests.RequestException), sleep=sleep, max_wait=max_wait)
        self._github = Github(
            auth=Auth.Token(token),
            base_url=self.api_url,
            timeout=timeout,
            retry=None,  # rate limits and retries are decided here, with an injectable sleep
            per_page=100,
            lazy=True,  # an object is fetched when first read, inside _call
            seconds_between_requests=None,
            seconds_between_writes=None,
            user_agent="platform-portal",
        )

    def _call(self, needs: str, fn: Callable[[], T]) -> T:
        return self._retrier.call(fn, lambda exc: github_error(exc, needs, self._clock()))

    def _find(self, needs: str, fn: Callable[[], T]) -> T | None:
        try:
            return self._call(needs, fn)
        except NotFound:
            return None

    def _repo(self, slug: str) -> GitHubRepository:
        slug_split(slug)
        return self._github.get_repo(slug)  # lazy: no request yet

    def repository_get(self, slug: str) -> Repository | None:
        repo = self._repo(slug)
        data = self._find(CONTENTS_READ, lambda: repo.raw_data)
        return None if data is None else _repository(data)

    def repository_create(self, slug: str, *, description: str = "", default_branch: str = "main") -> Repository:
        """Create an empty repository; GitHub names its default branch (the account's setting) on the first push."""
        owner, name = slug_split(slug)
        create = self._creator(owner)
        try:
            repo = self._call(
                ADMINISTRATION, lambda: create(name, description=description, private=self.private, auto_init=False)
            )
        except IntegrationError as exc:
            if "already exists" in exc.message:
                raise IntegrationError(f"Repository {slug} already exists.", permanent=True) from exc
            raise
        return _repository(repo.raw_data)

    def _creator(self, owner: str) -> Callable[..., GitHubRepository]:
        user = self._github.get_user()
        login: str = self._call(CONTENTS_READ, lambda: user.login)
        if login.lower() == owner.lower():
            return user.create_repo
        return self._github.get_organization(owner).create_repo

    def branch_head(self, slug: str, branch: str) -> str | None:
        ref = self._ref(self._repo(slug), branch)
        return None if ref is None else ref.object.sha

    def _ref(self, repo: GitHubRepository, branch: str) -> GitRef | None:
        """The branch's ref, fetched (so that its url is the one GitHub updates), or None."""
        ref = repo.get_git_ref(f"heads/{branch_check(branch)}")
        return None if self._find(CONTENTS_READ, lambda: ref.object) is None else ref

    def commit_messages(self, slug: str, branch: str, *, limit: int = 20) -> list[str]:
        head = self.branch_head(slug, branch)
        if head is None:
            return []
        commits = self._repo(slug).get_commits(sha=head)
        messages = self._call(CONTENTS_READ, lambda: [c.commit.message.strip() for c in islice(commits, limit)])
        return [m for m in messages if m != PLACEHOLDER_MESSAGE]

    def commit_tree(
        self, slug: str, branch: str, *, root: Path, message: str, base_branch: str | None = None, replace: bool
    ) -> str:
        repo = self._repo(slug)
        ref = self._ref(repo, branch)
        start = ref or (self._ref(repo, base_branch) if base_branch else None)
        parent = self._parent(repo, start)
        files = local_files(root)
        have = self._files(repo, parent.tree.sha) if parent else {}
        if parent is not None and tree_wanted(have, files, replace=replace) == have:
            commit = parent.sha  # nothing new: a repeated step changes nothing
        else:
            try:
                tree = self._tree_create(repo, files, have, None if replace else parent)
            except NotFound:
                if ref is not None or parent is not None:
                    raise
                ref = self._initialise(repo, branch)  # an empty repository
                tree = self._tree_create(repo, files, have, None)
            commit = self._commit_create(repo, message, parent, tree)
        self._branch_move(repo, branch, ref, commit, force=parent is None)
        return commit

    def _parent(self, repo: GitHubRepository, ref: GitRef | None) -> GitCommit | None:
        """The commit a ref points at; None for none, and for the placeholder that starts an empty repository."""
        if ref is None:
            return None
        commit = self._call(CONTENTS_READ, lambda: repo.get_git_commit(ref.object.sha))
        return None if commit.message == PLACEHOLDER_MESSAGE and not commit.parents else commit

    def _files(self, repo: GitHubRepository, tree_sha: str) -> dict[str, Entry]:
        tree = self._call(CONTENTS_READ, lambda: repo.get_git_tree(tree_sha, recursive=True))
        if tree.raw_data.get("truncated"):
            raise IntegrationError("The repository has more files than GitHub lists in one tree (100,000).")
        return {e.path: Entry(mode=e.mode, sha=e.sha) for e in tree.tree if e.type != "tree"}

    def _tree_create(
        self, repo: GitHubRepository, files: dict[str, LocalFile], have: dict[str, Entry], base: GitCommit | None
    ) -> GitTree:
        known = {entry.sha for entry in have.values()}
        elements = [self._tree_element(repo, file, known) for file in files.values()]
        if base is None:
            return self._call(CONTENTS_WRITE, lambda: repo.create_git_tree(elements))
        return self._call(CONTENTS_WRITE, lambda: repo.create_git_tree(elements, base_tree=base.tree))

    def _tree_element(self, repo: GitHubRepository, file: LocalFile, known: set[str]) -> InputGitTreeElement:
        """Name a blob GitHub has; send text inline; upload anything else as a blob."""
        if file.sha in known:
            return InputGitTreeElement(file.path, file.mode, "blob", sha=file.sha)
        try:
            return InputGitTreeElement(file.path, file.mode, "blob", content=file.data.decode("utf-8"))
        except UnicodeDecodeError:
            content = base64.b64encode(file.data).decode()
        blob = self._call(CONTENTS_WRITE, lambda: repo.create_git_blob(content, "base64"))
        return InputGitTreeElement(file.path, file.mode, "blob", sha=blob.sha)

    def _commit_create(self, repo: GitHubRepository, message: str, parent: GitCommit | None, tree: GitTree) -> str:
        if parent is not None and tree.sha == parent.tree.sha:
            return parent.sha
        parents = [parent] if parent is not None else []
        return self._call(CONTENTS_WRITE, lambda: repo.create_git_commit(message, tree, parents)).sha

    def _initialise(self, repo: GitHubRepository, branch: str) -> GitRef:
        """Give an empty repository its first commit, on branch: the only write GitHub accepts there."""
        self._call(CONTENTS_WRITE, lambda: repo.create_file(PLACEHOLDER_PATH, PLACEHOLDER_MESSAGE, b"", branch=branch))
        ref = self._ref(repo, branch)
        if ref is None:
            raise IntegrationError(f"GitHub did not create branch {branch}; try again.", permanent=False)
        return ref

    def _branch_move(
        self, repo: GitHubRepository, branch: str, ref: GitRef | None, commit: str, *, force: bool
    ) -> None:
        if ref is None:
            self._call(CONTENTS_WRITE, lambda: repo.create_git_ref(f"refs/heads/{branch}", commit))
        elif ref.object.sha != commit:
            # force only replaces the placeholder; otherwise GitHub refuses a branch that moved meanwhile
            self._call(CONTENTS_WRITE, lambda: ref.edit(commit, force=force))

    def file_read(self, slug: str, ref: str, path: str) -> bytes | None:
        repo = self._repo(slug)
        found = self._find(CONTENTS_READ, lambda: repo.get_contents(path_check(path), ref=ref))
        if found is None or isinstance(found, list) or found.type != "file":
            return None
        if found.encoding == "base64":
            return found.decoded_content
        sha = found.sha  # files over 1 MB come without their content
        blob = self._call(CONTENTS_READ, lambda: repo.get_git_blob(sha))
        return base64.b64decode(blob.content)

    def file_list(self, slug: str, ref: str) -> list[str]:
        repo = self._repo(slug)
        sha = ref if COMMIT_SHA.match(ref) else self.branch_head(slug, ref.removeprefix("refs/heads/"))
        commit = self._find(CONTENTS_READ, lambda: repo.get_git_commit(sha)) if sha else None
        return sorted(self._files(repo, commit.tree.sha)) if commit else []

    def pull_request_open(
        self, slug: str, *, source_branch: str, target_branch: str, title: str, body: str
    ) -> PullRequest:
        owner, _ = slug_split(slug)
        repo = self._repo(slug)
        head = f"{owner}:{source_branch}"
        pull = self._pull_open_find(repo, head)
        if pull is None:
            try:
                pull = self._call(
                    PULLS_WRITE,
                    lambda: repo.create_pull(base=target_branch, head=source_branch, title=title, body=body),
                )
            except IntegrationError as exc:
                pull = self._pull_open_find(repo, head) if "already exists" in exc.message else None
                if pull is None:  # not one a concurrent run opened
                    raise
        return _pull_request(slug, pull)

    def _pull_open_find(self, repo: GitHubRepository, head: str) -> GitHubPull | None:
        pulls = repo.get_pulls(state="open", head=head)
        return self._call(PULLS_READ, lambda: next(iter(pulls), None))

    def pull_request_get(self, slug: str, number: int) -> PullRequest | None:
        pull = self._repo(slug).get_pull(number)  # lazy: fetched when read
        return self._find(PULLS_READ, lambda: _pull_request(slug, pull))

    def pull_request_files(self, slug: str, number: int) -> list[ChangedFile]:
        """GET /repos/{owner}/{repo}/pulls/{number}/files (GitHub lists at most 3,000 files)."""
        files = self._repo(slug).get_pull(number).get_files()
        rows = self._call(PULLS_READ, lambda: list(files))
        changed = [
            ChangedFile(
                path=f.filename,
                additions=f.additions,
                deletions=f.deletions,
                status=f.status,
                previous_path=f.previous_filename or "",
            )
            for f in rows
        ]
        return sorted(changed, key=lambda f: f.path)

    def pull_request_comment_upsert(self, slug: str, number: int, *, marker: str, body: str) -> PullRequestComment:
        """The pull request's conversation is its issue's: list, then create or edit one issue comment."""
        text = marked(marker, body)
        issue = self._repo(slug).get_issue(number)  # lazy
        comments = issue.get_comments()
        found = self._call(PULLS_READ, lambda: next((c for c in comments if marker in (c.body or "")), None))
        if found is None:
            found = self._call(PULLS_WRITE, lambda: issue.create_comment(text))
        elif found.body != text:
            comment = found
            self._call(PULLS_WRITE, lambda: comment.edit(text))
        return PullRequestComment(id=str(found.id), body=text, url=found.html_url or "")


def web_url_for(api_url: str) -> str:
    """Where people browse: https://api.github.com -> https://github.com, https://ghe/api/v3 -> https://ghe."""
    parts = urlsplit(api_url)
    path = parts.path.rstrip("/").removesuffix("/api/v3")
    return f"{parts.scheme}://{parts.netloc.removeprefix('api.')}{path}"


def github_error(exc: Exception, needs: str, now: float) -> IntegrationError:
    """Say what a failed call means and whether trying again can help (never quoting the token)."""
    if not isinstance(exc, GithubException):
        return IntegrationError(f"GitHub could not be reached ({type(exc).__name__}); try again.", permanent=False)
    status, message = exc.status, _message(exc.data)
    headers = {key.lower(): str(value) for key, value in (exc.headers or {}).items()}
    delay = rate_limit_delay(headers, now)
    if status in (403, 429) and (delay is not None or "rate limit" in message.lower()):
        return rate_limited("GitHub", delay)
    if status >= 500:
        return IntegrationError(f"GitHub failed ({status} {message}); try again.", permanent=False)
    if status == 401:
        return IntegrationError(f"GitHub rejected the token (401 {message}): check GITHUB_TOKEN.")
    if status == 403:
        accepted = headers.get("x-accepted-github-permissions") or headers.get("x-accepted-oauth-scopes")
        asks = f"; GitHub asks for {accepted}" if accepted else ""
        return IntegrationError(f"GitHub denied the request ({message}): the token needs {needs}{asks}.")
    if status == 422 and "fast forward" in message.lower():
        return IntegrationError(f"The branch moved while this change was made ({message}); try again.", permanent=False)
    if status == 404 or (status == 409 and "empty" in message.lower()):
        return NotFound(f"GitHub has nothing there ({status} {message}), or the token lacks {needs}.")
    return IntegrationError(f"GitHub refused the request ({status} {message}).")


def _message(data: Any) -> str:
    """GitHub's message, followed by the reasons a 422 lists."""
    if not isinstance(data, dict):
        return str(data or "")
    errors = [e for e in data.get("errors", []) if isinstance(e, dict)]
    reasons = [str(e.get("message") or f"{e.get('field')} {e.get('code')}") for e in errors]
    return ": ".join([str(data.get("message", "")), *reasons])


def _repository(data: dict[str, Any]) -> Repository:
    return Repository(
        slug=data["full_name"],
        url=data["html_url"],
        clone_url=data["clone_url"],
        default_branch=data.get("default_branch") or "main",
        description=data.get("description") or "",
    )


def _pull_request(slug: str, pull: GitHubPull) -> PullRequest:
    return PullRequest(
        repository=slug,
        number=pull.number,
        url=pull.html_url,
        title=pull.title,
        source_branch=pull.head.ref,
        target_branch=pull.base.ref,
        state="merged" if pull.merged_at else pull.state,
        head_sha=pull.head.sha,
    )
