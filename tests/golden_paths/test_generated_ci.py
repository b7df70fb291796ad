"""Each generated repository's CI calls the platform's shared, versioned steps: test, build, scan, deploy, and in
production the quality gate before the deploy and the canary judge after it."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import yaml

from portal.integrations.backends import backends_reset
from tests.conftest import client_for
from tests.golden_paths.conftest import VARIANTS, Variant
from tests.golden_paths.support import ENVIRONMENTS, TEMPLATES
from tests.pipelines.fake_services import fake_server
from tests.pipelines.support import STEPS as SHARED_STEPS
from tests.pipelines.support import gitlab_schema_errors, workflows_lint

STEPS = ("test", "build", "scan", "deploy", "gate", "canary")
BASELINE_JOB = "prod-baseline"  # the one job that is not a shared step: it looks up what prod runs before the deploy


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

    steps = [re.fullmatch(pattern, job["uses"]) for name, job in jobs.items() if name != BASELINE_JOB]
    assert all(steps), [job.get("uses") for job in jobs.values()]
    assert {m.group(1) for m in steps if m} == set(STEPS)
    deploys = {name: job for name, job in jobs.items() if name.startswith("deploy-")}
    assert list(deploys) == [f"deploy-{env}" for env in ENVIRONMENTS]
    for env, job in zip(ENVIRONMENTS, deploys.values(), strict=True):
        assert job["with"]["environment"] == env
        assert (repo / job["with"]["overlay"] / "kustomization.yaml").is_file()
        assert job["with"]["argocd-app"] == f"{context['name']}-{env}"
    assert jobs["deploy-prod"]["needs"] == ["build", "deploy-staging", "gate-prod"]


def _needs(job: dict[str, Any]) -> set[str]:
    needs = job.get("needs", [])
    return {needs} if isinstance(needs, str) else set(needs)


def _upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job that must finish before this one starts."""
    direct = _needs(jobs[name])
    return direct.union(*(_upstream(jobs, parent) for parent in direct))


def test_github_gates_prod_before_the_deploy_and_judges_the_canary_after_it(variant: Variant, repo: Path) -> None:
    if variant.context["scm"] != "github":
        return
    context = variant.context
    jobs = yaml.safe_load((repo / ".github" / "workflows" / "ci.yaml").read_text())["jobs"]
    gate, canary, baseline = jobs["gate-prod"], jobs["canary-prod"], jobs[BASELINE_JOB]

    assert gate["uses"].endswith(f"/gate.yaml@{context['pipelines_version']}")
    assert gate["with"] == {
        "service": context["name"],
        "environment": "prod",
        "version": "${{ needs.build.outputs.tag }}",  # what the build pushed (a label-safe version)
        "portal-url": context["portal_url"],
    }
    assert "gate-prod" in _upstream(jobs, "deploy-prod")
    assert {"build", "deploy-staging"} <= _upstream(jobs, "gate-prod")
    assert "deploy-prod" not in _upstream(jobs, "gate-prod")

    assert canary["uses"].endswith(f"/canary.yaml@{context['pipelines_version']}")
    assert canary["with"] == {
        "service": context["name"],
        "environment": "prod",
        "baseline-version": f"${{{{ needs.{BASELINE_JOB}.outputs.version }}}}",
        "canary-version": "${{ needs.build.outputs.tag }}",
        "portal-url": context["portal_url"],
    }
    assert {"deploy-prod", BASELINE_JOB, "build"} <= _needs(canary)
    assert "needs.prod-baseline.outputs.version != ''" in canary["if"]  # a first deploy has nothing to compare
    # the baseline is looked up before prod changes, from prod's last successful deployment
    assert "deploy-prod" not in _upstream(jobs, BASELINE_JOB)
    assert baseline["permissions"] == {"deployments": "read"}
    assert "deployments?environment=prod" in baseline["steps"][0]["run"]
    for name in ("gate-prod", "canary-prod"):
        assert jobs[name]["secrets"] == "inherit", f"{name} needs the PORTAL_TOKEN organisation secret"
        assert jobs[name]["if"].startswith("github.ref == 'refs/heads/main'")
    for env in ENVIRONMENTS:  # the deploys record themselves in the same portal (a change event)
        assert jobs[f"deploy-{env}"]["with"]["portal-url"] == context["portal_url"]


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
    assert pipeline["stages"] == ["test", "build", "scan", "deploy"]
    for step in ("test", "build", "scan"):
        assert pipeline[step]["extends"] == f".platform-{step}"
    for env in ENVIRONMENTS:
        job = pipeline[f"deploy-{env}"]
        assert job["extends"] == ".platform-deploy"
        assert job["variables"]["ENVIRONMENT"] == env
        assert (repo / job["variables"]["OVERLAY"] / "kustomization.yaml").is_file()
    assert pipeline["deploy-prod"]["rules"][0]["when"] == "manual"


def test_gitlab_gates_prod_before_the_deploy_and_judges_the_canary_after_it(variant: Variant, repo: Path) -> None:
    if variant.context["scm"] != "gitlab":
        return
    context = variant.context
    pipeline = yaml.safe_load((repo / ".gitlab-ci.yml").read_text())
    jobs = {name: job for name, job in pipeline.items() if isinstance(job, dict) and name != "variables"}
    gate, canary, baseline = pipeline["gate-prod"], pipeline["canary-prod"], pipeline[BASELINE_JOB]

    assert pipeline["variables"]["SERVICE"] == context["name"]
    assert pipeline["variables"]["PORTAL_URL"] == context["portal_url"]
    assert "PORTAL_TOKEN" not in pipeline["variables"]  # a masked CI/CD variable of the group, never in the file
    assert gate["extends"] == ".platform-gate"
    # the build tags the image with the commit's short SHA (shared build.yml): that is the version judged
    assert gate["variables"] == {"ENVIRONMENT": "prod", "VERSION": "$CI_COMMIT_SHORT_SHA"}
    assert 'TAG="$CI_COMMIT_SHORT_SHA"' in (SHARED_STEPS / "gitlab" / "build.yml").read_text()
    assert "gate-prod" in _upstream(jobs, "deploy-prod")
    assert {"build", "deploy-staging"} <= _upstream(jobs, "gate-prod")
    assert "deploy-prod" not in _upstream(jobs, "gate-prod")

    assert canary["extends"] == ".platform-canary"
    assert canary["variables"] == {"ENVIRONMENT": "prod", "CANARY_VERSION": "$CI_COMMIT_SHORT_SHA"}
    assert {"deploy-prod", BASELINE_JOB} <= _needs(canary)  # BASELINE_VERSION comes from prod-baseline's dotenv
    assert "deploy-prod" not in _upstream(jobs, BASELINE_JOB)
    assert baseline["artifacts"]["reports"]["dotenv"] == "baseline.env"
    assert "BASELINE_VERSION=" in baseline["script"][0]
    for name in ("gate-prod", BASELINE_JOB, "canary-prod"):
        assert pipeline[name]["rules"] == [{"if": "$CI_COMMIT_BRANCH == $CI_DEFAULT_BRANCH"}], name


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
        if name == BASELINE_JOB:
            continue
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
    assert "baseline-version:" in text
    report = workflows_lint({"ci.yaml": text.replace("baseline-version:", "baseline-versoin:", 1)})["ci.yaml"]
    assert any("baseline-versoin" in message for message in report["parser"]), report


# What prod runs before the deploy, as the GitLab job finds it: GitLab's deployments API (GET
# /projects/:id/deployments, newest finished first, each {"id", "iid", "ref", "sha", "status", ...}) with the job token.


def _deployment(number: int, sha: str) -> dict[str, Any]:
    return {
        "id": number,
        "iid": number,
        "ref": "main",
        "sha": sha,
        "status": "success",
        "environment": {"name": "prod"},
    }


def _gitlab_baseline(
    rendered: dict[str, Path], tmp_path: Path, api: str, current: str
) -> subprocess.CompletedProcess[str]:
    variant = next(v for v in VARIANTS if v.context["scm"] == "gitlab")
    script = yaml.safe_load((rendered[variant.id] / ".gitlab-ci.yml").read_text())[BASELINE_JOB]["script"]
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "CI_API_V4_URL": f"{api}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_JOB_TOKEN": "job-token",
        "CI_COMMIT_SHA": current,
    }
    return subprocess.run(
        ["sh", "-ec", "\n".join(script)], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_gitlab_baseline_is_the_commit_of_prods_last_successful_deployment(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    current, previous, older = "c" * 40, "b" * 40, "a" * 40
    with fake_server() as gitlab:
        # a re-run of this pipeline already deployed once: its own commit is not the baseline
        deployments = [_deployment(3, current), _deployment(2, previous), _deployment(1, older)]
        gitlab.answer("/api/v4/projects/42/deployments", (200, deployments))

        proc = _gitlab_baseline(rendered, tmp_path, gitlab.url, current)

    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "baseline.env").read_text() == f"BASELINE_VERSION={previous[:8]}\n"
    request = gitlab.requests[0]
    assert {k.lower(): v for k, v in request.headers.items()}["job-token"] == "job-token"
    assert "environment=prod" in request.path
    assert "status=success" in request.path


def test_a_first_gitlab_deploy_has_no_baseline_and_an_unreadable_api_fails_the_job(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    with fake_server() as gitlab:
        gitlab.answer("/api/v4/projects/42/deployments", (200, []), (401, {"message": "401 Unauthorized"}))

        first = _gitlab_baseline(rendered, tmp_path, gitlab.url, "c" * 40)
        (tmp_path / "again").mkdir()
        refused = _gitlab_baseline(rendered, tmp_path / "again", gitlab.url, "c" * 40)

    assert first.returncode == 0, first.stderr
    assert (tmp_path / "baseline.env").read_text() == "BASELINE_VERSION=\n"
    assert refused.returncode != 0  # never an empty baseline that silently skips the judge
    assert "401" in refused.stderr


# The same on GitHub: the job's `gh api` calls answered by a stand-in `gh` that serves the documented payloads of
# GET /repos/{owner}/{repo}/deployments and .../deployments/{id}/statuses (newest first) through the real jq.
FAKE_GH = """#!/bin/bash
[ "$1" = api ] || exit 64
file="$FAKE_GH_DIR/$(printf %s "$2" | tr '/?&=' '____').json"
[ -f "$file" ] || { echo "gh: Not Found (HTTP 404)" >&2; exit 1; }
[ "$3" = --jq ] || exit 64
jq -r "$4" "$file"
"""


def _github_baseline(rendered: dict[str, Path], tmp_path: Path, answers: dict[str, Any]) -> tuple[int, str]:
    variant = next(v for v in VARIANTS if v.context["scm"] == "github")
    job = yaml.safe_load((rendered[variant.id] / ".github" / "workflows" / "ci.yaml").read_text())["jobs"][BASELINE_JOB]
    fake = tmp_path / "bin"
    fake.mkdir(parents=True)
    (fake / "gh").write_text(FAKE_GH)
    (fake / "gh").chmod(0o755)
    for path, payload in answers.items():
        name = re.sub(r"[/?&=]", "_", path)
        (fake / f"{name}.json").write_text(json.dumps(payload))
    output = tmp_path / "github_output"
    env = {
        "PATH": f"{fake}:/usr/bin:/bin",
        "FAKE_GH_DIR": str(fake),
        "GH_TOKEN": "github-token",
        "REPOSITORY": "acme/ledger",
        "CURRENT": "c" * 40,
        "GITHUB_OUTPUT": str(output),
    }
    # GitHub runs `run:` with bash -e -o pipefail
    proc = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", job["steps"][0]["run"]],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    return proc.returncode, output.read_text() if output.exists() else ""


def test_the_github_baseline_is_prods_last_successful_deployment_and_a_failed_lookup_fails(
    rendered: dict[str, Path], tmp_path: Path
) -> None:
    listing = "repos/acme/ledger/deployments?environment=prod&per_page=30"
    deployments = [
        {"id": 9, "sha": "c" * 40, "ref": "main", "environment": "prod"},  # this run, deploying now
        {"id": 8, "sha": "f" * 40, "ref": "main", "environment": "prod"},  # its Argo CD sync failed
        {"id": 7, "sha": "b" * 40, "ref": "main", "environment": "prod"},
        {"id": 6, "sha": "a" * 40, "ref": "main", "environment": "prod"},
    ]
    statuses = {number: [{"state": state}] for number, state in ((8, "failure"), (7, "success"), (6, "success"))}
    answers: dict[str, Any] = {listing: deployments}
    answers.update({f"repos/acme/ledger/deployments/{n}/statuses?per_page=1": s for n, s in statuses.items()})

    code, output = _github_baseline(rendered, tmp_path / "found", answers)
    first_code, first_output = _github_baseline(rendered, tmp_path / "first", {listing: []})
    refused_code, refused_output = _github_baseline(rendered, tmp_path / "refused", {})

    assert (code, output) == (0, f"version={'b' * 12}\n")
    assert (first_code, first_output) == (0, "version=\n")  # canary-prod's `if` skips it
    assert refused_code != 0
    assert refused_output == ""


def test_the_portal_url_in_the_generated_ci_is_the_portals_own_address(
    settings: Any, tmp_path: Path, owner: Any, payments: Any
) -> None:
    settings.SITE_URL = "https://portal.acme.test"
    settings.DATA_DIR = tmp_path / "data"
    settings.GOLDEN_PATHS_DIR = TEMPLATES
    settings.SOURCE_CONTROL = {
        "BACKEND": "portal.integrations.source_control.local.LocalGit",
        "OPTIONS": {"root": str(tmp_path / "git"), "base_url": "http://portal.test/api/v1/scm/repositories"},
    }
    backends_reset()
    try:
        # a requester cannot point the gate at another server: the portal's own address wins
        parameters = {"name": "ledger", "owner": "payments", "tier": "2", "portal_url": "https://elsewhere.example.com"}
        response = client_for(owner).post(
            "/api/v1/golden-paths/python-http-service/runs", {"parameters": parameters, "dry_run": True}, format="json"
        )
    finally:
        backends_reset()

    assert response.status_code == 200, response.json()
    files = {f["path"]: f["content"] for f in response.json()["files"]}
    jobs = yaml.safe_load(files[".github/workflows/ci.yaml"])["jobs"]
    assert jobs["gate-prod"]["with"]["portal-url"] == "https://portal.acme.test"
    assert jobs["canary-prod"]["with"]["portal-url"] == "https://portal.acme.test"
    assert "elsewhere.example.com" not in files[".github/workflows/ci.yaml"]


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
