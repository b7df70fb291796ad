"""Both engines run the run-workflow runbook's steps and report the same phases, steps and failing step."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml
from django.conf import settings

from portal.integrations.errors import IntegrationError
from portal.integrations.workflows.argo import ArgoWorkflows
from portal.integrations.workflows.base import WorkflowEngine
from portal.integrations.workflows.inprocess import InProcessWorkflows
from tests.integrations.fake_argo import FakeArgo
from tests.integrations.fake_kubernetes import served

PARAMETERS = {"deployment": "web", "deployment_namespace": "shop"}
FAILURE = 'Error (exit code 1): deployments.apps "web" not found'


def _runbook_steps() -> list[dict[str, Any]]:
    """The steps as the executor hands them over: the runbook's, with the action's parameters laid on."""
    runbook = yaml.safe_load(Path(settings.BASE_DIR, "portal/remediation/runbooks/run-workflow.yaml").read_text())
    return [{**step, "replicas": 4} for step in runbook["steps"]]


Engine = tuple[WorkflowEngine, Callable[[str], None]]


@pytest.fixture(params=["inprocess", "argo"])
def engine(request: pytest.FixtureRequest) -> Iterator[Engine]:
    """An engine, and how to make one of its steps fail."""
    if request.param == "inprocess":
        failing: set[str] = set()

        def runner(step: dict[str, Any], parameters: Mapping[str, str]) -> None:
            if f"step-2-{step['action'].replace('_', '-')}" in failing:
                raise IntegrationError(FAILURE)

        yield InProcessWorkflows(step_runner=runner), failing.add
        return
    argo, api = FakeArgo(), served()
    api.fake.on_get["workflows.argoproj.io"] = argo.tick
    yield ArgoWorkflows(**api.options()), lambda name: argo.failing.update({name: FAILURE})
    api.server.close()


def test_the_runbook_steps_succeed_in_order(engine: Engine) -> None:
    runner, _ = engine
    status = runner.wait(runner.submit("remediate-42", "portal", _runbook_steps(), PARAMETERS), sleep=lambda _: None)
    assert status.phase == "Succeeded"
    assert [(n.name, n.phase) for n in status.nodes] == [
        ("step-1-restart", "Succeeded"),
        ("step-2-scale-out", "Succeeded"),
    ]
    assert status.failed_node is None


def test_a_failing_step_fails_the_workflow_and_carries_its_message(engine: Engine) -> None:
    runner, fail = engine
    fail("step-2-scale-out")
    status = runner.wait(runner.submit("remediate-42", "portal", _runbook_steps(), PARAMETERS), sleep=lambda _: None)
    assert status.phase == "Failed"
    assert [(n.name, n.phase) for n in status.nodes] == [
        ("step-1-restart", "Succeeded"),
        ("step-2-scale-out", "Failed"),
    ]
    assert status.failed_node is not None
    assert status.failed_node.message == FAILURE
    assert status.finished is not None
