"""The steps of a resource request. Each is idempotent: run twice, it does the work once.

A step returns its output; {"waiting": True} parks the request until an approval arrives and
{"rejected": reason} ends it (both outside any exception, so the step's own writes are kept).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings

from portal.catalog import services as catalog_services
from portal.catalog.models import Resource
from portal.core.errors import ApplicationError, Conflict
from portal.infra.kinds import KINDS, KindParameterError, approval_reasons, parameters_resolve
from portal.infra.models import ResourceRequest
from portal.infra.renderers import renderer, setting
from portal.infra.spec import ResourceSpec
from portal.remediation.models import ActionState, Runbook

Log = Callable[[str], None]
APPROVAL_RUNBOOK = "resource-request"
APPROVED_STATES = (ActionState.APPROVED, ActionState.RUNNING, ActionState.VERIFYING, ActionState.SUCCEEDED)
REFUSED_STATES = (ActionState.REJECTED, ActionState.DENIED, ActionState.EXPIRED)


def spec_of(request: ResourceRequest) -> ResourceSpec:
    return ResourceSpec(
        kind=KINDS[request.kind],
        name=request.resource_name,
        service=request.service.name,
        team=request.owner.name,
        environment=request.environment.name,
        environment_kind=request.environment.kind,
        cost_centre=request.owner.cost_centre,
        parameters=request.resolved or request.parameters,
    )


def resource_name_free(name: str, request: ResourceRequest | None) -> None:
    """The catalog name is free, or already this request's (a retry)."""
    existing = Resource.objects.filter(name=name).first()
    if existing is not None and (request is None or request.catalog_resource_id != existing.pk):
        raise Conflict(f"A resource named '{name}' is already in the catalog.", fields={"name": ["already taken"]})


def step_validate(request: ResourceRequest, log: Log) -> dict[str, Any]:
    kind = KINDS[request.kind]
    try:
        resolved = parameters_resolve(kind, request.environment.kind, request.parameters)
    except KindParameterError as exc:
        raise ApplicationError(str(exc), fields=exc.fields) from exc
    resource_name_free(request.resource_name, request)
    request.resolved = resolved
    request.approval_reasons = approval_reasons(kind, request.environment.kind, resolved)
    request.save(update_fields=["resolved", "approval_reasons"])
    log(f"{kind.title} {request.resource_name}: {', '.join(f'{k}={v}' for k, v in resolved.items())}")
    return {"parameters": resolved, "approval_reasons": request.approval_reasons}


def step_approval(request: ResourceRequest, log: Log) -> dict[str, Any]:
    if not request.approval_reasons:
        log("no approval needed (not production, size class below large)")
        return {"needed": False}
    action = request.action_request
    if action is None:
        action = _approval_ask(request)
        log(f"approval requested ({'; '.join(request.approval_reasons)}): {_action_url(action.pk)}")
    if action.state in APPROVED_STATES:
        who = action.approved_by.get_username() if action.approved_by else "the policy"
        log(f"approved by {who}: {action.decision_comment or action.state}")
        return {"needed": True, "action_request": action.pk, "approved_by": who}
    if action.state in REFUSED_STATES or action.state == ActionState.FAILED:
        why = action.decision_comment or "; ".join(action.decision_reasons) or action.state
        return {"needed": True, "action_request": action.pk, "rejected": f"approval {action.state}: {why}"}
    log(f"waiting for an SRE other than {request.requested_by.get_username()} to approve {_action_url(action.pk)}")
    return {"needed": True, "action_request": action.pk, "waiting": True}


def _approval_ask(request: ResourceRequest) -> Any:
    from portal.remediation.services import action_request

    resolved = request.resolved
    action = action_request(
        runbook=Runbook.objects.get(name=APPROVAL_RUNBOOK),
        service=request.service,
        environment=request.environment,
        parameters={
            "resource_request": str(request.id),
            "kind": request.kind,
            "resource": request.resource_name,
            "size": str(resolved.get("size", "")),
        },
        reason=f"{KINDS[request.kind].title} {request.resource_name}: {'; '.join(request.approval_reasons)}",
        evidence=[{"kind": request.kind, "parameters": resolved, "renderer": request.renderer}],
        requested_by=request.requested_by,
    )
    request.action_request = action
    request.save(update_fields=["action_request"])
    return action


def _action_url(action_id: int) -> str:
    return f"{settings.SITE_URL}/api/v1/remediation/action-requests/{action_id}"


def step_render(request: ResourceRequest, log: Log) -> dict[str, Any]:
    rendering = renderer(request.renderer).render(spec_of(request), request_id=str(request.id))
    for repository, files in rendering.files.items():
        log(f"rendered {', '.join(sorted(files))} for {repository}")
    return rendering.as_json()


def step_deliver(request: ResourceRequest, log: Log) -> dict[str, Any]:
    chosen = renderer(request.renderer)
    spec = spec_of(request)
    rendering = chosen.render(spec, request_id=str(request.id))  # same inputs, same files as the render step
    delivered = chosen.deliver(spec, rendering, request_id=str(request.id), log=log)
    request.repository = delivered["repository"]
    request.commit = delivered["commit"]
    request.pull_request_url = delivered["pull_request_url"]
    request.save(update_fields=["repository", "commit", "pull_request_url"])
    return delivered


def step_register(request: ResourceRequest, log: Log) -> dict[str, Any]:
    spec = spec_of(request)
    resource = request.catalog_resource
    if resource is None:
        resource_name_free(spec.name, request)
        resource = catalog_services.resource_create(
            actor=request.requested_by,
            name=spec.name,
            owner=request.owner,
            type=spec.kind.catalog_type,
            title=f"{spec.kind.title} {spec.name}",
            description=f"{spec.kind.title} of {spec.service} in {spec.environment}, requested through the portal.",
            system=request.service.system,
        )
        request.catalog_resource = resource
        log(f"registered resource:default/{resource.name} in the catalog")
    request.service.resources.add(resource)
    request.connection_secret = spec.connection_reference(setting("INFRA_SECRET_STORE"))
    request.entity_ref = f"resource:default/{resource.name}"
    request.save(update_fields=["catalog_resource", "connection_secret", "entity_ref"])
    secret = request.connection_secret["kubernetes_secret"]
    log(f"{spec.service} depends on {request.entity_ref}; connection details: Secret {secret}")
    return {"entity_ref": request.entity_ref, "connection_secret": request.connection_secret}


STEP_FUNCTIONS: dict[str, Callable[[ResourceRequest, Log], dict[str, Any]]] = {
    "validate": step_validate,
    "approval": step_approval,
    "render": step_render,
    "deliver": step_deliver,
    "register": step_register,
}
