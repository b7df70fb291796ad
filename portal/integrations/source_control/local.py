"""Local source control: bare git repositories on disk; pull requests as records kept beside them."""

from __future__ import annotations

import fcntl
import json
import os
import re
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.base import (
    ChangedFile,
    PullRequest,
    PullRequestComment,
    Repository,
    SourceControl,
)
from portal.integrations.source_control.remote import marked

SLUG = re.compile(r"^[a-z0-9]([-a-z0-9_.]{0,98}[a-z0-9])?/[a-z0-9]([-a-z0-9_.]{0,98}[a-z0-9])?$")
BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")
ZERO_OID = "0" * 40
AUTHOR = {
    "GIT_AUTHOR_NAME": "Platform portal",
    "GIT_AUTHOR_EMAIL": "portal@localhost",
    "GIT_COMMITTER_NAME": "Platform portal",
    "GIT_COMMITTER_EMAIL": "portal@localhost",
}


class LocalGit(SourceControl):
    provider = "local"

    def __init__(self, root: str, base_url: str) -> None:
        self.root = Path(root)
        self.base_url = base_url.rstrip("/")

    def _git_dir(self, slug: str) -> Path:
        if not SLUG.match(slug):
            raise IntegrationError(f"'{slug}' is not a valid repository name (owner/name).")
        return self.root / f"{slug}.git"

    def _git(
        self, slug: str, *args: str, input: bytes | None = None, env: dict[str, str] | None = None, check: bool = True
    ) -> str:
        full_env = {**os.environ, **AUTHOR, **(env or {}), "GIT_DIR": str(self._git_dir(slug))}
        proc = subprocess.run(["git", *args], input=input, capture_output=True, env=full_env, check=False)
        if check and proc.returncode != 0:
            raise IntegrationError(f"git {args[0]} failed in {slug}: {proc.stderr.decode(errors='replace').strip()}")
        return proc.stdout.decode(errors="replace").strip() if proc.returncode == 0 else ""

    def _repository(self, slug: str, description: str = "") -> Repository:
        head = self._git(slug, "symbolic-ref", "--short", "HEAD", check=False) or "main"
        return Repository(
            slug=slug,
            url=f"{self.base_url}/{slug}",
            clone_url=str(self._git_dir(slug)),
            default_branch=head,
            description=description,
        )

    @contextmanager
    def _locked(self, slug: str) -> Iterator[None]:
        """Serialise writers of one repository (several workers may scaffold at once)."""
        lock_path = self.root / f"{slug}.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(lock_path, "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def repository_get(self, slug: str) -> Repository | None:
        git_dir = self._git_dir(slug)
        if not (git_dir / "HEAD").exists():
            return None
        description = (git_dir / "description").read_text().strip() if (git_dir / "description").exists() else ""
        return self._repository(slug, description)

    def repository_create(self, slug: str, *, description: str = "", default_branch: str = "main") -> Repository:
        with self._locked(slug):
            git_dir = self._git_dir(slug)
            if (git_dir / "HEAD").exists():
                raise IntegrationError(f"Repository {slug} already exists.", permanent=True)
            git_dir.mkdir(parents=True)
            proc = subprocess.run(
                [
                    "git",
                    "init",
                    "--bare",
                    "--quiet",
                    f"--initial-branch={default_branch}",
                    str(git_dir),
                ],
                capture_output=True,
                check=False,
            )
            if proc.returncode != 0:
                raise IntegrationError(f"git init failed: {proc.stderr.decode(errors='replace')}")
            (git_dir / "description").write_text(description + "\n")
            return self._repository(slug, description)

    def branch_head(self, slug: str, branch: str) -> str | None:
        return self._git(slug, "rev-parse", "--verify", "--quiet", f"refs/heads/{branch}", check=False) or None

    def commit_messages(self, slug: str, branch: str, *, limit: int = 20) -> list[str]:
        if self.branch_head(slug, branch) is None:
            return []
        out = self._git(slug, "log", f"-{limit}", "--format=%B%x00", f"refs/heads/{branch}")
        return [message.strip() for message in out.split("\x00") if message.strip()]

    def commit_tree(
        self, slug: str, branch: str, *, root: Path, message: str, base_branch: str | None = None, replace: bool
    ) -> str:
        if not BRANCH.match(branch) or ".." in branch:
            raise IntegrationError(f"'{branch}' is not a valid branch name.")
        with self._locked(slug), tempfile.TemporaryDirectory() as tmp:
            current = self.branch_head(slug, branch)
            parent = current or (self.branch_head(slug, base_branch) if base_branch else None)
            env = {"GIT_INDEX_FILE": str(Path(tmp) / "index")}
            if parent and not replace:
                self._git(slug, "read-tree", parent, env=env)
            self._add_files(slug, root, env)
            tree = self._git(slug, "write-tree", env=env)
            if parent and tree == self._git(slug, "rev-parse", f"{parent}^{{tree}}"):
                commit = parent  # nothing new: a repeated step changes nothing
            else:
                commit = self._git(
                    slug, "commit-tree", tree, "-m", message, *(["-p", parent] if parent else []), env=env
                )
            if commit != current:
                self._git(slug, "update-ref", f"refs/heads/{branch}", commit, current or ZERO_OID)
            return commit

    def _add_files(self, slug: str, root: Path, env: dict[str, str]) -> None:
        files = sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts)
        if not files:
            return
        shas = self._git(
            slug, "hash-object", "-w", "--stdin-paths", input="\n".join(map(str, files)).encode(), env=env
        ).split("\n")
        lines = []
        for path, sha in zip(files, shas, strict=True):
            mode = "100755" if os.access(path, os.X_OK) else "100644"
            lines.append(f"{mode} {sha}\t{path.relative_to(root).as_posix()}")
        self._git(slug, "update-index", "--add", "--index-info", input=("\n".join(lines) + "\n").encode(), env=env)

    def file_read(self, slug: str, ref: str, path: str) -> bytes | None:
        git_dir = self._git_dir(slug)
        proc = subprocess.run(
            ["git", "--git-dir", str(git_dir), "cat-file", "blob", f"{ref}:{path}"],
            capture_output=True,
            check=False,
        )
        return proc.stdout if proc.returncode == 0 else None

    def file_list(self, slug: str, ref: str) -> list[str]:
        out = self._git(slug, "ls-tree", "-r", "--name-only", ref, check=False)
        return out.split("\n") if out else []

    def _pulls_dir(self, slug: str) -> Path:
        return self._git_dir(slug) / "portal-pull-requests"

    def _pull_from(self, slug: str, path: Path) -> PullRequest:
        data = json.loads(path.read_text())
        return PullRequest(
            repository=slug,
            number=data["number"],
            url=f"{self.base_url}/{slug}/pulls/{data['number']}",
            title=data["title"],
            source_branch=data["source_branch"],
            target_branch=data["target_branch"],
            state=data["state"],
            head_sha=self.branch_head(slug, data["source_branch"]) or "",
        )

    def pull_request_open(
        self, slug: str, *, source_branch: str, target_branch: str, title: str, body: str
    ) -> PullRequest:
        with self._locked(slug):
            folder = self._pulls_dir(slug)
            folder.mkdir(parents=True, exist_ok=True)
            existing = [self._pull_from(slug, p) for p in sorted(folder.glob("*.json"))]
            for pull in existing:
                if pull.source_branch == source_branch and pull.state == "open":
                    return pull
            number = max((p.number for p in existing), default=0) + 1
            record = {
                "number": number,
                "title": title,
                "body": body,
                "source_branch": source_branch,
                "target_branch": target_branch,
                "state": "open",
            }
            (folder / f"{number}.json").write_text(json.dumps(record, indent=2))
            return self._pull_from(slug, folder / f"{number}.json")

    def pull_request_get(self, slug: str, number: int) -> PullRequest | None:
        path = self._pulls_dir(slug) / f"{number}.json"
        return self._pull_from(slug, path) if path.exists() else None

    def pull_request_diff(self, slug: str, number: int) -> str:
        """The change a local pull request proposes, as a unified diff (what a reviewer reads)."""
        pull = self.pull_request_get(slug, number)
        if pull is None:
            raise IntegrationError(f"No pull request {number} in {slug}.")
        return self._git(slug, "diff", f"refs/heads/{pull.target_branch}...refs/heads/{pull.source_branch}")

    def pull_request_files(self, slug: str, number: int) -> list[ChangedFile]:
        """What `git diff target...source` shows: changes since the branches parted, per file."""
        pull = self.pull_request_get(slug, number)
        if pull is None:
            raise IntegrationError(f"No pull request {number} in {slug}.")
        span = f"refs/heads/{pull.target_branch}...refs/heads/{pull.source_branch}"
        counts = self._git(slug, "diff", "--no-renames", "--numstat", "-z", span).split("\0")
        statuses = self._git(slug, "diff", "--no-renames", "--name-status", "-z", span).split("\0")
        status_of = dict(zip(statuses[1::2], statuses[0::2], strict=False))
        files = []
        for row in filter(None, counts):
            added, removed, path = row.split("\t", 2)
            files.append(
                ChangedFile(
                    path=path,
                    additions=int(added) if added.isdigit() else 0,  # "-" for binary files
                    deletions=int(removed) if removed.isdigit() else 0,
                    status={"A": "added", "D": "removed"}.get(status_of.get(path, "M"), "modified"),
                )
            )
        return sorted(files, key=lambda f: f.path)

    def pull_request_comment_upsert(self, slug: str, number: int, *, marker: str, body: str) -> PullRequestComment:
        text = marked(marker, body)
        with self._locked(slug):
            path = self._pulls_dir(slug) / f"{number}.json"
            if not path.exists():
                raise IntegrationError(f"No pull request {number} in {slug}.")
            record: dict[str, Any] = json.loads(path.read_text())
            comments: list[dict[str, Any]] = record.setdefault("comments", [])
            now = datetime.now(UTC).isoformat()
            found = next((c for c in comments if marker in c["body"]), None)
            if found is None:
                found = {"id": max((c["id"] for c in comments), default=0) + 1, "body": text, "created_at": now}
                comments.append(found)
            if found["body"] != text:
                found["body"] = text
                found["updated_at"] = now
            path.write_text(json.dumps(record, indent=2))
        return PullRequestComment(
            id=str(found["id"]), body=text, url=f"{self.base_url}/{slug}/pulls/{number}#comment-{found['id']}"
        )

    def pull_request_comments(self, slug: str, number: int) -> list[dict[str, Any]]:
        """The comments kept on a local pull request (the portal shows them; hosted providers show their own)."""
        path = self._pulls_dir(slug) / f"{number}.json"
        comments: list[dict[str, Any]] = json.loads(path.read_text()).get("comments", []) if path.exists() else []
        return comments
