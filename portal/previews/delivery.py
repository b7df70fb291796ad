"""Where previews go: the previews branch of the GitOps repository, and (local providers) the cluster.

The previews branch is a projection of the database: every commit writes the ApplicationSet of each service
with previews and, for every live preview, the Application the ApplicationSet generates and its namespace
objects. Rebuilding it whole makes teardown a commit without the files, and a repeated sync a no-op.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from pathlib import Path

import yaml
from django.conf import settings
from django.db import connection

from portal.integrations.kubernetes import Cluster, NotFound, cluster
from portal.integrations.kubernetes.local import LocalCluster
from portal.integrations.source_control import source_control
from portal.previews.render import Obj
from portal.scaffolder.steps import gitops_repository_ensure

LOCK_KEY = 0x70726576  # "prev": one writer of the previews branch at a time, across workers


def branch() -> str:
    return str(settings.PREVIEWS_GITOPS_BRANCH)


def dump(objects: Iterable[Obj]) -> str:
    return yaml.safe_dump_all(list(objects), sort_keys=False)


def branch_lock() -> None:
    """Hold the previews-branch lock until the surrounding transaction ends."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def branch_commit(files: dict[str, str], message: str) -> str:
    """Make the previews branch hold exactly these files; the commit (the same one when nothing changed)."""
    sc = source_control()
    base = gitops_repository_ensure()
    with tempfile.TemporaryDirectory() as tmp:
        for path, text in files.items():
            target = Path(tmp) / path
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text)
        return sc.commit_tree(
            settings.GITOPS_REPOSITORY, branch(), root=Path(tmp), message=message, base_branch=base, replace=True
        )


def branch_files() -> list[str]:
    """Paths on the previews branch now (what Argo CD would see)."""
    sc = source_control()
    if sc.branch_head(settings.GITOPS_REPOSITORY, branch()) is None:
        return []
    return sc.file_list(settings.GITOPS_REPOSITORY, branch())


def branch_read(path: str) -> str | None:
    data = source_control().file_read(settings.GITOPS_REPOSITORY, branch(), path)
    return data.decode() if data is not None else None


def applies_locally(target: Cluster) -> bool:
    """Only the local cluster gets objects from the portal; a real one gets them from Argo CD."""
    return isinstance(target, LocalCluster)


def cluster_apply(objects: list[Obj]) -> str:
    target = cluster()
    if not applies_locally(target):
        return "Argo CD applies the objects from the GitOps repository"
    workloads = [obj for obj in objects if obj["kind"] == "Deployment"]
    assert isinstance(target, LocalCluster)
    target.objects_add(*objects)
    for obj in workloads:  # let the local deployment controller roll it out (ReplicaSet, status)
        meta = obj["metadata"]
        target.scale(meta["namespace"], meta["name"], obj["spec"]["replicas"])
    return f"applied {len(objects)} objects to the local cluster"


def cluster_scale(namespace: str, name: str, replicas: int) -> str:
    try:
        deployment = cluster().scale(namespace, name, replicas)
    except NotFound:
        return f"no Deployment {namespace}/{name} to scale"
    return f"Deployment {namespace}/{name} scaled to {deployment.replicas}"


def cluster_namespace_delete(namespace: str) -> str:
    """Delete the namespace and everything in it (what deleting a namespace does); idempotent."""
    target = cluster()
    if not applies_locally(target):
        return "Argo CD deletes the Application's resources (resources finalizer) once the files are gone"
    assert isinstance(target, LocalCluster)
    return f"deleted namespace {namespace} ({target.namespace_delete(namespace)} objects)"


def cluster_objects(namespace: str) -> list[Obj]:
    """Everything the local cluster holds in (or as) the namespace; [] for a real cluster."""
    target = cluster()
    if not isinstance(target, LocalCluster):
        return []
    return target.namespace_objects(namespace)
