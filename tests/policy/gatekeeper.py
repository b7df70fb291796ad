"""Gatekeeper's admission check in process: a ConstraintTemplate's Rego evaluated with regopy on Gatekeeper's input.

Gatekeeper hands each template's Rego `input.review` (the AdmissionReview request: `object`, `kind`, `namespace`,
`operation`) and `input.parameters` (the Constraint's `spec.parameters`), and denies the request for every
`violation[{"msg": ...}]`. A Constraint applies when its `spec.match` kinds hold the object's group and kind and its
namespace is not excluded (the match fields the portal's constraints use).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import regopy
import yaml

ROOT = Path(__file__).resolve().parent.parent.parent
POLICIES = ROOT / "deploy" / "policies" / "gatekeeper"
TARGET = "admission.k8s.gatekeeper.sh"


@dataclass(frozen=True)
class Template:
    kind: str
    package: str
    rego: str
    document: dict[str, Any]


@dataclass(frozen=True)
class Violation:
    constraint: str
    msg: str


def documents(folder: Path) -> list[dict[str, Any]]:
    """Every YAML document in the folder's files except its kustomization, in file order."""
    found = []
    for path in sorted(folder.glob("*.yaml")):
        if path.name != "kustomization.yaml":
            found += [doc for doc in yaml.safe_load_all(path.read_text()) if doc]
    return found


@cache
def templates() -> dict[str, Template]:
    """The shipped ConstraintTemplates by the kind of Constraint they define."""
    out = {}
    for doc in documents(POLICIES / "templates"):
        (target,) = doc["spec"]["targets"]
        rego = target["rego"]
        package = next(line.split()[1] for line in rego.splitlines() if line.startswith("package "))
        out[doc["spec"]["crd"]["spec"]["names"]["kind"]] = Template(
            doc["spec"]["crd"]["spec"]["names"]["kind"], package, rego, doc
        )
    return out


def constraints() -> list[dict[str, Any]]:
    return documents(POLICIES / "constraints")


def group_of(obj: Mapping[str, Any]) -> str:
    api_version = str(obj.get("apiVersion", ""))
    return api_version.split("/")[0] if "/" in api_version else ""


def matches(constraint: Mapping[str, Any], obj: Mapping[str, Any]) -> bool:
    """Whether the constraint's spec.match selects the object (kinds and excluded namespaces)."""
    match = constraint["spec"].get("match", {})
    namespace = obj.get("metadata", {}).get("namespace", "")
    if namespace and namespace in match.get("excludedNamespaces", []):
        return False
    selectors = match.get("kinds")
    if not selectors:
        return True
    return any(
        (group_of(obj) in s.get("apiGroups", ["*"]) or "*" in s.get("apiGroups", []))
        and (obj.get("kind") in s.get("kinds", ["*"]) or "*" in s.get("kinds", []))
        for s in selectors
    )


def evaluate(template: Template, obj: Mapping[str, Any], parameters: Mapping[str, Any]) -> list[str]:
    """The messages of the template's violations for this object and parameters, sorted."""
    interpreter = regopy.Interpreter()
    interpreter.add_module(template.package, template.rego)
    interpreter.set_input(
        {
            "review": {
                "object": obj,
                "kind": {
                    "group": group_of(obj),
                    "version": str(obj.get("apiVersion", "")).split("/")[-1],
                    "kind": obj.get("kind"),
                },
                "namespace": obj.get("metadata", {}).get("namespace", ""),
                "operation": "CREATE",
            },
            "parameters": dict(parameters),
        }
    )
    raw = str(interpreter.query(f"data.{template.package}.violation"))
    try:
        answer = json.loads(raw)
    except ValueError as exc:
        raise AssertionError(f"{template.kind}: Rego could not be evaluated: {raw[:500]}") from exc
    result = answer["expressions"][0] if answer.get("expressions") else []
    return sorted(v["msg"] for v in result)


def review(obj: Mapping[str, Any], selected: Iterable[Mapping[str, Any]] | None = None) -> list[Violation]:
    """What Gatekeeper would deny the object for, under the shipped constraints (or the ones given)."""
    found = []
    for constraint in constraints() if selected is None else selected:
        if matches(constraint, obj):
            template = templates()[constraint["kind"]]
            parameters = constraint["spec"].get("parameters", {})
            found += [Violation(constraint["metadata"]["name"], msg) for msg in evaluate(template, obj, parameters)]
    return found
