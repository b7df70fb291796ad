"""The Gatekeeper policies in deploy/policies/gatekeeper: well-formed for Gatekeeper, passed by every manifest the
golden paths render, and each rule rejects a manifest that breaks it, with a message naming what is wrong."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import jsonschema
import pytest

from portal.core import labels
from tests.golden_paths.support import cookiecutter_defaults, pod_spec
from tests.policy.conftest import Manifests
from tests.policy.gatekeeper import POLICIES, constraints, documents, evaluate, review, templates

# The ConstraintTemplate fields Gatekeeper documents for templates.gatekeeper.sh/v1 (only these are used here).
STRUCTURAL: dict[str, Any] = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string"}}}
CONSTRAINT_TEMPLATE = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "templates.gatekeeper.sh/v1"},
        "kind": {"const": "ConstraintTemplate"},
        "metadata": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": {"type": "string", "pattern": "^[a-z0-9]+$"}, "annotations": {"type": "object"}},
        },
        "spec": {
            "type": "object",
            "required": ["crd", "targets"],
            "additionalProperties": False,
            "properties": {
                "crd": {
                    "type": "object",
                    "required": ["spec"],
                    "properties": {
                        "spec": {
                            "type": "object",
                            "required": ["names"],
                            "additionalProperties": False,
                            "properties": {
                                "names": {
                                    "type": "object",
                                    "required": ["kind"],
                                    "properties": {"kind": {"type": "string", "pattern": "^[A-Z][A-Za-z0-9]*$"}},
                                },
                                "validation": {
                                    "type": "object",
                                    "required": ["openAPIV3Schema"],
                                    "properties": {"openAPIV3Schema": STRUCTURAL},
                                },
                            },
                        }
                    },
                },
                "targets": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "required": ["target", "rego"],
                        "additionalProperties": False,
                        "properties": {
                            "target": {"const": "admission.k8s.gatekeeper.sh"},
                            "rego": {"type": "string"},
                            "libs": {"type": "array", "items": {"type": "string"}},
                        },
                    },
                },
            },
        },
    },
}
CONSTRAINT = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "additionalProperties": False,
    "properties": {
        "apiVersion": {"const": "constraints.gatekeeper.sh/v1beta1"},
        "kind": {"type": "string"},
        "metadata": {"type": "object", "required": ["name"]},
        "spec": {
            "type": "object",
            "required": ["match"],
            "additionalProperties": False,
            "properties": {
                "enforcementAction": {"enum": ["deny", "dryrun", "warn"]},
                "match": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "kinds": {
                            "type": "array",
                            "items": {
                                "type": "object",
                                "additionalProperties": False,
                                "properties": {
                                    "apiGroups": {"type": "array", "items": {"type": "string"}},
                                    "kinds": {"type": "array", "items": {"type": "string"}},
                                },
                            },
                        },
                        "excludedNamespaces": {"type": "array", "items": {"type": "string"}},
                        "namespaces": {"type": "array", "items": {"type": "string"}},
                    },
                },
                "parameters": {"type": "object"},
            },
        },
    },
}
RULES = {"PortalRequiredLabels", "PortalContainerResources", "PortalNonRoot", "PortalProbes", "PortalAllowedRegistries"}


def structural_gaps(schema: dict[str, Any], where: str = "openAPIV3Schema") -> list[str]:
    """Places where a schema node has no type (Kubernetes refuses non-structural schemas in v1 templates)."""
    gaps = [] if "type" in schema else [where]
    for name, child in schema.get("properties", {}).items():
        gaps += structural_gaps(child, f"{where}.properties.{name}")
    if "items" in schema:
        gaps += structural_gaps(schema["items"], f"{where}.items")
    return gaps


def test_every_template_has_the_shape_gatekeeper_accepts() -> None:
    shipped = documents(POLICIES / "templates")

    assert {t["spec"]["crd"]["spec"]["names"]["kind"] for t in shipped} == RULES
    for template in shipped:
        jsonschema.validate(template, CONSTRAINT_TEMPLATE)
        kind = template["spec"]["crd"]["spec"]["names"]["kind"]
        assert template["metadata"]["name"] == kind.lower()  # Gatekeeper refuses any other name
        schema = template["spec"]["crd"]["spec"].get("validation", {}).get("openAPIV3Schema", {"type": "object"})
        assert structural_gaps(schema) == [], kind
        (target,) = template["spec"]["targets"]
        assert f"package {kind.lower()}\n" in target["rego"]
        assert "import rego.v1" in target["rego"]


def test_every_constraint_uses_a_shipped_template_with_parameters_its_schema_accepts() -> None:
    shipped = constraints()

    assert {c["kind"] for c in shipped} == RULES
    for constraint in shipped:
        jsonschema.validate(constraint, CONSTRAINT)
        template = templates()[constraint["kind"]].document
        schema = template["spec"]["crd"]["spec"].get("validation", {}).get("openAPIV3Schema", {"type": "object"})
        jsonschema.validate(constraint["spec"].get("parameters", {}), schema)


def test_the_label_constraint_requires_exactly_the_portals_standard_labels() -> None:
    (constraint,) = (c for c in constraints() if c["kind"] == "PortalRequiredLabels")

    assert tuple(constraint["spec"]["parameters"]["labels"]) == labels.REQUIRED


def test_the_registry_constraint_allows_the_golden_paths_default_registry() -> None:
    (constraint,) = (c for c in constraints() if c["kind"] == "PortalAllowedRegistries")
    registries = {cookiecutter_defaults(p)["container_registry"] for p in ("python-http-service", "scheduled-job")}

    assert registries <= set(constraint["spec"]["parameters"]["registries"])


def test_the_probe_constraint_leaves_jobs_alone() -> None:
    (constraint,) = (c for c in constraints() if c["kind"] == "PortalProbes")
    kinds = {k for selector in constraint["spec"]["match"]["kinds"] for k in selector["kinds"]}

    assert kinds == {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Rollout"}


def test_every_golden_path_manifest_in_every_environment_passes_every_policy(
    golden_path_manifests: Manifests,
) -> None:
    denied = {
        f"{where}: {doc['kind']}/{doc['metadata']['name']}": [f"{v.constraint}: {v.msg}" for v in review(doc)]
        for where, docs in golden_path_manifests.items()
        for doc in docs
    }
    workloads = [doc for docs in golden_path_manifests.values() for doc in docs if pod_spec(doc) is not None]

    assert {k: v for k, v in denied.items() if v} == {}
    assert len(workloads) == len(golden_path_manifests)  # one workload per variant and environment was checked


# Each rule broken once on a rendered golden-path workload: (what is done, the constraint, words the message holds).
def _drop(path: list[str]) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        node = obj
        for key in path[:-1]:
            node = node[int(key)] if isinstance(node, list) else node[key]
        del node[path[-1]]

    return apply


def _set(path: list[str], value: Any) -> Callable[[dict[str, Any]], None]:
    def apply(obj: dict[str, Any]) -> None:
        node = obj
        for key in path[:-1]:
            node = node[int(key)] if isinstance(node, list) else node.setdefault(key, {})
        node[path[-1]] = value

    return apply


POD = ["spec", "template", "spec"]
APP = [*POD, "containers", "0"]
BROKEN: dict[str, tuple[Callable[[dict[str, Any]], None], str, list[str]]] = {
    "no cost centre label": (
        _drop(["metadata", "labels", labels.COST_CENTRE]),
        "portal-required-labels",
        ["metadata.labels lacks", labels.COST_CENTRE],
    ),
    "pod template without the team label": (
        _drop(["spec", "template", "metadata", "labels", labels.TEAM]),
        "portal-required-labels",
        ["spec.template.metadata.labels lacks", labels.TEAM],
    ),
    "empty environment label": (
        _set(["metadata", "labels", labels.ENVIRONMENT], ""),
        "portal-required-labels",
        [labels.ENVIRONMENT],
    ),
    "no memory limit": (
        _drop([*APP, "resources", "limits", "memory"]),
        "portal-container-resources",
        ["container app", "resources.limits.memory"],
    ),
    "no cpu request": (
        _drop([*APP, "resources", "requests", "cpu"]),
        "portal-container-resources",
        ["container app", "resources.requests.cpu"],
    ),
    "runAsNonRoot off in the pod": (
        _set([*POD, "securityContext", "runAsNonRoot"], False),
        "portal-non-root",
        ["container app", "runAsNonRoot"],
    ),
    "container running as uid 0": (
        _set([*APP, "securityContext", "runAsUser"], 0),
        "portal-non-root",
        ["container app", "runAsUser 0"],
    ),
    "privileged container": (
        _set([*APP, "securityContext", "privileged"], True),
        "portal-non-root",
        ["container app", "privileged"],
    ),
    "privilege escalation allowed": (
        _drop([*APP, "securityContext", "allowPrivilegeEscalation"]),
        "portal-non-root",
        ["container app", "allowPrivilegeEscalation"],
    ),
    "no readiness probe": (_drop([*APP, "readinessProbe"]), "portal-probes", ["container app", "readinessProbe"]),
    "no liveness probe": (_drop([*APP, "livenessProbe"]), "portal-probes", ["container app", "livenessProbe"]),
    "image from Docker Hub": (
        _set([*APP, "image"], "docker.io/library/nginx:1.27"),
        "portal-allowed-registries",
        ["container app", "docker.io/library/nginx:1.27"],
    ),
    "image from a look-alike registry path": (
        _set([*APP, "image"], "ghcr.io/example-org-evil/orders-api:0.1.0"),
        "portal-allowed-registries",
        ["container app", "ghcr.io/example-org-evil"],
    ),
}


@pytest.fixture(scope="module")
def deployment(golden_path_manifests: Manifests) -> dict[str, Any]:
    """The http service's production Deployment as the golden path renders it (passes every policy)."""
    (found,) = (d for d in golden_path_manifests["python-http-service-tier1/prod"] if d["kind"] == "Deployment")
    return found


@pytest.mark.parametrize("case", list(BROKEN))
def test_a_manifest_breaking_one_rule_is_rejected_by_that_rule_naming_what_is_wrong(
    case: str, deployment: dict[str, Any]
) -> None:
    breaks, constraint, words = BROKEN[case]
    broken = copy.deepcopy(deployment)
    breaks(broken)

    denied = review(broken)

    assert review(deployment) == []
    assert {v.constraint for v in denied} == {constraint}, denied
    assert any(all(word in v.msg for word in words) for v in denied), denied


def test_an_init_container_is_held_to_the_same_rules(deployment: dict[str, Any]) -> None:
    broken = copy.deepcopy(deployment)
    broken["spec"]["template"]["spec"]["initContainers"] = [{"name": "migrate", "image": "docker.io/migrate:1"}]

    messages = [v.msg for v in review(broken)]

    assert any("container migrate has no resources.limits.cpu" in m for m in messages), messages
    assert any("container migrate uses image docker.io/migrate:1" in m for m in messages), messages
    assert any("container migrate must set securityContext.allowPrivilegeEscalation" in m for m in messages), messages
    assert not any("migrate has no readinessProbe" in m for m in messages)  # init containers run to completion


def test_a_cronjob_needs_no_probes_but_a_bare_root_pod_is_rejected(golden_path_manifests: Manifests) -> None:
    (cronjob,) = (d for d in golden_path_manifests["scheduled-job-tier1/prod"] if d["kind"] == "CronJob")
    pod = {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": "debug", "namespace": "payments-prod"},
        "spec": {"containers": [{"name": "shell", "image": "ghcr.io/example-org/tools:1", "securityContext": {}}]},
    }

    assert review(cronjob) == []
    assert "probe" not in " ".join(v.msg for v in review(pod))
    assert {v.constraint for v in review(pod)} == {"portal-container-resources", "portal-non-root"}


def test_a_cronjob_whose_jobs_would_lack_a_label_is_rejected(golden_path_manifests: Manifests) -> None:
    (cronjob,) = (d for d in golden_path_manifests["scheduled-job-tier2/prod"] if d["kind"] == "CronJob")
    broken = copy.deepcopy(cronjob)
    del broken["spec"]["jobTemplate"]["metadata"]["labels"][labels.SERVICE]

    assert [v.msg for v in review(broken)] == [
        f"CronJob/{cronjob['metadata']['name']}: spec.jobTemplate.metadata.labels lacks {labels.SERVICE}"
    ]
    assert labels.missing_labels(broken) == [f"spec.jobTemplate.metadata.labels[{labels.SERVICE}]"]


def test_an_argo_rollout_is_held_to_the_rules_of_a_deployment(deployment: dict[str, Any]) -> None:
    rollout = {**copy.deepcopy(deployment), "apiVersion": "argoproj.io/v1alpha1", "kind": "Rollout"}
    broken = copy.deepcopy(rollout)
    del broken["spec"]["template"]["spec"]["containers"][0]["readinessProbe"]
    del broken["spec"]["template"]["metadata"]["labels"][labels.COST_CENTRE]

    assert review(rollout) == []
    assert sorted(v.msg for v in review(broken)) == [
        "Rollout/orders-api: container app has no readinessProbe",
        f"Rollout/orders-api: spec.template.metadata.labels lacks {labels.COST_CENTRE}",
    ]


def test_system_namespaces_are_not_checked(deployment: dict[str, Any]) -> None:
    broken = copy.deepcopy(deployment)
    broken["metadata"]["namespace"] = "kube-system"
    broken["metadata"]["labels"] = {}

    assert review(broken) == []


def test_each_rule_evaluates_on_its_own_with_gatekeepers_input(deployment: dict[str, Any]) -> None:
    """A control on the harness: a template run directly, without the constraint's kind match, still judges."""
    template = templates()["PortalRequiredLabels"]

    assert evaluate(template, deployment, {"labels": ["example.com/absent"]}) == [
        "Deployment/orders-api: metadata.labels lacks example.com/absent",
        "Deployment/orders-api: spec.template.metadata.labels lacks example.com/absent",
    ]
