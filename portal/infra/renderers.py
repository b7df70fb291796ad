"""Two renderers behind one interface, chosen by settings.INFRA_RENDERER: Crossplane claims committed to the
GitOps repository, or Terraform module calls opened as pull requests on the team's infrastructure repository."""

from __future__ import annotations

import tempfile
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from django.conf import settings

from portal.core.errors import ApplicationError
from portal.infra import crossplane, terraform
from portal.infra.externalsecret import external_secret
from portal.infra.spec import ResourceSpec
from portal.integrations.source_control import SourceControl, source_control

Log = Callable[[str], None]
DEFAULTS: dict[str, str] = {
    "INFRA_RENDERER": "crossplane",
    "INFRA_CROSSPLANE_GROUP": "platform.acme.io",
    "INFRA_CROSSPLANE_PROVIDER": "aws",
    "INFRA_CROSSPLANE_STORE_CONFIG": "vault",
    "INFRA_SECRET_STORE": "platform-secrets",
    "INFRA_TERRAFORM_MODULE_SOURCE": (
        "git::https://github.com/acme/platform-terraform-modules.git//modules/{kind}?ref=v1.0.0"
    ),
    "INFRA_TERRAFORM_REPOSITORY": "{owner}/{team}-infrastructure",
}


def setting(name: str) -> str:
    return str(getattr(settings, name, None) or DEFAULTS[name])


@dataclass(frozen=True)
class Rendering:
    """What a request becomes: files per repository, and the Kubernetes objects among them."""

    renderer: str
    files: dict[str, dict[str, str]]  # repository -> path -> text
    manifests: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {"renderer": self.renderer, "files": self.files}


def manifest_path(spec: ResourceSpec) -> str:
    return f"infra/{spec.team}/{spec.environment}/{spec.name}.yaml"


def yaml_documents(documents: list[dict[str, Any]]) -> str:
    return yaml.safe_dump_all(documents, sort_keys=False, default_flow_style=False)


class Renderer(ABC):
    name: str = ""

    @abstractmethod
    def render(self, spec: ResourceSpec, *, request_id: str) -> Rendering:
        """The files for one request; pure apart from reading settings."""

    @abstractmethod
    def deliver(self, spec: ResourceSpec, rendering: Rendering, *, request_id: str, log: Log) -> dict[str, str]:
        """Put the files where they take effect; doing it twice changes nothing the second time."""

    def secret(self, spec: ResourceSpec) -> dict[str, Any]:
        return external_secret(spec, store=setting("INFRA_SECRET_STORE"))


class CrossplaneRenderer(Renderer):
    name = "crossplane"

    def render(self, spec: ResourceSpec, *, request_id: str) -> Rendering:
        claim = crossplane.claim(
            spec,
            group=setting("INFRA_CROSSPLANE_GROUP"),
            store_config=setting("INFRA_CROSSPLANE_STORE_CONFIG"),
            provider=setting("INFRA_CROSSPLANE_PROVIDER"),
            request_id=request_id,
        )
        documents = [claim, self.secret(spec)]
        gitops = settings.GITOPS_REPOSITORY
        return Rendering(self.name, {gitops: {manifest_path(spec): yaml_documents(documents)}}, documents)

    def deliver(self, spec: ResourceSpec, rendering: Rendering, *, request_id: str, log: Log) -> dict[str, str]:
        return gitops_commit(rendering, spec=spec, request_id=request_id, log=log)


class TerraformRenderer(Renderer):
    name = "terraform"

    def repository(self, spec: ResourceSpec) -> str:
        return setting("INFRA_TERRAFORM_REPOSITORY").format(owner=settings.SCM_OWNER, team=spec.team)

    def render(self, spec: ResourceSpec, *, request_id: str) -> Rendering:
        source = terraform.module_source(setting("INFRA_TERRAFORM_MODULE_SOURCE"), spec.kind)
        module = terraform.module_call(spec, source=source, request_id=request_id)
        secret = self.secret(spec)
        files = {
            self.repository(spec): {f"environments/{spec.environment}/{spec.name}.tf": module},
            settings.GITOPS_REPOSITORY: {manifest_path(spec): yaml_documents([secret])},
        }
        return Rendering(self.name, files, [secret])

    def deliver(self, spec: ResourceSpec, rendering: Rendering, *, request_id: str, log: Log) -> dict[str, str]:
        sc = source_control()
        slug = self.repository(spec)
        base = repository_ensure(sc, slug, f"Terraform for team {spec.team}, managed through the platform portal")
        branch = f"portal/resource/{spec.name}"
        files = rendering.files[slug]
        message = f"Request {spec.kind.title.lower()} {spec.name} for {spec.service}\n\n{TRAILER}: {request_id}"
        if _unchanged(sc, slug, f"refs/heads/{branch}", files):
            log(f"{slug}@{branch} already has the module call")
        else:
            _commit(sc, slug, branch, files, message=message, base_branch=base)
        pull = sc.pull_request_open(
            slug,
            source_branch=branch,
            target_branch=base,
            title=f"{spec.kind.title}: {spec.name} for {spec.service} ({spec.environment})",
            body=(
                f"Requested through the platform portal (request {request_id}). The plan-and-apply pipeline "
                f"runs on this pull request; connection details go to the secret store at {spec.secret_path}."
            ),
        )
        log(f"opened pull request {pull.url}")
        secret = gitops_commit(rendering, spec=spec, request_id=request_id, log=log)
        return {"repository": slug, "commit": secret["commit"], "pull_request_url": pull.url}


TRAILER = "Resource-Request"
RENDERERS: dict[str, type[Renderer]] = {"crossplane": CrossplaneRenderer, "terraform": TerraformRenderer}


def renderer(name: str | None = None) -> Renderer:
    chosen = name or setting("INFRA_RENDERER")
    if chosen not in RENDERERS:
        raise ApplicationError(
            f"INFRA_RENDERER is '{chosen}'; set it to one of {', '.join(sorted(RENDERERS))}.",
            fields={"renderer": ["unknown renderer"]},
        )
    return RENDERERS[chosen]()


def _commit(
    sc: SourceControl, slug: str, branch: str, files: dict[str, str], *, message: str, base_branch: str | None = None
) -> str:
    with tempfile.TemporaryDirectory(prefix="infra-") as tmp:
        for path, text in files.items():
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return sc.commit_tree(slug, branch, root=Path(tmp), message=message, base_branch=base_branch, replace=False)


def _unchanged(sc: SourceControl, slug: str, ref: str, files: dict[str, str]) -> bool:
    return all((sc.file_read(slug, ref, path) or b"").decode() == text for path, text in files.items())


def repository_ensure(sc: SourceControl, slug: str, description: str) -> str:
    """The repository with a first commit on its default branch (pull requests need a base); its branch."""
    repo = sc.repository_get(slug) or sc.repository_create(slug, description=description)
    if sc.branch_head(slug, repo.default_branch) is None:
        _commit(sc, slug, repo.default_branch, {"README.md": f"# {slug}\n\n{description}.\n"}, message="Start")
    return repo.default_branch


def gitops_commit(rendering: Rendering, *, spec: ResourceSpec, request_id: str, log: Log) -> dict[str, str]:
    """Commit the request's manifests to the GitOps repository's default branch for Argo CD to apply."""
    from portal.scaffolder.steps import gitops_repository_ensure

    sc = source_control()
    slug = settings.GITOPS_REPOSITORY
    branch = gitops_repository_ensure()
    files = rendering.files[slug]
    if _unchanged(sc, slug, branch, files):
        log(f"{slug}@{branch} already has {', '.join(files)}")
        return {"repository": slug, "commit": sc.branch_head(slug, branch) or "", "pull_request_url": ""}
    message = f"{spec.kind.title} {spec.name} for {spec.service} in {spec.environment}\n\n{TRAILER}: {request_id}"
    commit = _commit(sc, slug, branch, files, message=message)
    log(f"committed {', '.join(files)} to {slug}@{branch} ({commit[:12]}) for Argo CD to apply")
    return {"repository": slug, "commit": commit, "pull_request_url": ""}
