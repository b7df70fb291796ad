"""An Argo Rollouts AnalysisTemplate whose web metric asks the portal's canary judge. Pure: no Django imports.

Argo Rollouts' web provider POSTs `jsonBody` to `url` with `headers`, reads `jsonPath` from the JSON answer into
`result`, and measures Successful when `successCondition` holds, Failed when `failureCondition` holds, and
Inconclusive otherwise: pass -> the rollout goes on, fail -> it aborts, marginal -> it pauses for a person.
The baseline and canary are the stable and the latest ReplicaSet's pods, found by their pod-template hash.
"""

from __future__ import annotations

from typing import Any

from portal.core.labels import standard_labels

TOKEN_SECRET = "platform-portal-token"  # noqa: S105 - the name of a Secret (key `token`) in the namespace
TOKEN_KEY = "token"  # noqa: S105 - a key name


def analysis_template(
    *,
    service: str,
    team: str,
    environment: str,
    cost_centre: str,
    portal_url: str,
    namespace: str = "",
    config: str = "default",
    interval: str = "5m",
    count: int = 3,
) -> dict[str, Any]:
    """The AnalysisTemplate for one service and environment, labelled with the five standard labels."""
    metadata: dict[str, Any] = {"name": f"{service}-canary-judge", **({"namespace": namespace} if namespace else {})}
    metadata["labels"] = standard_labels(service=service, team=team, environment=environment, cost_centre=cost_centre)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "AnalysisTemplate",
        "metadata": metadata,
        "spec": {
            "args": [
                {"name": "service", "value": service},
                {"name": "environment", "value": environment},
                {"name": "config", "value": config},
                {"name": "stable-hash"},
                {"name": "canary-hash"},
                {"name": "portal-token", "valueFrom": {"secretKeyRef": {"name": TOKEN_SECRET, "key": TOKEN_KEY}}},
            ],
            "metrics": [_judge_metric(portal_url, interval, count)],
        },
    }


def _judge_metric(portal_url: str, interval: str, count: int) -> dict[str, Any]:
    return {
        "name": "canary-judge",
        "interval": interval,
        "count": count,
        "failureLimit": 0,
        "inconclusiveLimit": 0,
        "successCondition": 'result == "pass"',
        "failureCondition": 'result == "fail"',
        "provider": {
            "web": {
                "method": "POST",
                "url": portal_url.rstrip("/") + "/api/v1/delivery/canary/judgements",
                "timeoutSeconds": 60,
                "headers": [
                    {"key": "Authorization", "value": "Bearer {{args.portal-token}}"},
                    {"key": "Content-Type", "value": "application/json"},
                ],
                "jsonBody": {
                    "service": "{{args.service}}",
                    "environment": "{{args.environment}}",
                    "config": "{{args.config}}",
                    "baseline": {"pod_regex": "{{args.service}}-{{args.stable-hash}}-.*"},
                    "canary": {"pod_regex": "{{args.service}}-{{args.canary-hash}}-.*"},
                },
                "jsonPath": "{$.outcome}",
            }
        },
    }


def rollout_analysis_step(service: str) -> dict[str, Any]:
    """What a Rollout's canary strategy adds to run the template with the stable and canary pod hashes."""
    return {
        "templates": [{"templateName": f"{service}-canary-judge"}],
        "args": [
            {"name": "stable-hash", "valueFrom": {"podTemplateHashValue": "Stable"}},
            {"name": "canary-hash", "valueFrom": {"podTemplateHashValue": "Latest"}},
        ],
    }
