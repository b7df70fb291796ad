"""A fake Grafana Tempo serving given traces in the JSON its HTTP API documents (search, traces by id, tag values)."""

from __future__ import annotations

import base64
import re
from typing import Any

from portal.integrations.traces.base import Span, Trace
from tests.integrations.fake_http import Request, Response, Route, route

UNITS = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def _b64(hex_id: str) -> str:
    return base64.b64encode(bytes.fromhex(hex_id)).decode()


def _attributes(values: dict[str, str]) -> list[dict[str, Any]]:
    return [{"key": k, "value": {"stringValue": v}} for k, v in values.items()]


def _duration(text: str) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)", text)
    assert found, f"Tempo would reject the duration {text!r}"
    return float(found.group(1)) * UNITS[found.group(2)]


class FakeTempo:
    """Tempo 2.x: /api/search with tags or q (TraceQL), /api/v2/traces/<id>, /api/search/tag/<tag>/values.
    With v1_only, only /api/traces/<id> answers, in the older `batches` shape with hex ids."""

    def __init__(self, traces: list[Trace], *, v1_only: bool = False) -> None:
        self.traces = {t.trace_id: t for t in traces}
        self.v1_only = v1_only
        self.searches: list[dict[str, str]] = []
        self.routes = [
            Route("GET", r"/api/search", self.search),
            Route("GET", r"/api/v2/traces/([^/]+)", self.trace_v2),
            Route("GET", r"/api/traces/([^/]+)", self.trace_v1),
            Route("GET", r"/api/search/tag/([^/]+)/values", self.tag_values),
        ]

    def handle(self, request: Request) -> Response:
        return route(self.routes, request)

    def denied(self, request: Request) -> Response:
        return Response(401, b"Unauthorized")

    def rate_limited(self, request: Request, reset_in: int, *, retry_after: bool) -> Response:
        return Response(429, b"rate limited", {"Retry-After": str(reset_in)} if retry_after else {})

    def _selects(self, request: Request) -> Any:
        query = request.query.get("q")
        if query is not None:
            if not re.fullmatch(r"\{.*\}", query.strip()):
                return None
            service = re.search(r'resource\.service\.name\s*=\s*"([^"]+)"', query)
            status = re.search(r"status\s*=\s*(error|ok)", query)
            slower = re.search(r"duration\s*>\s*(\d+(?:\.\d+)?(?:ns|us|ms|s|m|h))", query)
            return lambda s: (
                (not service or s.service == service.group(1))
                and (not status or s.status == status.group(1))
                and (not slower or s.duration > _duration(slower.group(1)))
            )
        tags = dict(part.split("=", 1) for part in request.query.get("tags", "").split() if "=" in part)
        return lambda s: all(
            (s.service if key == "service.name" else s.attributes.get(key)) == value.strip('"')
            for key, value in tags.items()
        )

    def search(self, request: Request) -> Response:
        self.searches.append(dict(request.query))
        selects = self._selects(request)
        if selects is None:
            return Response(400, b"invalid TraceQL query: parse error at line 1, col 1: syntax error")
        start, end = float(request.query.get("start", 0)), float(request.query.get("end", 2**40))
        low = _duration(request.query["minDuration"]) if "minDuration" in request.query else 0.0
        high = _duration(request.query["maxDuration"]) if "maxDuration" in request.query else float("inf")
        hits = []
        for trace in sorted(self.traces.values(), key=lambda t: -t.spans[0].start):
            root = next(s for s in trace.spans if s.parent_id is None)
            matched = [s for s in trace.spans if selects(s)]
            if matched and start <= root.start <= end and low <= root.duration <= high:
                hits.append(self._hit(trace, root, matched))
        limit = int(request.query.get("limit", 20))
        return Response(200, {"traces": hits[:limit], "metrics": {"inspectedTraces": len(self.traces)}})

    def _hit(self, trace: Trace, root: Span, matched: list[Span]) -> dict[str, Any]:
        spanset = {
            "spans": [
                {
                    "spanID": s.span_id,
                    "startTimeUnixNano": str(round(s.start * 1e9)),
                    "durationNanos": str(round(s.duration * 1e9)),
                    "attributes": _attributes({"service.name": s.service}),
                }
                for s in matched[:3]  # spans per spanset, Tempo's spss default
            ],
            "matched": len(matched),
        }
        hit: dict[str, Any] = {
            "traceID": trace.trace_id.lstrip("0"),  # Tempo drops leading zeros
            "rootServiceName": root.service,
            "rootTraceName": root.operation,
            "startTimeUnixNano": str(round(root.start * 1e9)),
            "spanSet": spanset,
            "spanSets": [spanset],
        }
        if root.duration >= 0.001:
            hit["durationMs"] = int(root.duration * 1000)  # left out under a millisecond
        return hit

    def _batches(self, trace: Trace, *, encode: Any) -> list[dict[str, Any]]:
        services = sorted({s.service for s in trace.spans})
        return [
            {
                "resource": {"attributes": _attributes({"service.name": name})},
                "scopeSpans": [
                    {
                        "scope": {"name": "opentelemetry.instrumentation.fake"},
                        "spans": [self._span(s, encode) for s in trace.spans if s.service == name],
                    }
                ],
            }
            for name in services
        ]

    def _span(self, span: Span, encode: Any) -> dict[str, Any]:
        out: dict[str, Any] = {
            "traceId": encode(span.trace_id),
            "spanId": encode(span.span_id),
            "name": span.operation,
            "kind": "SPAN_KIND_SERVER",
            "startTimeUnixNano": str(round(span.start * 1e9)),
            "endTimeUnixNano": str(round(span.end * 1e9)),
            "attributes": [
                {"key": k, "value": {"intValue": v} if v.isdigit() else {"stringValue": v}}
                for k, v in span.attributes.items()
            ],
            "status": {"code": "STATUS_CODE_ERROR", "message": "Internal Server Error"}
            if span.status == "error"
            else {},
        }
        if span.parent_id:
            out["parentSpanId"] = encode(span.parent_id)
        return out

    def _find(self, trace_id: str) -> Trace | None:
        return self.traces.get(trace_id.lower().rjust(32, "0"))

    def trace_v2(self, request: Request, trace_id: str) -> Response:
        if self.v1_only:
            return Response(404, b"404 page not found")
        trace = self._find(trace_id)
        if trace is None:
            return Response(404, b"trace not found")
        return Response(200, {"trace": {"resourceSpans": self._batches(trace, encode=_b64)}})

    def trace_v1(self, request: Request, trace_id: str) -> Response:
        trace = self._find(trace_id)
        if trace is None:
            return Response(404, b"trace not found")
        return Response(200, {"batches": self._batches(trace, encode=lambda hex_id: hex_id)})

    def tag_values(self, request: Request, tag: str) -> Response:
        if tag != "service.name":
            return Response(200, {"tagValues": []})
        return Response(200, {"tagValues": sorted({s.service for t in self.traces.values() for s in t.spans})})
