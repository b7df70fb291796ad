"""The part of GitLab's REST API (v4) the adapter uses, from the documented payloads.

docs.gitlab.com/api: namespaces (get), projects (get, create: 400 "has already been taken"), branches (get, create),
commits (list; create with create/update/delete/chmod actions, start_sha), repository tree, raw files, merge requests
(list, create: 409 for a second open one, get, diffs), merge request notes (list, create, update), offset
pagination, and the rate-limit (429) and scope (403) answers.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import formatdate
from typing import Any

from portal.integrations.source_control.remote import Entry
from tests.integrations.fake_git import Commit, Repo
from tests.integrations.fake_http import Request, Response, Route, route

TOKEN = "glpat-fake-token"
USER = "portal-bot"
API = "/api/v4"
P = API + "/projects/([^/]+)"


@dataclass
class GlProject:
    id: int
    namespace: dict[str, Any]
    path: str
    description: str
    visibility: str
    git: Repo = field(default_factory=Repo)
    merge_requests: list[dict[str, Any]] = field(default_factory=list)
    default_branch: str | None = None
    notes: list[dict[str, Any]] = field(default_factory=list)  # merge request notes

    @property
    def full_path(self) -> str:
        return f"{self.namespace['full_path']}/{self.path}"


class FakeGitLab:
    """GitLab with one user (portal-bot) who belongs to a few groups."""

    def __init__(
        self, *, groups: tuple[str, ...] = ("acme", "platform"), clock: Callable[[], float] = time.time
    ) -> None:
        self.base = ""  # set once the server listens
        self.clock = clock
        self.namespaces = {USER: {"id": 1, "name": USER, "path": USER, "kind": "user", "full_path": USER}}
        for number, group in enumerate(groups, start=10):
            self.namespaces[group] = {"id": number, "name": group, "path": group, "kind": "group", "full_path": group}
        self.projects: dict[str, GlProject] = {}
        self.routes = [
            Route("GET", API + "/namespaces/([^/]+)", self.namespace_get),
            Route("POST", API + "/projects", self.project_create),
            Route("GET", P, self._project(self.project_get)),
            Route("GET", P + "/repository/branches/([^/]+)", self._project(self.branch_get)),
            Route("POST", P + "/repository/branches", self._project(self.branch_create)),
            Route("GET", P + "/repository/commits", self._project(self.commits_list)),
            Route("POST", P + "/repository/commits", self._project(self.commit_create)),
            Route("GET", P + "/repository/tree", self._project(self.tree_list)),
            Route("GET", P + "/repository/files/([^/]+)/raw", self._project(self.file_raw)),
            Route("GET", P + "/merge_requests", self._project(self.merge_requests_list)),
            Route("POST", P + "/merge_requests", self._project(self.merge_request_create)),
            Route("GET", P + r"/merge_requests/(\d+)", self._project(self.merge_request_get)),
            Route("GET", P + r"/merge_requests/(\d+)/diffs", self._project(self.merge_request_diffs)),
            Route("GET", P + r"/merge_requests/(\d+)/notes", self._project(self.notes_list)),
            Route("POST", P + r"/merge_requests/(\d+)/notes", self._project(self.note_create)),
            Route("PUT", P + r"/merge_requests/(\d+)/notes/(\d+)", self._project(self.note_update)),
        ]
        self.next_note_id = 300_001

    # -- plumbing -------------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.headers.get("private-token") != TOKEN:
            return Response(401, {"message": "401 Unauthorized"})
        return route(self.routes, request)

    def _project(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        def with_project(request: Request, ident: str, *rest: str) -> Response:
            found = [p for p in self.projects.values() if ident in (str(p.id), p.full_path)]
            return handler(request, found[0], *rest) if found else _message(404, "404 Project Not Found")

        return with_project

    def denied(self, request: Request) -> Response:
        scope = "read_api" if request.method == "GET" else "api"
        body = {
            "error": "insufficient_scope",
            "error_description": "The request requires higher privileges than provided by the access token.",
            "scope": scope,
        }
        challenge = f'Bearer realm="Protected by OAuth 2.0", error="insufficient_scope", scope="{scope}"'
        return Response(403, body, {"WWW-Authenticate": challenge})

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        reset = int(self.clock()) + reset_in
        headers = {
            "RateLimit-Name": "throttle_authenticated_api",
            "RateLimit-Limit": "2000",
            "RateLimit-Observed": "2001",
            "RateLimit-Remaining": "0",
            "RateLimit-Reset": str(reset),
            "RateLimit-ResetTime": formatdate(reset, usegmt=True),
        }
        if retry_after:
            headers["Retry-After"] = str(reset_in)
        return Response(429, b"Retry later\n", headers)

    def page(self, request: Request, items: list[Any], url: str) -> Response:
        """One page, with GitLab's offset-pagination headers."""
        per_page, number = int(request.query.get("per_page", 20)), int(request.query.get("page", 1))
        chunk = items[(number - 1) * per_page : number * per_page]
        more = len(items) > number * per_page
        headers = {"x-page": str(number), "x-per-page": str(per_page), "x-next-page": str(number + 1) if more else ""}
        if more:
            query = "&".join(f"{k}={v}" for k, v in request.query.items() if k != "page")
            headers["Link"] = f'<{url}?{query}&page={number + 1}>; rel="next"'
        return Response(200, chunk, headers)

    # -- namespaces and projects ----------------------------------------------------------------------------------

    def namespace_get(self, request: Request, ident: str) -> Response:
        found = [n for n in self.namespaces.values() if ident in (str(n["id"]), n["full_path"])]
        if not found:
            return _message(404, "404 Namespace Not Found")
        return Response(200, {**found[0], "parent_id": None, "web_url": f"{self.base}/{found[0]['full_path']}"})

    def project_create(self, request: Request) -> Response:
        data = request.json()
        namespace = next((n for n in self.namespaces.values() if n["id"] == data.get("namespace_id")), None)
        namespace = namespace or self.namespaces[USER]
        path = data.get("path") or data["name"]
        if f"{namespace['full_path']}/{path}" in self.projects:
            taken = ["has already been taken"]
            return Response(400, {"message": {"project_namespace.name": taken, "name": taken, "path": taken}})
        project = GlProject(
            len(self.projects) + 100, namespace, path, data.get("description") or "", data.get("visibility", "private")
        )
        self.projects[project.full_path] = project
        return Response(201, self.project_json(project))

    def project_get(self, request: Request, project: GlProject) -> Response:
        return Response(200, self.project_json(project))

    def project_json(self, project: GlProject) -> dict[str, Any]:
        web = f"{self.base}/{project.full_path}"
        return {
            "id": project.id,
            "description": project.description or None,
            "name": project.path,
            "name_with_namespace": f"{project.namespace['name']} / {project.path}",
            "path": project.path,
            "path_with_namespace": project.full_path,
            "created_at": _date(int(self.clock())),
            "default_branch": project.default_branch,  # null while the repository is empty
            "topics": [],
            "ssh_url_to_repo": f"git@{self.base.split('//')[-1]}:{project.full_path}.git",
            "http_url_to_repo": f"{web}.git",
            "web_url": web,
            "namespace": {
                **project.namespace,
                "parent_id": None,
                "web_url": f"{self.base}/{project.namespace['full_path']}",
            },
            "empty_repo": project.git.empty,
            "archived": False,
            "visibility": project.visibility,
        }

    # -- branches, commits, files ---------------------------------------------------------------------------------

    def branch_json(self, project: GlProject, name: str) -> dict[str, Any]:
        return {
            "name": name,
            "merged": False,
            "protected": False,
            "default": name == project.default_branch,
            "developers_can_push": False,
            "developers_can_merge": False,
            "can_push": True,
            "web_url": f"{self.base}/{project.full_path}/-/tree/{name}",
            "commit": self.commit_json(project, project.git.commits[project.git.branches[name]]),
        }

    def branch_get(self, request: Request, project: GlProject, name: str) -> Response:
        if name not in project.git.branches:
            return _message(404, "404 Branch Not Found")
        return Response(200, self.branch_json(project, name))

    def branch_create(self, request: Request, project: GlProject) -> Response:
        data = {**request.query, **request.json()}
        if data["branch"] in project.git.branches:
            return _message(400, "Branch already exists")
        sha = project.git.resolve(data["ref"])
        if sha is None:
            return _message(400, "Invalid reference name: " + data["ref"])
        project.git.branches[data["branch"]] = sha
        return Response(201, self.branch_json(project, data["branch"]))

    def commit_json(self, project: GlProject, commit: Commit) -> dict[str, Any]:
        when = _date(commit.when)
        return {
            "id": commit.sha,
            "short_id": commit.sha[:8],
            "created_at": when,
            "parent_ids": list(commit.parents),
            "title": commit.message.split("\n", 1)[0],
            "message": commit.message,
            "author_name": "Portal Bot",
            "author_email": "bot@example.com",
            "authored_date": when,
            "committer_name": "Portal Bot",
            "committer_email": "bot@example.com",
            "committed_date": when,
            "trailers": {},
            "web_url": f"{self.base}/{project.full_path}/-/commit/{commit.sha}",
        }

    def commits_list(self, request: Request, project: GlProject) -> Response:
        ref = request.query.get("ref_name") or project.default_branch or ""
        sha = project.git.resolve(ref)
        if sha is None:
            return Response(200, []) if project.git.empty else _message(404, "404 Commit Not Found")
        items = [self.commit_json(project, c) for c in project.git.log(sha)]
        return self.page(request, items, f"{self.base}{API}/projects/{project.id}/repository/commits")

    def commit_create(self, request: Request, project: GlProject) -> Response:
        data = request.json()
        branch = data["branch"]
        start = project.git.branches.get(branch)
        if start is not None and (data.get("start_sha") or data.get("start_branch")):
            return _message(
                400, f"A branch called '{branch}' already exists. Switch to that branch in order to make changes"
            )
        if start is None:
            start = data.get("start_sha") or project.git.branches.get(data.get("start_branch") or "")
            if start is None and not project.git.empty:
                return _message(400, "You can only create or edit files when you are on a branch")
        files = project.git.files(project.git.commits[start].tree) if start else {}
        error = _apply(project.git, files, data.get("actions") or [])
        if error:
            return _message(400, error)
        commit = project.git.commit_put(project.git.tree_put(files), [start] if start else [], data["commit_message"])
        project.git.branches[branch] = commit.sha
        project.default_branch = project.default_branch or branch
        stats = {"additions": 0, "deletions": 0, "total": 0}
        return Response(
            201, {**self.commit_json(project, commit), "stats": stats, "status": None, "project_id": project.id}
        )

    def tree_list(self, request: Request, project: GlProject) -> Response:
        sha = project.git.resolve(request.query.get("ref") or project.default_branch or "")
        if sha is None:
            return _message(404, "404 Tree Not Found")
        tree = project.git.commits[sha].tree
        if request.query.get("recursive", "").lower() in ("true", "1"):
            rows = project.git.listing(tree)
        else:
            rows = [
                (name, mode, "tree" if mode == "040000" else "blob", s) for mode, name, s in project.git.trees[tree]
            ]
        items = [
            {"id": s, "name": path.rsplit("/", 1)[-1], "type": kind, "path": path, "mode": mode}
            for path, mode, kind, s in rows
        ]
        return self.page(request, items, f"{self.base}{API}/projects/{project.id}/repository/tree")

    def file_raw(self, request: Request, project: GlProject, path: str) -> Response:
        sha = project.git.resolve(request.query.get("ref") or project.default_branch or "")
        files = project.git.files(project.git.commits[sha].tree) if sha else {}
        if path not in files:
            return _message(404, "404 File Not Found")
        return Response(200, project.git.blobs[files[path].sha])

    # -- merge requests -------------------------------------------------------------------------------------------

    def merge_requests_list(self, request: Request, project: GlProject) -> Response:
        state, source = request.query.get("state", "all"), request.query.get("source_branch")
        found = [
            m for m in project.merge_requests if state in ("all", m["state"]) and source in (None, m["source_branch"])
        ]
        return self.page(request, found, f"{self.base}{API}/projects/{project.id}/merge_requests")

    def merge_request_create(self, request: Request, project: GlProject) -> Response:
        data = request.json()
        source, target = data["source_branch"], data["target_branch"]
        for name in (source, target):
            if name not in project.git.branches:
                return Response(400, {"message": [f'Source branch "{name}" does not exist']})
        same = [m for m in project.merge_requests if m["state"] == "opened" and m["source_branch"] == source]
        if same:
            message = f"Another open merge request already exists for this source branch: !{same[0]['iid']}"
            return Response(409, {"message": [message]})
        iid = len(project.merge_requests) + 1
        merge_request = {
            "id": 5000 + iid,
            "iid": iid,
            "project_id": project.id,
            "title": data["title"],
            "description": data.get("description", ""),
            "state": "opened",
            "created_at": _date(int(self.clock())),
            "updated_at": _date(int(self.clock())),
            "merged_by": None,
            "merged_at": None,
            "closed_by": None,
            "closed_at": None,
            "target_branch": target,
            "source_branch": source,
            "author": {"id": 1, "username": USER, "name": "Portal Bot", "state": "active"},
            "source_project_id": project.id,
            "target_project_id": project.id,
            "labels": [],
            "draft": False,
            "merge_status": "can_be_merged",
            "detailed_merge_status": "mergeable",
            "sha": project.git.branches[source],
            "merge_commit_sha": None,
            "references": {"short": f"!{iid}", "relative": f"!{iid}", "full": f"{project.full_path}!{iid}"},
            "web_url": f"{self.base}/{project.full_path}/-/merge_requests/{iid}",
        }
        project.merge_requests.append(merge_request)
        return Response(201, merge_request)

    def merge_request_get(self, request: Request, project: GlProject, iid: str) -> Response:
        found = [m for m in project.merge_requests if m["iid"] == int(iid)]
        if not found:
            return _message(404, "404 Not found")
        found[0]["sha"] = project.git.branches[found[0]["source_branch"]]  # pushes move the head
        return Response(200, found[0])

    def merge_request_diffs(self, request: Request, project: GlProject, iid: str) -> Response:
        """GET /merge_requests/:iid/diffs: one entry per file with its hunks; binary files come with an empty diff."""
        found = [m for m in project.merge_requests if m["iid"] == int(iid)]
        if not found:
            return _message(404, "404 Not found")
        head = project.git.branches[found[0]["source_branch"]]
        base = project.git.branches[found[0]["target_branch"]]
        items = [
            {
                "old_path": change.path,
                "new_path": change.path,
                "a_mode": change.old_mode,
                "b_mode": change.new_mode,
                "diff": change.patch or "",
                "new_file": change.status == "added",
                "renamed_file": False,
                "deleted_file": change.status == "removed",
                "generated_file": False,
            }
            for change in project.git.changes(base, head)
        ]
        url = f"{self.base}{API}/projects/{project.id}/merge_requests/{iid}/diffs"
        return self.page(request, items, url)

    # -- merge request notes --------------------------------------------------------------------------------------

    def note_json(self, note: dict[str, Any]) -> dict[str, Any]:
        author = {"id": 1, "username": USER, "name": "Portal Bot", "state": "active"}
        return {
            "id": note["id"],
            "type": None,
            "body": note["body"],
            "author": author,
            "created_at": note["created_at"],
            "updated_at": note["updated_at"],
            "system": False,
            "noteable_id": 5000 + note["iid"],
            "noteable_type": "MergeRequest",
            "noteable_iid": note["iid"],
            "resolvable": False,
            "confidential": False,
            "internal": False,
        }

    def notes_list(self, request: Request, project: GlProject, iid: str) -> Response:
        if not any(m["iid"] == int(iid) for m in project.merge_requests):
            return _message(404, "404 Not found")
        items = [self.note_json(n) for n in project.notes if n["iid"] == int(iid)]
        return self.page(request, items, f"{self.base}{API}/projects/{project.id}/merge_requests/{iid}/notes")

    def note_create(self, request: Request, project: GlProject, iid: str) -> Response:
        if not any(m["iid"] == int(iid) for m in project.merge_requests):
            return _message(404, "404 Not found")
        body = {**request.query, **request.json()}.get("body")
        if not body:
            return Response(400, {"error": "body is missing"})
        now = _date(int(self.clock()))
        note = {"id": self.next_note_id, "iid": int(iid), "body": body, "created_at": now, "updated_at": now}
        self.next_note_id += 1
        project.notes.append(note)
        return Response(201, self.note_json(note))

    def note_update(self, request: Request, project: GlProject, iid: str, ident: str) -> Response:
        found = [n for n in project.notes if n["iid"] == int(iid) and n["id"] == int(ident)]
        if not found:
            return _message(404, "404 Not found")
        found[0].update(body={**request.query, **request.json()}["body"], updated_at=_date(int(self.clock())))
        return Response(200, self.note_json(found[0]))


def _apply(git: Repo, files: dict[str, Entry], actions: list[dict[str, Any]]) -> str:
    """Apply commit actions in order, as GitLab does; the error GitLab would give, or ""."""
    if not actions:
        return "actions is empty"
    for action in actions:
        path, kind = action["file_path"], action["action"]
        if (kind == "create") == (path in files):
            return "A file with this name already exists" if kind == "create" else "A file with this name doesn't exist"
        if kind == "delete":
            del files[path]
        elif kind == "chmod":
            files[path] = Entry("100755" if action.get("execute_filemode") else "100644", files[path].sha)
        else:
            raw = action.get("content", "")
            data = base64.b64decode(raw) if action.get("encoding") == "base64" else raw.encode()
            files[path] = Entry(files[path].mode if kind == "update" else "100644", git.blob_put(data))
    return ""


def _message(status: int, message: str) -> Response:
    return Response(status, {"message": message})


def _date(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(epoch))
