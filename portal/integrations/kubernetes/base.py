"""The Kubernetes capability: read a workload's state and make the few changes remediation needs."""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from portal.integrations.errors import IntegrationError

NAME = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")  # DNS-1123 subdomain: every object name here
LABEL_KEY = re.compile(r"^([a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
KIND = re.compile(r"^[A-Z][A-Za-z0-9]{0,62}$")
LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")


class NotFound(IntegrationError):
    """The cluster has no such object (HTTP 404); retrying cannot help."""


class AlreadyExists(IntegrationError):
    """An object of that name exists already (HTTP 409 AlreadyExists)."""


@dataclass(frozen=True)
class Deployment:
    namespace: str
    name: str
    replicas: int  # desired (spec.replicas)
    ready_replicas: int
    updated_replicas: int
    available_replicas: int
    images: dict[str, str]  # container name -> image
    revision: int | None  # deployment.kubernetes.io/revision, set by the deployment controller
    selector: dict[str, str]  # spec.selector.matchLabels: what pods() takes
    paused: bool = False
    generation: int = 0
    observed_generation: int = 0

    @property
    def rolled_out(self) -> bool:
        """What `kubectl rollout status` waits for: the controller saw the spec and every replica is updated."""
        return (
            self.observed_generation >= self.generation
            and self.updated_replicas == self.replicas
            and self.available_replicas == self.replicas
            and self.ready_replicas == self.replicas
        )


@dataclass(frozen=True)
class Revision:
    """One entry of `kubectl rollout history`: a ReplicaSet the Deployment owns."""

    revision: int
    replicaset: str
    images: dict[str, str]
    replicas: int  # pods it runs now (0 for an old revision)
    created: datetime | None = None
    change_cause: str = ""  # kubernetes.io/change-cause


@dataclass(frozen=True)
class ContainerStatus:
    name: str
    image: str
    ready: bool
    restarts: int
    state: str  # running, waiting, terminated, or "" before the first report
    reason: str = ""  # why it waits or ended now: CrashLoopBackOff, OOMKilled, ...
    last_termination_reason: str = ""  # lastState.terminated.reason: OOMKilled, Error, Completed
    last_exit_code: int | None = None


@dataclass(frozen=True)
class Pod:
    namespace: str
    name: str
    phase: str  # Pending, Running, Succeeded, Failed, Unknown
    node: str
    containers: tuple[ContainerStatus, ...]
    started: datetime | None = None

    @property
    def restarts(self) -> int:
        return sum(container.restarts for container in self.containers)

    @property
    def oom_killed(self) -> bool:
        """A container was killed for going over its memory limit, now or on its previous run."""
        return any(
            "OOMKilled" in (c.last_termination_reason, c.reason if c.state == "terminated" else "")
            for c in self.containers
        )


@dataclass(frozen=True)
class Event:
    type: str  # Normal or Warning
    reason: str  # BackOff, Killing, ScalingReplicaSet, ...
    message: str
    object_kind: str
    object_name: str
    count: int = 1
    first_seen: datetime | None = None
    last_seen: datetime | None = None


@dataclass(frozen=True)
class ScaledObject:
    """A KEDA ScaledObject's bounds, with KEDA's documented defaults (0 and 100) filled in."""

    namespace: str
    name: str
    target: str  # spec.scaleTargetRef.name
    min_replicas: int
    max_replicas: int


def name_check(kind: str, value: str) -> str:
    """The name, when Kubernetes would accept it as an object or namespace name."""
    if not NAME.match(value):
        raise IntegrationError(f"'{value}' is not a valid {kind} name (lowercase letters, digits, '-' and '.').")
    return value


def kind_check(kind: str | None) -> str | None:
    """The object kind (Deployment, Pod, ...), when it is one."""
    if kind is not None and not KIND.match(kind):
        raise IntegrationError(f"'{kind}' is not a Kubernetes kind (such as Deployment or Pod).")
    return kind


def label_selector(labels: Mapping[str, str]) -> str:
    """Equality-based selector text (`app=web,tier=api`) for labels that need no quoting."""
    for key, value in labels.items():
        if not LABEL_KEY.match(key) or not LABEL_VALUE.match(value):
            raise IntegrationError(f"'{key}={value}' is not a valid label selector term.")
    return ",".join(f"{key}={value}" for key, value in sorted(labels.items()))


class Cluster(ABC):
    """Every implementation behaves the same; the contract tests in tests/integrations prove it."""

    provider: str = ""

    @abstractmethod
    def deployment_get(self, namespace: str, name: str) -> Deployment:
        """The Deployment; NotFound when there is none."""

    @abstractmethod
    def deployment_revisions(self, namespace: str, name: str) -> list[Revision]:
        """The Deployment's rollout history from its ReplicaSets, oldest revision first."""

    @abstractmethod
    def pods(self, namespace: str, selector: Mapping[str, str]) -> list[Pod]:
        """Pods whose labels match every selector term, by name."""

    @abstractmethod
    def events(self, namespace: str, involved_object: str, *, kind: str | None = None) -> list[Event]:
        """Events about the named object (of that kind, when given), oldest first."""

    @abstractmethod
    def scale(self, namespace: str, name: str, replicas: int) -> Deployment:
        """Set the Deployment's replicas through its scale subresource, as `kubectl scale` does."""

    @abstractmethod
    def rollback(self, namespace: str, name: str, to_revision: int | None = None) -> Deployment:
        """Put a revision's pod template back (the previous one by default), as `kubectl rollout undo` does."""

    @abstractmethod
    def restart(self, namespace: str, name: str) -> Deployment:
        """Roll every pod by stamping the template's restartedAt annotation, as `kubectl rollout restart` does."""

    @abstractmethod
    def scaledobject_bounds(self, namespace: str, name: str, min_replicas: int, max_replicas: int) -> ScaledObject:
        """Set a KEDA ScaledObject's minReplicaCount and maxReplicaCount."""

    def deployment_pods(self, namespace: str, name: str) -> list[Pod]:
        """The pods the Deployment selects."""
        return self.pods(namespace, self.deployment_get(namespace, name).selector)

    def revision_with_tag(self, namespace: str, name: str, tag: str) -> int:
        """The newest revision whose images include one tagged `tag` (a version, for rollback's to_revision)."""
        for revision in reversed(self.deployment_revisions(namespace, name)):
            if any(image.rpartition(":")[2] == tag for image in revision.images.values()):
                return revision.revision
        raise IntegrationError(f"No revision of Deployment {namespace}/{name} runs an image tagged '{tag}'.")


def replicas_check(replicas: int) -> int:
    if isinstance(replicas, bool) or not isinstance(replicas, int) or not 0 <= replicas <= 10_000:
        raise IntegrationError(f"replicas must be a whole number from 0 to 10000, not {replicas!r}.")
    return replicas


def bounds_check(min_replicas: int, max_replicas: int) -> tuple[int, int]:
    replicas_check(min_replicas)
    replicas_check(max_replicas)
    if max_replicas < 1 or min_replicas > max_replicas:
        raise IntegrationError(
            f"KEDA needs 0 <= minReplicaCount <= maxReplicaCount and maxReplicaCount >= 1, "
            f"not {min_replicas} and {max_replicas}."
        )
    return min_replicas, max_replicas
