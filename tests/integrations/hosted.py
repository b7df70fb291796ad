"""GitHub and GitLab adapters wired to their fakes on a local server, with a fixed clock and a recording sleep."""

from __future__ import annotations

from dataclasses import dataclass, field

from portal.integrations.source_control.github import GitHubSourceControl
from portal.integrations.source_control.gitlab import GitLabSourceControl
from tests.integrations import fake_github, fake_gitlab
from tests.integrations.fake_http import FakeServer

NOW = 1_700_000_000.0
PROVIDERS = ("github", "gitlab")


def clock() -> float:
    return NOW


@dataclass
class Hosted:
    sc: GitHubSourceControl | GitLabSourceControl
    server: FakeServer
    fake: fake_github.FakeGitHub | fake_gitlab.FakeGitLab
    sleeps: list[float] = field(default_factory=list)

    def writes(self) -> list[tuple[str, str]]:
        return [call for call in self.server.calls if call[0] != "GET"]


def hosted(provider: str, *, token: str = "") -> Hosted:
    """Start a fake provider and an adapter that talks to it; close it with .server.close()."""
    sleeps: list[float] = []
    if provider == "github":
        github = fake_github.FakeGitHub(clock=clock)
        server = FakeServer(github)
        github.base = server.url
        sc: GitHubSourceControl | GitLabSourceControl = GitHubSourceControl(
            token=token or fake_github.TOKEN, api_url=f"{server.url}/api/v3", sleep=sleeps.append, clock=clock
        )
        return Hosted(sc, server, github, sleeps)
    gitlab = fake_gitlab.FakeGitLab(clock=clock)
    server = FakeServer(gitlab)
    gitlab.base = server.url
    sc = GitLabSourceControl(token=token or fake_gitlab.TOKEN, url=server.url, sleep=sleeps.append, clock=clock)
    return Hosted(sc, server, gitlab, sleeps)
