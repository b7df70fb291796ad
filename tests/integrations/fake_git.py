"""A git object store in memory, hashing blobs, trees and commits exactly as git does, for the hosted fakes."""

from __future__ import annotations

import difflib
import hashlib
from dataclasses import dataclass, field

from portal.integrations.source_control.remote import Entry, blob_sha

TREE_MODE = "040000"  # how GitHub and GitLab spell a folder's mode; git writes "40000"


@dataclass(frozen=True)
class Commit:
    sha: str
    tree: str
    parents: tuple[str, ...]
    message: str
    when: int


@dataclass
class Repo:
    """One repository's objects and branches."""

    blobs: dict[str, bytes] = field(default_factory=dict)
    trees: dict[str, list[tuple[str, str, str]]] = field(default_factory=dict)  # sha -> [(mode, name, sha)]
    commits: dict[str, Commit] = field(default_factory=dict)
    branches: dict[str, str] = field(default_factory=dict)
    clock: int = 1_700_000_000

    @property
    def empty(self) -> bool:
        return not self.branches

    def blob_put(self, data: bytes) -> str:
        sha = blob_sha(data)
        self.blobs[sha] = data
        return sha

    def tree_put(self, files: dict[str, Entry]) -> str:
        """Store the tree holding these files (nested folders included); return its id."""
        here: dict[str, Entry] = {}
        folders: dict[str, dict[str, Entry]] = {}
        for path, entry in files.items():
            head, _, rest = path.partition("/")
            if rest:
                folders.setdefault(head, {})[rest] = entry
            else:
                here[head] = entry
        rows = [(e.mode, name, e.sha) for name, e in here.items()]
        rows += [(TREE_MODE, name, self.tree_put(sub)) for name, sub in folders.items()]
        rows.sort(key=lambda row: row[1] + ("/" if row[0] == TREE_MODE else ""))
        body = b"".join(f"{mode.lstrip('0')} {name}".encode() + b"\0" + bytes.fromhex(sha) for mode, name, sha in rows)
        sha = _hash(b"tree", body)
        self.trees[sha] = rows
        return sha

    def files(self, tree: str, prefix: str = "") -> dict[str, Entry]:
        """Every file under a tree, by path."""
        found: dict[str, Entry] = {}
        for mode, name, sha in self.trees[tree]:
            if mode == TREE_MODE:
                found.update(self.files(sha, f"{prefix}{name}/"))
            else:
                found[f"{prefix}{name}"] = Entry(mode=mode, sha=sha)
        return found

    def listing(self, tree: str, prefix: str = "") -> list[tuple[str, str, str, str]]:
        """(path, mode, type, sha) of every entry, folders included, as a recursive tree listing shows them."""
        rows = []
        for mode, name, sha in self.trees[tree]:
            kind = "tree" if mode == TREE_MODE else "blob"
            rows.append((f"{prefix}{name}", mode, kind, sha))
            if kind == "tree":
                rows += self.listing(sha, f"{prefix}{name}/")
        return rows

    def commit_put(self, tree: str, parents: list[str], message: str) -> Commit:
        self.clock += 1  # every commit a second later, so equal trees still give distinct commits
        who = f"Portal Bot <bot@example.com> {self.clock} +0000"
        text = f"tree {tree}\n" + "".join(f"parent {p}\n" for p in parents) + f"author {who}\ncommitter {who}\n\n"
        sha = _hash(b"commit", (text + message).encode())
        commit = Commit(sha=sha, tree=tree, parents=tuple(parents), message=message, when=self.clock)
        self.commits[sha] = commit
        return commit

    def log(self, sha: str) -> list[Commit]:
        """The first-parent history from a commit, newest first."""
        history = []
        while sha:
            commit = self.commits[sha]
            history.append(commit)
            sha = commit.parents[0] if commit.parents else ""
        return history

    def resolve(self, ref: str) -> str | None:
        """A commit id for a branch name, refs/heads/<branch> or a commit id."""
        ref = ref.removeprefix("refs/heads/")
        return self.branches.get(ref) or (ref if ref in self.commits else None)

    def merge_base(self, base: str, head: str) -> str | None:
        """The newest commit of head's first-parent history that base's history holds too."""
        ancestors = {commit.sha for commit in self.log(base)}
        return next((commit.sha for commit in self.log(head) if commit.sha in ancestors), None)

    def changes(self, base: str, head: str) -> list[FileChange]:
        """What a pull request from head into base changes since they parted, per file, sorted by path."""
        start = self.merge_base(base, head)
        old = self.files(self.commits[start].tree) if start else {}
        new = self.files(self.commits[head].tree)
        found = []
        for path in sorted(set(old) | set(new)):
            before, after = old.get(path), new.get(path)
            if before == after:
                continue
            status = "added" if before is None else "removed" if after is None else "modified"
            patch = _patch(
                self.blobs[before.sha] if before else b"",
                self.blobs[after.sha] if after else b"",
            )
            found.append(FileChange(path, status, before.mode if before else "0", after.mode if after else "0", patch))
        return found


@dataclass(frozen=True)
class FileChange:
    path: str
    status: str  # added, removed, modified
    old_mode: str
    new_mode: str
    patch: str | None  # hunks only ("@@ ..."), None for a binary file

    @property
    def additions(self) -> int:
        return sum(1 for line in (self.patch or "").splitlines() if line.startswith("+"))

    @property
    def deletions(self) -> int:
        return sum(1 for line in (self.patch or "").splitlines() if line.startswith("-"))


def _patch(old: bytes, new: bytes) -> str | None:
    try:
        before, after = old.decode().splitlines(), new.decode().splitlines()
    except UnicodeDecodeError:
        return None
    lines = list(difflib.unified_diff(before, after, lineterm="", n=3))[2:]  # drop the ---/+++ header
    return "\n".join(lines) + "\n" if lines else ""


def _hash(kind: bytes, body: bytes) -> str:
    return hashlib.sha1(kind + b" %d\0" % len(body) + body, usedforsecurity=False).hexdigest()
