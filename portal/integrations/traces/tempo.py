"""Grafana Tempo's HTTP API: /api/search (tags or TraceQL), /api/v2/traces/<id> (OTLP JSON), tag values."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import quote

import requests

from portal.integrations.errors import IntegrationError
from portal.integrations.traces.base import (
    Span,
    Trace,
    TracesSource,
    TraceSummary,
    search_arguments_check,
    trace_id_normal,
)
from portal.integrations.traces.traceql import traceql_for

MAX_RESPONSE_BYTES = 32 * 1024 * 1024
STATUS_CODES = {"STATUS_CODE_OK": "ok", "STATUS_CODE_ERROR": "error", 1: "ok", 2: "error"}


class TempoTraces(TracesSource):
    def __init__(self, url: str, *, token: str = "", org_id: str = "", timeout: float = 10.0) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        if token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if org_id:
            self.session.headers["X-Scope-OrgID"] = org_id  # multi-tenant Tempo

    def _get(self, path: str, params: dict[str, Any] | None = None) -> requests.Response:
        try:
            response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        except requests.Timeout as exc:
            raise IntegrationError(
                f"Tempo at {self.url} did not answer in {self.timeout:g}s.", permanent=False
            ) from exc
        except requests.RequestException as exc:
            raise IntegrationError(f"Tempo at {self.url} did not answer: {exc}", permanent=False) from exc
        if len(response.content) > MAX_RESPONSE_BYTES:
            raise IntegrationError("Tempo's answer is too large: narrow the time range or lower the limit.")
        if response.status_code in (401, 403):
            raise IntegrationError("Tempo refused the credentials: check TEMPO_TOKEN and TEMPO_ORG_ID.")
        if response.status_code == 429:
            retry = response.headers.get("Retry-After", "")
            raise IntegrationError(
                "Tempo is rate limiting the portal.",
                permanent=False,
                retry_after=float(retry) if retry.isdigit() else None,
            )
        if response.status_code >= 500:
            raise IntegrationError(f"Tempo answered {response.status_code}: {response.text[:300]}", permanent=False)
        return response

    def _json(self, response: requests.Response) -> dict[str, Any]:
        if response.status_code >= 400:
            raise IntegrationError(f"Tempo rejected the request ({response.status_code}): {response.text[:300]}")
        try:
            body = response.json()
        except ValueError as exc:
            raise IntegrationError(f"Tempo answered something that is not JSON: {response.text[:200]}") from exc
        if not isinstance(body, dict):
            raise IntegrationError("Tempo answered JSON that is not an object.")
        return body

    def search(
        self,
        *,
        service: str | None = None,
        start: float,
        end: float,
        min_duration: float | None = None,
        max_duration: float | None = None,
        status: str | None = None,
        limit: int = 20,
        traceql: str | None = None,
    ) -> list[TraceSummary]:
        search_arguments_check(
            service=service, status=status, start=start, end=end, limit=limit, min_duration=min_duration
        )
        params: dict[str, Any] = {"start": int(start), "end": int(end) + 1, "limit": limit}
        if traceql is not None:
            params["q"] = traceql
        elif status is not None:
            params["q"] = traceql_for(service=service, status=status)  # tags cannot say "status"
        elif service is not None:
            params["tags"] = f"service.name={service}"
        if min_duration is not None:
            params["minDuration"] = f"{round(min_duration * 1000)}ms"
        if max_duration is not None:
            params["maxDuration"] = f"{round(max_duration * 1000)}ms"
        body = self._json(self._get("/api/search", params))
        return [_summary(item) for item in body.get("traces") or []][:limit]

    def trace(self, trace_id: str) -> Trace:
        normal = trace_id_normal(trace_id)
        response = self._get(f"/api/v2/traces/{normal}")
        if response.status_code == 404 and "page not found" in response.text:
            response = self._get(f"/api/traces/{normal}")  # Tempo before 2.5 has only the v1 endpoint
        if response.status_code == 404:
            raise IntegrationError(f"Trace {trace_id} not found in Tempo.")
        body = self._json(response)
        batches = (body.get("trace") or body).get("resourceSpans") or body.get("batches") or []
        spans = [span for batch in batches for span in _batch_spans(batch)]
        if not spans:
            raise IntegrationError(f"Trace {trace_id} not found in Tempo.")
        return Trace(trace_id=normal, spans=sorted(spans, key=lambda s: s.start))

    def tag_values(self, tag: str) -> list[str]:
        body = self._json(self._get(f"/api/search/tag/{quote(tag, safe='')}/values"))
        values = body.get("tagValues") or []
        return sorted(str(v["value"]) if isinstance(v, dict) else str(v) for v in values)


def _summary(item: dict[str, Any]) -> TraceSummary:
    spansets = item.get("spanSets") or ([item["spanSet"]] if item.get("spanSet") else [])
    return TraceSummary(
        trace_id=trace_id_normal(str(item["traceID"])),
        root_service=str(item.get("rootServiceName", "")),
        root_operation=str(item.get("rootTraceName", "")),
        start=int(item.get("startTimeUnixNano", 0)) / 1e9,
        duration=float(item.get("durationMs", 0)) / 1000,  # Tempo leaves it out when under a millisecond
        matched=sum(int(s.get("matched", len(s.get("spans", [])))) for s in spansets),
    )


def otlp_id(raw: str) -> str:
    """An OTLP JSON id as lowercase hex: OTLP/JSON writes hex, Tempo's protobuf JSON writes base64."""
    if raw and len(raw) in (16, 32) and all(c in "0123456789abcdefABCDEF" for c in raw):
        return raw.lower()
    try:
        return base64.b64decode(raw, validate=True).hex()
    except (binascii.Error, ValueError) as exc:
        raise IntegrationError(f"'{raw}' is neither a hex nor a base64 span or trace id.") from exc


def attribute_value(value: dict[str, Any]) -> str:
    for key in ("stringValue", "intValue", "doubleValue", "boolValue"):
        if key in value:
            item = value[key]
            return str(item).lower() if isinstance(item, bool) else str(item)
    return ""


def _attributes(items: list[dict[str, Any]] | None) -> dict[str, str]:
    return {str(a["key"]): attribute_value(a.get("value") or {}) for a in items or []}


def _batch_spans(batch: dict[str, Any]) -> list[Span]:
    resource = _attributes((batch.get("resource") or {}).get("attributes"))
    service = resource.get("service.name", "unknown")
    scopes = batch.get("scopeSpans") or batch.get("instrumentationLibrarySpans") or []
    out = []
    for scope in scopes:
        for raw in scope.get("spans") or []:
            start = int(raw.get("startTimeUnixNano", 0))
            end = int(raw.get("endTimeUnixNano", start))
            parent = raw.get("parentSpanId") or ""
            out.append(
                Span(
                    trace_id=otlp_id(str(raw["traceId"])).rjust(32, "0"),
                    span_id=otlp_id(str(raw["spanId"])),
                    parent_id=otlp_id(parent) if parent else None,
                    service=service,
                    operation=str(raw.get("name", "")),
                    start=start / 1e9,
                    duration=max(end - start, 0) / 1e9,
                    status=STATUS_CODES.get((raw.get("status") or {}).get("code", ""), "unset"),
                    attributes=_attributes(raw.get("attributes")),
                )
            )
    return out
