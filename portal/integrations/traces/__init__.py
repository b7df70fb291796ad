"""Traces: search and fetch distributed traces; Tempo in production, the sandbox by default."""

from portal.integrations.traces.base import Span, Trace, TracesSource, TraceSummary

__all__ = ["Span", "Trace", "TraceSummary", "TracesSource", "traces"]


def traces() -> TracesSource:
    from portal.integrations.backends import backend

    source: TracesSource = backend("TRACES")
    return source
