"""The source-control contract on the local implementation (bare git repositories on disk)."""

from __future__ import annotations

from pathlib import Path

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.local import LocalGit


@pytest.fixture
def sc(tmp_path: Path) -> LocalGit:
    return LocalGit(root=str(tmp_path / "git"), base_url="http://portal.test/scm")


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def test_it_creates_a_repository_once(sc: LocalGit) -> None:
    repo = sc.repository_create("acme/ledger", description="Ledger")
    assert (repo.slug, repo.default_branch, repo.url) == ("acme/ledger", "main", "http://portal.test/scm/acme/ledger")
    assert sc.repository_get("acme/ledger") == repo
    with pytest.raises(IntegrationError, match="already exists") as exc:
        sc.repository_create("acme/ledger")
    assert exc.value.permanent


@pytest.mark.parametrize("slug", ["ledger", "acme/../etc", "Acme/Ledger", "acme/ledger/x", "/abs/x"])
def test_it_rejects_unsafe_repository_names(sc: LocalGit, slug: str) -> None:
    with pytest.raises(IntegrationError):
        sc.repository_create(slug)


def test_committing_the_same_tree_twice_makes_one_commit(sc: LocalGit, tmp_path: Path) -> None:
    sc.repository_create("acme/ledger")
    root = _tree(tmp_path / "a", {"README.md": "hi\n", "src/app.py": "print(1)\n"})
    first = sc.commit_tree("acme/ledger", "main", root=root, message="init", replace=True)
    again = sc.commit_tree("acme/ledger", "main", root=root, message="init", replace=True)
    assert first == again
    assert sc.commit_messages("acme/ledger", "main") == ["init"]
    assert sc.file_list("acme/ledger", "main") == ["README.md", "src/app.py"]
    assert sc.file_read("acme/ledger", "main", "src/app.py") == b"print(1)\n"


def test_overlay_keeps_files_and_replace_drops_them(sc: LocalGit, tmp_path: Path) -> None:
    sc.repository_create("acme/ledger")
    sc.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", {"a.txt": "a"}), message="a", replace=True)
    sc.commit_tree(
        "acme/ledger",
        "feature",
        root=_tree(tmp_path / "b", {"b.txt": "b"}),
        message="b",
        base_branch="main",
        replace=False,
    )
    assert sc.file_list("acme/ledger", "feature") == ["a.txt", "b.txt"]
    assert sc.file_list("acme/ledger", "main") == ["a.txt"]
    sc.commit_tree("acme/ledger", "main", root=tmp_path / "b", message="replace", replace=True)
    assert sc.file_list("acme/ledger", "main") == ["b.txt"]


def test_pull_requests_are_opened_once_per_branch_and_show_their_diff(sc: LocalGit, tmp_path: Path) -> None:
    sc.repository_create("platform/gitops")
    sc.commit_tree(
        "platform/gitops", "main", root=_tree(tmp_path / "a", {"README.md": "apps\n"}), message="init", replace=True
    )
    sc.commit_tree(
        "platform/gitops",
        "add-ledger",
        root=_tree(tmp_path / "b", {"apps/ledger.yaml": "kind: X\n"}),
        message="add",
        base_branch="main",
        replace=False,
    )
    pull = sc.pull_request_open(
        "platform/gitops", source_branch="add-ledger", target_branch="main", title="Add", body=""
    )
    same = sc.pull_request_open(
        "platform/gitops", source_branch="add-ledger", target_branch="main", title="Add", body=""
    )
    assert pull == same
    assert (pull.number, pull.state, pull.url) == (1, "open", "http://portal.test/scm/platform/gitops/pulls/1")
    assert "+kind: X" in sc.pull_request_diff("platform/gitops", 1)
    assert sc.pull_request_get("platform/gitops", 2) is None


def test_executable_bits_survive(sc: LocalGit, tmp_path: Path) -> None:
    sc.repository_create("acme/job")
    root = _tree(tmp_path / "a", {"run.sh": "#!/bin/sh\n"})
    (root / "run.sh").chmod(0o755)
    sc.commit_tree("acme/job", "main", root=root, message="init", replace=True)
    assert "100755" in sc._git("acme/job", "ls-tree", "main", "run.sh")
