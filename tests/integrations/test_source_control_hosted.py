"""GitHub and GitLab adapters against their fakes when things go wrong: refusals, rate limits, cut connections."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.remote import blob_sha
from tests.integrations.fake_github import FakeGitHub
from tests.integrations.hosted import PROVIDERS, Hosted, hosted

NEEDS = {"github": "Administration: write", "gitlab": "'api' scope"}
CREATE_PATH = {"github": r"/orgs/acme/repos$", "gitlab": r"/api/v4/projects$"}
COMMIT_PATH = {"github": r"/git/commits$", "gitlab": r"/repository/commits$"}


@pytest.fixture(params=PROVIDERS)
def remote(request: pytest.FixtureRequest) -> Iterator[Hosted]:
    fake = hosted(request.param)
    yield fake
    fake.server.close()


def _tree(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text)
    return root


def _seeded(remote: Hosted, tmp_path: Path) -> None:
    remote.sc.repository_create("acme/ledger")
    remote.sc.commit_tree("acme/ledger", "main", root=_tree(tmp_path / "a", {"a.txt": "a"}), message="a", replace=True)


def test_a_repeated_push_only_reads(remote: Hosted, tmp_path: Path) -> None:
    _seeded(remote, tmp_path)
    writes = len(remote.writes())
    remote.sc.commit_tree("acme/ledger", "main", root=tmp_path / "a", message="a", replace=True)
    assert len(remote.writes()) == writes


def test_permission_denied_is_permanent_and_names_what_the_token_lacks(remote: Hosted) -> None:
    provider = remote.sc.provider
    remote.server.fail("denied", method="POST", path=CREATE_PATH[provider])
    with pytest.raises(IntegrationError, match=NEEDS[provider]) as exc:
        remote.sc.repository_create("acme/ledger")
    assert exc.value.permanent
    assert remote.sleeps == []


def test_a_bad_token_is_permanent_and_never_quoted(tmp_path: Path) -> None:
    for provider in PROVIDERS:
        fake = hosted(provider, token="not-the-token")
        with pytest.raises(IntegrationError, match="rejected the token") as exc:
            fake.sc.repository_create("acme/ledger")
        fake.server.close()
        assert exc.value.permanent
        assert "not-the-token" not in exc.value.message


@pytest.mark.parametrize("kind", ["rate_limited", "retry_after"])
def test_a_rate_limit_that_resets_soon_is_waited_out(remote: Hosted, tmp_path: Path, kind: str) -> None:
    _seeded(remote, tmp_path)
    remote.server.fail(kind, method="POST", path=COMMIT_PATH[remote.sc.provider], reset_in=30)
    root = _tree(tmp_path / "b", {"b.txt": "b"})
    remote.sc.commit_tree("acme/ledger", "main", root=root, message="b", replace=False)
    assert remote.sleeps == [30.0]
    assert remote.sc.commit_messages("acme/ledger", "main") == ["b", "a"]


def test_a_rate_limit_that_resets_late_is_left_to_the_caller(remote: Hosted) -> None:
    remote.server.fail("rate_limited", method="POST", path=CREATE_PATH[remote.sc.provider], reset_in=3600)
    with pytest.raises(IntegrationError, match="rate limit") as exc:
        remote.sc.repository_create("acme/ledger")
    assert (exc.value.permanent, exc.value.retry_after) == (False, 3600.0)
    assert remote.sleeps == []
    assert remote.sc.repository_create("acme/ledger").slug == "acme/ledger"


def test_waiting_out_rate_limits_stops_after_three_tries(remote: Hosted) -> None:
    for _ in range(3):
        remote.server.fail("retry_after", method="POST", path=CREATE_PATH[remote.sc.provider], reset_in=5)
    with pytest.raises(IntegrationError, match="rate limit") as exc:
        remote.sc.repository_create("acme/ledger")
    assert (exc.value.permanent, exc.value.retry_after) == (False, 5.0)
    assert remote.sleeps == [5.0, 5.0]


def test_a_server_error_is_worth_retrying(remote: Hosted) -> None:
    remote.server.fail("server_error", method="GET")
    with pytest.raises(IntegrationError, match="failed") as exc:
        remote.sc.repository_get("acme/ledger")
    assert (exc.value.permanent, exc.value.retry_after) == (False, None)
    assert remote.sc.repository_get("acme/ledger") is None


def _first_push(sc: Hosted, tmp_path: Path) -> Callable[[], str]:
    """The scaffolder's push: a new, empty repository gets its whole tree on main."""
    sc.sc.repository_create("acme/ledger")
    root = _tree(tmp_path / "first", {"README.md": "hi\n", "src/app.py": "print(1)\n"})
    return lambda: sc.sc.commit_tree("acme/ledger", "main", root=root, message="init", replace=True)


def _branch_push(sc: Hosted, tmp_path: Path) -> Callable[[], str]:
    """The GitOps change: a new branch from main with one file laid over it."""
    _seeded(sc, tmp_path)
    root = _tree(tmp_path / "branch", {"apps/ledger.yaml": "kind: X\n"})
    return lambda: sc.sc.commit_tree(
        "acme/ledger", "scaffold/ledger", root=root, message="add", base_branch="main", replace=False
    )


PUSHES = {"first": (_first_push, "main", ["init"]), "branch": (_branch_push, "scaffold/ledger", ["add", "a"])}


@pytest.mark.parametrize("provider", PROVIDERS)
@pytest.mark.parametrize("push_name", PUSHES)
@pytest.mark.parametrize("kind", ["drop", "drop_after"])
def test_a_push_cut_at_any_call_resumes_without_a_duplicate_commit(
    provider: str, push_name: str, kind: str, tmp_path: Path
) -> None:
    prepare, branch, messages = PUSHES[push_name]
    probe = hosted(provider)
    push = prepare(probe, tmp_path / "probe")
    before = len(probe.server.calls)
    expected = push()
    calls = len(probe.server.calls) - before
    files = probe.sc.file_list("acme/ledger", branch)
    probe.server.close()
    for nth in range(1, calls + 1):
        fake = hosted(provider)
        push = prepare(fake, tmp_path / f"{nth}")
        fake.server.fail(kind, nth=nth)
        with pytest.raises(IntegrationError, match="could not be reached") as exc:
            push()
        assert not exc.value.permanent
        head = push()  # the caller's retry completes it
        assert fake.sc.commit_messages("acme/ledger", branch) == messages, f"cut at call {nth}"
        assert fake.sc.file_list("acme/ledger", branch) == files
        assert push() == head == fake.sc.branch_head("acme/ledger", branch)
        fake.server.close()
    assert expected


PULLS_PATH = {"github": r"/pulls$", "gitlab": r"/merge_requests$"}
PULL = {"source_branch": "scaffold/ledger", "target_branch": "main", "title": "Add ledger", "body": ""}


def _with_branch(remote: Hosted, tmp_path: Path) -> None:
    _branch_push(remote, tmp_path)()


def test_a_pull_request_whose_answer_was_lost_is_found_not_opened_again(remote: Hosted, tmp_path: Path) -> None:
    _with_branch(remote, tmp_path)
    remote.server.fail("drop_after", method="POST", path=PULLS_PATH[remote.sc.provider])
    with pytest.raises(IntegrationError, match="could not be reached"):
        remote.sc.pull_request_open("acme/ledger", **PULL)
    pull = remote.sc.pull_request_open("acme/ledger", **PULL)
    assert pull.number == 1
    assert remote.sc.pull_request_get("acme/ledger", 2) is None


def test_a_pull_request_opened_meanwhile_is_returned(
    remote: Hosted, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _with_branch(remote, tmp_path)
    first = remote.sc.pull_request_open("acme/ledger", **PULL)
    name = "_pull_open_find" if remote.sc.provider == "github" else "_merge_request_open_find"
    find, looks = getattr(remote.sc, name), []

    def blind_at_first(*args: object) -> object:
        looks.append(args)  # another run opens it between this look and our create
        return None if len(looks) == 1 else find(*args)

    monkeypatch.setattr(remote.sc, name, blind_at_first)
    assert remote.sc.pull_request_open("acme/ledger", **PULL) == first
    assert len(looks) == 2


def test_github_reads_a_file_too_large_for_the_contents_api_from_its_blob(tmp_path: Path) -> None:
    fake = hosted("github")
    assert isinstance(fake.fake, FakeGitHub)
    fake.fake.content_limit = 4
    _seeded(fake, tmp_path)
    fake.sc.commit_tree(
        "acme/ledger", "main", root=_tree(tmp_path / "b", {"big.txt": "0123456789"}), message="b", replace=False
    )
    assert fake.sc.file_read("acme/ledger", "main", "big.txt") == b"0123456789"
    assert ("GET", "/api/v3/repos/acme/ledger/git/blobs/" + blob_sha(b"0123456789")) in fake.server.calls
    fake.server.close()


def test_executable_bits_survive_and_change(remote: Hosted, tmp_path: Path) -> None:
    remote.sc.repository_create("acme/job")
    root = _tree(tmp_path / "a", {"run.sh": "#!/bin/sh\n"})
    (root / "run.sh").chmod(0o755)
    first = remote.sc.commit_tree("acme/job", "main", root=root, message="init", replace=True)
    assert _mode(remote, "acme/job", "run.sh") == "100755"
    (root / "run.sh").chmod(0o644)
    second = remote.sc.commit_tree("acme/job", "main", root=root, message="not executable", replace=True)
    assert second != first
    assert _mode(remote, "acme/job", "run.sh") == "100644"


def _mode(remote: Hosted, slug: str, path: str) -> str:
    repos = getattr(remote.fake, "repos", None) or getattr(remote.fake, "projects", {})
    git = repos[slug].git
    return git.files(git.commits[git.branches["main"]].tree)[path].mode


def test_a_repository_can_belong_to_the_token_user_rather_than_a_group(remote: Hosted) -> None:
    repo = remote.sc.repository_create("portal-bot/tools", description="Mine")
    assert (repo.slug, repo.description) == ("portal-bot/tools", "Mine")
    with pytest.raises(IntegrationError, match="already exists"):
        remote.sc.repository_create("portal-bot/tools")
