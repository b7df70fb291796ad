"""Render a service's preview ApplicationSet and the objects one preview environment runs. Pure: no Django.

Real Argo CD: the ApplicationSet's pull-request generator makes one Application per open pull request.
The local providers have no ApplicationSet controller, so the portal plays it: `preview_objects` is what
that controller (the Application) and the service's preview overlay (namespace, quota, limits, workload)
would put in the cluster for one pull request.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from portal.core.labels import standard_labels

Obj = dict[str, Any]
ENVIRONMENT = "preview"
ARGOCD_NAMESPACE = "argocd"
PR_NUMBER = "platform-portal/pull-request"
FINALIZER = "resources-finalizer.argocd.argoproj.io"  # Argo CD deletes what the Application made
NAME_LIMIT = 63  # DNS-1123 label: namespace names


@dataclass(frozen=True)
class PreviewSpec:
    """What the renderer needs to know about a service with previews."""

    service: str
    team: str
    cost_centre: str
    provider: str  # github | gitlab
    repository: str  # owner/name (GitHub) or group/project path (GitLab)
    repo_url: str
    overlay_path: str = "deploy/overlays/preview"
    image: str = ""  # the image repository; the tag is the pull request's head sha
    replicas: int = 1
    cpu: float = 0.25  # cores requested per replica
    memory_gib: float = 0.5  # GiB requested per replica
    storage_gib: float = 1.0  # persistent storage the preview keeps while asleep
    labels: tuple[str, ...] = ("preview",)  # pull-request labels that ask for a preview
    api_url: str = ""  # GitHub Enterprise / self-managed GitLab API; empty for the public service
    token_secret: str = ""  # the Secret holding the SCM token (a reference: the portal never holds it)
    gitlab_project: str = ""  # GitLab's numeric project id, as the generator wants it
    requeue_seconds: int = 180
    cluster: str = "in-cluster"


@dataclass(frozen=True)
class PullRequestRef:
    number: int
    branch: str
    head_sha: str
    extra_labels: dict[str, str] = field(default_factory=dict)


def namespace_for(service: str, number: int) -> str:
    """pr-<number>-<service>, cut to a valid namespace name."""
    return f"pr-{number}-{service}"[:NAME_LIMIT].rstrip("-.")


def application_name(service: str, number: int) -> str:
    return f"{service}-pr-{number}"[:NAME_LIMIT].rstrip("-.")


def labels_for(spec: PreviewSpec) -> dict[str, str]:
    return standard_labels(service=spec.service, team=spec.team, environment=ENVIRONMENT, cost_centre=spec.cost_centre)


def _generator(spec: PreviewSpec) -> Obj:
    token = {"secretName": spec.token_secret or f"{spec.provider}-token", "key": "token"}
    if spec.provider == "gitlab":
        gitlab: Obj = {
            "project": spec.gitlab_project or spec.repository,
            "tokenRef": token,
            "pullRequestState": "opened",
            "labels": list(spec.labels),
        }
        if spec.api_url:
            gitlab["api"] = spec.api_url
        return {"pullRequest": {"gitlab": gitlab, "requeueAfterSeconds": spec.requeue_seconds}}
    owner, _, repo = spec.repository.partition("/")
    github: Obj = {"owner": owner, "repo": repo, "tokenRef": token, "labels": list(spec.labels)}
    if spec.api_url:
        github["api"] = spec.api_url
    return {"pullRequest": {"github": github, "requeueAfterSeconds": spec.requeue_seconds}}


def _application_spec(spec: PreviewSpec, *, revision: str, namespace: str, image_tag: str) -> Obj:
    source: Obj = {"repoURL": spec.repo_url, "targetRevision": revision, "path": spec.overlay_path}
    if spec.image:
        source["kustomize"] = {"images": [f"{spec.image}:{image_tag}"], "commonLabels": labels_for(spec)}
    return {
        "project": spec.team,
        "source": source,
        "destination": {"name": spec.cluster, "namespace": namespace},
        "syncPolicy": {
            "automated": {"prune": True, "selfHeal": True},
            "syncOptions": ["CreateNamespace=true"],
            "managedNamespaceMetadata": {"labels": labels_for(spec)},
        },
        # Off-hours shutdown scales Deployments to zero; Argo CD must not undo it.
        "ignoreDifferences": [{"group": "apps", "kind": "Deployment", "jsonPointers": ["/spec/replicas"]}],
    }


def applicationset(spec: PreviewSpec) -> Obj:
    """The service's ApplicationSet: one Application per labelled open pull request, in its own namespace."""
    prefix = f"pr-{{{{.number}}}}-{spec.service}"
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "ApplicationSet",
        "metadata": {"name": f"{spec.service}-previews", "namespace": ARGOCD_NAMESPACE, "labels": labels_for(spec)},
        "spec": {
            "goTemplate": True,
            "goTemplateOptions": ["missingkey=error"],
            "generators": [_generator(spec)],
            "template": {
                "metadata": {
                    "name": f"{spec.service}-pr-{{{{.number}}}}",
                    "labels": {**labels_for(spec), PR_NUMBER: "{{.number}}"},
                    "finalizers": [FINALIZER],
                },
                "spec": _application_spec(spec, revision="{{.head_sha}}", namespace=prefix, image_tag="{{.head_sha}}"),
            },
        },
    }


def application(spec: PreviewSpec, pull: PullRequestRef) -> Obj:
    """The Application the ApplicationSet generates for one pull request (what the local providers commit)."""
    namespace = namespace_for(spec.service, pull.number)
    return {
        "apiVersion": "argoproj.io/v1alpha1",
        "kind": "Application",
        "metadata": {
            "name": application_name(spec.service, pull.number),
            "namespace": ARGOCD_NAMESPACE,
            "labels": {**labels_for(spec), PR_NUMBER: str(pull.number)},
            "annotations": {"platform-portal/branch": pull.branch, "platform-portal/head-sha": pull.head_sha},
            "finalizers": [FINALIZER],
        },
        "spec": _application_spec(spec, revision=pull.head_sha, namespace=namespace, image_tag=pull.head_sha),
    }


def _quantity_cpu(cores: float) -> str:
    return f"{round(cores * 1000)}m"


def _quantity_memory(gib: float) -> str:
    return f"{round(gib * 1024)}Mi"


def namespace_objects(spec: PreviewSpec, pull: PullRequestRef) -> list[Obj]:
    """The namespace with its quota and default limits: a preview can never grow past what it was sized for."""
    namespace, labels = namespace_for(spec.service, pull.number), labels_for(spec)
    meta = {"namespace": namespace, "labels": {**labels, PR_NUMBER: str(pull.number)}}
    headroom = spec.replicas * 2  # a rolling update briefly runs twice the pods
    return [
        {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace, "labels": meta["labels"]}},
        {
            "apiVersion": "v1",
            "kind": "ResourceQuota",
            "metadata": {"name": "preview-quota", **meta},
            "spec": {
                "hard": {
                    "requests.cpu": _quantity_cpu(spec.cpu * headroom),
                    "requests.memory": _quantity_memory(spec.memory_gib * headroom),
                    "limits.cpu": _quantity_cpu(spec.cpu * headroom * 2),
                    "limits.memory": _quantity_memory(spec.memory_gib * headroom * 2),
                    "requests.storage": f"{round(spec.storage_gib * 1024)}Mi",
                    "persistentvolumeclaims": "2",
                    "pods": str(headroom + 2),
                    "services.loadbalancers": "0",
                }
            },
        },
        {
            "apiVersion": "v1",
            "kind": "LimitRange",
            "metadata": {"name": "preview-limits", **meta},
            "spec": {
                "limits": [
                    {
                        "type": "Container",
                        "default": {"cpu": _quantity_cpu(spec.cpu * 2), "memory": _quantity_memory(spec.memory_gib)},
                        "defaultRequest": {"cpu": _quantity_cpu(spec.cpu), "memory": _quantity_memory(spec.memory_gib)},
                    }
                ]
            },
        },
    ]


def workload(spec: PreviewSpec, pull: PullRequestRef, *, replicas: int) -> Obj:
    """The Deployment the preview overlay runs, at the pull request's head commit."""
    namespace, labels = namespace_for(spec.service, pull.number), labels_for(spec)
    selector = {"app.kubernetes.io/name": spec.service, "app.kubernetes.io/instance": namespace}
    image = f"{spec.image or spec.service}:{pull.head_sha}"
    container = {
        "name": spec.service,
        "image": image,
        "resources": {
            "requests": {"cpu": _quantity_cpu(spec.cpu), "memory": _quantity_memory(spec.memory_gib)},
            "limits": {"cpu": _quantity_cpu(spec.cpu * 2), "memory": _quantity_memory(spec.memory_gib)},
        },
        "env": [{"name": "PREVIEW_PULL_REQUEST", "value": str(pull.number)}],
        "ports": [{"name": "http", "containerPort": 8080}],
        # The golden paths' conventions, so the platform's cluster policies admit previews too.
        "readinessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 5},
        "livenessProbe": {"httpGet": {"path": "/healthz", "port": "http"}, "periodSeconds": 10},
        "securityContext": {
            "runAsNonRoot": True,
            "allowPrivilegeEscalation": False,
            "readOnlyRootFilesystem": True,
            "capabilities": {"drop": ["ALL"]},
        },
    }
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": spec.service, "namespace": namespace, "labels": {**labels, **selector}},
        "spec": {
            "replicas": replicas,
            "selector": {"matchLabels": selector},
            "template": {
                "metadata": {"labels": {**labels, **selector}},
                "spec": {"securityContext": {"runAsNonRoot": True}, "containers": [container]},
            },
        },
    }


def preview_objects(spec: PreviewSpec, pull: PullRequestRef, *, replicas: int) -> list[Obj]:
    """Every object one preview environment puts in the cluster, namespace first."""
    return [*namespace_objects(spec, pull), workload(spec, pull, replicas=replicas)]
