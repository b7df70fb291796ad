"""The in-process engine: each step applied by the step runner, in order, reported as Argo would report it."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

import pytest

from portal.integrations.backends import backends_reset
from portal.integrations.errors import IntegrationError
from portal.integrations.workflows import workflow_engine
from portal.integrations.workflows.base import WorkflowRef, WorkflowStatus
from portal.integrations.workflows.inprocess import InProcessWorkflows

STEPS = [{"action": "restart", "replicas": 4}, {"action": "scale_out", "replicas": 4}]
PARAMETERS = {"action_request": "42", "deployment": "web", "deployment_namespace": "shop"}
APPLIED: list[tuple[str, dict[str, str]]] = []


def step_apply(step: dict[str, Any], parameters: Mapping[str, str]) -> str | None:
    """A step runner named by its dotted path, as settings name it."""
    APPLIED.append((step["action"], dict(parameters)))
    return f"applied {step['action']}"


def _clock() -> Any:
    ticks = count()
    return lambda: datetime(2026, 1, 5, 10, 0, tzinfo=UTC) + timedelta(seconds=next(ticks))


def test_it_runs_each_step_in_order_through_the_runner_named_in_settings() -> None:
    APPLIED.clear()
    engine = InProcessWorkflows(step_runner="tests.integrations.test_workflows_inprocess.step_apply", clock=_clock())
    ref = engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    assert ref == WorkflowRef("inprocess", "portal", "remediate-42")
    assert APPLIED == [("restart", PARAMETERS), ("scale_out", PARAMETERS)]
    status = engine.status(ref)
    assert status.phase == "Succeeded"
    assert [(n.name, n.phase, n.message) for n in status.nodes] == [
        ("step-1-restart", "Succeeded", "applied restart"),
        ("step-2-scale-out", "Succeeded", "applied scale_out"),
    ]
    times = [status.started, status.nodes[0].started, status.nodes[1].finished, status.finished]
    assert times == sorted(t for t in times if t is not None)  # all there, in order


def test_a_step_sees_the_workflow_running() -> None:
    seen: list[WorkflowStatus] = []
    ref = WorkflowRef("inprocess", "portal", "remediate-42")

    def runner(step: dict[str, Any], parameters: Mapping[str, str]) -> None:
        seen.append(engine.status(ref))

    engine = InProcessWorkflows(step_runner=runner)
    engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    assert [(s.phase, [(n.name, n.phase) for n in s.nodes]) for s in seen] == [
        ("Running", [("step-1-restart", "Running")]),
        ("Running", [("step-1-restart", "Succeeded"), ("step-2-scale-out", "Running")]),
    ]


@pytest.mark.parametrize("permanent", [True, False])
def test_a_failing_step_stops_the_workflow_and_is_named(permanent: bool) -> None:
    ran: list[str] = []

    def runner(step: dict[str, Any], parameters: Mapping[str, str]) -> None:
        ran.append(step["action"])
        if step["action"] == "restart":
            raise IntegrationError("git push was refused: the branch moved", permanent=permanent)

    engine = InProcessWorkflows(step_runner=runner)
    status = engine.status(engine.submit("remediate-42", "portal", STEPS, PARAMETERS))
    assert ran == ["restart"]
    assert (status.phase, status.message, status.retryable) == ("Failed", "step-1-restart failed", not permanent)
    assert status.failed_node is not None
    assert status.failed_node.message == "git push was refused: the branch moved"
    assert [n.name for n in status.nodes] == ["step-1-restart"]


def test_a_bug_in_a_step_is_recorded_as_error_and_raised() -> None:
    def runner(step: dict[str, Any], parameters: Mapping[str, str]) -> None:
        raise KeyError("replicas")

    engine = InProcessWorkflows(step_runner=runner)
    with pytest.raises(KeyError):
        engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    status = engine.status(WorkflowRef("inprocess", "portal", "remediate-42"))
    assert (status.phase, status.message) == ("Error", "step-1-restart raised KeyError")
    assert status.nodes[0].message == "KeyError: 'replicas'"


def test_the_same_workflow_submitted_again_runs_once() -> None:
    APPLIED.clear()
    engine = InProcessWorkflows(step_runner=step_apply)
    first = engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    assert engine.submit("remediate-42", "portal", STEPS, PARAMETERS) == first
    assert len(APPLIED) == 2
    with pytest.raises(IntegrationError, match="Another workflow named portal/remediate-42"):
        engine.submit("remediate-42", "portal", STEPS[:1], PARAMETERS)


def test_without_a_step_runner_nothing_starts() -> None:
    engine = InProcessWorkflows()
    with pytest.raises(IntegrationError, match="no step_runner"):
        engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    with pytest.raises(IntegrationError, match="No workflow portal/remediate-42 ran in this process"):
        engine.status(WorkflowRef("inprocess", "portal", "remediate-42"))


@pytest.mark.parametrize("name", ["Remediate", "remediate_42", "-x", "x" * 64])
def test_names_argo_would_refuse_are_refused_here_too(name: str) -> None:
    with pytest.raises(IntegrationError, match="not a valid workflow name"):
        InProcessWorkflows(step_runner=step_apply).submit(name, "portal", STEPS, PARAMETERS)


def test_waiting_on_a_finished_run_returns_at_once() -> None:
    engine = InProcessWorkflows(step_runner=step_apply)
    ref = engine.submit("remediate-42", "portal", STEPS, PARAMETERS)
    sleeps: list[float] = []
    assert engine.wait(ref, sleep=sleeps.append).phase == "Succeeded"
    assert sleeps == []


def test_the_workflows_setting_names_the_engine_and_its_step_runner(settings: Any) -> None:
    settings.WORKFLOWS = {
        "BACKEND": "portal.integrations.workflows.inprocess.InProcessWorkflows",
        "OPTIONS": {"step_runner": "tests.integrations.test_workflows_inprocess.step_apply"},
    }
    backends_reset()
    try:
        engine = workflow_engine()
        assert engine.status(engine.submit("remediate-7", "portal", STEPS[:1], PARAMETERS)).phase == "Succeeded"
    finally:
        backends_reset()
