"""The official client against the fake API server: the requests kubectl would send, and what refusals mean."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml
from kubernetes import client

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import NotFound
from portal.integrations.kubernetes.client import Access, api_error
from portal.integrations.kubernetes.official import KubernetesCluster
from tests.integrations.fake_kubernetes import TOKEN, Served, served, status
from tests.integrations.fake_kubernetes_objects import IMAGE_OLD, NS, shop_objects

NOW = datetime(2026, 1, 5, 10, 0, tzinfo=UTC)
DEPLOYMENT = r"/apis/apps/v1/namespaces/shop/deployments/web$"


@pytest.fixture
def api() -> Iterator[Served]:
    fake = served(*shop_objects())
    yield fake
    fake.server.close()


@pytest.fixture
def cluster(api: Served) -> KubernetesCluster:
    return KubernetesCluster(**api.options(), clock=lambda: NOW)


def test_restart_sends_the_strategic_merge_patch_kubectl_sends(api: Served, cluster: KubernetesCluster) -> None:
    cluster.restart(NS, "web")
    path, content_type, body = api.fake.patches[-1]
    assert (path, content_type) == (
        "/apis/apps/v1/namespaces/shop/deployments/web",
        "application/strategic-merge-patch+json",
    )
    annotations = {"kubectl.kubernetes.io/restartedAt": "2026-01-05T10:00:00Z"}
    assert body == {"spec": {"template": {"metadata": {"annotations": annotations}}}}


def test_rollback_replaces_the_template_and_keeps_the_deployments_own_annotations(
    api: Served, cluster: KubernetesCluster
) -> None:
    cluster.rollback(NS, "web")
    _, content_type, body = api.fake.patches[-1]
    assert content_type == "application/json-patch+json"
    assert [(op["op"], op["path"]) for op in body] == [
        ("replace", "/spec/template"),
        ("replace", "/metadata/annotations"),
    ]
    assert body[0]["value"]["spec"]["containers"][0]["image"] == IMAGE_OLD
    assert "pod-template-hash" not in body[0]["value"]["metadata"]["labels"]
    # The Deployment's revision stays (the controller moves it); the ReplicaSet's desired-replicas is not copied.
    assert body[1]["value"] == {"deployment.kubernetes.io/revision": "2"}


def test_scale_goes_through_the_scale_subresource(api: Served, cluster: KubernetesCluster) -> None:
    cluster.scale(NS, "web", 6)
    assert api.fake.patches[-1] == (
        "/apis/apps/v1/namespaces/shop/deployments/web/scale",
        "application/merge-patch+json",
        {"spec": {"replicas": 6}},
    )


def test_scaledobjects_are_merge_patched(api: Served, cluster: KubernetesCluster) -> None:
    cluster.scaledobject_bounds(NS, "web", 3, 12)
    path, content_type, body = api.fake.patches[-1]
    assert (path, content_type) == (
        "/apis/keda.sh/v1alpha1/namespaces/shop/scaledobjects/web",
        "application/merge-patch+json",
    )
    assert body == {"spec": {"minReplicaCount": 3, "maxReplicaCount": 12}}
    assert api.fake.get("scaledobjects.keda.sh", NS, "web")["spec"]["triggers"] == []  # the rest is untouched


def test_a_missing_rbac_rule_is_named(api: Served, cluster: KubernetesCluster) -> None:
    api.fake.forbidden.add(("patch", "deployments/scale"))
    with pytest.raises(IntegrationError) as exc:
        cluster.scale(NS, "web", 6)
    error = exc.value
    assert error.permanent
    assert "needs an RBAC rule granting verb 'patch' on 'deployments/scale' in API group 'apps'" in error.message
    assert 'cannot patch resource "deployments/scale" in API group "apps" in the namespace "shop"' in error.message
    assert api.sleeps == []


def test_listing_pods_without_rbac_names_the_core_group(api: Served, cluster: KubernetesCluster) -> None:
    api.fake.forbidden.add(("list", "pods"))
    with pytest.raises(IntegrationError, match=r"verb 'list' on 'pods' in API group '' \(core\)"):
        cluster.pods(NS, {"app": "web"})


def test_credentials_the_server_refuses_are_permanent(api: Served) -> None:
    cluster = KubernetesCluster(host=api.server.url, token="expired", sleep=api.sleeps.append)
    with pytest.raises(IntegrationError, match="did not accept the portal's credentials") as exc:
        cluster.deployment_get(NS, "web")
    assert exc.value.permanent


def test_a_cluster_without_keda_says_so(api: Served, cluster: KubernetesCluster) -> None:
    api.fake.crds.discard("scaledobjects.keda.sh")
    with pytest.raises(NotFound, match=r"the cluster does not serve 'scaledobjects' in keda\.sh"):
        cluster.scaledobject_bounds(NS, "web", 1, 2)


@pytest.mark.parametrize("kind", ["status", "gateway"])
def test_a_server_error_is_retried_once_and_succeeds(api: Served, cluster: KubernetesCluster, kind: str) -> None:
    if kind == "status":  # the API server's own 500, with a Status body
        api.fake.answer_once("GET", DEPLOYMENT, status(500, "InternalError", "etcdserver: request timed out"))
    else:  # a proxy in front of it
        api.server.fail("server_error", method="GET", path="deployments/web")
    assert cluster.deployment_get(NS, "web").revision == 2
    assert api.sleeps == [1.0]


def test_a_conflict_is_retried(api: Served, cluster: KubernetesCluster) -> None:
    conflict = status(
        409, "Conflict", 'Operation cannot be fulfilled on deployments.apps "web": the object has been modified'
    )
    api.fake.answer_once("PATCH", DEPLOYMENT, conflict)
    assert cluster.restart(NS, "web").name == "web"
    assert api.sleeps == [1.0]


def test_conflicts_that_persist_are_transient_errors(api: Served, cluster: KubernetesCluster) -> None:
    for _ in range(3):
        api.fake.answer_once("PATCH", DEPLOYMENT, status(409, "Conflict", "the object has been modified"))
    with pytest.raises(IntegrationError, match=r"could not patch deployments\.apps shop/web now") as exc:
        cluster.restart(NS, "web")
    assert (exc.value.permanent, exc.value.retry_after) == (False, 1.0)
    assert api.sleeps == [1.0, 1.0]


def test_throttling_waits_as_long_as_the_server_asks(api: Served, cluster: KubernetesCluster) -> None:
    api.server.fail("retry_after", method="GET", path="replicasets", reset_in=3)
    assert len(cluster.deployment_revisions(NS, "web")) == 2
    assert api.sleeps == [3.0]


def test_a_dropped_answer_to_a_patch_is_retried_without_a_second_rollout(
    api: Served, cluster: KubernetesCluster
) -> None:
    api.server.fail("drop_after", method="PATCH", path="deployments/web")
    cluster.restart(NS, "web")
    assert api.sleeps == [1.0]
    assert [r.revision for r in cluster.deployment_revisions(NS, "web")] == [1, 2, 3]  # the same stamp twice


def test_an_unreachable_server_is_transient(api: Served) -> None:
    api.server.close()
    sleeps: list[float] = []
    cluster = KubernetesCluster(host=api.server.url, token=TOKEN, sleep=sleeps.append, timeout=2.0)
    with pytest.raises(IntegrationError, match="Could not reach the Kubernetes API") as exc:
        cluster.deployment_get(NS, "web")
    assert not exc.value.permanent
    assert sleeps == [1.0, 1.0]


def test_it_connects_with_a_kubeconfig(api: Served, tmp_path: Path) -> None:
    kubeconfig = {
        "apiVersion": "v1",
        "kind": "Config",
        "clusters": [{"name": "test", "cluster": {"server": api.server.url}}],
        "users": [{"name": "portal", "user": {"token": TOKEN}}],
        "contexts": [{"name": "portal@test", "context": {"cluster": "test", "user": "portal", "namespace": NS}}],
        "current-context": "portal@test",
    }
    path = tmp_path / "kubeconfig"
    path.write_text(yaml.safe_dump(kubeconfig))
    cluster = KubernetesCluster(kubeconfig=str(path), context="portal@test")
    assert cluster.deployment_get(NS, "web").revision == 2


def test_missing_credentials_are_named_at_start(tmp_path: Path) -> None:
    with pytest.raises(IntegrationError, match="No usable Kubernetes credentials"):
        KubernetesCluster(kubeconfig=str(tmp_path / "absent"))


def test_an_invalid_object_is_a_permanent_refusal() -> None:
    exc = client.ApiException(status=422, reason="Unprocessable Entity")
    exc.body = b'{"kind":"Status","message":"Deployment.apps \\"web\\" is invalid: spec.replicas: Invalid value: -1"}'
    error = api_error(exc, Access("patch", "deployments", "apps", NS, "web"))
    assert error.permanent
    assert error.message.endswith('(422: Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1).')


def test_a_certificate_the_portal_does_not_trust_is_a_permanent_error(api: Served, tmp_path: Path) -> None:
    ca_file = api.tls(tmp_path)
    with pytest.raises(IntegrationError, match="TLS certificate was not accepted") as exc:
        KubernetesCluster(**api.options()).deployment_get(NS, "web")
    assert exc.value.permanent
    assert api.sleeps == []
    assert KubernetesCluster(**api.options(), ca_file=ca_file).deployment_get(NS, "web").revision == 2
