"""The source-control capability: what the scaffolder and rightsizing need from GitHub, GitLab or local git."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Repository:
    slug: str  # "<owner>/<name>"
    url: str  # where a person browses it
    clone_url: str
    default_branch: str
    description: str = ""


@dataclass(frozen=True)
class PullRequest:
    repository: str
    number: int
    url: str
    title: str
    source_branch: str
    target_branch: str
    state: str  # open, merged, closed
    head_sha: str = ""  # the source branch's commit the pull request shows now


@dataclass(frozen=True)
class ChangedFile:
    """One file a pull request changes, with the lines it adds and removes (0 and 0 for binary files)."""

    path: str
    additions: int
    deletions: int
    status: str = "modified"  # added, modified, removed, renamed
    previous_path: str = ""


@dataclass(frozen=True)
class PullRequestComment:
    id: str
    body: str
    url: str = ""


class SourceControl(ABC):
    """Every implementation behaves the same; the contract tests in tests/integrations prove it."""

    provider: str = ""

    @abstractmethod
    def repository_get(self, slug: str) -> Repository | None:
        """The repository, or None when it does not exist."""

    @abstractmethod
    def repository_create(self, slug: str, *, description: str = "", default_branch: str = "main") -> Repository:
        """Create an empty repository; IntegrationError(permanent=True) when it already exists."""

    @abstractmethod
    def branch_head(self, slug: str, branch: str) -> str | None:
        """The commit a branch points at, or None."""

    @abstractmethod
    def commit_messages(self, slug: str, branch: str, *, limit: int = 20) -> list[str]:
        """Messages of the newest commits on a branch, newest first."""

    @abstractmethod
    def commit_tree(
        self, slug: str, branch: str, *, root: Path, message: str, base_branch: str | None = None, replace: bool
    ) -> str:
        """Commit the files under root to branch (created from base_branch when missing); return the commit.

        With replace, the commit's tree is exactly root; otherwise root's files are laid over the parent's.
        """

    @abstractmethod
    def file_read(self, slug: str, ref: str, path: str) -> bytes | None:
        """A file's bytes at ref, or None."""

    @abstractmethod
    def file_list(self, slug: str, ref: str) -> list[str]:
        """Every file path at ref."""

    @abstractmethod
    def pull_request_open(
        self, slug: str, *, source_branch: str, target_branch: str, title: str, body: str
    ) -> PullRequest:
        """Open a pull request, or return the open one for the same source branch."""

    @abstractmethod
    def pull_request_get(self, slug: str, number: int) -> PullRequest | None:
        """One pull request, or None."""

    @abstractmethod
    def pull_request_files(self, slug: str, number: int) -> list[ChangedFile]:
        """The files a pull request changes against its target branch, sorted by path."""

    @abstractmethod
    def pull_request_comment_upsert(self, slug: str, number: int, *, marker: str, body: str) -> PullRequestComment:
        """Post body on the pull request once; later calls edit the comment that carries the hidden marker.

        The marker (for example '<!-- portal:change-risk -->') is put at the top of the body when missing.
        """
