"""Every kind in every environment kind, rendered by the Crossplane renderer: the objects policy tests check."""

from __future__ import annotations

from typing import Any

from portal.infra import crossplane
from portal.infra.externalsecret import external_secret
from portal.infra.kinds import ENVIRONMENT_KINDS, KINDS, parameters_resolve
from portal.infra.renderers import DEFAULTS
from portal.infra.spec import ResourceSpec, resource_name

EXAMPLE_SERVICE = "payments-api"
EXAMPLE_TEAM = "payments"
EXAMPLE_COST_CENTRE = "cc-1042"


def example_specs() -> list[ResourceSpec]:
    return [
        ResourceSpec(
            kind=kind,
            name=resource_name(f"{EXAMPLE_SERVICE}-{kind.name}", environment),
            service=EXAMPLE_SERVICE,
            team=EXAMPLE_TEAM,
            environment=environment,
            environment_kind=environment,
            cost_centre=EXAMPLE_COST_CENTRE,
            parameters=parameters_resolve(kind, environment, {}),
        )
        for kind in KINDS.values()
        for environment in ENVIRONMENT_KINDS
    ]


def example_manifests() -> list[dict[str, Any]]:
    """Claims and ExternalSecrets for every kind x environment (the Crossplane renderer's Kubernetes objects)."""
    manifests: list[dict[str, Any]] = []
    for spec in example_specs():
        manifests.append(
            crossplane.claim(
                spec,
                group=DEFAULTS["INFRA_CROSSPLANE_GROUP"],
                store_config=DEFAULTS["INFRA_CROSSPLANE_STORE_CONFIG"],
                provider=DEFAULTS["INFRA_CROSSPLANE_PROVIDER"],
                request_id="example",
            )
        )
        manifests.append(external_secret(spec, store=DEFAULTS["INFRA_SECRET_STORE"]))
    return manifests
