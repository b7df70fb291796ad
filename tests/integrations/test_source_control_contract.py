"""One behavioural suite for every source-control implementation: local git, GitHub and GitLab (on their fakes)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.base import SourceControl
from portal.integrations.source_control.local import LocalGit
from tests.integrations import fake_github
from tests.integrations.hosted import PROVIDERS, Hosted, hosted

_HOSTED: dict[int, Hosted] = {}  # adapter id -> its fake, for reading what the provider holds


@pytest.fixture(params=["local", *PROVIDERS])
def scm(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SourceControl]:
    if request.param == "local":
        yield LocalGit(root=str(tmp_path / "git"), base_url="http://portal.test/scm")
        return
    fake = hosted(request.param)
    _HOSTED[id(fake.sc)] = fake
    yield fake.sc
    fake.server.close()
    del _HOSTED[id(fake.sc)]


def _tree(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        data = content.encode() if isinstance(content, str) else content
        (root / name).write_bytes(data)
    return root


def test_it_creates_a_repository_once(scm: SourceControl) -> None:
    repo = scm.repository_create("acme/ledger", description="Ledger")
    base_url = scm.base_url  # type: ignore[attr-defined]
    assert (repo.slug, repo.default_branch, repo.url) == ("acme/ledger", "main", f"{base_url}/acme/ledger")
    assert repo.description == "Ledger"
    assert scm.repository_get("acme/ledger") == repo
    with pytest.raises(IntegrationError, match="already exists") as exc:
        scm.repository_create("acme/ledger")
    assert exc.value.permanent


def test_what_does_not_exist_reads_as_nothing(scm: SourceControl) -> None:
    assert scm.repository_get("acme/nothing") is None
    scm.repository_create("acme/ledger")
    assert scm.branch_head("acme/ledger", "main") is None
    assert scm.commit_messages("acme/ledger", "main") == []
    assert scm.file_list("acme/ledger", "main") == []
    assert scm.file_read("acme/ledger", "main", "README.md") is None
    assert scm.pull_request_get("acme/ledger", 1) is None


@pytest.mark.parametrize("slug", ["ledger", "acme/../etc", "/abs/x", "acme/led ger"])
def test_it_rejects_unsafe_repository_names(scm: SourceControl, slug: str) -> None:
    with pytest.raises(IntegrationError):
        scm.repository_create(slug)


def test_it_rejects_unsafe_branch_names(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    with pytest.raises(IntegrationError, match="branch"):
        scm.commit_tree("acme/ledger", "../main", root=_tree(tmp_path / "a", {"a": "a"}), message="m", replace=True)


def test_committing_the_same_tree_twice_makes_one_commit(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    root = _tree(tmp_path / "a", {"README.md": "hi\n", "src/app.py": "print(1)\n"})
    first = scm.commit_tree("acme/ledger", "main", root=root, message="init", replace=True)
    again = scm.commit_tree("acme/ledger", "main", root=root, message="init", replace=True)
    assert first == again == scm.branch_head("acme/ledger", "main")
    assert scm.commit_messages("acme/ledger", "main") == ["init"]
    assert scm.file_list("acme/ledger", "main") == ["README.md", "src/app.py"]
    assert scm.file_list("acme/ledger", first) == ["README.md", "src/app.py"]
    assert scm.file_read("acme/ledger", "main", "src/app.py") == b"print(1)\n"


def test_a_folder_is_not_a_file(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    scm.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", {"src/app.py": "1"}), message="m", replace=True)
    assert scm.file_read("acme/ledger", "main", "src") is None


def test_overlay_keeps_files_and_replace_drops_them(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    scm.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", {"a.txt": "a"}), message="a", replace=True)
    scm.commit_tree(
        "acme/ledger",
        "feature",
        root=_tree(tmp_path / "b", {"b.txt": "b"}),
        message="b",
        base_branch="main",
        replace=False,
    )
    assert scm.file_list("acme/ledger", "feature") == ["a.txt", "b.txt"]
    assert scm.file_list("acme/ledger", "main") == ["a.txt"]
    assert scm.commit_messages("acme/ledger", "feature") == ["b", "a"]
    scm.commit_tree("acme/ledger", "main", root=tmp_path / "b", message="replace", replace=True)
    assert scm.file_list("acme/ledger", "main") == ["b.txt"]
    assert scm.commit_messages("acme/ledger", "main", limit=1) == ["replace"]


def test_a_new_branch_with_nothing_new_points_at_its_base(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    root = _tree(tmp_path / "a", {"a.txt": "a"})
    main = scm.commit_tree("acme/ledger", "main", root=root, message="a", replace=True)
    same = scm.commit_tree("acme/ledger", "copy", root=root, message="again", base_branch="main", replace=False)
    assert same == main == scm.branch_head("acme/ledger", "copy")


def test_files_change_in_place_and_binary_files_survive(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("acme/ledger")
    logo = bytes(range(256)) * 4  # not UTF-8
    scm.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", {"a.txt": "one"}), message="1", replace=True)
    root = _tree(tmp_path / "b", {"a.txt": "two", "img/logo.png": logo})
    scm.commit_tree("acme/ledger", "main", root=root, message="2", replace=False)
    assert scm.file_read("acme/ledger", "main", "a.txt") == b"two"
    assert scm.file_read("acme/ledger", "main", "img/logo.png") == logo
    assert scm.commit_messages("acme/ledger", "main") == ["2", "1"]


def test_pull_requests_are_opened_once_per_branch(scm: SourceControl, tmp_path: Path) -> None:
    scm.repository_create("platform/gitops")
    scm.commit_tree(
        "platform/gitops", "main", root=_tree(tmp_path / "a", {"README.md": "apps\n"}), message="init", replace=True
    )
    scm.commit_tree(
        "platform/gitops",
        "scaffold/ledger",
        root=_tree(tmp_path / "b", {"apps/ledger.yaml": "kind: X\n"}),
        message="add",
        base_branch="main",
        replace=False,
    )
    opened = {"source_branch": "scaffold/ledger", "target_branch": "main", "title": "Add ledger", "body": "Why"}
    pull = scm.pull_request_open("platform/gitops", **opened)
    same = scm.pull_request_open("platform/gitops", **opened)
    assert pull == same
    assert (pull.number, pull.state, pull.title) == (1, "open", "Add ledger")
    assert (pull.source_branch, pull.target_branch) == ("scaffold/ledger", "main")
    assert scm.pull_request_get("platform/gitops", 1) == pull
    assert scm.pull_request_get("platform/gitops", 2) is None
    assert scm.file_read("platform/gitops", "scaffold/ledger", "apps/ledger.yaml") == b"kind: X\n"


def _pull_with_changes(scm: SourceControl, tmp_path: Path) -> int:
    """main holds three files; feature edits one, adds a migration and a binary file, and deletes one."""
    scm.repository_create("acme/ledger")
    base: dict[str, str | bytes] = {"README.md": "ledger\n", "app.py": "a = 1\nb = 2\nc = 3\n", "old.txt": "bye\n"}
    scm.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", base), message="init", replace=True)
    feature: dict[str, str | bytes] = {
        "README.md": "ledger\n",
        "app.py": "a = 1\nb = 20\nc = 3\nd = 4\n",
        "migrations/0002_add.py": "x = 1\ny = 2\n",
        "logo.png": bytes(range(256)),
    }
    root = _tree(tmp_path / "b", feature)
    scm.commit_tree("acme/ledger", "feature", root=root, message="change", base_branch="main", replace=True)
    pull = scm.pull_request_open(
        "acme/ledger", source_branch="feature", target_branch="main", title="Change", body="Why"
    )
    return pull.number


def test_a_pull_requests_files_come_with_lines_added_and_removed(scm: SourceControl, tmp_path: Path) -> None:
    number = _pull_with_changes(scm, tmp_path)
    files = {(f.path, f.status, f.additions, f.deletions) for f in scm.pull_request_files("acme/ledger", number)}
    assert files == {
        ("app.py", "modified", 2, 1),
        ("logo.png", "added", 0, 0),
        ("migrations/0002_add.py", "added", 2, 0),
        ("old.txt", "removed", 0, 1),
    }
    head = scm.pull_request_get("acme/ledger", number)
    assert head is not None
    assert head.head_sha == scm.branch_head("acme/ledger", "feature")


def test_a_sticky_comment_is_posted_once_then_edited_in_place(scm: SourceControl, tmp_path: Path) -> None:
    number = _pull_with_changes(scm, tmp_path)
    marker = "<!-- portal:change-risk -->"
    first = scm.pull_request_comment_upsert("acme/ledger", number, marker=marker, body="Risk: low")
    assert first.body == f"{marker}\nRisk: low"
    other = scm.pull_request_comment_upsert("acme/ledger", number, marker="<!-- other -->", body="Unrelated")
    again = scm.pull_request_comment_upsert("acme/ledger", number, marker=marker, body="Risk: high")
    assert again.id == first.id != other.id
    assert again.body == f"{marker}\nRisk: high"
    assert _comment_bodies(scm, number) == sorted([f"{marker}\nRisk: high", "<!-- other -->\nUnrelated"])


def _comment_bodies(scm: SourceControl, number: int) -> list[str]:
    """What the provider itself holds (each fake's records; local git's pull-request record)."""
    if isinstance(scm, LocalGit):
        return sorted(c["body"] for c in scm.pull_request_comments("acme/ledger", number))
    provider = _HOSTED[id(scm)].fake
    if isinstance(provider, fake_github.FakeGitHub):
        return sorted(c["body"] for c in provider.repos["acme/ledger"].comments)
    return sorted(n["body"] for n in provider.projects["acme/ledger"].notes)
