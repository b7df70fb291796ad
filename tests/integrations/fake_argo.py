"""Argo's workflow controller, faked: it checks a Workflow as the controller does before running it, then moves
it on one tick per read (Pending, each step Running then done, the end), writing status as Argo documents it."""

from __future__ import annotations

import base64
import gzip
import json
import re
from dataclasses import dataclass, field
from typing import Any

Obj = dict[str, Any]
NAME = re.compile(r"^[a-zA-Z0-9][-a-zA-Z0-9]{0,127}$")  # template and step names
PARAMETER_REF = re.compile(r"\{\{workflow\.parameters\.([^}]+)\}\}")
KINDS = ("container", "script", "steps", "dag", "resource", "suspend")


def spec_problem(workflow: Obj) -> str:
    """Why Argo would refuse to run the Workflow ("" when it would run it)."""
    if (workflow.get("apiVersion"), workflow.get("kind")) != ("argoproj.io/v1alpha1", "Workflow"):
        return "not an argoproj.io/v1alpha1 Workflow"
    spec = workflow.get("spec") or {}
    templates = {t.get("name"): t for t in spec.get("templates") or []}
    if len(templates) != len(spec.get("templates") or []):
        return "template names must be unique"
    declared = {p["name"] for p in (spec.get("arguments") or {}).get("parameters") or []}
    for name, template in templates.items():
        if not isinstance(name, str) or not NAME.match(name):
            return f"template name {name!r} is invalid"
        if sum(kind in template for kind in KINDS) != 1:
            return f"templates.{name} must have exactly one template type"
        if "container" in template and not template["container"].get("image"):
            return f"templates.{name}.container.image may not be empty"
        undeclared = set(PARAMETER_REF.findall(json.dumps(template))) - declared
        if undeclared:
            return f"templates.{name}: failed to resolve {{{{workflow.parameters.{sorted(undeclared)[0]}}}}}"
    if spec.get("entrypoint") not in templates:
        return f"spec.entrypoint template {spec.get('entrypoint')!r} not found"
    for name, template in templates.items():
        seen: set[str] = set()
        for group in template.get("steps") or []:
            for step in group:
                if not NAME.match(step.get("name", "")) or step["name"] in seen:
                    return f"templates.{name}.steps name {step.get('name')!r} is invalid or not unique"
                if step.get("template") not in templates:
                    return f"templates.{name}.steps.{step['name']} template {step.get('template')!r} not found"
                seen.add(step["name"])
    return ""


def _entry_steps(workflow: Obj) -> list[Obj]:
    spec = workflow["spec"]
    entry = next(t for t in spec["templates"] if t["name"] == spec["entrypoint"])
    return [step for group in entry.get("steps") or [] for step in group]


def _at(minute: int) -> str:
    return f"2026-01-05T10:{minute:02d}:00Z"


@dataclass
class FakeArgo:
    failing: dict[str, str] = field(default_factory=dict)  # step name -> the message its node fails with
    compress: bool = False  # as the controller does for large workflows: status.compressedNodes
    ticks: dict[str, int] = field(default_factory=dict)

    def tick(self, workflow: Obj) -> None:
        """Move the workflow on by one step (called on each read of it)."""
        name = workflow["metadata"]["name"]
        tick = self.ticks[name] = self.ticks.get(name, 0) + 1
        problem = spec_problem(workflow)
        if problem:
            workflow["status"] = {"phase": "Error", "message": f"invalid spec: {problem}", "startedAt": _at(0)}
            return
        if tick == 1:
            workflow["status"] = {"phase": "Pending", "progress": "0/0"}
            return
        workflow["status"] = self._status(name, _entry_steps(workflow), tick - 2)

    def _status(self, name: str, steps: list[Obj], running: int) -> Obj:
        """The status with steps before `running` done, step `running` running (or, when it fails, failed)."""
        nodes: Obj = {name: {"id": name, "name": name, "displayName": name, "type": "Steps", "phase": "Running"}}
        phase, message, finished = "Running", "", ""
        for index, step in enumerate(steps[: running + 1]):
            node_id = f"{name}-{1000 + index}"
            node = {
                "id": node_id,
                "name": f"{name}[{index}].{step['name']}",
                "displayName": step["name"],
                "type": "Pod",
                "templateName": step["template"],
                "phase": "Succeeded" if index < running else "Running",
                "startedAt": _at(index + 1),
                "boundaryID": name,
            }
            if index < running and step["name"] in self.failing:
                node.update(phase="Failed", message=self.failing[step["name"]], finishedAt=_at(index + 2))
                phase, message, finished = "Failed", f"child '{node_id}' failed", _at(index + 2)
            elif index < running:
                node["finishedAt"] = _at(index + 2)
            nodes[node_id] = node
            if phase == "Failed":
                break
        if phase == "Running" and running >= len(steps):
            phase, finished = "Succeeded", _at(len(steps) + 1)
        nodes[name]["phase"] = phase
        status: Obj = {"phase": phase, "startedAt": _at(0), "progress": f"{min(running, len(steps))}/{len(steps)}"}
        status.update({"message": message} if message else {})
        status.update({"finishedAt": finished} if finished else {})
        if self.compress:
            status["compressedNodes"] = base64.b64encode(gzip.compress(json.dumps(nodes).encode())).decode()
        else:
            status["nodes"] = nodes
        return status
