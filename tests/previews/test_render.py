"""What the previews app renders: a valid ApplicationSet per provider, valid Kubernetes objects, labelled."""

from __future__ import annotations

import copy

import kubernetes_validate
import pytest

from portal.core.labels import missing_labels
from portal.previews.examples import example_manifests, example_spec
from portal.previews.render import PullRequestRef, applicationset, namespace_for, preview_objects
from portal.previews.validation import application_errors, applicationset_errors

KUBERNETES_VERSION = "1.33.0"


def test_every_rendered_object_carries_the_standard_labels() -> None:
    manifests = example_manifests()
    assert {m["kind"] for m in manifests} >= {"ApplicationSet", "Application", "Namespace", "ResourceQuota"}
    assert {(m["kind"], m["metadata"]["name"]): missing_labels(m) for m in manifests} == {
        (m["kind"], m["metadata"]["name"]): [] for m in manifests
    }
    assert all(m["metadata"]["labels"]["platform-portal/environment"] == "preview" for m in manifests)


def test_core_objects_pass_the_kubernetes_schemas() -> None:
    core = [m for m in example_manifests() if not m["apiVersion"].startswith("argoproj.io")]
    assert [m["kind"] for m in core] == ["Namespace", "ResourceQuota", "LimitRange", "Deployment"]
    for manifest in core:
        kubernetes_validate.validate(manifest, KUBERNETES_VERSION, strict=True)


def test_github_applicationset_uses_the_documented_pull_request_generator() -> None:
    document = applicationset(example_spec("github"))
    assert applicationset_errors(document) == []
    generator = document["spec"]["generators"][0]["pullRequest"]
    assert generator["github"] == {
        "owner": "acme",
        "repo": "payments-api",
        "tokenRef": {"secretName": "github-token", "key": "token"},
        "labels": ["preview"],
    }
    assert generator["requeueAfterSeconds"] == 180
    assert document["spec"]["goTemplate"] is True
    template = document["spec"]["template"]
    assert template["metadata"]["name"] == "payments-api-pr-{{.number}}"
    assert template["spec"]["source"]["targetRevision"] == "{{.head_sha}}"
    assert template["spec"]["destination"]["namespace"] == "pr-{{.number}}-payments-api"
    assert "CreateNamespace=true" in template["spec"]["syncPolicy"]["syncOptions"]


def test_gitlab_applicationset_names_the_project_and_opened_merge_requests() -> None:
    document = applicationset(example_spec("gitlab"))
    assert applicationset_errors(document) == []
    gitlab = document["spec"]["generators"][0]["pullRequest"]["gitlab"]
    assert gitlab["project"] == "4242"
    assert gitlab["pullRequestState"] == "opened"
    assert gitlab["tokenRef"] == {"secretName": "gitlab-token", "key": "token"}


@pytest.mark.parametrize(
    ("path", "value", "expected"),
    [
        (("spec", "generators", 0, "pullRequest", "github", "repository"), "x", "Additional properties"),
        (("spec", "generators", 0, "pullRequest", "requeueAfterSeconds"), "soon", "is not of type 'integer'"),
        (("spec", "template", "spec", "destination", "cluster"), "x", "Additional properties"),
        (("kind",), "Application", "'ApplicationSet' was expected"),
    ],
)
def test_the_schema_rejects_what_argo_cd_does_not_document(path: tuple, value: object, expected: str) -> None:
    document = copy.deepcopy(applicationset(example_spec("github")))
    target = document
    for key in path[:-1]:
        target = target[key]
    target[path[-1]] = value
    errors = applicationset_errors(document)
    assert any(expected in error for error in errors), errors


def test_generated_application_targets_the_head_commit_in_its_own_namespace() -> None:
    application = next(m for m in example_manifests() if m["kind"] == "Application")
    assert application_errors(application) == []
    assert application["spec"]["source"]["targetRevision"] == "3f9c2a1b7e5d4c6a8b9e0f1a2b3c4d5e6f7a8b9c"
    assert application["spec"]["destination"]["namespace"] == "pr-42-payments-api"


def test_a_long_service_name_still_gives_a_valid_namespace() -> None:
    name = namespace_for("a-very-long-service-name-that-goes-on-and-on-and-on-for-ever-x", 12345)
    assert len(name) <= 63
    assert name[-1].isalnum()
    spec = example_spec("github")
    objects = preview_objects(spec, PullRequestRef(number=9, branch="b", head_sha="abc"), replicas=0)
    deployment = objects[-1]
    assert deployment["spec"]["replicas"] == 0
    kubernetes_validate.validate(deployment, KUBERNETES_VERSION, strict=True)


def test_the_quota_leaves_room_for_a_rolling_update_and_no_load_balancer() -> None:
    quota = next(m for m in example_manifests() if m["kind"] == "ResourceQuota")
    assert quota["spec"]["hard"]["requests.cpu"] == "500m"  # 1 replica x 0.25 cores x 2 during a rollout
    assert quota["spec"]["hard"]["services.loadbalancers"] == "0"
