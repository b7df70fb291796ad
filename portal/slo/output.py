"""Write rule groups as a Prometheus rules file or a prometheus-operator PrometheusRule, in YAML."""

from __future__ import annotations

from typing import Any

import yaml

from portal.slo.model import SLOSpec
from portal.slo.rules import RuleGroup

MANAGED_BY = "platform-portal"


def rules_file(groups: list[RuleGroup]) -> dict[str, Any]:
    """Return the content of a Prometheus rules file (`rule_files:`)."""
    return {"groups": [group.as_dict() for group in groups]}


def prometheus_rule(spec: SLOSpec, groups: list[RuleGroup]) -> dict[str, Any]:
    """Return a `monitoring.coreos.com/v1` PrometheusRule holding the groups, named after the spec."""
    labels = {**spec.labels, "app.kubernetes.io/component": "SLO", "app.kubernetes.io/managed-by": MANAGED_BY}
    metadata: dict[str, Any] = {"name": spec.name}
    if spec.namespace:
        metadata["namespace"] = spec.namespace
    metadata["labels"] = labels
    if spec.annotations:
        metadata["annotations"] = dict(spec.annotations)
    return {
        "apiVersion": "monitoring.coreos.com/v1",
        "kind": "PrometheusRule",
        "metadata": metadata,
        "spec": rules_file(groups),
    }


class _BlockDumper(yaml.SafeDumper):
    """A YAML dumper that writes multi-line strings as literal blocks, so PromQL stays readable."""


def _string(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    """Represent a string, as a literal block when it spans lines."""
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|" if "\n" in value else None)


_BlockDumper.add_representer(str, _string)


def to_yaml(data: dict[str, Any], *, comment: str = "") -> str:
    """Dump a document as YAML, keys in the order given, with an optional leading comment."""
    header = "".join(f"# {line}\n" for line in comment.splitlines())
    body = yaml.dump(data, Dumper=_BlockDumper, sort_keys=False, allow_unicode=True, width=4096)
    return header + body
