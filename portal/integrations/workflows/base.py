"""The workflow capability: run a runbook's steps in order as one workflow, and follow it to the end."""

from __future__ import annotations

import hashlib
import json
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from portal.integrations.errors import IntegrationError

Step = dict[str, Any]
FINISHED = ("Succeeded", "Failed", "Error")  # Argo's workflow phases; the others are Pending and Running
NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
PARAMETER = re.compile(r"^[A-Za-z0-9_]{1,63}$")


@dataclass(frozen=True)
class WorkflowRef:
    engine: str  # "argo", "inprocess"
    namespace: str
    name: str


@dataclass(frozen=True)
class NodeStatus:
    """One step as it ran: Pending, Running, Succeeded, Failed, Error, Skipped or Omitted."""

    name: str  # the step's name, step-<n>-<action>
    phase: str
    message: str = ""
    started: datetime | None = None
    finished: datetime | None = None


@dataclass(frozen=True)
class WorkflowStatus:
    phase: str  # Pending, Running, Succeeded, Failed, Error
    nodes: tuple[NodeStatus, ...] = ()  # the steps that started, in order
    message: str = ""
    started: datetime | None = None
    finished: datetime | None = None
    retryable: bool = False  # the failure was one a later try may get past

    @property
    def done(self) -> bool:
        return self.phase in FINISHED

    @property
    def failed_node(self) -> NodeStatus | None:
        return next((node for node in self.nodes if node.phase in ("Failed", "Error")), None)


def step_name(index: int, step: Mapping[str, Any]) -> str:
    """The name a step runs under in every engine: step-1-restart, step-2-scale-out."""
    return f"step-{index}-{str(step.get('action', 'run')).replace('_', '-')}"


def steps_check(name: str, steps: list[Step], parameters: Mapping[str, str]) -> None:
    """Refuse what no engine could run, before anything runs."""
    if not NAME.match(name):
        raise IntegrationError(
            f"'{name}' is not a valid workflow name (lowercase letters, digits and '-', 63 at most)."
        )
    if not steps:
        raise IntegrationError("A workflow needs at least one step.")
    for index, step in enumerate(steps, start=1):
        action = step.get("action")
        if not isinstance(action, str) or not re.fullmatch(r"[a-z][a-z_]{0,40}", action):
            raise IntegrationError(f"Step {index} needs an action (a name such as 'restart'), not {action!r}.")
    for key, value in parameters.items():
        if not PARAMETER.match(key) or not isinstance(value, str):
            raise IntegrationError(f"Workflow parameter {key!r} needs a plain name and a string value.")


def fingerprint(steps: list[Step], parameters: Mapping[str, str]) -> str:
    """The same steps and parameters give the same value: a second submit of one name is recognised."""
    text = json.dumps({"steps": steps, "parameters": dict(parameters)}, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class WorkflowEngine(ABC):
    """Every implementation reports the same phases; tests/integrations/test_workflows_*.py prove it."""

    engine: str = ""

    @abstractmethod
    def submit(self, name: str, namespace: str, steps: list[Step], parameters: Mapping[str, str]) -> WorkflowRef:
        """Start the steps, in order, as the workflow `name`; submitting the same again returns the same ref."""

    @abstractmethod
    def status(self, ref: WorkflowRef) -> WorkflowStatus:
        """Where the workflow is now."""

    def wait(
        self,
        ref: WorkflowRef,
        *,
        timeout: float = 900.0,
        interval: float = 5.0,
        sleep: Callable[[float], None] = time.sleep,
    ) -> WorkflowStatus:
        """Poll until the workflow finishes or timeout seconds pass; the last status either way."""
        status, waited = self.status(ref), 0.0
        while not status.done and waited < timeout:
            sleep(interval)
            waited += interval
            status = self.status(ref)
        return status
