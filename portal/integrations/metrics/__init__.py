"""Metrics: typed questions about services' signals; Prometheus in production, the sandbox by default."""

from portal.integrations.metrics.base import MetricsSource, Query, Series, Signal

__all__ = ["MetricsSource", "Query", "Series", "Signal", "metrics"]


def metrics() -> MetricsSource:
    from portal.integrations.backends import backend

    source: MetricsSource = backend("METRICS")
    return source
