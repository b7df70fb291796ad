"""PromQL for each typed question, over the metric names the golden paths and Kubernetes expose."""

from __future__ import annotations

import re

from portal.integrations.metrics.base import Query, Signal, le_label, window_seconds

LABEL_VALUE = re.compile(r"^[A-Za-z0-9_.:-]{1,200}$")
POD_REGEX = re.compile(r"^[A-Za-z0-9_.:*+?|()\[\]^$-]{1,200}$")  # no quotes or backslashes: nothing to escape


def _selector(query: Query, *, container: bool = False, extra: str = "") -> str:
    if not LABEL_VALUE.match(query.service):
        raise ValueError(f"'{query.service}' is not a valid service label value")
    label = "container" if container else "service"
    matchers = [f'{label}="{query.service}"', *_release_matchers(query)]
    return "{" + ",".join(matchers) + (f",{extra}" if extra else "") + "}"


def _release_matchers(query: Query) -> list[str]:
    """Label matchers narrowing a query to a canary's or baseline's pods (pod name regex, version label)."""
    out = []
    if query.pod_regex:
        if not POD_REGEX.match(query.pod_regex):
            raise ValueError(f"'{query.pod_regex}' is not a pod regex the portal accepts (no quotes or backslashes)")
        out.append(f'pod=~"{query.pod_regex}"')
    if query.version:
        if not LABEL_VALUE.match(query.version):
            raise ValueError(f"'{query.version}' is not a valid version label value")
        out.append(f'version="{query.version}"')
    return out


def promql(query: Query) -> str:
    """The PromQL expression that answers query."""
    window_seconds(query.window)  # validates
    w = query.window
    by = " by (pod)" if query.by_pod else ""
    requests = f"http_requests_total{_selector(query)}"
    match query.signal:
        case Signal.REQUEST_RATE:
            return f"sum{by}(rate({requests}[{w}]))"
        case Signal.ERROR_RATIO:
            errors = "http_requests_total" + _selector(query, extra='code=~"5.."')
            return f"sum{by}(rate({errors}[{w}])) / sum{by}(rate({requests}[{w}]))"
        case Signal.LATENCY_QUANTILE:
            grouping = "le, pod" if query.by_pod else "le"
            return (
                f"histogram_quantile({query.quantile}, sum by ({grouping})"
                f"(rate(http_request_duration_seconds_bucket{_selector(query)}[{w}])))"
            )
        case Signal.LATENCY_UNDER:
            le = 'le="' + le_label(query.threshold) + '"'
            under = "http_request_duration_seconds_bucket" + _selector(query, extra=le)
            total = f"http_request_duration_seconds_count{_selector(query)}"
            return f"sum{by}(rate({under}[{w}])) / sum{by}(rate({total}[{w}]))"
        case Signal.CPU:
            return f"sum{by}(rate(container_cpu_usage_seconds_total{_selector(query, container=True)}[{w}]))"
        case Signal.MEMORY:
            return f"sum{by}(container_memory_working_set_bytes{_selector(query, container=True)})"
        case Signal.RESTARTS:
            restarts = f"kube_pod_container_status_restarts_total{_selector(query, container=True)}"
            return f"sum{by}(increase({restarts}[{w}]))"
    raise ValueError(f"unknown signal {query.signal}")
