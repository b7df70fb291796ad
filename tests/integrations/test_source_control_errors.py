"""What a provider's refusal means, from the headers and bodies GitHub and GitLab document."""

from __future__ import annotations

import pytest
import requests
from github import GithubException
from gitlab.exceptions import GitlabHttpError

from portal.integrations.errors import IntegrationError
from portal.integrations.source_control.github import (
    CONTENTS_WRITE,
    GitHubSourceControl,
    github_error,
    web_url_for,
)
from portal.integrations.source_control.gitlab import WRITE, GitLabSourceControl, gitlab_error
from portal.integrations.source_control.retry import NotFound, Retrier, rate_limit_delay, rate_limited

NOW = 1_700_000_000.0


@pytest.mark.parametrize(
    ("headers", "delay"),
    [
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1700000042"}, 42.0),
        ({"X-RateLimit-Remaining": "4999", "X-RateLimit-Reset": "1700000042"}, None),  # sent on every answer
        ({"retry-after": "7", "x-ratelimit-remaining": "12"}, 7.0),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "1700000010", "Retry-After": "9"}, 9.0),
        ({"RateLimit-Remaining": "0", "RateLimit-Reset": "1700000010"}, 10.0),
        ({"x-ratelimit-remaining": "0", "x-ratelimit-reset": "1699999990"}, 0.0),  # already reset
        ({}, None),
    ],
)
def test_it_reads_when_a_rate_limit_resets(headers: dict[str, str], delay: float | None) -> None:
    assert rate_limit_delay(headers, NOW) == delay


def _github(status: int, data: object, headers: dict[str, str] | None = None) -> IntegrationError:
    return github_error(GithubException(status, data, headers or {}), CONTENTS_WRITE, NOW)


def test_a_github_403_with_quota_left_is_a_missing_permission() -> None:
    headers = {"x-ratelimit-remaining": "4999", "x-ratelimit-reset": "1700003600", "x-accepted-oauth-scopes": "repo"}
    error = _github(403, {"message": "Must have admin rights to Repository."}, headers)
    assert error.permanent
    assert "Contents: write" in error.message
    assert "GitHub asks for repo" in error.message


def test_a_github_secondary_rate_limit_without_headers_waits_a_minute() -> None:
    error = _github(403, {"message": "You have exceeded a secondary rate limit. Please wait a few minutes."})
    assert (error.permanent, error.retry_after) == (False, 60.0)


def test_github_422_reasons_are_kept() -> None:
    errors = [
        {"resource": "Repository", "code": "custom", "field": "name", "message": "name already exists on this account"}
    ]
    error = _github(422, {"message": "Repository creation failed.", "errors": errors})
    assert error.permanent
    assert "name already exists on this account" in error.message


def test_a_github_branch_that_moved_meanwhile_is_worth_retrying() -> None:
    assert not _github(422, {"message": "Update is not a fast forward"}).permanent


@pytest.mark.parametrize("status", [500, 502, 503])
def test_github_server_errors_are_worth_retrying(status: int) -> None:
    assert not _github(status, {"message": "Server Error"}).permanent


def test_github_empty_repository_reads_as_nothing() -> None:
    assert isinstance(_github(409, {"message": "Git Repository is empty."}), NotFound)


def test_an_unreachable_github_is_worth_retrying() -> None:
    error = github_error(requests.ConnectionError("refused"), CONTENTS_WRITE, NOW)
    assert (error.permanent, error.retry_after) == (False, None)


def _gitlab(status: int, body: bytes) -> IntegrationError:
    return gitlab_error(GitlabHttpError("x", status, body), WRITE)


def test_a_gitlab_403_without_scope_names_the_role() -> None:
    error = _gitlab(403, b'{"message":"403 Forbidden"}')
    assert error.permanent
    assert "Developer role" in error.message


def test_a_gitlab_insufficient_scope_names_the_scope() -> None:
    body = b'{"error":"insufficient_scope","error_description":"Needs more.","scope":"api"}'
    assert "the 'api' scope" in _gitlab(403, body).message


def test_gitlab_field_errors_are_spelled_out() -> None:
    error = _gitlab(400, b'{"message":{"name":["has already been taken"],"path":["has already been taken"]}}')
    assert error.message == "GitLab refused the request (400 name has already been taken; path has already been taken)."


def test_gitlab_server_errors_are_worth_retrying() -> None:
    assert not _gitlab(502, b"<html>Bad gateway</html>").permanent


@pytest.mark.parametrize(
    ("api", "web"),
    [
        ("https://api.github.com", "https://github.com"),
        ("https://ghe.example.com/api/v3", "https://ghe.example.com"),
        ("http://127.0.0.1:8080/api/v3/", "http://127.0.0.1:8080"),
    ],
)
def test_github_is_browsed_where_its_api_says(api: str, web: str) -> None:
    assert web_url_for(api) == web
    assert GitHubSourceControl(token="t", api_url=api).base_url == web


def test_a_missing_token_is_named_at_start() -> None:
    with pytest.raises(IntegrationError, match="GITHUB_TOKEN"):
        GitHubSourceControl(token="")
    with pytest.raises(IntegrationError, match="GITLAB_TOKEN"):
        GitLabSourceControl(token="")


def test_rate_limits_are_waited_out_only_within_max_wait_in_all() -> None:
    sleeps: list[float] = []
    retrier = Retrier(errors=(ValueError,), sleep=sleeps.append, max_wait=60.0, attempts=5)

    def limited() -> None:
        raise ValueError("limited")

    with pytest.raises(IntegrationError) as exc:
        retrier.call(limited, lambda error: rate_limited("GitHub", 40.0))
    assert sleeps == [40.0]  # a second 40 s wait would pass 60 s
    assert (exc.value.permanent, exc.value.retry_after) == (False, 40.0)
    assert isinstance(exc.value.__cause__, ValueError)
