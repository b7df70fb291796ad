"""The one way adapters reach a Kubernetes API server: credentials, what a refusal means, and retries."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import urllib3
from kubernetes import client, config

from portal.integrations.errors import IntegrationError
from portal.integrations.kubernetes.base import AlreadyExists, NotFound
from portal.integrations.source_control.retry import Retrier

Obj = dict[str, Any]
TRANSIENT_WAIT = 1.0  # seconds before another try when the server names no Retry-After


@dataclass(frozen=True)
class Access:
    """What one call asks of RBAC: a verb on a resource of an API group, in a namespace."""

    verb: str
    resource: str  # plural, with a subresource after a slash: "deployments/scale"
    group: str = ""  # "" is the core group
    namespace: str = ""
    name: str = ""

    @property
    def rule(self) -> str:
        group = f"'{self.group}'" if self.group else "'' (core)"
        return f"verb '{self.verb}' on '{self.resource}' in API group {group}"

    @property
    def target(self) -> str:
        kind = f"{self.resource}.{self.group}" if self.group else self.resource
        where = f"{self.namespace}/{self.name}" if self.name else self.namespace
        return f"{kind} {where}".strip()


def configuration(
    *,
    host: str = "",
    token: str = "",
    ca_file: str = "",
    verify_ssl: bool = True,
    kubeconfig: str = "",
    context: str = "",
    in_cluster: bool = False,
) -> client.Configuration:
    """Credentials from host and token, the pod's service account, or a kubeconfig (in that order of choice)."""
    try:
        if host:
            settings = client.Configuration(host=host.rstrip("/"))
            if token:  # the value carries its scheme, as the kubeconfig loaders store it
                settings.api_key = {"authorization": f"Bearer {token}"}
            settings.ssl_ca_cert = ca_file or None
            settings.verify_ssl = verify_ssl
        else:
            settings = client.Configuration()
            if in_cluster or (not kubeconfig and os.environ.get("KUBERNETES_SERVICE_HOST")):
                config.load_incluster_config(client_configuration=settings)
            else:
                config.load_kube_config(
                    config_file=kubeconfig or None,
                    context=context or None,
                    client_configuration=settings,
                    persist_config=False,
                )
    except (config.ConfigException, OSError) as exc:
        raise IntegrationError(f"No usable Kubernetes credentials: {exc}") from exc
    settings.retries = False  # retries happen in one place: Retrier below
    return settings


def _status(exc: client.ApiException) -> Obj:
    """The Kubernetes Status object the server sent with a refusal, or {}."""
    try:
        body = json.loads(exc.body or b"{}")
    except (TypeError, ValueError):
        return {}
    return body if isinstance(body, dict) else {}


def _retry_after(exc: client.ApiException) -> float:
    headers = exc.headers or {}
    value = next((str(v) for k, v in headers.items() if k.lower() == "retry-after"), "")
    return float(value) if value.strip().isdigit() else TRANSIENT_WAIT


def api_error(exc: Exception, access: Access) -> IntegrationError:
    """What a failed call means for the caller: permanent or worth retrying, in words a person can act on."""
    if not isinstance(exc, client.ApiException):
        return IntegrationError(
            f"Could not reach the Kubernetes API ({type(exc).__name__}: {exc}).",
            permanent=False,
            retry_after=TRANSIENT_WAIT,
        )
    status, said = exc.status or 0, _status(exc).get("message", exc.reason or "")
    if status == 0:
        return IntegrationError(f"The Kubernetes API's TLS certificate was not accepted: {exc.reason}")
    if status == 401:
        return IntegrationError(
            "Kubernetes did not accept the portal's credentials (401); check the token or kubeconfig."
        )
    if status == 403:
        return IntegrationError(
            f"Kubernetes refused to {access.verb} {access.target} (403 Forbidden): the portal's service account "
            f"needs an RBAC rule granting {access.rule}. The API server said: {said}"
        )
    if status == 404:
        return _not_found(exc, access)
    if status == 409 and _status(exc).get("reason") == "AlreadyExists":
        return AlreadyExists(f"{access.target} already exists.")
    if status == 409 or status == 429 or status >= 500:
        return IntegrationError(
            f"Kubernetes could not {access.verb} {access.target} now ({status}: {said}).",
            permanent=False,
            retry_after=_retry_after(exc),
        )
    return IntegrationError(f"Kubernetes refused to {access.verb} {access.target} ({status}: {said}).")


def _not_found(exc: client.ApiException, access: Access) -> NotFound:
    if (_status(exc).get("details") or {}).get("name") or not access.name:
        return NotFound(f"{access.target} not found.")
    # No object named in the answer: the API itself is missing (a CRD that is not installed).
    group = access.group or "core"
    return NotFound(f"{access.target} not found: the cluster does not serve '{access.resource}' in {group}.")


class KubernetesApi:
    """An API client and its retry policy; each call returns the server's JSON as it was sent."""

    def __init__(
        self, settings: client.Configuration, *, timeout: float = 10.0, sleep: Callable[[float], None]
    ) -> None:
        self.api_client = client.ApiClient(settings)
        self.timeout = timeout
        self.retrier = Retrier(errors=(client.ApiException, urllib3.exceptions.HTTPError), sleep=sleep, max_wait=10.0)

    def call(self, access: Access, method: Callable[..., Any], *args: Any, **kwargs: Any) -> Obj:
        def once() -> Obj:
            try:
                response = method(*args, _preload_content=False, _request_timeout=self.timeout, **kwargs)
            except AttributeError as exc:
                # The client fails to decode the empty body of its own TLS error (status 0): raise that error.
                if isinstance(exc.__context__, client.ApiException):
                    raise exc.__context__ from None
                raise
            try:
                answer: Obj = json.loads(response.data)
            finally:
                response.release_conn()
            return answer

        return self.retrier.call(once, lambda exc: api_error(exc, access))


def kubernetes_api(
    *,
    host: str = "",
    token: str = "",
    ca_file: str = "",
    verify_ssl: bool = True,
    kubeconfig: str = "",
    context: str = "",
    in_cluster: bool = False,
    timeout: float = 10.0,
    sleep: Callable[[float], None] = time.sleep,
) -> KubernetesApi:
    """A client for the options the KUBERNETES and WORKFLOWS settings share."""
    settings = configuration(
        host=host,
        token=token,
        ca_file=ca_file,
        verify_ssl=verify_ssl,
        kubeconfig=kubeconfig,
        context=context,
        in_cluster=in_cluster,
    )
    return KubernetesApi(settings, timeout=timeout, sleep=sleep)
