"""Kubernetes: a workload's state and the changes remediation makes, behind one interface."""

from portal.integrations.kubernetes.base import (
    AlreadyExists,
    Cluster,
    ContainerStatus,
    Deployment,
    Event,
    NotFound,
    Pod,
    Revision,
    ScaledObject,
)

__all__ = [
    "AlreadyExists",
    "Cluster",
    "ContainerStatus",
    "Deployment",
    "Event",
    "NotFound",
    "Pod",
    "Revision",
    "ScaledObject",
    "cluster",
]


def cluster() -> Cluster:
    from portal.integrations.backends import backend

    impl: Cluster = backend("KUBERNETES")
    return impl
