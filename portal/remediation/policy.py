"""The policy decision for an action request: auto, needs_approval or deny. An error always denies."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils import timezone

from portal.catalog.models import Environment, Service
from portal.integrations.errors import IntegrationError
from portal.integrations.policy import policy_engine
from portal.remediation.models import ChangeFreeze, Runbook

DECISIONS = ("auto", "needs_approval", "deny")
MAX_REPLICAS = 20


@dataclass(frozen=True)
class Decision:
    decision: str
    reasons: list[str]
    policy_version: str
    input: dict[str, Any]


def freeze_active(environment: Environment) -> bool:
    now = timezone.now()
    for freeze in ChangeFreeze.objects.filter(starts_at__lte=now, ends_at__gt=now):
        if not freeze.environment_kinds or environment.kind in freeze.environment_kinds:
            return True
    return False


def policy_input(
    *, runbook: Runbook, service: Service, environment: Environment, parameters: dict[str, Any], requester: str | None
) -> dict[str, Any]:
    return {
        "action": runbook.action,
        "runbook": runbook.name,
        "risk": runbook.risk,
        "service": {"name": service.name, "tier": service.tier},
        "environment": {"name": environment.name, "kind": environment.kind},
        "requester": {"kind": "ai" if requester is None else "person", "username": requester or ""},
        "parameters": parameters,
        "freeze": freeze_active(environment),
        "limits": {"max_replicas": MAX_REPLICAS},
    }


def decide(input: dict[str, Any]) -> Decision:
    engine = policy_engine()
    try:
        decision = engine.evaluate("portal.remediation.decision", input)
        reasons = engine.evaluate("portal.remediation.reasons", input)
    except IntegrationError as exc:
        return Decision("deny", [f"policy error, denied: {exc.message}"], engine.version, input)
    if decision not in DECISIONS or not isinstance(reasons, list):
        return Decision("deny", [f"policy error, denied: unexpected answer {decision!r}"], engine.version, input)
    return Decision(str(decision), sorted(str(r) for r in reasons), engine.version, input)
