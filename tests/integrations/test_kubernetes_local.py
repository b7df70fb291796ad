"""The local cluster model: a `kubectl get -o json` List on disk, read and written like a real cluster."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from portal.integrations.backends import backends_reset
from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes import cluster
from portal.integrations.kubernetes.base import NotFound
from portal.integrations.kubernetes.local import LocalCluster
from portal.integrations.kubernetes.manifests import scaledobject_from
from tests.integrations.fake_kubernetes_objects import IMAGE_OLD, NS, shop_objects


def test_an_empty_model_has_nothing() -> None:
    with pytest.raises(NotFound):
        LocalCluster().deployment_get(NS, "web")
    assert LocalCluster().pods(NS, {"app": "web"}) == []


def test_it_reads_what_kubectl_get_printed_as_yaml(tmp_path: Path) -> None:
    state = tmp_path / "cluster.yaml"
    state.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List", "items": shop_objects()}))
    cluster = LocalCluster(state_file=str(state))
    assert cluster.deployment_get(NS, "web").revision == 2
    assert any(pod.oom_killed for pod in cluster.deployment_pods(NS, "web"))


def test_changes_are_written_back_for_the_next_process(tmp_path: Path) -> None:
    state = tmp_path / "data" / "cluster.json"
    LocalCluster(state_file=str(state)).objects_add(*shop_objects())
    LocalCluster(state_file=str(state)).rollback(NS, "web")
    again = LocalCluster(state_file=str(state))
    assert again.deployment_get(NS, "web").images["web"] == IMAGE_OLD
    assert [r.revision for r in again.deployment_revisions(NS, "web")] == [2, 3]
    assert json.loads(state.read_text())["kind"] == "List"


def test_reads_leave_the_file_alone(tmp_path: Path) -> None:
    state = tmp_path / "cluster.json"
    LocalCluster(state_file=str(state)).objects_add(*shop_objects())
    before = state.stat().st_mtime_ns
    LocalCluster(state_file=str(state)).deployment_get(NS, "web")
    assert state.stat().st_mtime_ns == before


def test_adding_an_object_again_replaces_it() -> None:
    cluster = LocalCluster(objects=shop_objects())
    web = next(obj for obj in shop_objects() if obj["kind"] == "Deployment")
    web["spec"]["replicas"] = 9
    cluster.objects_add(web)
    assert cluster.deployment_get(NS, "web").replicas == 9


def test_a_deployment_without_owner_uids_still_owns_its_replicasets() -> None:
    objects = shop_objects()
    for obj in objects:
        obj["metadata"].pop("uid", None)
        for ref in obj["metadata"].get("ownerReferences", []):
            ref.pop("uid")
    assert [r.revision for r in LocalCluster(objects=objects).deployment_revisions(NS, "web")] == [1, 2]


def test_keda_defaults_fill_missing_bounds() -> None:
    scaled = scaledobject_from({"metadata": {"name": "w", "namespace": NS}, "spec": {"scaleTargetRef": {"name": "w"}}})
    assert (scaled.min_replicas, scaled.max_replicas) == (0, 100)


def test_a_paused_deployment_is_not_rolled_back() -> None:
    objects = shop_objects()
    objects[0]["spec"]["paused"] = True
    with pytest.raises(IntegrationError, match="paused; resume it"):
        LocalCluster(objects=objects).rollback(NS, "web")


def test_the_kubernetes_setting_names_the_implementation(settings: Any, tmp_path: Path) -> None:
    settings.KUBERNETES = {
        "BACKEND": "portal.integrations.kubernetes.local.LocalCluster",
        "OPTIONS": {"state_file": str(tmp_path / "cluster.json")},
    }
    backends_reset()
    try:
        assert isinstance(cluster(), LocalCluster)
        assert cluster() is cluster()
    finally:
        backends_reset()
