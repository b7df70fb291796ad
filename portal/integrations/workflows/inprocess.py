"""The local default: a workflow's steps run here, one after another, each by calling the step runner.

The step runner is `fn(step, parameters) -> str | None` (a dotted path in settings, or the function itself); it
applies one step and may return a line for the step's message. An IntegrationError fails the step and stops the
workflow; statuses are kept in memory by the process that ran it, as Argo would report them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime

from django.utils.module_loading import import_string

from portal.integrations.errors import IntegrationError
from portal.integrations.workflows.base import (
    NodeStatus,
    Step,
    WorkflowEngine,
    WorkflowRef,
    WorkflowStatus,
    fingerprint,
    step_name,
    steps_check,
)

StepRunner = Callable[[Step, Mapping[str, str]], str | None]
KEPT = 1000


def utcnow() -> datetime:
    return datetime.now(UTC)


class InProcessWorkflows(WorkflowEngine):
    """Options: step_runner, the dotted path of the function that applies one step."""

    engine = "inprocess"

    def __init__(self, *, step_runner: str | StepRunner = "", clock: Callable[[], datetime] = utcnow) -> None:
        self._step_runner = step_runner
        self.clock = clock
        self._runs: dict[tuple[str, str], tuple[str, WorkflowStatus]] = {}  # (namespace, name) -> fingerprint, status
        self._lock = threading.Lock()

    def _runner(self) -> StepRunner:
        if callable(self._step_runner):
            return self._step_runner
        if not self._step_runner:
            raise IntegrationError("The in-process workflow engine has no step_runner (settings.WORKFLOWS OPTIONS).")
        runner: StepRunner = import_string(self._step_runner)
        return runner

    def submit(self, name: str, namespace: str, steps: list[Step], parameters: Mapping[str, str]) -> WorkflowRef:
        steps_check(name, steps, parameters)
        runner, ref, mark = self._runner(), WorkflowRef(self.engine, namespace, name), fingerprint(steps, parameters)
        with self._lock:
            previous = self._runs.get((namespace, name))
            if previous is not None and previous[0] != mark:
                raise IntegrationError(f"Another workflow named {namespace}/{name} exists already.")
            if previous is not None:
                return ref  # the same workflow again: it ran once
            self._runs[(namespace, name)] = (mark, WorkflowStatus("Pending"))
            for key in list(self._runs)[:-KEPT]:  # a long-lived worker keeps the newest runs only
                del self._runs[key]
        self._run(ref, runner, steps, parameters)
        return ref

    def _record(self, ref: WorkflowRef, status: WorkflowStatus) -> None:
        with self._lock:
            mark, _ = self._runs[(ref.namespace, ref.name)]
            self._runs[(ref.namespace, ref.name)] = (mark, status)

    def _run(self, ref: WorkflowRef, runner: StepRunner, steps: list[Step], parameters: Mapping[str, str]) -> None:
        started = self.clock()
        done: tuple[NodeStatus, ...] = ()
        for index, step in enumerate(steps, start=1):
            node = NodeStatus(step_name(index, step), "Running", started=self.clock())
            self._record(ref, WorkflowStatus("Running", (*done, node), started=started))
            try:
                message = runner(dict(step), dict(parameters)) or ""
            except IntegrationError as exc:
                failed = replace(node, phase="Failed", message=exc.message, finished=self.clock())
                self._finish(
                    ref, "Failed", (*done, failed), started, f"{node.name} failed", retryable=not exc.permanent
                )
                return
            except Exception as exc:
                errored = replace(node, phase="Error", message=f"{type(exc).__name__}: {exc}", finished=self.clock())
                self._finish(ref, "Error", (*done, errored), started, f"{node.name} raised {type(exc).__name__}")
                raise
            done = (*done, replace(node, phase="Succeeded", message=message, finished=self.clock()))
        self._finish(ref, "Succeeded", done, started, "")

    def _finish(
        self,
        ref: WorkflowRef,
        phase: str,
        nodes: tuple[NodeStatus, ...],
        started: datetime,
        message: str,
        *,
        retryable: bool = False,
    ) -> None:
        status = WorkflowStatus(phase, nodes, message, started, self.clock(), retryable=retryable)
        self._record(ref, status)

    def status(self, ref: WorkflowRef) -> WorkflowStatus:
        with self._lock:
            run = self._runs.get((ref.namespace, ref.name)) if ref.engine == self.engine else None
        if run is None:
            raise IntegrationError(f"No workflow {ref.namespace}/{ref.name} ran in this process.")
        return run[1]
