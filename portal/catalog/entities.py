"""Backstage entities (Group, User, System, Component, Resource) built from catalog rows."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import urlparse

import yaml

from portal.catalog.models import Resource, Service, ServiceEnvironment, System
from portal.core.models import Team, User

API_VERSION = "backstage.io/v1alpha1"
ANNOTATION_PREFIX = "platform-portal"
NAMESPACE = "default"

Entity = dict[str, Any]
# Apps that provision resources add their annotations (portal.infra: where the connection secret is).
RESOURCE_ANNOTATORS: list[Callable[[Resource], dict[str, str]]] = []


def group_ref(team: Team) -> str:
    return f"group:{NAMESPACE}/{team.name}"


def user_entity_name(username: str) -> str:
    """A Backstage-safe name for a username (e-mail style names become dashes)."""
    name = re.sub(r"[^A-Za-z0-9_.-]+", "-", username).strip("-_.")[:63].strip("-_.")
    return name or "user"


def _metadata(name: str, title: str, description: str, **extra: Any) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name}
    if title:
        meta["title"] = title
    if description:
        meta["description"] = description
    meta.update({key: value for key, value in extra.items() if value})
    return meta


def repo_annotations(repo_url: str) -> dict[str, str]:
    """source-location plus the GitHub or GitLab project slug that Backstage's SCM plugins read."""
    if not repo_url:
        return {}
    annotations = {"backstage.io/source-location": f"url:{repo_url.rstrip('/')}/"}
    parsed = urlparse(repo_url)
    slug = parsed.path.strip("/").removesuffix(".git")
    host = (parsed.hostname or "").lower()
    if host == "github.com" and slug.count("/") == 1:
        annotations["github.com/project-slug"] = slug
    elif "gitlab" in host and slug:
        annotations["gitlab.com/project-slug"] = slug
        if host != "gitlab.com":
            annotations["gitlab.com/instance"] = host
    return annotations


def _production_first(placements: Iterable[ServiceEnvironment]) -> list[ServiceEnvironment]:
    return sorted(placements, key=lambda p: (not p.environment.is_production, p.environment.name))


def service_annotations(service: Service) -> dict[str, str]:
    annotations = {
        "backstage.io/kubernetes-id": service.name,
        f"{ANNOTATION_PREFIX}/tier": str(service.tier),
        f"{ANNOTATION_PREFIX}/origin": service.origin,
    }
    if service.runtime:
        annotations[f"{ANNOTATION_PREFIX}/runtime"] = service.runtime
    placements = _production_first(service.placements.all())
    if placements:
        annotations["backstage.io/kubernetes-namespace"] = placements[0].namespace
        apps = [p.argocd_app_name for p in placements if p.argocd_app_name]
        if apps:
            annotations["argocd/app-name"] = apps[0]
    annotations.update(repo_annotations(service.repo_url))
    if service.slos.all():  # prefetched by the selector
        # Roadie's Prometheus plugin graphs these: each SLO's 5-minute error ratio, one line per SLO.
        annotations["prometheus.io/rule"] = f'slo:sli_error:ratio_rate5m{{sloth_service="{service.name}"}}|sloth_slo'
    return annotations


def service_links(service: Service, site_url: str) -> list[dict[str, str]]:
    links = [{"url": str(link["url"]), "title": str(link.get("title") or link["url"])} for link in service.links]
    if service.repo_url:
        links.append(
            {
                "url": service.repo_url,
                "title": "Repository",
                "icon": "github" if "github" in service.repo_url else "code",
            }
        )
    links.append({"url": f"{site_url}/api/v1/catalog/services/{service.name}", "title": "Platform portal"})
    return links


def component_entity(service: Service, *, site_url: str) -> Entity:
    depends_on = [f"component:{NAMESPACE}/{dep.name}" for dep in service.dependencies.all()]
    depends_on += [f"resource:{NAMESPACE}/{res.name}" for res in service.resources.all()]
    spec: dict[str, Any] = {
        "type": service.type,
        "lifecycle": service.lifecycle,
        "owner": group_ref(service.owner),
    }
    if service.system_id:
        spec["system"] = service.system.name  # type: ignore[union-attr]
    if depends_on:
        spec["dependsOn"] = sorted(depends_on)
    metadata = _metadata(
        service.name,
        service.title,
        service.description,
        annotations=service_annotations(service),
        tags=sorted(set(service.tags)),
        links=service_links(service, site_url),
        labels={f"{ANNOTATION_PREFIX}/tier": f"tier-{service.tier}"},
    )
    return {"apiVersion": API_VERSION, "kind": "Component", "metadata": metadata, "spec": spec}


def group_entity(team: Team) -> Entity:
    profile = {key: value for key, value in {"displayName": team.title, "email": team.email}.items() if value}
    spec: dict[str, Any] = {
        "type": "team",
        "children": sorted(group_ref(child) for child in team.children.all()),
        "members": sorted(
            f"user:{NAMESPACE}/{user_entity_name(m.user.username)}"
            for m in team.memberships.all()
            if not m.user.is_service_account and m.user.is_active
        ),
    }
    if profile:
        spec["profile"] = profile
    if team.parent_id:
        spec["parent"] = group_ref(team.parent)  # type: ignore[arg-type]
    annotations = {
        f"{ANNOTATION_PREFIX}/{key}": value
        for key, value in (
            ("slack-channel", team.slack_channel),
            ("cost-centre", team.cost_centre),
            ("timezone", team.timezone),
        )
        if value
    }
    metadata = _metadata(team.name, team.title, team.description, annotations=annotations)
    return {"apiVersion": API_VERSION, "kind": "Group", "metadata": metadata, "spec": spec}


def user_entity(user: User) -> Entity:
    profile = {key: value for key, value in {"displayName": user.get_full_name(), "email": user.email}.items() if value}
    spec: dict[str, Any] = {"memberOf": sorted(group_ref(team) for team in user.teams.all())}
    if profile:
        spec["profile"] = profile
    metadata = _metadata(user_entity_name(user.username), "", "")
    return {"apiVersion": API_VERSION, "kind": "User", "metadata": metadata, "spec": spec}


def system_entity(system: System) -> Entity:
    metadata = _metadata(system.name, system.title, system.description)
    return {
        "apiVersion": API_VERSION,
        "kind": "System",
        "metadata": metadata,
        "spec": {"owner": group_ref(system.owner)},
    }


def resource_entity(resource: Resource) -> Entity:
    spec: dict[str, Any] = {"type": resource.type, "owner": group_ref(resource.owner)}
    if resource.system_id:
        spec["system"] = resource.system.name  # type: ignore[union-attr]
    annotations = {key: value for annotate in RESOURCE_ANNOTATORS for key, value in annotate(resource).items()}
    metadata = _metadata(resource.name, resource.title, resource.description, annotations=annotations)
    return {"apiVersion": API_VERSION, "kind": "Resource", "metadata": metadata, "spec": spec}


def entities_yaml(entities: Iterable[Entity]) -> str:
    """A multi-document catalog-info.yaml; every scalar stays the type Backstage expects."""
    return yaml.safe_dump_all(list(entities), sort_keys=False, allow_unicode=True, default_flow_style=False)
