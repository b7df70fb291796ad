"""The part of GitHub's REST API (Enterprise Server style: under /api/v3) the adapter uses, from documented payloads.

docs.github.com/rest: repos (get, create for the user and for an organisation), git refs, commits, trees and blobs
(409 "Git Repository is empty." until the repository has a commit), repository contents (get; put creates the first
commit), commits (list), pulls (list, create, get, files), issue comments (list, create, update: a pull request's
conversation), and the rate-limit and permission answers.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from portal.integrations.source_control.remote import Entry
from tests.integrations.fake_git import TREE_MODE, Commit, Repo
from tests.integrations.fake_http import Request, Response, Route, route

TOKEN = "ghp_fake_token"
USER = "portal-bot"
PREFIX = "/api/v3"
DOCS = "https://docs.github.com/rest"
R = PREFIX + r"/repos/([^/]+)/([^/]+)"


@dataclass
class GhRepo:
    owner: str
    name: str
    description: str
    private: bool
    git: Repo = field(default_factory=Repo)
    pulls: list[dict[str, Any]] = field(default_factory=list)
    default_branch: str = "main"
    comments: list[dict[str, Any]] = field(default_factory=list)  # issue comments, pull requests' included


class FakeGitHub:
    """GitHub with one user (portal-bot) and the organisations it belongs to."""

    content_limit = 1024 * 1024  # the contents API leaves out the content of larger files

    def __init__(self, *, orgs: tuple[str, ...] = ("acme", "platform"), clock: Callable[[], float] = time.time) -> None:
        self.base = ""  # set once the server listens
        self.orgs, self.clock = orgs, clock
        self.repos: dict[str, GhRepo] = {}
        self.routes = [
            Route("GET", PREFIX + "/user", self.user_get),
            Route("POST", PREFIX + "/user/repos", lambda rq: self.repo_create(rq, USER)),
            Route("POST", PREFIX + r"/orgs/([^/]+)/repos", self.repo_create),
            Route("GET", R, self._repo(self.repo_get)),
            Route("GET", R + "/git/ref/(.+)", self._repo(self.ref_get)),
            Route("POST", R + "/git/refs", self._repo(self.ref_create)),
            Route("PATCH", R + "/git/refs/(.+)", self._repo(self.ref_update)),
            Route("GET", R + "/git/commits/([0-9a-f]{40})", self._repo(self.git_commit_get)),
            Route("POST", R + "/git/commits", self._repo(self._nonempty(self.git_commit_create))),
            Route("GET", R + "/git/trees/([^/]+)", self._repo(self.tree_get)),
            Route("POST", R + "/git/trees", self._repo(self._nonempty(self.tree_create))),
            Route("POST", R + "/git/blobs", self._repo(self._nonempty(self.blob_create))),
            Route("GET", R + "/git/blobs/([0-9a-f]{40})", self._repo(self.blob_get)),
            Route("GET", R + "/contents/?(.*)", self._repo(self.contents_get)),
            Route("PUT", R + "/contents/(.+)", self._repo(self.contents_put)),
            Route("GET", R + "/commits", self._repo(self.commits_list)),
            Route("GET", R + "/pulls", self._repo(self.pulls_list)),
            Route("POST", R + "/pulls", self._repo(self.pull_create)),
            Route("GET", R + r"/pulls/(\d+)", self._repo(self.pull_get)),
            Route("GET", R + r"/pulls/(\d+)/files", self._repo(self.pull_files)),
            Route("GET", R + r"/issues/(\d+)/comments", self._repo(self.comments_list)),
            Route("POST", R + r"/issues/(\d+)/comments", self._repo(self.comment_create)),
            Route("PATCH", R + r"/issues/comments/(\d+)", self._repo(self.comment_update)),
        ]
        self.next_comment_id = 1_000_001

    # -- plumbing -------------------------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        if request.headers.get("authorization", "").split(" ")[-1] != TOKEN:
            return self._with_limits(Response(401, {"message": "Bad credentials", "documentation_url": DOCS}))
        return self._with_limits(route(self.routes, request))

    def _with_limits(self, answer: Response) -> Response:
        """GitHub sends its primary rate-limit headers on every answer, refusals included."""
        reset = str(int(self.clock()) + 3600)
        limits = {"x-ratelimit-limit": "5000", "x-ratelimit-remaining": "4999", "x-ratelimit-reset": reset}
        answer.headers = {**limits, "x-ratelimit-used": "1", "x-ratelimit-resource": "core", **answer.headers}
        return answer

    def _repo(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        def with_repo(request: Request, owner: str, name: str, *rest: str) -> Response:
            repo = self.repos.get(f"{owner}/{name}".lower())
            return handler(request, repo, *rest) if repo else _error(404, "Not Found")

        return with_repo

    def _nonempty(self, handler: Callable[..., Response]) -> Callable[..., Response]:
        def when_nonempty(request: Request, repo: GhRepo, *rest: str) -> Response:
            return handler(request, repo, *rest) if not repo.git.empty else _error(409, "Git Repository is empty.")

        return when_nonempty

    def denied(self, request: Request) -> Response:
        body = {
            "message": "Resource not accessible by personal access token",
            "documentation_url": DOCS,
            "status": "403",
        }
        return self._with_limits(Response(403, body, {"x-accepted-github-permissions": _permission_for(request)}))

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        if retry_after:  # a secondary rate limit
            message = "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
            return self._with_limits(Response(429, _body(message), {"retry-after": str(reset_in)}))
        reset = str(int(self.clock()) + reset_in)
        message = "API rate limit exceeded for user ID 1."
        limits = {"x-ratelimit-remaining": "0", "x-ratelimit-used": "5000", "x-ratelimit-reset": reset}
        return self._with_limits(Response(403, _body(message), limits))

    def url(self, repo: GhRepo, rest: str = "") -> str:
        return f"{self.base}{PREFIX}/repos/{repo.owner}/{repo.name}{rest}"

    # -- users and repositories -----------------------------------------------------------------------------------

    def user_get(self, request: Request) -> Response:
        return Response(200, {"login": USER, "id": 1, "type": "User", "url": f"{self.base}{PREFIX}/users/{USER}"})

    def repo_create(self, request: Request, owner: str) -> Response:
        if owner != USER and owner not in self.orgs:
            return _error(404, "Not Found")
        data = request.json()
        if f"{owner}/{data['name']}".lower() in self.repos:
            error = {"resource": "Repository", "code": "custom", "field": "name"}
            errors = [{**error, "message": "name already exists on this account"}]
            return Response(422, {**_body("Repository creation failed."), "errors": errors})
        repo = GhRepo(owner, data["name"], data.get("description") or "", bool(data.get("private")))
        self.repos[f"{owner}/{repo.name}".lower()] = repo
        return Response(201, self.repo_json(repo))

    def repo_get(self, request: Request, repo: GhRepo) -> Response:
        return Response(200, self.repo_json(repo))

    def repo_json(self, repo: GhRepo) -> dict[str, Any]:
        web = f"{self.base}/{repo.owner}/{repo.name}"
        return {
            "id": abs(hash(repo.name)) % 10**6,
            "node_id": "R_kgDO",
            "name": repo.name,
            "full_name": f"{repo.owner}/{repo.name}",
            "owner": {"login": repo.owner, "id": 2, "type": "User" if repo.owner == USER else "Organization"},
            "private": repo.private,
            "visibility": "private" if repo.private else "public",
            "html_url": web,
            "description": repo.description or None,
            "fork": False,
            "url": self.url(repo),
            "clone_url": f"{web}.git",
            "ssh_url": f"git@{self.base.split('//')[-1]}:{repo.owner}/{repo.name}.git",
            "default_branch": repo.default_branch,
            "size": 0,
        }

    # -- git data -------------------------------------------------------------------------------------------------

    def ref_json(self, repo: GhRepo, branch: str) -> dict[str, Any]:
        sha = repo.git.branches[branch]
        target = {"type": "commit", "sha": sha, "url": self.url(repo, f"/git/commits/{sha}")}
        return {
            "ref": f"refs/heads/{branch}",
            "node_id": "REF_k",
            "url": self.url(repo, f"/git/refs/heads/{branch}"),
            "object": target,
        }

    def ref_get(self, request: Request, repo: GhRepo, ref: str) -> Response:
        if repo.git.empty:
            return _error(409, "Git Repository is empty.")
        branch = ref.removeprefix("heads/")
        return Response(200, self.ref_json(repo, branch)) if branch in repo.git.branches else _error(404, "Not Found")

    def ref_create(self, request: Request, repo: GhRepo) -> Response:
        data = request.json()
        branch = data["ref"].removeprefix("refs/heads/")
        if branch in repo.git.branches:
            return _error(422, "Reference already exists")
        if data["sha"] not in repo.git.commits:
            return _error(422, "Object does not exist")
        repo.git.branches[branch] = data["sha"]
        return Response(201, self.ref_json(repo, branch))

    def ref_update(self, request: Request, repo: GhRepo, ref: str) -> Response:
        data, branch = request.json(), ref.removeprefix("heads/")
        if branch not in repo.git.branches:
            return _error(422, "Reference does not exist")
        if data["sha"] not in repo.git.commits:
            return _error(422, "Object does not exist")
        ancestors = {c.sha for c in repo.git.log(data["sha"])}
        if not data.get("force") and repo.git.branches[branch] not in ancestors:
            return _error(422, "Update is not a fast forward")
        repo.git.branches[branch] = data["sha"]
        return Response(200, self.ref_json(repo, branch))

    def git_commit_json(self, repo: GhRepo, commit: Commit) -> dict[str, Any]:
        who = {"name": "Portal Bot", "email": "bot@example.com", "date": _date(commit.when)}
        parents = [{"sha": p, "url": self.url(repo, f"/git/commits/{p}"), "html_url": ""} for p in commit.parents]
        return {
            "sha": commit.sha,
            "node_id": "C_kw",
            "url": self.url(repo, f"/git/commits/{commit.sha}"),
            "html_url": f"{self.base}/{repo.owner}/{repo.name}/commit/{commit.sha}",
            "author": who,
            "committer": who,
            "message": commit.message,
            "tree": {"sha": commit.tree, "url": self.url(repo, f"/git/trees/{commit.tree}")},
            "parents": parents,
            "verification": {"verified": False, "reason": "unsigned", "signature": None, "payload": None},
        }

    def git_commit_get(self, request: Request, repo: GhRepo, sha: str) -> Response:
        commit = repo.git.commits.get(sha)
        return Response(200, self.git_commit_json(repo, commit)) if commit else _error(404, "Not Found")

    def git_commit_create(self, request: Request, repo: GhRepo) -> Response:
        data = request.json()
        if data["tree"] not in repo.git.trees:
            return _error(422, "Tree SHA does not exist")
        if any(p not in repo.git.commits for p in data.get("parents", [])):
            return _error(422, "Parent SHA does not exist or is not a commit object")
        commit = repo.git.commit_put(data["tree"], data.get("parents", []), data["message"])
        return Response(201, self.git_commit_json(repo, commit))

    def tree_get(self, request: Request, repo: GhRepo, sha: str) -> Response:
        commit_sha = repo.git.resolve(sha)  # the docs take a tree id or a ref name
        tree = repo.git.commits[commit_sha].tree if commit_sha else sha
        if tree not in repo.git.trees:
            return _error(404, "Not Found")
        if "recursive" in request.query:  # any value turns it on, "0" and "false" included
            return Response(200, self.tree_json(repo, tree, repo.git.listing(tree)))
        return Response(200, self.tree_json(repo, tree, _rows(repo.git.trees[tree])))

    def tree_json(self, repo: GhRepo, sha: str, rows: list[tuple[str, str, str, str]]) -> dict[str, Any]:
        entries = []
        for path, mode, kind, entry_sha in rows:
            entry = {
                "path": path,
                "mode": mode,
                "type": kind,
                "sha": entry_sha,
                "url": self.url(repo, f"/git/{kind}s/{entry_sha}"),
            }
            entries.append({**entry, "size": len(repo.git.blobs[entry_sha])} if kind == "blob" else entry)
        return {"sha": sha, "url": self.url(repo, f"/git/trees/{sha}"), "tree": entries, "truncated": False}

    def tree_create(self, request: Request, repo: GhRepo) -> Response:
        data = request.json()
        base = data.get("base_tree")
        if base and base not in repo.git.trees:
            return _error(422, "base_tree is not a valid tree oid")
        files: dict[str, Entry] = repo.git.files(base) if base else {}
        for item in data["tree"]:
            if "content" in item:
                files[item["path"]] = Entry(item["mode"], repo.git.blob_put(item["content"].encode()))
            elif item.get("sha") is None:
                if files.pop(item["path"], None) is None:
                    return _error(422, f"tree.path {item['path']} does not exist")
            elif item["sha"] in repo.git.blobs:
                files[item["path"]] = Entry(item["mode"], item["sha"])
            else:
                return _error(422, f"tree.sha {item['sha']} is not a valid blob")
        sha = repo.git.tree_put(files)
        return Response(201, self.tree_json(repo, sha, _rows(repo.git.trees[sha])))

    def blob_create(self, request: Request, repo: GhRepo) -> Response:
        data = request.json()
        content = data["content"]
        raw = base64.b64decode(content) if data.get("encoding") == "base64" else content.encode()
        sha = repo.git.blob_put(raw)
        return Response(201, {"url": self.url(repo, f"/git/blobs/{sha}"), "sha": sha})

    def blob_get(self, request: Request, repo: GhRepo, sha: str) -> Response:
        if sha not in repo.git.blobs:
            return _error(404, "Not Found")
        data = repo.git.blobs[sha]
        body = {
            "content": base64.b64encode(data).decode(),
            "encoding": "base64",
            "url": self.url(repo, f"/git/blobs/{sha}"),
        }
        return Response(200, {**body, "sha": sha, "size": len(data), "node_id": "B_kw"})

    # -- contents and commits -------------------------------------------------------------------------------------

    def contents_get(self, request: Request, repo: GhRepo, path: str) -> Response:
        commit = repo.git.resolve(request.query.get("ref", repo.default_branch))
        if repo.git.empty:
            return _error(404, "This repository is empty.")
        files = repo.git.files(repo.git.commits[commit].tree) if commit else {}
        if path in files:
            return Response(200, self.content_json(repo, path, files[path]))
        inside = sorted(p for p in files if p.startswith(f"{path}/") or not path)
        if not inside:
            return _error(404, "Not Found")
        return Response(200, [self.content_json(repo, p, files[p], listing=True) for p in inside])

    def content_json(self, repo: GhRepo, path: str, entry: Entry, *, listing: bool = False) -> dict[str, Any]:
        data = repo.git.blobs[entry.sha]
        web = f"{self.base}/{repo.owner}/{repo.name}/blob/{repo.default_branch}/{path}"
        git_url = self.url(repo, f"/git/blobs/{entry.sha}")
        body = {
            "type": "file",
            "size": len(data),
            "name": path.rsplit("/", 1)[-1],
            "path": path,
            "sha": entry.sha,
            "url": self.url(repo, f"/contents/{path}"),
            "git_url": git_url,
            "html_url": web,
            "download_url": None,
            "_links": {"self": self.url(repo, f"/contents/{path}"), "git": git_url, "html": web},
        }
        if listing:
            return body
        small = len(data) <= self.content_limit
        content = base64.b64encode(data).decode() if small else ""
        return {**body, "encoding": "base64" if small else "none", "content": content}

    def contents_put(self, request: Request, repo: GhRepo, path: str) -> Response:
        data = request.json()
        branch = data.get("branch") or repo.default_branch
        head = repo.git.branches.get(branch)
        if head is None and not repo.git.empty:
            return _error(404, f"Branch {branch} not found")
        files = repo.git.files(repo.git.commits[head].tree) if head else {}
        if path in files and data.get("sha") != files[path].sha:
            return _error(422, 'Invalid request.\n\n"sha" wasn\'t supplied.')
        files[path] = Entry("100644", repo.git.blob_put(base64.b64decode(data["content"])))
        commit = repo.git.commit_put(repo.git.tree_put(files), [head] if head else [], data["message"])
        repo.git.branches[branch] = commit.sha
        if len(repo.git.branches) == 1:
            repo.default_branch = branch  # the first branch of an empty repository becomes its default
        body = {
            "content": self.content_json(repo, path, files[path], listing=True),
            "commit": self.git_commit_json(repo, commit),
        }
        return Response(201, body)

    def commits_list(self, request: Request, repo: GhRepo) -> Response:
        if repo.git.empty:
            return _error(409, "Git Repository is empty.")
        start = request.query.get("sha", repo.default_branch)
        sha = repo.git.resolve(start)
        if sha is None:
            return _error(404, f"No commit found for SHA: {start}")
        items = [self.commit_json(repo, c) for c in repo.git.log(sha)]
        return self.page(request, items, self.url(repo, "/commits"))

    def commit_json(self, repo: GhRepo, commit: Commit) -> dict[str, Any]:
        git = self.git_commit_json(repo, commit)
        detail = {k: git[k] for k in ("author", "committer", "message", "tree", "url", "verification")}
        return {
            "sha": commit.sha,
            "node_id": "C_kw",
            "commit": {**detail, "comment_count": 0},
            "url": self.url(repo, f"/commits/{commit.sha}"),
            "html_url": git["html_url"],
            "comments_url": self.url(repo, f"/commits/{commit.sha}/comments"),
            "author": None,
            "committer": None,
            "parents": git["parents"],
        }

    def page(self, request: Request, items: list[Any], url: str) -> Response:
        """One page of a list, with the Link header GitHub's pagination uses."""
        per_page, number = int(request.query.get("per_page", 30)), int(request.query.get("page", 1))
        chunk = items[(number - 1) * per_page : number * per_page]
        query = "&".join(f"{k}={v}" for k, v in request.query.items() if k != "page")
        more = len(items) > number * per_page
        headers = {"Link": f'<{url}?{query}&page={number + 1}>; rel="next"'} if more else {}
        return Response(200, chunk, headers)

    # -- pull requests --------------------------------------------------------------------------------------------

    def pulls_list(self, request: Request, repo: GhRepo) -> Response:
        state, head = request.query.get("state", "open"), request.query.get("head")
        found = [p for p in repo.pulls if state in ("all", p["state"]) and head in (None, p["head"]["label"])]
        return self.page(request, found, self.url(repo, "/pulls"))

    def pull_create(self, request: Request, repo: GhRepo) -> Response:
        data = request.json()
        head, base = data["head"], data["base"]
        label = head if ":" in head else f"{repo.owner}:{head}"
        branch = label.split(":", 1)[1]
        if branch not in repo.git.branches or base not in repo.git.branches:
            field_name = "head" if branch not in repo.git.branches else "base"
            errors = [{"resource": "PullRequest", "field": field_name, "code": "invalid"}]
            return Response(422, {**_body("Validation Failed"), "errors": errors})
        if any(p["state"] == "open" and p["head"]["label"] == label for p in repo.pulls):
            return _invalid_pull(f"A pull request already exists for {label}.")
        if repo.git.branches[branch] in {c.sha for c in repo.git.log(repo.git.branches[base])}:
            return _invalid_pull(f"No commits between {base} and {branch}")
        pull = self.pull_json(repo, len(repo.pulls) + 1, data, label, base)
        repo.pulls.append(pull)
        return Response(201, pull)

    def pull_json(self, repo: GhRepo, number: int, data: dict[str, Any], label: str, base: str) -> dict[str, Any]:
        branch = label.split(":", 1)[1]
        user = {"login": USER, "id": 1, "type": "User"}

        def part(lab: str, ref: str) -> dict[str, Any]:
            return {"label": lab, "ref": ref, "sha": repo.git.branches[ref], "user": user, "repo": self.repo_json(repo)}

        return {
            "url": self.url(repo, f"/pulls/{number}"),
            "id": number * 1000,
            "node_id": "PR_kw",
            "html_url": f"{self.base}/{repo.owner}/{repo.name}/pull/{number}",
            "number": number,
            "state": "open",
            "locked": False,
            "title": data.get("title", ""),
            "user": user,
            "body": data.get("body"),
            "created_at": _date(int(self.clock())),
            "updated_at": _date(int(self.clock())),
            "closed_at": None,
            "merged_at": None,
            "merge_commit_sha": None,
            "draft": False,
            "head": part(label, branch),
            "base": part(f"{repo.owner}:{base}", base),
            "author_association": "OWNER",
        }

    def pull_get(self, request: Request, repo: GhRepo, number: str) -> Response:
        found = [p for p in repo.pulls if p["number"] == int(number)]
        if not found:
            return _error(404, "Not Found")
        found[0]["head"]["sha"] = repo.git.branches[found[0]["head"]["ref"]]  # pushes move the head
        return Response(200, {**found[0], "merged": False, "mergeable": True})

    def pull_files(self, request: Request, repo: GhRepo, number: str) -> Response:
        """GET /pulls/{n}/files: one entry per file, with counts and the patch (no patch for binary files)."""
        found = [p for p in repo.pulls if p["number"] == int(number)]
        if not found:
            return _error(404, "Not Found")
        pull = found[0]
        head, base = repo.git.branches[pull["head"]["ref"]], repo.git.branches[pull["base"]["ref"]]
        items = []
        for change in repo.git.changes(base, head):
            item = {
                "sha": "0" * 40 if change.status == "removed" else self._blob_of(repo, head, change.path),
                "filename": change.path,
                "status": change.status,
                "additions": change.additions,
                "deletions": change.deletions,
                "changes": change.additions + change.deletions,
                "blob_url": f"{self.base}/{repo.owner}/{repo.name}/blob/{head}/{change.path}",
                "raw_url": f"{self.base}/{repo.owner}/{repo.name}/raw/{head}/{change.path}",
                "contents_url": self.url(repo, f"/contents/{change.path}?ref={head}"),
            }
            items.append(item if change.patch is None else {**item, "patch": change.patch})
        return self.page(request, items, self.url(repo, f"/pulls/{number}/files"))

    def _blob_of(self, repo: GhRepo, commit: str, path: str) -> str:
        return repo.git.files(repo.git.commits[commit].tree)[path].sha

    # -- issue comments (a pull request's conversation) -----------------------------------------------------------

    def comment_json(self, repo: GhRepo, comment: dict[str, Any]) -> dict[str, Any]:
        number = comment["issue"]
        return {
            "id": comment["id"],
            "node_id": "IC_kw",
            "url": self.url(repo, f"/issues/comments/{comment['id']}"),
            "html_url": f"{self.base}/{repo.owner}/{repo.name}/pull/{number}#issuecomment-{comment['id']}",
            "body": comment["body"],
            "user": {"login": USER, "id": 1, "type": "User"},
            "created_at": comment["created_at"],
            "updated_at": comment["updated_at"],
            "issue_url": self.url(repo, f"/issues/{number}"),
            "author_association": "OWNER",
        }

    def comments_list(self, request: Request, repo: GhRepo, number: str) -> Response:
        if not any(p["number"] == int(number) for p in repo.pulls):
            return _error(404, "Not Found")
        items = [self.comment_json(repo, c) for c in repo.comments if c["issue"] == int(number)]
        return self.page(request, items, self.url(repo, f"/issues/{number}/comments"))

    def comment_create(self, request: Request, repo: GhRepo, number: str) -> Response:
        if not any(p["number"] == int(number) for p in repo.pulls):
            return _error(404, "Not Found")
        body = request.json().get("body")
        if not body:
            return Response(422, {**_body("Validation Failed"), "errors": [{"field": "body", "code": "missing"}]})
        now = _date(int(self.clock()))
        comment = {"id": self.next_comment_id, "issue": int(number), "body": body, "created_at": now, "updated_at": now}
        self.next_comment_id += 1
        repo.comments.append(comment)
        return Response(201, self.comment_json(repo, comment))

    def comment_update(self, request: Request, repo: GhRepo, ident: str) -> Response:
        found = [c for c in repo.comments if c["id"] == int(ident)]
        if not found:
            return _error(404, "Not Found")
        found[0].update(body=request.json()["body"], updated_at=_date(int(self.clock())))
        return Response(200, self.comment_json(repo, found[0]))


def _body(message: str) -> dict[str, str]:
    return {"message": message, "documentation_url": DOCS}


def _error(status: int, message: str) -> Response:
    return Response(status, {**_body(message), "status": str(status)})


def _invalid_pull(message: str) -> Response:
    errors = [{"resource": "PullRequest", "code": "custom", "message": message}]
    return Response(422, {**_body("Validation Failed"), "errors": errors})


def _permission_for(request: Request) -> str:
    """The fine-grained permission GitHub names in x-accepted-github-permissions for an endpoint."""
    if request.path.endswith("/repos") and request.method == "POST":
        return "administration=write"
    access = "read" if request.method == "GET" else "write"
    if "/issues/" in request.path:
        return f"issues={access},pull_requests={access}"
    return f"pull_requests={access}" if "/pulls" in request.path else f"contents={access}"


def _rows(entries: list[tuple[str, str, str]]) -> list[tuple[str, str, str, str]]:
    """A tree's own entries as (path, mode, type, sha)."""
    return [(name, mode, "tree" if mode == TREE_MODE else "blob", sha) for mode, name, sha in entries]


def _date(epoch: int) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(epoch))
