"""A fake Kubernetes API server: the apps/v1, core/v1 and custom-resource paths the adapters call, answering with
the documented payloads and Status errors, plus the deployment controller's revision bookkeeping."""

from __future__ import annotations

import copy
import hashlib
import json
import re
import ssl
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.integrations.fake_http import FakeServer, Request, Response

TOKEN = "k8s-test-token"
USER = "system:serviceaccount:portal:portal"
REVISION = "deployment.kubernetes.io/revision"
HASH = "pod-template-hash"
NOW = "2026-01-05T10:00:00Z"
CRD_ONLY = ("application/json-patch+json", "application/merge-patch+json", "application/apply-patch+yaml")
Obj = dict[str, Any]


def status(code: int, reason: str, message: str, details: Obj | None = None) -> Response:
    """A meta/v1 Status, the body every API server refusal carries."""
    body = {
        "kind": "Status",
        "apiVersion": "v1",
        "metadata": {},
        "status": "Failure",
        "message": message,
        "reason": reason,
        "details": details or {},
        "code": code,
    }
    return Response(code, body)


@dataclass
class Scripted:
    """An answer given once, instead of the real one, to the next request matching method and path."""

    method: str
    path: str
    answer: Response


@dataclass
class FakeKubernetes:
    objects: dict[tuple[str, str, str], Obj] = field(default_factory=dict)  # (resource, namespace, name)
    crds: set[str] = field(default_factory=lambda: {"scaledobjects.keda.sh", "workflows.argoproj.io"})
    forbidden: set[tuple[str, str]] = field(default_factory=set)  # (verb, resource) RBAC does not grant
    scripted: list[Scripted] = field(default_factory=list)
    patches: list[tuple[str, str, Any]] = field(default_factory=list)  # (path, content type, body)
    on_get: dict[str, Callable[[Obj], None]] = field(default_factory=dict)  # resource -> a controller's tick
    version: int = 1000

    def load(self, *manifests: Obj) -> None:
        for manifest in copy.deepcopy(list(manifests)):
            self._store(self._resource_of(manifest), manifest)

    def answer_once(self, method: str, path: str, answer: Response) -> None:
        self.scripted.append(Scripted(method, path, answer))

    def get(self, resource: str, namespace: str, name: str) -> Obj:
        return self.objects[(resource, namespace, name)]

    @staticmethod
    def _resource_of(manifest: Obj) -> str:
        kinds = {"Deployment": "deployments.apps", "ReplicaSet": "replicasets.apps", "Pod": "pods", "Event": "events"}
        kind = manifest["kind"]
        return kinds.get(kind) or f"{kind.lower()}s.{manifest['apiVersion'].split('/')[0]}"

    def _store(self, resource: str, obj: Obj) -> Obj:
        self.version += 1
        meta = obj["metadata"]
        meta.setdefault("uid", f"uid-{resource}-{meta['name']}")
        meta.setdefault("creationTimestamp", NOW)
        meta["resourceVersion"] = str(self.version)
        self.objects[(resource, meta.get("namespace", ""), meta["name"])] = obj
        return obj

    # The HTTP side

    def handle(self, request: Request) -> Response:
        scripted = next(
            (s for s in self.scripted if s.method == request.method and re.search(s.path, request.path)), None
        )
        if scripted is not None:
            self.scripted.remove(scripted)
            return scripted.answer
        if request.headers.get("authorization", "").lower() != f"bearer {TOKEN}":
            return status(401, "Unauthorized", "Unauthorized")
        target = self._target(request)
        if target is None:
            return status(404, "NotFound", "the server could not find the requested resource")
        verb, resource, namespace, name, subresource = target
        rbac_resource = f"{resource.split('.')[0]}/{subresource}" if subresource else resource.split(".")[0]
        if (verb, rbac_resource) in self.forbidden:
            return self._forbidden(verb, resource, rbac_resource, namespace, name)
        return self._serve(request, verb, resource, namespace, name, subresource)

    def denied(self, request: Request) -> Response:
        target = self._target(request)
        assert target is not None
        verb, resource, namespace, name, subresource = target
        return self._forbidden(verb, resource, f"{resource.split('.')[0]}/{subresource}".rstrip("/"), namespace, name)

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        answer = status(429, "TooManyRequests", "Too many requests, please try again later.", {"retryAfterSeconds": 1})
        answer.headers["Retry-After"] = str(reset_in or 1)
        return answer

    def _forbidden(self, verb: str, resource: str, rbac_resource: str, namespace: str, name: str) -> Response:
        group = resource.partition(".")[2]
        subject = f'{resource} "{name}"' if name else resource
        message = (
            f'{subject} is forbidden: User "{USER}" cannot {verb} resource "{rbac_resource}" '
            f'in API group "{group}" in the namespace "{namespace}"'
        )
        return status(403, "Forbidden", message, {"name": name, "group": group, "kind": resource.split(".")[0]})

    def _target(self, request: Request) -> tuple[str, str, str, str, str] | None:
        """(verb, resource.group, namespace, name, subresource) for a namespaced path this server serves."""
        found = re.fullmatch(r"/api/v1/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?", request.path) or re.fullmatch(
            r"/apis/([^/]+)/[^/]+/namespaces/([^/]+)/([^/]+)(?:/([^/]+))?(?:/([^/]+))?", request.path
        )
        if found is None:
            return None
        if request.path.startswith("/api/v1/"):
            namespace, resource, name = found.groups(default="")
            subresource = ""
        else:
            group, namespace, plural, name, subresource = found.groups(default="")
            resource = f"{plural}.{group}"
            if group != "apps" and resource not in self.crds:
                return None
        verbs = {"GET": "get" if name else "list", "PATCH": "patch", "POST": "create", "PUT": "update"}
        return verbs.get(request.method, "delete"), resource, namespace, name, subresource

    def _serve(
        self, request: Request, verb: str, resource: str, namespace: str, name: str, subresource: str
    ) -> Response:
        if verb == "list":
            return self._list(request, resource, namespace)
        if verb == "create":
            return self._create(request, resource, namespace)
        obj = self.objects.get((resource, namespace, name))
        if obj is None:
            details = {"name": name, "group": resource.partition(".")[2], "kind": resource.split(".")[0]}
            return status(404, "NotFound", f'{resource} "{name}" not found', details)
        if verb == "get":
            if resource in self.on_get:
                self.on_get[resource](obj)
            return Response(200, obj if not subresource else _scale_of(obj))
        if verb == "patch":
            return self._patch(request, resource, obj, subresource)
        return status(405, "MethodNotAllowed", f"{verb} is not supported here")

    def _list(self, request: Request, resource: str, namespace: str) -> Response:
        labels = _terms(request.query.get("labelSelector", ""))
        fields = _terms(request.query.get("fieldSelector", ""))
        items = []
        for (kind, ns, _), obj in sorted(self.objects.items()):
            if kind != resource or ns != namespace:
                continue
            if all((obj["metadata"].get("labels") or {}).get(k) == v for k, v in labels.items()) and all(
                _field(obj, k) == v for k, v in fields.items()
            ):
                items.append({k: v for k, v in obj.items() if k not in ("kind", "apiVersion")})  # as servers list
        return Response(
            200,
            {"kind": "List", "apiVersion": "v1", "metadata": {"resourceVersion": str(self.version)}, "items": items},
        )

    def _create(self, request: Request, resource: str, namespace: str) -> Response:
        obj = request.json()
        meta = obj.setdefault("metadata", {})
        if not meta.get("name") and meta.get("generateName"):
            meta["name"] = meta["generateName"] + hashlib.sha256(str(self.version).encode()).hexdigest()[:5]
        if meta.get("namespace", namespace) != namespace:
            return status(400, "BadRequest", "the namespace of the provided object does not match the namespace sent")
        meta["namespace"] = namespace
        if (resource, namespace, meta["name"]) in self.objects:
            details = {"name": meta["name"], "group": resource.partition(".")[2], "kind": resource.split(".")[0]}
            return status(409, "AlreadyExists", f'{resource} "{meta["name"]}" already exists', details)
        return Response(201, self._store(resource, obj))

    def _patch(self, request: Request, resource: str, obj: Obj, subresource: str) -> Response:
        kind = request.headers.get("content-type", "")
        body = request.json()
        self.patches.append((request.path, kind, body))
        if resource in self.crds and kind not in CRD_ONLY:
            return status(
                415,
                "UnsupportedMediaType",
                "the body of the request was in an unknown format - accepted media types include: "
                + ", ".join(CRD_ONLY),
            )
        before = copy.deepcopy(obj.get("spec"))
        if kind == "application/json-patch+json":
            if not isinstance(body, list):
                return status(400, "BadRequest", "json: cannot unmarshal object into Go value of type jsonpatch.Patch")
            patched = _json_patch(obj, body)
        elif subresource == "scale":
            patched = copy.deepcopy(obj)
            patched["spec"]["replicas"] = _merge(_scale_of(obj), body)["spec"]["replicas"]
        else:  # merge; strategic merge differs only for lists with merge keys, which no adapter sends
            patched = _merge(obj, body)
        if patched.get("spec") != before:
            patched["metadata"]["generation"] = obj["metadata"].get("generation", 1) + 1
        self._store(resource, patched)
        if resource == "deployments.apps":
            self._reconcile(patched)
        return Response(200, patched if not subresource else _scale_of(patched))

    # The deployment controller, done at once

    def _reconcile(self, deployment: Obj) -> None:
        meta = deployment["metadata"]
        owned = [
            rs
            for (kind, ns, _), rs in self.objects.items()
            if kind == "replicasets.apps"
            and ns == meta["namespace"]
            and any(ref.get("uid") == meta["uid"] for ref in rs["metadata"].get("ownerReferences", []))
        ]
        template = _unhashed(deployment["spec"]["template"])
        current = next((rs for rs in owned if _unhashed(rs["spec"]["template"]) == template), None)
        top = max((int(rs["metadata"]["annotations"][REVISION]) for rs in owned if rs is not current), default=0)
        if current is None:
            current = self._replicaset_for(deployment)
            owned.append(current)
        if int(current["metadata"]["annotations"].get(REVISION, "0")) <= top:
            current["metadata"]["annotations"][REVISION] = str(top + 1)
        for rs in owned:
            count = deployment["spec"]["replicas"] if rs is current else 0
            rs["spec"]["replicas"] = count
            rs["status"] = {"replicas": count, "readyReplicas": count, "availableReplicas": count}
        meta["annotations"][REVISION] = current["metadata"]["annotations"][REVISION]
        replicas = deployment["spec"]["replicas"]
        deployment["status"] = {
            "observedGeneration": meta["generation"],
            **{key: replicas for key in ("replicas", "readyReplicas", "updatedReplicas", "availableReplicas")},
        }

    def _replicaset_for(self, deployment: Obj) -> Obj:
        meta = deployment["metadata"]
        template = copy.deepcopy(deployment["spec"]["template"])
        digest = hashlib.sha256(json.dumps(template, sort_keys=True).encode()).hexdigest()[:10]
        template["metadata"].setdefault("labels", {})[HASH] = digest
        owner = {
            "apiVersion": "apps/v1",
            "kind": "Deployment",
            "name": meta["name"],
            "uid": meta["uid"],
            "controller": True,
        }
        rs = {
            "apiVersion": "apps/v1",
            "kind": "ReplicaSet",
            "metadata": {
                "name": f"{meta['name']}-{digest}",
                "namespace": meta["namespace"],
                "labels": dict(template["metadata"]["labels"]),
                "annotations": {},
                "ownerReferences": [owner],
            },
            "spec": {"template": template},
        }
        return self._store("replicasets.apps", rs)


def _scale_of(deployment: Obj) -> Obj:
    meta = deployment["metadata"]
    return {
        "kind": "Scale",
        "apiVersion": "autoscaling/v1",
        "metadata": {"name": meta["name"], "namespace": meta["namespace"]},
        "spec": {"replicas": deployment["spec"].get("replicas", 1)},
        "status": {"replicas": deployment.get("status", {}).get("replicas", 0)},
    }


def _unhashed(template: Obj) -> Obj:
    clean = copy.deepcopy(template)
    clean.get("metadata", {}).get("labels", {}).pop(HASH, None)
    return clean


def _terms(selector: str) -> dict[str, str]:
    return dict(term.split("=", 1) for term in selector.split(",") if term)


def _field(obj: Obj, path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        value = (value or {}).get(part)
    return value


def _merge(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    merged = copy.deepcopy(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = _merge(merged.get(key), value)
    return merged


def _json_patch(obj: Obj, operations: list[Obj]) -> Obj:
    """RFC 6902 add, replace and remove on object members (all the adapters send)."""
    patched = copy.deepcopy(obj)
    for operation in operations:
        *parents, last = [part.replace("~1", "/").replace("~0", "~") for part in operation["path"].split("/")[1:]]
        node = patched
        for part in parents:
            node = node[part]
        if operation["op"] in ("add", "replace"):
            node[last] = copy.deepcopy(operation["value"])
        elif operation["op"] == "remove":
            del node[last]
    return patched


@dataclass
class Served:
    """A fake API server on 127.0.0.1 and what the adapter under test slept; close it with .server.close()."""

    fake: FakeKubernetes
    server: FakeServer
    sleeps: list[float] = field(default_factory=list)

    def options(self) -> dict[str, Any]:
        scheme = "https" if isinstance(self.server.httpd.socket, ssl.SSLSocket) else "http"
        return {"host": self.server.url.replace("http", scheme, 1), "token": TOKEN, "sleep": self.sleeps.append}

    def tls(self, folder: Path) -> str:
        """Serve HTTPS with a new self-signed certificate for 127.0.0.1 (made by openssl); that certificate's path."""
        cert, key = folder / "apiserver.crt", folder / "apiserver.key"
        command = "req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 1 -subj /CN=127.0.0.1"
        arguments = [*command.split(), "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)]
        subprocess.run(["openssl", *arguments], check=True, capture_output=True)
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert, key)
        self.server.httpd.socket = context.wrap_socket(self.server.httpd.socket, server_side=True)
        return str(cert)


def served(*manifests: Obj) -> Served:
    fake = FakeKubernetes()
    fake.load(*manifests)
    return Served(fake, FakeServer(fake))
