"""What a renderer needs to know about one resource request: plain values, no Django."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.core.labels import standard_labels
from portal.infra.kinds import ResourceKind

# Where connection details live in the secret store; Kubernetes and the catalog only ever see this path.
SECRET_PATH = "platform/{team}/{environment}/{resource}"  # noqa: S105 - a path, not a secret


@dataclass(frozen=True)
class ResourceSpec:
    kind: ResourceKind
    name: str  # the resource's name in the catalog and in Kubernetes: <name>-<environment>
    service: str
    team: str
    environment: str
    environment_kind: str
    cost_centre: str
    parameters: dict[str, Any] = field(default_factory=dict)

    @property
    def namespace(self) -> str:
        """The team's namespace in that environment (the golden paths deploy there too)."""
        return f"{self.team}-{self.environment}"

    @property
    def labels(self) -> dict[str, str]:
        return standard_labels(
            service=self.service, team=self.team, environment=self.environment, cost_centre=self.cost_centre
        )

    @property
    def secret_path(self) -> str:
        return SECRET_PATH.format(team=self.team, environment=self.environment, resource=self.name)

    @property
    def secret_name(self) -> str:
        """The Kubernetes Secret the ExternalSecret creates in the namespace."""
        return f"{self.name}-connection"

    def connection_reference(self, store: str) -> dict[str, Any]:
        """Where the connection details are: the only thing the catalog and Backstage see, never a value."""
        return {
            "secret_store": store,
            "secret_store_path": self.secret_path,
            "kubernetes_secret": f"{self.namespace}/{self.secret_name}",
            "external_secret": f"{self.namespace}/{self.name}",
            "keys": list(self.kind.connection_keys),
        }


def resource_name(name: str, environment: str) -> str:
    return f"{name}-{environment}"
