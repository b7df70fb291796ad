"""The small part of TraceQL the portal writes and the sandbox understands: one spanset of `&&`-joined
comparisons on service, span name, status, duration and span attributes."""

from __future__ import annotations

import re
from collections.abc import Callable

from portal.integrations.errors import IntegrationError
from portal.integrations.traces.base import Span

UNITS = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}
CONDITION = re.compile(r'^\s*([A-Za-z_.][\w.]*)\s*(=|!=|>=|<=|>|<)\s*("(?:[^"\\]|\\.)*"|[\w.µ]+)\s*$')
SpanTest = Callable[[Span], bool]


def traceql_for(*, service: str | None = None, status: str | None = None, operation: str | None = None) -> str:
    """A TraceQL spanset selecting the service's spans (with that status/operation); '{}' selects all."""
    parts = []
    if service:
        parts.append(f'resource.service.name = "{_quote(service)}"')
    if operation:
        parts.append(f'name = "{_quote(operation)}"')
    if status:
        parts.append(f"status = {status}")
    return "{ " + " && ".join(parts) + " }" if parts else "{}"


def _quote(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def duration_seconds(text: str) -> float:
    found = re.fullmatch(r"(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)", text)
    if not found:
        raise IntegrationError(f"'{text}' is not a TraceQL duration like 250ms or 1.5s.")
    return float(found.group(1)) * UNITS[found.group(2)]


def span_filter(query: str) -> SpanTest:
    """A predicate for the spans a TraceQL spanset selects; IntegrationError for what the sandbox cannot read."""
    body = query.strip()
    if not (body.startswith("{") and body.endswith("}")) or "||" in body or body.count("{") != 1:
        raise IntegrationError(
            "The sandbox understands one TraceQL spanset of '&&'-joined comparisons, "
            'e.g. { resource.service.name = "checkout-api" && status = error && duration > 200ms }.'
        )
    inner = body[1:-1].strip()
    tests = [_condition(part) for part in inner.split("&&")] if inner else []
    return lambda span: all(test(span) for test in tests)


def _condition(text: str) -> SpanTest:
    found = CONDITION.match(text)
    if not found:
        raise IntegrationError(f"The sandbox cannot read the TraceQL condition '{text.strip()}'.")
    field, op, raw = found.groups()
    value = raw[1:-1].replace('\\"', '"').replace("\\\\", "\\") if raw.startswith('"') else raw
    if field == "duration":
        limit = duration_seconds(value)
        return lambda span: _compare(span.duration, op, limit)
    getter = _getter(field)
    return lambda span: _compare(getter(span), op, value)


def _getter(field: str) -> Callable[[Span], str]:
    if field in ("resource.service.name", ".service.name", "service.name"):
        return lambda span: span.service
    if field == "name":
        return lambda span: span.operation
    if field == "status":
        return lambda span: span.status
    key = field.removeprefix("span.").removeprefix(".")
    return lambda span: span.attributes.get(key, "")


def _compare(left: float | str, op: str, right: float | str) -> bool:
    if op in ("=", "!="):
        return (str(left) == str(right)) == (op == "=")
    try:
        a, b = float(left), float(right)
    except ValueError:
        return False
    return {">": a > b, "<": a < b, ">=": a >= b, "<=": a <= b}[op]
