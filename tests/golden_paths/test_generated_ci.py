"""Each generated repository's CI calls the platform's shared, versioned steps: build, test, scan, deploy."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.golden_paths.conftest import Variant
from tests.golden_paths.support import ENVIRONMENTS

STEPS = ("test", "build", "scan", "deploy")


def test_only_the_chosen_ci_system_is_configured(variant: Variant, repo: Path) -> None:
    github = (repo / ".github" / "workflows" / "ci.yaml").exists()
    gitlab = (repo / ".gitlab-ci.yml").exists()

    assert (github, gitlab) == ((True, False) if variant.context["scm"] == "github" else (False, True))


def test_github_jobs_use_the_shared_workflows_at_the_pinned_version(variant: Variant, repo: Path) -> None:
    if variant.context["scm"] != "github":
        return
    context = variant.context
    jobs = yaml.safe_load((repo / ".github" / "workflows" / "ci.yaml").read_text())["jobs"]
    prefix = re.escape(f"{context['platform_org']}/{context['pipelines_repo']}/.github/workflows/")
    pattern = rf"{prefix}({'|'.join(STEPS)})\.yaml@{re.escape(context['pipelines_version'])}"

    steps = [re.fullmatch(pattern, job["uses"]) for job in jobs.values()]
    assert all(steps), [job["uses"] for job in jobs.values()]
    assert {m.group(1) for m in steps if m} == set(STEPS)
    deploys = {name: job for name, job in jobs.items() if name.startswith("deploy-")}
    assert list(deploys) == [f"deploy-{env}" for env in ENVIRONMENTS]
    for env, job in zip(ENVIRONMENTS, deploys.values(), strict=True):
        assert job["with"]["environment"] == env
        assert (repo / job["with"]["overlay"] / "kustomization.yaml").is_file()
        assert job["with"]["argocd-app"] == f"{context['name']}-{env}"
    assert jobs["deploy-prod"]["needs"] == ["build", "deploy-staging"]


def test_gitlab_includes_the_shared_templates_at_the_pinned_ref(variant: Variant, repo: Path) -> None:
    if variant.context["scm"] != "gitlab":
        return
    context = variant.context
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())

    assert pipeline["include"] == [
        {
            "project": f"{context['platform_org']}/{context['pipelines_repo']}",
            "ref": context["pipelines_version"],
            "file": [f"/gitlab/{step}.yml" for step in STEPS],
        }
    ]
    assert pipeline["stages"] == list(STEPS)
    for step in ("test", "build", "scan"):
        assert pipeline[step]["extends"] == f".platform-{step}"
    for env in ENVIRONMENTS:
        job = pipeline[f"deploy-{env}"]
        assert job["extends"] == ".platform-deploy"
        assert job["variables"]["ENVIRONMENT"] == env
        assert (repo / job["variables"]["OVERLAY"] / "kustomization.yaml").is_file()
    assert pipeline["deploy-prod"]["rules"][0]["when"] == "manual"
