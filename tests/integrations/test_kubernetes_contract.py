"""One behavioural suite for every Cluster: the local model, and the official client on a fake API server."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import Cluster, NotFound
from portal.integrations.kubernetes.local import LocalCluster
from portal.integrations.kubernetes.official import KubernetesCluster
from tests.integrations.fake_kubernetes import served
from tests.integrations.fake_kubernetes_objects import ENVOY, IMAGE_NEW, IMAGE_OLD, NS, shop_objects

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)


@pytest.fixture(params=["local", "kubernetes"])
def cluster(request: pytest.FixtureRequest) -> Iterator[Cluster]:
    if request.param == "local":
        yield LocalCluster(objects=shop_objects(), clock=lambda: NOW)
        return
    api = served(*shop_objects())
    yield KubernetesCluster(**api.options(), clock=lambda: NOW)
    api.server.close()


def test_it_reads_a_deployment(cluster: Cluster) -> None:
    web = cluster.deployment_get(NS, "web")
    assert (web.namespace, web.name, web.replicas, web.revision) == (NS, "web", 3, 2)
    assert web.images == {"web": IMAGE_NEW, "envoy": ENVOY}
    assert web.selector == {"app": "web"}
    assert (web.ready_replicas, web.available_replicas, web.updated_replicas) == (2, 2, 3)
    assert not web.rolled_out  # one pod is not ready


def test_what_does_not_exist_is_a_permanent_not_found(cluster: Cluster) -> None:
    with pytest.raises(NotFound, match=r"deployments.apps shop/nothing not found") as exc:
        cluster.deployment_get(NS, "nothing")
    assert exc.value.permanent
    with pytest.raises(NotFound, match="not found"):
        cluster.rollback("elsewhere", "web")
    with pytest.raises(NotFound, match=r"scaledobjects.keda.sh shop/nothing not found"):
        cluster.scaledobject_bounds(NS, "nothing", 1, 2)


@pytest.mark.parametrize(("namespace", "name"), [("shop", "Web"), ("shop", "../web"), ("", "web"), ("a b", "web")])
def test_it_refuses_names_kubernetes_would_not_accept(cluster: Cluster, namespace: str, name: str) -> None:
    with pytest.raises(IntegrationError, match="not a valid"):
        cluster.deployment_get(namespace, name)


def test_revisions_come_from_the_replicasets_the_deployment_owns(cluster: Cluster) -> None:
    history = cluster.deployment_revisions(NS, "web")
    assert [(r.revision, r.replicaset, r.images["web"], r.replicas) for r in history] == [
        (1, "web-5c8f7d9b4a", IMAGE_OLD, 0),
        (2, "web-7d9f8b6c5d", IMAGE_NEW, 3),
    ]  # the canary's ReplicaSet matches app=web too, but web does not own it
    assert history[1].change_cause == "deploy 1.4.2"
    assert history[0].created == datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def test_pods_show_restarts_and_an_oom_kill(cluster: Cluster) -> None:
    pods = cluster.pods(NS, {"app": "web"})
    assert [pod.name for pod in pods] == ["web-7d9f8b6c5d-aaaaa", "web-7d9f8b6c5d-bbbbb", "web-7d9f8b6c5d-ccccc"]
    oom, healthy, crashing = pods
    assert (oom.oom_killed, oom.restarts, oom.containers[0].last_exit_code) == (True, 3, 137)
    assert (healthy.oom_killed, healthy.restarts) == (False, 0)
    web = crashing.containers[0]
    assert (web.state, web.reason, web.last_termination_reason, web.ready) == (
        "waiting",
        "CrashLoopBackOff",
        "Error",
        False,
    )
    assert not crashing.oom_killed
    assert cluster.deployment_pods(NS, "web") == pods
    assert cluster.pods(NS, {"app": "nothing"}) == []


def test_events_are_about_one_object_oldest_first(cluster: Cluster) -> None:
    events = cluster.events(NS, "web", kind="Deployment")
    assert [(e.reason, e.count, e.last_seen) for e in events] == [
        ("ScalingReplicaSet", 1, datetime(2026, 1, 5, 9, 30, tzinfo=UTC)),
        ("ScalingReplicaSet", 1, datetime(2026, 1, 5, 9, 45, tzinfo=UTC)),
        ("ScalingReplicaSet", 4, datetime(2026, 1, 5, 9, 50, tzinfo=UTC)),  # a newer reporter's series
    ]
    assert {e.object_kind for e in cluster.events(NS, "web")} == {"Deployment", "ReplicaSet"}
    (backoff,) = cluster.events(NS, "web-7d9f8b6c5d-ccccc")
    assert (backoff.type, backoff.reason, backoff.object_kind) == ("Warning", "BackOff", "Pod")
    with pytest.raises(IntegrationError, match="not a Kubernetes kind"):
        cluster.events(NS, "web", kind="Pod,involvedObject.name=x")


def test_scaling_sets_replicas_and_keeps_the_revision(cluster: Cluster) -> None:
    web = cluster.scale(NS, "web", 5)
    assert (web.replicas, web.revision, web.images["web"]) == (5, 2, IMAGE_NEW)
    assert cluster.deployment_get(NS, "web").replicas == 5
    assert [r.revision for r in cluster.deployment_revisions(NS, "web")] == [1, 2]
    with pytest.raises(IntegrationError, match="replicas"):
        cluster.scale(NS, "web", -1)


def test_rollback_returns_to_the_previous_image_as_a_new_revision(cluster: Cluster) -> None:
    web = cluster.rollback(NS, "web")
    assert web.images == {"web": IMAGE_OLD, "envoy": ENVOY}
    assert cluster.deployment_get(NS, "web").revision == 3
    history = cluster.deployment_revisions(NS, "web")
    # As with kubectl: the old ReplicaSet is reused and takes the next number; revision 1 leaves the history.
    assert [(r.revision, r.replicaset, r.images["web"]) for r in history] == [
        (2, "web-7d9f8b6c5d", IMAGE_NEW),
        (3, "web-5c8f7d9b4a", IMAGE_OLD),
    ]
    assert cluster.rollback(NS, "web").images["web"] == IMAGE_NEW  # undo the undo
    assert cluster.deployment_get(NS, "web").revision == 4


def test_rollback_to_a_named_revision(cluster: Cluster) -> None:
    assert cluster.rollback(NS, "web", to_revision=1).images["web"] == IMAGE_OLD
    assert cluster.deployment_get(NS, "web").images["web"] == IMAGE_OLD


def test_rollback_to_the_running_revision_changes_nothing(cluster: Cluster) -> None:
    web = cluster.rollback(NS, "web", to_revision=2)
    assert (web.revision, web.images["web"]) == (2, IMAGE_NEW)
    assert [r.revision for r in cluster.deployment_revisions(NS, "web")] == [1, 2]


def test_rollback_to_an_unknown_revision_names_the_known_ones(cluster: Cluster) -> None:
    with pytest.raises(IntegrationError, match=r"no revision 9 \(revisions: 1, 2\)") as exc:
        cluster.rollback(NS, "web", to_revision=9)
    assert exc.value.permanent
    with pytest.raises(IntegrationError, match="no earlier revision"):
        cluster.rollback(NS, "web-canary")


def test_restart_rolls_a_new_revision_with_the_same_images(cluster: Cluster) -> None:
    web = cluster.restart(NS, "web")
    assert web.images == {"web": IMAGE_NEW, "envoy": ENVOY}
    history = cluster.deployment_revisions(NS, "web")
    assert [r.revision for r in history] == [1, 2, 3]
    assert history[-1].images == history[-2].images
    assert (history[-1].replicas, history[-2].replicas) == (3, 0)


def test_scaledobject_bounds_are_set(cluster: Cluster) -> None:
    scaled = cluster.scaledobject_bounds(NS, "web", 4, 20)
    assert (scaled.namespace, scaled.name, scaled.target) == (NS, "web", "web")
    assert (scaled.min_replicas, scaled.max_replicas) == (4, 20)
    assert cluster.scaledobject_bounds(NS, "worker", 0, 1).max_replicas == 1


@pytest.mark.parametrize(("low", "high"), [(5, 4), (0, 0), (-1, 3)])
def test_scaledobject_bounds_that_keda_would_reject_are_refused(cluster: Cluster, low: int, high: int) -> None:
    with pytest.raises(IntegrationError, match=r"KEDA needs|replicas must"):
        cluster.scaledobject_bounds(NS, "web", low, high)


def test_a_version_names_the_revision_that_ran_it(cluster: Cluster) -> None:
    assert cluster.revision_with_tag(NS, "web", "1.4.1") == 1
    assert cluster.revision_with_tag(NS, "web", "1.4.2") == 2
    with pytest.raises(IntegrationError, match=r"tagged '9\.9\.9'"):
        cluster.revision_with_tag(NS, "web", "9.9.9")
