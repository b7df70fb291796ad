"""Import catalog-info.yaml: validate every document first, then write all of them or none."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlparse

import yaml
from django.db import transaction

from portal.catalog import services as catalog_services
from portal.catalog.entities import ANNOTATION_PREFIX
from portal.catalog.models import Lifecycle, Origin, Resource, ResourceType, Service, ServiceType, System
from portal.core import services as core_services
from portal.core.audit import AuditContext
from portal.core.errors import ApplicationError
from portal.core.models import Team
from portal.core.permissions import AnyUser

API_VERSIONS = ("backstage.io/v1alpha1", "backstage.io/v1beta1")
KINDS = ("Group", "System", "Resource", "Component")  # the order they are written in
# Accepted so that the portal's own export can be sent back, but not written: people come from the
# identity provider, not from YAML.
SKIPPED_KINDS = ("User",)
TOP_LEVEL = {"apiVersion", "kind", "metadata", "spec", "relations", "status"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
TAG = re.compile(r"^[a-z0-9:+#]+(-[a-z0-9:+#]+)*$")
MAX_DOCUMENTS = 500


@dataclass
class Document:
    index: int
    kind: str
    name: str
    raw: dict[str, Any]
    errors: dict[str, list[str]] = field(default_factory=dict)

    def error(self, path: str, reason: str) -> None:
        self.errors.setdefault(path, []).append(reason)


@dataclass
class ImportResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)


def parse_documents(text: str) -> list[dict[str, Any]]:
    try:
        loaded = [doc for doc in yaml.safe_load_all(text) if doc is not None]
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        raise ApplicationError(f"The YAML could not be parsed{where}.", fields={"body": [str(exc)]}) from exc
    if not loaded:
        raise ApplicationError("No entities in the document.", fields={"body": ["empty"]})
    if len(loaded) > MAX_DOCUMENTS:
        raise ApplicationError(f"At most {MAX_DOCUMENTS} documents per import.", fields={"body": ["too many"]})
    return loaded


def _ref_name(ref: Any, kind: str) -> str | None:
    """'group:default/x', 'group:x' or 'x' -> 'x'; None for another kind or namespace."""
    if not isinstance(ref, str) or not ref:
        return None
    prefix, _, rest = ref.rpartition(":") if ":" in ref else ("", "", ref)
    if prefix and prefix.lower() != kind:
        return None
    namespace, _, name = rest.rpartition("/") if "/" in rest else ("default", "", rest)
    return name if namespace == "default" else None


def _check_envelope(doc: Document) -> None:
    raw = doc.raw
    for key in sorted(set(raw) - TOP_LEVEL):
        doc.error(key, "unknown top-level field")
    if raw.get("apiVersion") not in API_VERSIONS:
        doc.error("apiVersion", f"must be one of {', '.join(API_VERSIONS)}")
    meta = raw.get("metadata")
    if not isinstance(meta, dict):
        doc.error("metadata", "must be a mapping")
        return
    if not isinstance(meta.get("name"), str) or not DNS_LABEL.match(meta["name"]):
        doc.error("metadata.name", "must be a DNS-1123 label: at most 63 lowercase letters, digits and '-'")
    if meta.get("namespace", "default") != "default":
        doc.error("metadata.namespace", "only the 'default' namespace is imported")
    for i, tag in enumerate(meta.get("tags") or []):
        if not isinstance(tag, str) or not TAG.match(tag):
            doc.error(f"metadata.tags[{i}]", "tags are lowercase [a-z0-9+#] words joined by '-'")
    for section in ("annotations", "labels"):
        values = meta.get(section) or {}
        if not isinstance(values, dict):
            doc.error(f"metadata.{section}", "must be a mapping")
            continue
        for key, value in values.items():
            if not isinstance(value, str):
                doc.error(f"metadata.{section}.{key}", "must be a string (quote numbers and booleans)")
    if not isinstance(raw.get("spec", {}), dict):
        doc.error("spec", "must be a mapping")


class Importer:
    """Validates a batch against the catalog as it is plus the batch itself, then applies it."""

    def __init__(self, *, actor: AnyUser, context: AuditContext | None) -> None:
        self.actor = actor
        self.context = context
        self.documents: list[Document] = []

    def load(self, raw_documents: list[dict[str, Any]]) -> None:
        for index, raw in enumerate(raw_documents):
            if not isinstance(raw, dict):
                doc = Document(index, "", "", {})
                doc.error("document", "must be a mapping with apiVersion, kind, metadata and spec")
            else:
                meta = raw.get("metadata") if isinstance(raw.get("metadata"), dict) else {}
                doc = Document(index, str(raw.get("kind", "")), str(meta.get("name", "")), raw)  # type: ignore[union-attr]
                if doc.kind not in KINDS + SKIPPED_KINDS:
                    doc.error("kind", f"'{doc.kind}' is not imported; supported kinds: {', '.join(KINDS)}")
                else:
                    _check_envelope(doc)
            self.documents.append(doc)
        self._check_duplicates()
        for doc in self.documents:
            if not doc.errors and doc.kind in KINDS:
                getattr(self, f"_check_{doc.kind.lower()}")(doc)

    def _check_duplicates(self) -> None:
        seen: set[tuple[str, str]] = set()
        for doc in self.documents:
            key = (doc.kind, doc.name)
            if doc.name and key in seen:
                doc.error("metadata.name", f"another {doc.kind} in this import has the same name")
            seen.add(key)

    def _in_batch(self, kind: str) -> set[str]:
        return {d.name for d in self.documents if d.kind == kind}

    def _check_ref(self, doc: Document, path: str, ref: Any, kind: str, model: Any, *, required: bool) -> None:
        if ref in (None, "") and not required:
            return
        name = _ref_name(ref, kind)
        if name is None:
            doc.error(path, f"must reference a {kind} in the default namespace, like '{kind}:default/<name>'")
        elif name not in self._in_batch(kind.capitalize()) and not model.objects.filter(name=name).exists():
            doc.error(path, f"no {kind} named '{name}' in the catalog or in this import")

    def _check_group(self, doc: Document) -> None:
        spec = doc.raw.get("spec", {})
        if spec.get("type", "team") != "team":
            doc.error("spec.type", "only groups of type 'team' are imported")
        self._check_ref(doc, "spec.parent", spec.get("parent"), "group", Team, required=False)

    def _check_owned(self, doc: Document) -> None:
        self._check_ref(doc, "spec.owner", doc.raw.get("spec", {}).get("owner"), "group", Team, required=True)

    def _check_system(self, doc: Document) -> None:
        self._check_owned(doc)

    def _check_resource(self, doc: Document) -> None:
        spec = doc.raw.get("spec", {})
        self._check_owned(doc)
        if spec.get("type") not in ResourceType.values:
            doc.error("spec.type", f"must be one of {', '.join(ResourceType.values)}")
        self._check_ref(doc, "spec.system", spec.get("system"), "system", System, required=False)

    def _check_component(self, doc: Document) -> None:
        spec = doc.raw.get("spec", {})
        self._check_owned(doc)
        if spec.get("type") not in ServiceType.values:
            doc.error("spec.type", f"must be one of {', '.join(ServiceType.values)}")
        if spec.get("lifecycle") not in Lifecycle.values:
            doc.error("spec.lifecycle", f"must be one of {', '.join(Lifecycle.values)}")
        self._check_ref(doc, "spec.system", spec.get("system"), "system", System, required=False)
        tier = (doc.raw["metadata"].get("annotations") or {}).get(f"{ANNOTATION_PREFIX}/tier", "3")
        if tier not in ("1", "2", "3"):
            doc.error(f"metadata.annotations.{ANNOTATION_PREFIX}/tier", "must be '1', '2' or '3'")
        for i, ref in enumerate(spec.get("dependsOn") or []):
            kind = str(ref).split(":", 1)[0].lower() if ":" in str(ref) else ""
            if kind == "component":
                self._check_ref(doc, f"spec.dependsOn[{i}]", ref, "component", Service, required=True)
            elif kind == "resource":
                self._check_ref(doc, f"spec.dependsOn[{i}]", ref, "resource", Resource, required=True)
            else:
                doc.error(f"spec.dependsOn[{i}]", "must be 'component:<name>' or 'resource:<name>'")
        self._check_links(doc)

    def _check_links(self, doc: Document) -> None:
        for i, link in enumerate(doc.raw["metadata"].get("links") or []):
            url = link.get("url") if isinstance(link, dict) else None
            if not isinstance(url, str) or urlparse(url).scheme not in ("http", "https"):
                doc.error(f"metadata.links[{i}].url", "must be an http(s) URL")

    def field_errors(self) -> dict[str, list[str]]:
        errors: dict[str, list[str]] = {}
        for doc in self.documents:
            for path, reasons in doc.errors.items():
                label = f"documents[{doc.index}]({doc.kind or '?'}:{doc.name or '?'}).{path}"
                errors[label] = reasons
        return errors

    @transaction.atomic
    def apply(self) -> ImportResult:
        outcomes: dict[tuple[str, str], str] = {}
        for kind in KINDS:
            for doc in (d for d in self.documents if d.kind == kind):
                outcomes[(kind, doc.name)] = getattr(self, f"_apply_{kind.lower()}")(doc)
        # Dependencies are linked once every component of the batch exists.
        for doc in (d for d in self.documents if d.kind == "Component"):
            if self._link_dependencies(doc) and outcomes[("Component", doc.name)] == "unchanged":
                outcomes[("Component", doc.name)] = "updated"
        result = ImportResult(skipped=[f"{d.kind.lower()}:{d.name}" for d in self.documents if d.kind in SKIPPED_KINDS])
        for (kind, name), outcome in outcomes.items():
            getattr(result, outcome).append(f"{kind.lower()}:{name}")
        return result

    def _common(self, doc: Document) -> dict[str, Any]:
        meta = doc.raw["metadata"]
        return {"title": meta.get("title", "") or "", "description": meta.get("description", "") or ""}

    def _upsert(self, model: Any, doc: Document, fields: dict[str, Any], create: Any, update: Any) -> str:
        existing = model.objects.filter(name=doc.name).first()
        kwargs = {"actor": self.actor, "context": self.context}
        if existing is None:
            create(name=doc.name, **fields, **kwargs)
            return "created"
        before = {key: getattr(existing, key) for key in fields if not key.startswith("_")}
        update(existing, **fields, **kwargs)
        after = {key: getattr(existing, key) for key in fields if not key.startswith("_")}
        return "updated" if before != after else "unchanged"

    def _apply_group(self, doc: Document) -> str:
        spec = doc.raw.get("spec", {})
        profile = spec.get("profile") or {}
        parent = _ref_name(spec.get("parent"), "group")
        fields = {
            "title": profile.get("displayName") or doc.raw["metadata"].get("title", "") or "",
            "description": doc.raw["metadata"].get("description", "") or "",
            "email": profile.get("email", "") or "",
            "parent": Team.objects.get(name=parent) if parent else None,
        }
        return self._upsert(
            Team,
            doc,
            fields,
            core_services.team_create,
            lambda team, **kw: core_services.team_update(team=team, **kw),
        )

    def _owner(self, doc: Document) -> Team:
        return Team.objects.get(name=_ref_name(doc.raw["spec"]["owner"], "group"))

    def _system(self, doc: Document) -> System | None:
        name = _ref_name(doc.raw["spec"].get("system"), "system")
        return System.objects.get(name=name) if name else None

    def _apply_system(self, doc: Document) -> str:
        fields = {**self._common(doc), "owner": self._owner(doc)}
        return self._upsert(
            System,
            doc,
            fields,
            catalog_services.system_create,
            lambda system, **kw: catalog_services.system_update(system=system, **kw),
        )

    def _apply_resource(self, doc: Document) -> str:
        fields = {
            **self._common(doc),
            "owner": self._owner(doc),
            "type": doc.raw["spec"]["type"],
            "system": self._system(doc),
        }
        return self._upsert(
            Resource,
            doc,
            fields,
            catalog_services.resource_create,
            lambda resource, **kw: catalog_services.resource_update(resource=resource, **kw),
        )

    def _apply_component(self, doc: Document) -> str:
        meta, spec = doc.raw["metadata"], doc.raw["spec"]
        annotations = meta.get("annotations") or {}
        fields = {
            **self._common(doc),
            "owner": self._owner(doc),
            "system": self._system(doc),
            "type": spec["type"],
            "lifecycle": spec["lifecycle"],
            "tier": int(annotations.get(f"{ANNOTATION_PREFIX}/tier", "3")),
            "tags": sorted(set(meta.get("tags") or [])),
            "repo_url": _repo_url(annotations),
            "runtime": annotations.get(f"{ANNOTATION_PREFIX}/runtime", ""),
            "links": [
                {"url": link["url"], "title": link.get("title") or link["url"]}
                for link in meta.get("links") or []
                if link.get("title") not in ("Repository", "Platform portal")
            ],
        }
        if not Service.objects.filter(name=doc.name).exists():
            fields["origin"] = Origin.IMPORT
        return self._upsert(
            Service,
            doc,
            fields,
            catalog_services.service_create,
            lambda service, **kw: catalog_services.service_update(service=service, **kw),
        )

    def _link_dependencies(self, doc: Document) -> bool:
        """Set the component's dependencies from spec.dependsOn; return whether they changed."""
        service = Service.objects.get(name=doc.name)
        refs = [str(ref) for ref in doc.raw["spec"].get("dependsOn") or []]
        deps = list(Service.objects.filter(name__in=[n for r in refs if (n := _ref_name(r, "component"))]))
        res = list(Resource.objects.filter(name__in=[n for r in refs if (n := _ref_name(r, "resource"))]))
        before = ({d.pk for d in service.dependencies.all()}, {r.pk for r in service.resources.all()})
        if before == ({d.pk for d in deps}, {r.pk for r in res}):
            return False
        catalog_services.service_update(
            actor=self.actor, service=service, dependencies=deps, resources=res, context=self.context
        )
        return True


def _repo_url(annotations: dict[str, str]) -> str:
    location = annotations.get("backstage.io/source-location", "")
    if location.startswith("url:"):
        return location[4:].rstrip("/")
    if slug := annotations.get("github.com/project-slug"):
        return f"https://github.com/{slug}"
    if slug := annotations.get("gitlab.com/project-slug"):
        host = annotations.get("gitlab.com/instance", "gitlab.com")
        return f"https://{host}/{slug}"
    return ""


def catalog_import(*, actor: AnyUser, text: str, context: AuditContext | None = None) -> ImportResult:
    """Validate every document, then create or update all of them in one transaction."""
    importer = Importer(actor=actor, context=context)
    importer.load(parse_documents(text))
    errors = importer.field_errors()
    if errors:
        first = next(iter(errors))
        raise ApplicationError(
            f"{len(errors)} problem(s) in the import; nothing was written. First: {first}: {errors[first][0]}",
            fields=errors,
        )
    return importer.apply()
