"""Argo Workflows through the Kubernetes API on the fake server: the Workflow built from runbook steps, checked
against the documented schema and Argo's own rules, and its status followed to the end."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jsonschema
import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import NotFound
from portal.integrations.workflows.argo import ArgoWorkflows
from portal.integrations.workflows.argo_manifest import status_from
from portal.integrations.workflows.base import WorkflowRef
from tests.integrations.fake_argo import FakeArgo, spec_problem
from tests.integrations.fake_kubernetes import Served, served

ARGO_NS = "argo"
STEPS = [{"action": "restart", "replicas": 4}, {"action": "scale_out", "replicas": 4}]  # run-workflow.yaml's
TARGET = {"deployment": "web", "deployment_namespace": "shop", "action_request": "42"}
WORKFLOWS = "/apis/argoproj.io/v1alpha1/namespaces/argo/workflows"

# The Workflow fields Argo documents (argoproj.io/v1alpha1 field reference), closed to anything else.
_STRINGS = {"type": "array", "items": {"type": "string"}}
_PARAMETER = {
    "type": "object",
    "required": ["name"],
    "properties": {k: {"type": "string"} for k in ("name", "value", "default", "description")},
    "additionalProperties": False,
}
_ARGUMENTS = {
    "type": "object",
    "properties": {"parameters": {"type": "array", "items": _PARAMETER}, "artifacts": {"type": "array"}},
    "additionalProperties": False,
}
_STEP = {
    "type": "object",
    "required": ["name", "template"],
    "properties": {
        "name": {"type": "string"},
        "template": {"type": "string"},
        "arguments": _ARGUMENTS,
        "when": {"type": "string"},
        "continueOn": {"type": "object"},
        "withItems": {"type": "array"},
        "withParam": {"type": "string"},
    },
    "additionalProperties": False,
}
_CONTAINER = {
    "type": "object",
    "required": ["image"],
    "properties": {
        "image": {"type": "string", "minLength": 1},
        "command": _STRINGS,
        "args": _STRINGS,
        "env": {"type": "array"},
        "resources": {"type": "object"},
        "securityContext": {"type": "object"},
        "workingDir": {"type": "string"},
        "imagePullPolicy": {"enum": ["Always", "IfNotPresent", "Never"]},
    },
    "additionalProperties": False,
}
_TEMPLATE = {
    "type": "object",
    "required": ["name"],
    "properties": {
        "name": {"type": "string", "pattern": "^[a-zA-Z0-9][-a-zA-Z0-9]*$", "maxLength": 128},
        "container": _CONTAINER,
        "steps": {"type": "array", "items": {"type": "array", "items": _STEP}},
        "dag": {"type": "object"},
        "inputs": {"type": "object"},
        "outputs": {"type": "object"},
        "retryStrategy": {"type": "object"},
        "activeDeadlineSeconds": {"type": ["integer", "string"]},
    },
    "additionalProperties": False,
}
WORKFLOW_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "argoproj.io/v1alpha1"},
        "kind": {"const": "Workflow"},
        "metadata": {
            "type": "object",
            "properties": {
                "name": {"type": "string"},
                "generateName": {"type": "string"},
                "namespace": {"type": "string"},
                "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                "annotations": {"type": "object", "additionalProperties": {"type": "string"}},
            },
            "additionalProperties": False,
        },
        "spec": {
            "type": "object",
            "required": ["entrypoint", "templates"],
            "properties": {
                "entrypoint": {"type": "string"},
                "arguments": _ARGUMENTS,
                "templates": {"type": "array", "minItems": 1, "items": _TEMPLATE},
                "serviceAccountName": {"type": "string"},
                "activeDeadlineSeconds": {"type": "integer", "minimum": 1},
                "ttlStrategy": {
                    "type": "object",
                    "properties": {
                        k: {"type": "integer"}
                        for k in ("secondsAfterCompletion", "secondsAfterSuccess", "secondsAfterFailure")
                    },
                    "additionalProperties": False,
                },
                "podGC": {
                    "type": "object",
                    "properties": {
                        "strategy": {
                            "enum": ["OnPodCompletion", "OnPodSuccess", "OnWorkflowCompletion", "OnWorkflowSuccess"]
                        }
                    },
                },
                "parallelism": {"type": "integer"},
                "nodeSelector": {"type": "object"},
            },
            "additionalProperties": False,
        },
    },
    "additionalProperties": False,
}


@pytest.fixture
def argo() -> FakeArgo:
    return FakeArgo()


@pytest.fixture
def api(argo: FakeArgo) -> Iterator[Served]:
    fake = served()
    fake.fake.on_get["workflows.argoproj.io"] = argo.tick
    yield fake
    fake.server.close()


@pytest.fixture
def engine(api: Served) -> ArgoWorkflows:
    return ArgoWorkflows(**api.options(), image="registry.k8s.io/kubectl:v1.34.1", service_account="remediator")


def _manifest(engine: ArgoWorkflows, steps: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return engine.manifest("remediate-42", ARGO_NS, steps or STEPS, TARGET)


def test_the_workflow_follows_the_documented_schema_and_argos_rules(engine: ArgoWorkflows) -> None:
    manifest = _manifest(engine)
    jsonschema.validate(manifest, WORKFLOW_SCHEMA)
    assert spec_problem(manifest) == ""
    spec = manifest["spec"]
    assert (spec["entrypoint"], spec["serviceAccountName"]) == ("remediate", "remediator")
    entry, *steps = spec["templates"]
    assert entry["steps"] == [
        [{"name": "step-1-restart", "template": "step-1-restart"}],
        [{"name": "step-2-scale-out", "template": "step-2-scale-out"}],
    ]  # one group per step: they run one after another
    assert [t["name"] for t in steps] == ["step-1-restart", "step-2-scale-out"]
    assert {p["name"]: p["value"] for p in spec["arguments"]["parameters"]} == TARGET


def test_each_action_is_the_kubectl_command_kubectl_users_know(engine: ArgoWorkflows) -> None:
    steps: list[dict[str, Any]] = [
        {"action": "restart"},
        {"action": "scale_out", "replicas": 4},
        {"action": "scale_out", "replicas": 4, "keda_max": 12},
        {"action": "rollback"},
        {"action": "rollback", "to_revision": 7},
    ]
    containers = [t["container"] for t in _manifest(engine, steps)["spec"]["templates"][1:]]
    assert {c["image"] for c in containers} == {"registry.k8s.io/kubectl:v1.34.1"}
    assert {tuple(c["command"]) for c in containers} == {("kubectl",)}
    target, namespace = (
        "deployment/{{workflow.parameters.deployment}}",
        "--namespace={{workflow.parameters.deployment_namespace}}",
    )
    assert [c["args"] for c in containers] == [
        ["rollout", "restart", target, namespace],
        ["scale", target, namespace, "--replicas=4"],
        [
            "patch",
            "scaledobject.keda.sh/{{workflow.parameters.deployment}}",
            namespace,
            "--type=merge",
            '--patch={"spec": {"minReplicaCount": 4, "maxReplicaCount": 12}}',
        ],
        ["rollout", "undo", target, namespace],
        ["rollout", "undo", target, namespace, "--to-revision=7"],
    ]


def test_a_step_with_its_own_image_runs_it(engine: ArgoWorkflows) -> None:
    step = {"action": "flag_disable", "image": "ghcr.io/acme/flagctl:1.2", "args": ["disable", "checkout-v2"]}
    (template,) = _manifest(engine, [step])["spec"]["templates"][1:]
    assert template["container"] == {"image": "ghcr.io/acme/flagctl:1.2", "args": ["disable", "checkout-v2"]}


@pytest.mark.parametrize(
    ("steps", "parameters", "reason"),
    [
        ([{"action": "flag_disable", "flag": "x"}], TARGET, "no container for 'flag_disable'"),
        ([{"action": "rollback", "to_version": "1.4.1"}], TARGET, "give to_revision"),
        ([{"action": "scale_out", "replicas": "4; rm -rf /"}], TARGET, "replicas as a whole number"),
        ([{"action": "restart"}], {"deployment": "web"}, "parameters deployment_namespace"),
        ([], TARGET, "at least one step"),
        ([{"replicas": 3}], TARGET, "needs an action"),
        ([{"action": "restart"}], {"bad name": "x", **TARGET}, "plain name"),
    ],
)
def test_what_argo_could_not_run_is_refused_before_submitting(
    api: Served, engine: ArgoWorkflows, steps: list[dict[str, Any]], parameters: dict[str, str], reason: str
) -> None:
    with pytest.raises(IntegrationError, match=reason) as exc:
        engine.submit("remediate-42", ARGO_NS, steps, parameters)
    assert exc.value.permanent
    assert api.server.calls == []


def test_it_submits_through_the_kubernetes_api_and_follows_to_success(api: Served, engine: ArgoWorkflows) -> None:
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    assert ref == WorkflowRef("argo", ARGO_NS, "remediate-42")
    assert api.server.calls == [("POST", WORKFLOWS)]
    stored = api.fake.get("workflows.argoproj.io", ARGO_NS, "remediate-42")
    assert stored["spec"] == _manifest(engine)["spec"]
    seen = []
    for _ in range(4):
        status = engine.status(ref)
        seen.append((status.phase, [(n.name, n.phase) for n in status.nodes]))
    assert seen == [
        ("Pending", []),
        ("Running", [("step-1-restart", "Running")]),
        ("Running", [("step-1-restart", "Succeeded"), ("step-2-scale-out", "Running")]),
        ("Succeeded", [("step-1-restart", "Succeeded"), ("step-2-scale-out", "Succeeded")]),
    ]
    assert status.done
    assert (status.started, status.finished) == (
        datetime(2026, 1, 5, 10, 0, tzinfo=UTC),
        datetime(2026, 1, 5, 10, 3, tzinfo=UTC),
    )


def test_waiting_polls_until_the_end(api: Served, engine: ArgoWorkflows) -> None:
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    sleeps: list[float] = []
    status = engine.wait(ref, interval=2.0, sleep=sleeps.append)
    assert status.phase == "Succeeded"
    assert sleeps == [2.0, 2.0, 2.0]


def test_waiting_gives_up_after_the_timeout(api: Served, engine: ArgoWorkflows) -> None:
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    status = engine.wait(ref, timeout=2.0, interval=2.0, sleep=lambda _: None)
    assert (status.phase, status.done) == ("Running", False)


def test_a_failed_step_is_named_with_its_message(argo: FakeArgo, engine: ArgoWorkflows) -> None:
    argo.failing["step-2-scale-out"] = 'Error (exit code 1): deployments.apps "web" not found'
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    status = engine.wait(ref, sleep=lambda _: None)
    assert status.phase == "Failed"
    assert status.message == "child 'remediate-42-1001' failed"
    assert status.failed_node is not None
    assert (status.failed_node.name, status.failed_node.message) == (
        "step-2-scale-out",
        'Error (exit code 1): deployments.apps "web" not found',
    )
    assert [n.phase for n in status.nodes] == ["Succeeded", "Failed"]


def test_compressed_node_status_is_read(argo: FakeArgo, engine: ArgoWorkflows) -> None:
    argo.compress = True
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    assert [n.phase for n in engine.wait(ref, sleep=lambda _: None).nodes] == ["Succeeded", "Succeeded"]


def test_offloaded_node_status_is_said_not_hidden() -> None:
    status = status_from({"status": {"phase": "Running", "offloadNodeStatusVersion": "fnv:1"}})
    assert status.nodes == ()
    assert "node status in its database" in status.message


def test_an_invalid_workflow_ends_in_error(api: Served, engine: ArgoWorkflows) -> None:
    broken = _manifest(engine)
    broken["spec"]["entrypoint"] = "missing"
    api.fake.load(broken)
    status = engine.status(WorkflowRef("argo", ARGO_NS, "remediate-42"))
    assert (status.phase, status.message) == ("Error", "invalid spec: spec.entrypoint template 'missing' not found")


def test_submitting_the_same_workflow_again_is_harmless(api: Served, engine: ArgoWorkflows) -> None:
    first = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    assert engine.submit("remediate-42", ARGO_NS, STEPS, TARGET) == first
    with pytest.raises(IntegrationError, match="Another workflow named argo/remediate-42") as exc:
        engine.submit("remediate-42", ARGO_NS, STEPS[:1], TARGET)
    assert exc.value.permanent


def test_a_lost_answer_to_the_create_is_retried_without_a_second_workflow(api: Served, engine: ArgoWorkflows) -> None:
    api.server.fail("drop_after", method="POST", path="workflows")
    ref = engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)
    assert ref.name == "remediate-42"
    assert api.sleeps == [1.0]
    assert [call[0] for call in api.server.calls] == ["POST", "POST", "GET"]


def test_missing_rbac_for_workflows_is_named(api: Served, engine: ArgoWorkflows) -> None:
    api.fake.forbidden.add(("create", "workflows"))
    with pytest.raises(IntegrationError, match=r"verb 'create' on 'workflows' in API group 'argoproj\.io'"):
        engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)


def test_a_cluster_without_argo_says_so(api: Served, engine: ArgoWorkflows) -> None:
    api.fake.crds.discard("workflows.argoproj.io")
    with pytest.raises(NotFound, match=r"does not serve 'workflows' in argoproj\.io"):
        engine.submit("remediate-42", ARGO_NS, STEPS, TARGET)


def test_an_unknown_workflow_is_not_found(engine: ArgoWorkflows) -> None:
    with pytest.raises(NotFound, match=r"workflows\.argoproj\.io argo/nothing not found"):
        engine.status(WorkflowRef("argo", ARGO_NS, "nothing"))
    with pytest.raises(IntegrationError, match="run by inprocess"):
        engine.status(WorkflowRef("inprocess", ARGO_NS, "nothing"))
