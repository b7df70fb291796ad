"""Logs: LogQL questions about services' log lines; Loki in production, the sandbox by default."""

from portal.integrations.logs.base import LogEntry, LogsResult, LogsSource, LogStream, MetricSeries, PatternSeries

__all__ = ["LogEntry", "LogStream", "LogsResult", "LogsSource", "MetricSeries", "PatternSeries", "logs"]


def logs() -> LogsSource:
    from portal.integrations.backends import backend

    source: LogsSource = backend("LOGS")
    return source
