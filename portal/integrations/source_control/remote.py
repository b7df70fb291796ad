"""What the hosted adapters share: safe names, and a folder's files as git sees them."""

from __future__ import annotations

import hashlib
import os
import re
from dataclasses import dataclass
from pathlib import Path

from portal.integrations.errors import IntegrationError

SEGMENT = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,99}$")
BRANCH = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,200}$")
COMMIT_SHA = re.compile(r"^[0-9a-f]{40}$")


@dataclass(frozen=True)
class Entry:
    """A file in a git tree: its mode (100644, 100755) and its blob id."""

    mode: str
    sha: str


@dataclass(frozen=True)
class LocalFile:
    path: str
    mode: str
    sha: str
    data: bytes


def slug_split(slug: str, *, max_depth: int = 1) -> tuple[str, str]:
    """Split "owner/name" (GitLab: "group/subgroup/name") into namespace and name, refusing unsafe parts."""
    parts = slug.split("/")
    if not 2 <= len(parts) <= max_depth + 1 or not all(SEGMENT.match(part) for part in parts):
        raise IntegrationError(f"'{slug}' is not a valid repository name (owner/name).")
    return "/".join(parts[:-1]), parts[-1]


def branch_check(branch: str) -> str:
    """The branch name, when git and the provider's URLs accept it."""
    if not BRANCH.match(branch) or ".." in branch or branch.endswith(("/", ".lock")) or "//" in branch:
        raise IntegrationError(f"'{branch}' is not a valid branch name.")
    return branch


def path_check(path: str) -> str:
    """The file path, when it stays inside the repository (it becomes part of a URL)."""
    parts = path.split("/")
    if not path or any(part in ("", ".", "..") for part in parts) or "\\" in path:
        raise IntegrationError(f"'{path}' is not a valid file path.")
    return path


def blob_sha(data: bytes) -> str:
    """The id git gives a file's content (the same on every host)."""
    return hashlib.sha1(b"blob %d\0" % len(data) + data, usedforsecurity=False).hexdigest()


def local_files(root: Path) -> dict[str, LocalFile]:
    """Every file under root, keyed by its path in the repository."""
    files = {}
    for path in sorted(p for p in root.rglob("*") if p.is_file() and ".git" not in p.relative_to(root).parts):
        data = path.read_bytes()
        name = path.relative_to(root).as_posix()
        mode = "100755" if os.access(path, os.X_OK) else "100644"
        files[name] = LocalFile(path=name, mode=mode, sha=blob_sha(data), data=data)
    return files


def tree_wanted(parent: dict[str, Entry], files: dict[str, LocalFile], *, replace: bool) -> dict[str, Entry]:
    """The files the new commit holds: exactly `files` with replace, else `files` laid over the parent's."""
    wanted = {} if replace else dict(parent)
    wanted.update({path: Entry(mode=f.mode, sha=f.sha) for path, f in files.items()})
    return wanted


def marked(marker: str, body: str) -> str:
    """The comment body with its hidden marker at the top (once)."""
    if not marker.strip():
        raise IntegrationError("A sticky comment needs a marker, for example '<!-- portal:change-risk -->'.")
    return body if marker in body else f"{marker}\n{body}"


def diff_line_counts(diff: str) -> tuple[int, int]:
    """Lines added and removed in a unified diff's hunks; file headers before the first @@ are not counted."""
    additions = deletions = 0
    in_hunk = False
    for line in diff.splitlines():
        if line.startswith("diff --git "):
            in_hunk = False
        elif line.startswith("@@"):
            in_hunk = True
        elif in_hunk and line.startswith("+"):
            additions += 1
        elif in_hunk and line.startswith("-"):
            deletions += 1
    return additions, deletions
