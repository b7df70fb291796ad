"""How to roll a change out (straight, canary, blue/green, behind a flag) and, when it is risky, back.

Pure. Canary and blue/green plans are Argo Rollouts `spec.strategy` fragments (argoproj.io/v1alpha1 Rollout) that a
service's chart can take as they are; the analysis names the AnalysisTemplate the platform installs per service.
"""

from __future__ import annotations

from typing import Any

from portal.changes import areas as A

ANALYSIS_TEMPLATE = "portal-canary-analysis"
ROLLBACK_RUNBOOK = "rollback-deploy"

# (weights, pause between steps, a manual gate before the last step)
CANARY_STEPS = {
    "medium": ((10, 25, 50), "5m", False),
    "high": ((10, 25, 50), "10m", False),
    "critical": ((5, 10, 25, 50), "15m", True),
}


def rollout_strategy(*, level: str, areas: set[str], service: str) -> dict[str, Any]:
    """The strategy for a change of this level touching these areas, with the reason for choosing it."""
    if level == "low":
        return {"name": "straight", "reason": "Low risk: deploy straight through the usual pipeline gates."}
    product = bool(areas & {A.CODE, A.AUTH})
    if A.MIGRATIONS in areas:
        reason = (
            "The schema changes: run the migration as an expand step the running version tolerates, then canary "
            "the code; blue/green cannot switch back a shared database."
        )
        return canary(level, service, reason)
    if A.DEPENDENCIES in areas and not product:
        reason = "New dependency versions change behaviour nobody here wrote: shift traffic in analysed steps."
        return canary(level, service, reason)
    if areas & {A.INFRA, A.CONFIG} and not product:
        reason = (
            "An infrastructure or configuration change with no schema change: bring up the new stack beside the "
            "old one, analyse it, then switch traffic (and back) at once."
        )
        return blue_green(service, reason)
    if level == "medium":
        reason = "A product change of medium risk: ship it dark behind a feature flag and turn it on by audience."
        return feature_flag(service, reason)
    reason = f"A {level}-risk change: shift traffic in steps, each gated by the service's canary analysis."
    return canary(level, service, reason)


def _analysis(service: str) -> dict[str, Any]:
    return {"templates": [{"templateName": ANALYSIS_TEMPLATE}], "args": [{"name": "service", "value": service}]}


def canary(level: str, service: str, reason: str) -> dict[str, Any]:
    weights, pause, gate = CANARY_STEPS.get(level, CANARY_STEPS["medium"])
    steps: list[dict[str, Any]] = []
    for index, weight in enumerate(weights):
        if gate and index == len(weights) - 1:
            steps.append({"pause": {}})  # a person promotes the last step
        steps += [{"setWeight": weight}, {"pause": {"duration": pause}}]
    steps.append({"analysis": _analysis(service)})
    return {
        "name": "canary",
        "reason": reason,
        "argo_rollouts": {"canary": {"analysis": {**_analysis(service), "startingStep": 1}, "steps": steps}},
    }


def blue_green(service: str, reason: str) -> dict[str, Any]:
    return {
        "name": "blue_green",
        "reason": reason,
        "argo_rollouts": {
            "blueGreen": {
                "activeService": service,
                "previewService": f"{service}-preview",
                "autoPromotionEnabled": False,
                "prePromotionAnalysis": _analysis(service),
                "scaleDownDelaySeconds": 600,
            }
        },
    }


def feature_flag(service: str, reason: str) -> dict[str, Any]:
    return {
        "name": "feature_flag",
        "reason": reason,
        "flag": {
            "default": "off",
            "stages": ["internal users", "5 % of traffic", "25 %", "100 %"],
            "kill_switch": f"turn the flag off (the 'disable-flag' runbook) if {service}'s SLOs burn",
        },
    }


def rollback_plan(*, previous_version: str, runbook: str, migrations: list[str], strategy: str) -> dict[str, Any]:
    """What to do when the change goes wrong: the version to return to, the runbook, and what it cannot undo."""
    steps = []
    if strategy == "feature_flag":
        steps.append("Turn the feature flag off first; that needs no deploy.")
    if strategy == "canary":
        steps.append("Abort the rollout (kubectl argo rollouts abort): traffic returns to the stable version.")
    if strategy == "blue_green":
        steps.append("Switch the active service back to the blue stack before it scales down (10 minutes).")
    if previous_version:
        steps.append(f"Redeploy {previous_version}, the last successful deploy, with the '{runbook}' runbook.")
    else:
        steps.append("No successful deploy is recorded: choose the version to return to before rolling out.")
    plan: dict[str, Any] = {
        "previous_version": previous_version or None,
        "runbook": runbook or None,
        "parameters": {"to_version": previous_version} if previous_version else {},
        "steps": steps,
    }
    if migrations:
        plan["migration_caveat"] = (
            f"Rolling back the code does not undo {', '.join(migrations[:3])}: keep the migration backward "
            "compatible (expand now, contract in a later change) or have its reverse migration tested before deploying."
        )
    return plan
