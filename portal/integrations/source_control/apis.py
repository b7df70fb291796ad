"""Browse the local provider's repositories and pull requests (GitHub and GitLab have their own UIs)."""

from __future__ import annotations

from dataclasses import asdict

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from portal.core.errors import ApplicationError, NotFound
from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import source_control
from portal.integrations.source_control.local import LocalGit


def _local() -> LocalGit:
    sc = source_control()
    if not isinstance(sc, LocalGit):
        raise NotFound("Repositories are browsed in the configured provider's own UI.")
    return sc


class RepositoryApi(APIView):
    @extend_schema(operation_id="scm_repository_files", tags=["scm"], responses={200: dict})
    def get(self, request: Request, owner: str, name: str) -> Response:
        sc = _local()
        slug = f"{owner}/{name}"
        try:
            repo = sc.repository_get(slug)
        except IntegrationError as exc:
            raise ApplicationError(exc.message, fields={"repository": ["invalid"]}) from exc
        if repo is None:
            raise NotFound(f"No repository {slug}.")
        ref = request.query_params.get("ref", repo.default_branch)
        return Response(
            {
                "slug": slug,
                "default_branch": repo.default_branch,
                "ref": ref,
                "head": sc.branch_head(slug, ref),
                "files": sc.file_list(slug, ref),
            }
        )


class RepositoryFileApi(APIView):
    @extend_schema(operation_id="scm_repository_file", tags=["scm"], responses={(200, "text/plain"): str})
    def get(self, request: Request, owner: str, name: str, file_path: str) -> HttpResponse:
        sc = _local()
        slug = f"{owner}/{name}"
        repo = sc.repository_get(slug)
        if repo is None:
            raise NotFound(f"No repository {slug}.")
        data = sc.file_read(slug, request.query_params.get("ref", repo.default_branch), file_path)
        if data is None:
            raise NotFound(f"No file {file_path} in {slug}.")
        return HttpResponse(data, content_type="text/plain; charset=utf-8")


class PullRequestApi(APIView):
    @extend_schema(operation_id="scm_pull_request", tags=["scm"], responses={200: dict})
    def get(self, request: Request, owner: str, name: str, number: int) -> Response:
        sc = _local()
        slug = f"{owner}/{name}"
        pull = sc.pull_request_get(slug, number) if sc.repository_get(slug) else None
        if pull is None:
            raise NotFound(f"No pull request {number} in {slug}.")
        return Response(
            {
                "number": pull.number,
                "title": pull.title,
                "state": pull.state,
                "source_branch": pull.source_branch,
                "target_branch": pull.target_branch,
                "head_sha": pull.head_sha,
                "files": sc.file_list(slug, f"refs/heads/{pull.source_branch}"),
                "changed_files": [asdict(f) for f in sc.pull_request_files(slug, number)],
                "diff": sc.pull_request_diff(slug, number),
                "comments": sc.pull_request_comments(slug, number),
            }
        )
