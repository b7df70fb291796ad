"""The shared steps themselves: valid for GitHub Actions and GitLab CI, typed interfaces, one consistent version."""

from __future__ import annotations

import json
import re
from pathlib import Path

import yaml

from portal.pipelines.versions import catalogue_load, steps_problems
from tests.pipelines.support import (
    SHARED_GITLAB,
    SHARED_WORKFLOWS,
    STEP_NAMES,
    STEPS,
    gitlab_as_jobs,
    gitlab_schema_errors,
    workflows_lint,
)

TEMPLATES = Path(__file__).resolve().parent.parent.parent / "templates"


def _workflow(step: str) -> dict:
    return yaml.safe_load((STEPS / ".github" / "workflows" / f"{step}.yaml").read_text())


def test_every_step_exists_for_both_ci_systems() -> None:
    assert [p.stem for p in SHARED_WORKFLOWS] == sorted(STEP_NAMES)
    assert [p.stem for p in SHARED_GITLAB] == sorted(STEP_NAMES)
    for path in SHARED_GITLAB:
        assert list(yaml.safe_load(path.read_text())) == [f".platform-{path.stem}"], path.name


def test_shared_workflows_pass_actionlint_and_githubs_own_parser() -> None:
    report = workflows_lint({f".github/workflows/{p.name}": p.read_text() for p in SHARED_WORKFLOWS})

    assert len(report) == len(SHARED_WORKFLOWS)
    assert {name: r["actionlint"] for name, r in report.items() if r["actionlint"]} == {}
    assert {name: r["parser"] for name, r in report.items() if r["parser"]} == {}


def test_the_linters_do_catch_a_broken_workflow() -> None:
    broken = (STEPS / ".github" / "workflows" / "gate.yaml").read_text()
    broken = broken.replace("${{ inputs.service }}", "${{ inputs.servce }}").replace("runs-on:", "run-on:")

    report = workflows_lint({".github/workflows/gate.yaml": broken})["/.github/workflows/gate.yaml".lstrip("/")]

    assert any("servce" in e["message"] for e in report["actionlint"]), report
    assert any("run-on" in m or "runs-on" in m for m in report["parser"]), report


def test_every_step_is_a_typed_reusable_workflow() -> None:
    for step in STEP_NAMES:
        call = _workflow(step)[True]["workflow_call"]  # PyYAML reads the key `on` as True
        for name, spec in call.get("inputs", {}).items():
            assert spec["type"] in ("string", "boolean", "number"), (step, name)
            assert spec.get("description"), f"{step}.{name} has no description"
            assert spec.get("required") or "default" in spec, f"{step}.{name} is neither required nor defaulted"
        for name, spec in call.get("outputs", {}).items():
            assert spec["value"].startswith("${{ jobs."), (step, name)


def test_tokens_are_secrets_never_written_inline() -> None:
    for path in [*SHARED_WORKFLOWS, *SHARED_GITLAB]:
        text = path.read_text()
        assert not re.search(r"(?i)(token|password)\s*:\s*['\"]?[A-Za-z0-9_]{20,}", text), path.name
        commands = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
        assert "kubectl" not in commands, f"{path.name}: deploys go through GitOps, never kubectl"
    for step in ("canary", "gate"):
        assert _workflow(step)[True]["workflow_call"]["secrets"]["PORTAL_TOKEN"]["required"] is True
    deploy = (STEPS / ".github" / "workflows" / "deploy.yaml").read_text()
    assert "${{ secrets.PORTAL_TOKEN }}" in deploy
    assert "${{ secrets.ARGOCD_TOKEN }}" in deploy


def test_gitlab_job_templates_match_gitlabs_ci_schema(tmp_path: Path) -> None:
    assert gitlab_schema_errors(*SHARED_GITLAB) == ""
    assert gitlab_schema_errors(*(gitlab_as_jobs(path, tmp_path) for path in SHARED_GITLAB)) == ""


def test_gitlab_schema_check_does_catch_a_broken_job(tmp_path: Path) -> None:
    broken = tmp_path / "src" / "gate.yml"
    broken.parent.mkdir()
    broken.write_text((STEPS / "gitlab" / "gate.yml").read_text().replace("script:", "scripts:"))

    assert "'scripts' were unexpected" in gitlab_schema_errors(gitlab_as_jobs(broken, tmp_path / "jobs"))


def test_build_caches_dependencies_and_pushes_with_provenance() -> None:
    build = _workflow("build")["jobs"]["build"]["steps"]
    push = next(s for s in build if s.get("uses", "").startswith("docker/build-push-action"))
    assert push["with"]["cache-from"].startswith("type=gha")
    assert "mode=max" in push["with"]["cache-to"]
    assert push["with"]["provenance"] == "mode=max"
    test = _workflow("test")["jobs"]["test"]["steps"]
    python = next(s for s in test if s.get("uses", "").startswith("actions/setup-python"))
    assert python["with"]["cache"] == "pip"
    assert "requirements" in python["with"]["cache-dependency-path"]
    gitlab_test = yaml.safe_load((STEPS / "gitlab" / "test.yml").read_text())[".platform-test"]
    assert gitlab_test["cache"]["key"]["files"] == ["requirements.txt", "requirements-dev.txt"]


def test_the_steps_folder_is_publishable_at_its_current_version() -> None:
    catalogue = catalogue_load(STEPS)

    assert steps_problems(STEPS) == []
    assert catalogue.get(catalogue.current) is not None
    assert catalogue.get(catalogue.current).changes


def test_a_version_bump_that_forgets_the_gitlab_pin_is_refused(tmp_path: Path) -> None:
    import shutil

    copy = tmp_path / "steps"
    shutil.copytree(STEPS, copy)
    versions = yaml.safe_load((copy / "versions.yaml").read_text())
    versions["current"] = "v2"
    versions["versions"].insert(0, {"version": "v2", "date": "2026-12-01", "changes": ["faster tests"]})
    (copy / "versions.yaml").write_text(yaml.safe_dump(versions))

    problems = steps_problems(copy)

    assert len(problems) == len(STEP_NAMES)
    assert all("not v2" in problem for problem in problems)


def test_golden_paths_pin_the_current_version() -> None:
    current = catalogue_load(STEPS).current
    for template in ("python-http-service", "event-driven-worker", "scheduled-job"):
        answers = json.loads((TEMPLATES / template / "cookiecutter.json").read_text())
        assert answers["pipelines_version"] == current, template
        assert answers["pipelines_repo"] == "pipelines", template
        form = yaml.safe_load((TEMPLATES / template / "golden-path.yaml").read_text())
        assert form["parameters"]["properties"]["pipelines_version"]["default"] == current, template
