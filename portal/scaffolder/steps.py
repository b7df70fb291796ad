"""The steps of a scaffold run. Each is idempotent: run twice, it does the work once."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from cookiecutter.main import cookiecutter
from django.conf import settings

from portal.catalog import services as catalog_services
from portal.catalog.models import Environment, Origin, Service
from portal.core import labels
from portal.integrations.errors import IntegrationError
from portal.integrations.source_control import SourceControl, source_control
from portal.pipelines.selectors import pipelines_coordinates
from portal.scaffolder.models import ScaffoldRun
from portal.scaffolder.registry import GoldenPath, golden_path_get
from portal.slo.services import slos_default_for

Log = Callable[[str], None]
RUN_TRAILER = "Scaffold-Run"


def workspace(run: ScaffoldRun) -> Path:
    return Path(settings.DATA_DIR) / "scaffold" / str(run.id)


def template_context(path: GoldenPath, run: ScaffoldRun, *, repo_slug: str, repo_url: str) -> dict[str, Any]:
    """Parameters the template declares, plus what the portal knows (owner, repository, portal URL)."""
    provider = source_control().provider
    known = {
        "scm": provider if provider in ("github", "gitlab") else "github",
        "scm_org": settings.SCM_OWNER,
        **pipelines_coordinates(),  # the new service's CI calls the steps the portal publishes
        **run.parameters,
        "name": run.service_name,
        "owner": run.owner.name,
        "cost_centre": run.owner.cost_centre or labels.UNASSIGNED,  # the team's, never the requester's choice
        "repo_slug": repo_slug,
        "repo_url": repo_url,
        "scm_provider": provider,
        "portal_url": settings.SITE_URL,  # where the CI's gate and canary ask: this portal, never a requester's URL
        "golden_path": path.name,
        "golden_path_version": path.version,
    }
    keys = path.context_keys()
    return {key: value for key, value in known.items() if key in keys}


def render(path: GoldenPath, context: dict[str, Any], into: Path) -> Path:
    """Render the template with its own replay and cache folders (concurrent runs never collide)."""
    if into.exists():
        shutil.rmtree(into)
    (into / "out").mkdir(parents=True)
    config = {"replay_dir": str(into / "replay"), "cookiecutters_dir": str(into / "cache")}
    output = cookiecutter(
        str(path.template_dir),
        no_input=True,
        extra_context=context,
        output_dir=str(into / "out"),
        default_config=config,
        accept_hooks=True,
    )
    return Path(output)


def repo_slug_for(run: ScaffoldRun) -> str:
    return f"{settings.SCM_OWNER}/{run.service_name}"


def step_render(run: ScaffoldRun, log: Log) -> dict[str, Any]:
    path = golden_path_get(run.golden_path)
    slug = repo_slug_for(run)
    sc = source_control()
    url = f"{getattr(sc, 'base_url', '')}/{slug}"
    output = render(path, template_context(path, run, repo_slug=slug, repo_url=url), workspace(run) / "render")
    files = sorted(str(p.relative_to(output)) for p in output.rglob("*") if p.is_file())
    log(f"rendered {path.name} {path.version}: {len(files)} files")
    return {"root": str(output), "files": len(files)}


def step_create_repository(run: ScaffoldRun, log: Log) -> dict[str, Any]:
    sc = source_control()
    slug = repo_slug_for(run)
    existing = sc.repository_get(slug)
    if existing is not None:
        if _ours(sc, slug, run):
            log(f"repository {slug} already created by this run")
            return {"slug": slug, "url": existing.url}
        raise IntegrationError(
            f"Repository {slug} already exists and was not created by this run; "
            "choose another name or remove the repository."
        )
    repo = sc.repository_create(slug, description=run.parameters.get("description", "") or run.service_name)
    log(f"created repository {repo.url}")
    return {"slug": slug, "url": repo.url}


def _ours(sc: SourceControl, slug: str, run: ScaffoldRun) -> bool:
    """A repository is ours when it is empty or its first commit names this run."""
    messages = sc.commit_messages(slug, sc.repository_get(slug).default_branch, limit=50)  # type: ignore[union-attr]
    return not messages or any(f"{RUN_TRAILER}: {run.id}" in m for m in messages)


def step_push(run: ScaffoldRun, log: Log) -> dict[str, Any]:
    sc = source_control()
    slug = repo_slug_for(run)
    root = Path(run.steps.get(name="render").output["root"])
    if not root.exists():  # a retry on another worker: render again, same inputs give the same files
        root = Path(step_render(run, log)["root"])
    branch = sc.repository_get(slug).default_branch  # type: ignore[union-attr]
    message = f"Create {run.service_name} from golden path {run.golden_path}\n\n{RUN_TRAILER}: {run.id}"
    commit = sc.commit_tree(slug, branch, root=root, message=message, replace=True)
    log(f"pushed {commit[:12]} to {slug}@{branch}")
    return {"commit": commit, "branch": branch}


def application_manifest(run: ScaffoldRun, path: GoldenPath, environment: Environment, repo_url: str) -> dict:
    """The Argo CD Application that deploys one environment of the new service."""
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": f"{run.service_name}-{environment.name}",
            "namespace": "argocd",
            "labels": {
                "backstage.io/kubernetes-id": run.service_name,
                **labels.standard_labels(
                    service=run.service_name,
                    team=run.owner.name,
                    environment=environment.name,
                    cost_centre=run.owner.cost_centre,
                ),
            },
        },
        "spec": {
            "project": run.owner.name,
            "source": {
                "repoURL": repo_url,
                "targetRevision": "HEAD",
                "path": path.deploy_path.format(environment=environment.name),
            },
            "destination": {
                "name": environment.default_cluster or "in-cluster",
                "namespace": f"{run.owner.name}-{environment.name}",
            },
            "syncPolicy": {
                "automated": {"prune": True, "selfHeal": environment.kind != "prod"},
                "syncOptions": ["CreateNamespace=true"],
            },
        },
    }


def step_gitops_change(run: ScaffoldRun, log: Log) -> dict[str, Any]:
    sc = source_control()
    path = golden_path_get(run.golden_path)
    gitops = settings.GITOPS_REPOSITORY
    gitops_repository_ensure()
    repo_url = run.steps.get(name="create_repository").output["url"]
    environments = list(Environment.objects.filter(name__in=path.environments).order_by("name"))
    with tempfile.TemporaryDirectory() as tmp:
        for env in environments:
            target = Path(tmp) / "apps" / run.owner.name / run.service_name / f"{env.name}.yaml"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(yaml.safe_dump(application_manifest(run, path, env, repo_url), sort_keys=False))
        base = sc.repository_get(gitops).default_branch  # type: ignore[union-attr]
        branch = f"scaffold/{run.service_name}"
        sc.commit_tree(
            gitops,
            branch,
            root=Path(tmp),
            base_branch=base,
            replace=False,
            message=f"Deploy {run.service_name} with Argo CD\n\n{RUN_TRAILER}: {run.id}",
        )
    pull = sc.pull_request_open(
        gitops,
        source_branch=branch,
        target_branch=base,
        title=f"Deploy {run.service_name} ({', '.join(e.name for e in environments)})",
        body=f"Argo CD Applications for {run.service_name}, created by scaffold run {run.id}.",
    )
    log(f"opened GitOps change {pull.url}")
    return {"pull_request_url": pull.url, "environments": [e.name for e in environments]}


def gitops_repository_ensure() -> str:
    """The GitOps repository with a first commit on its default branch (pull requests need a base)."""
    sc = source_control()
    slug = settings.GITOPS_REPOSITORY
    repo = sc.repository_get(slug) or sc.repository_create(
        slug, description="Argo CD applications managed by the platform portal"
    )
    if sc.branch_head(slug, repo.default_branch) is None:  # also mends a create that failed halfway
        with tempfile.TemporaryDirectory() as tmp:
            (Path(tmp) / "README.md").write_text("# GitOps\n\nArgo CD applications managed by the platform portal.\n")
            sc.commit_tree(
                slug, repo.default_branch, root=Path(tmp), message="Start the GitOps repository", replace=False
            )
    return repo.default_branch


def step_register(run: ScaffoldRun, log: Log) -> dict[str, Any]:
    path = golden_path_get(run.golden_path)
    repo_url = run.steps.get(name="create_repository").output["url"]
    service = Service.objects.filter(name=run.service_name).first()
    if service is None:
        service = catalog_services.service_create(
            actor=run.requested_by,
            name=run.service_name,
            owner=run.owner,
            origin=Origin.GOLDEN_PATH,
            title=run.parameters.get("title", "") or "",
            description=run.parameters.get("description", "") or "",
            tier=int(run.parameters.get("tier", 3)),
            lifecycle="experimental",
            repo_url=repo_url,
            language=run.parameters.get("language", "") or "",
            type=_service_type(path),
            tags=sorted({t for t in path.tags}),
            golden_path=path.name,
            golden_path_version=path.version,
        )
        log(f"registered {service.name} in the catalog")
    elif service.golden_path != path.name or service.owner_id != run.owner_id:
        raise IntegrationError(f"A service named {run.service_name} was registered by someone else meanwhile.")
    slos = slos_default_for(service)  # born with the SLOs of its tier
    log(f"SLOs: {', '.join(f'{s.name} {s.objective}%' for s in slos)}")
    for env in Environment.objects.filter(name__in=path.environments):
        catalog_services.placement_set(
            actor=run.requested_by,
            service=service,
            environment=env,
            namespace=f"{run.owner.name}-{env.name}",
            argocd_app_name=f"{run.service_name}-{env.name}",
        )
    return {"entity_ref": f"component:default/{service.name}"}


def _service_type(path: GoldenPath) -> str:
    return {"event-driven-worker": "worker", "scheduled-job": "job"}.get(path.name, "service")


STEP_FUNCTIONS: dict[str, Callable[[ScaffoldRun, Log], dict[str, Any]]] = {
    "render": step_render,
    "create_repository": step_create_repository,
    "push": step_push,
    "gitops_change": step_gitops_change,
    "register": step_register,
}
