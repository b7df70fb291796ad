"""Each generated repository's CI calls the platform's shared, versioned steps: build, test, scan, deploy."""

from __future__ import annotations

import re
from pathlib import Path

import yaml

from tests.golden_paths.conftest import VARIANTS, Variant
from tests.golden_paths.support import ENVIRONMENTS
from tests.pipelines.support import STEPS as SHARED_STEPS
from tests.pipelines.support import gitlab_schema_errors, workflows_lint

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


# The shared steps these files call live in portal/pipelines/steps: the calls must fit what the steps declare.


def _github_ci(variant: Variant, rendered: dict[str, Path]) -> str | None:
    path = rendered[variant.id] / ".github" / "workflows" / "ci.yaml"
    return path.read_text() if variant.context["scm"] == "github" else None


def _declared(step: str) -> dict:
    return yaml.safe_load((SHARED_STEPS / ".github" / "workflows" / f"{step}.yaml").read_text())[True]["workflow_call"]


def test_github_ci_passes_actionlint_and_githubs_parser_with_the_shared_steps(
    variant: Variant, rendered: dict[str, Path]
) -> None:
    text = _github_ci(variant, rendered)
    if text is None:
        return

    report = workflows_lint({".github/workflows/ci.yaml": text})[".github/workflows/ci.yaml"]

    assert report == {"actionlint": [], "parser": []}


def test_github_ci_passes_only_inputs_the_shared_steps_declare(variant: Variant, rendered: dict[str, Path]) -> None:
    text = _github_ci(variant, rendered)
    if text is None:
        return
    for name, job in yaml.safe_load(text)["jobs"].items():
        step = re.search(r"/([a-z]+)\.yaml@", job["uses"]).group(1)
        inputs = _declared(step).get("inputs", {})
        required = {key for key, spec in inputs.items() if spec.get("required")}
        assert set(job.get("with", {})) <= set(inputs), f"{name} passes inputs {step}.yaml does not declare"
        assert required <= set(job.get("with", {})), f"{name} misses required inputs of {step}.yaml"


def test_a_typo_in_an_input_fails_the_check(rendered: dict[str, Path]) -> None:
    variant = next(v for v in VARIANTS if v.context["scm"] == "github")
    text = _github_ci(variant, rendered)
    assert text is not None
    assert "argocd-app:" in text

    report = workflows_lint({"ci.yaml": text.replace("argocd-app:", "argocd-ap:", 1)})["ci.yaml"]

    assert any("argocd-ap" in message for message in report["parser"]), report


def test_gitlab_ci_matches_gitlabs_schema_and_extends_jobs_the_shared_steps_define(
    variant: Variant, rendered: dict[str, Path]
) -> None:
    if variant.context["scm"] != "gitlab":
        return
    path = rendered[variant.id] / ".gitlab-ci.yml"
    pipeline = yaml.safe_load(path.read_text())
    included = {}
    for file in pipeline["include"][0]["file"]:
        included.update(yaml.safe_load((SHARED_STEPS / file.lstrip("/")).read_text()))

    assert gitlab_schema_errors(path) == ""
    for name, job in pipeline.items():
        if isinstance(job, dict) and "extends" in job:
            assert job["extends"] in included, f"{name} extends {job['extends']}, which no included file defines"
    context = variant.context
    assert (
        pipeline["variables"]["PLATFORM_PIPELINES_PROJECT"] == f"{context['platform_org']}/{context['pipelines_repo']}"
    )
