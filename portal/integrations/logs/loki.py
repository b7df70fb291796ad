"""Loki over its HTTP API: query_range, query, label values, index volume and patterns, with timeouts and limits."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import requests

from portal.integrations.errors import IntegrationError
from portal.integrations.logs.base import (
    LogEntry,
    LogsResult,
    LogsSource,
    LogStream,
    MetricSeries,
    PatternSeries,
    check_range,
)

NS = 1_000_000_000


def _ns(seconds: float) -> str:
    return str(round(seconds * NS))


def _seconds(raw: Any) -> float:
    """Loki writes log timestamps as nanosecond strings and metric timestamps as (float) seconds."""
    value = float(raw)
    return value / NS if value > 1e14 else value


class LokiLogs(LogsSource):
    def __init__(
        self,
        url: str,
        token: str = "",
        tenant: str = "",
        username: str = "",
        timeout: float = 15.0,
        max_entries: int = 5000,
    ) -> None:
        self.url = url.rstrip("/")
        self.timeout = timeout
        self.max_entries = max_entries
        self.session = requests.Session()
        if token and username:  # Grafana Cloud: basic auth with the stack's user and an access-policy token
            self.session.auth = (username, token)
        elif token:
            self.session.headers["Authorization"] = f"Bearer {token}"
        if tenant:
            self.session.headers["X-Scope-OrgID"] = tenant

    def _get(self, path: str, params: dict[str, Any]) -> Any:
        try:
            response = self.session.get(f"{self.url}{path}", params=params, timeout=self.timeout)
        except requests.Timeout as exc:
            raise IntegrationError(
                f"Loki at {self.url} did not answer within {self.timeout:g}s; narrow the range or raise LOKI_TIMEOUT.",
                permanent=False,
            ) from exc
        except requests.RequestException as exc:
            raise IntegrationError(f"Loki at {self.url} did not answer: {exc}", permanent=False) from exc
        if response.status_code in (401, 403):
            raise IntegrationError(f"Loki refused the credentials ({response.status_code}): check LOKI_TOKEN.")
        if response.status_code == 429:
            retry = response.headers.get("Retry-After", "")
            raise IntegrationError(
                f"Loki is rate limiting: {response.text[:200]}",
                permanent=False,
                retry_after=float(retry) if retry.replace(".", "", 1).isdigit() else None,
            )
        if response.status_code >= 400:
            permanent = response.status_code < 500 and response.status_code != 408
            raise IntegrationError(f"Loki answered {response.status_code}: {response.text[:500]}", permanent=permanent)
        try:
            body = response.json()
        except ValueError as exc:
            raise IntegrationError(f"Loki answered something other than JSON: {response.text[:200]}") from exc
        if isinstance(body, dict) and body.get("status") not in (None, "success"):
            raise IntegrationError(f"Loki answered {body.get('status')}: {body.get('error', '')}")
        return body

    def query_range(
        self, logql: str, *, start: float, end: float, limit: int = 1000, direction: str = "backward"
    ) -> LogsResult:
        check_range(start, end, limit, direction)
        limit = min(limit, self.max_entries)
        body = self._get(
            "/loki/api/v1/query_range",
            {"query": logql, "start": _ns(start), "end": _ns(end), "limit": limit, "direction": direction},
        )
        data = body["data"]
        if data.get("resultType") != "streams":
            raise IntegrationError(f"'{logql}' is a metric query; ask metric_range for it.")
        streams = [
            LogStream(
                labels=dict(item.get("stream") or {}),
                entries=[LogEntry(_seconds(value[0]), str(value[1])) for value in item.get("values") or []],
            )
            for item in data.get("result") or []
        ]
        count = sum(len(s.entries) for s in streams)
        return LogsResult(streams=streams, limit=limit, truncated=count >= limit)

    def metric_range(self, logql: str, *, start: float, end: float, step: float) -> list[MetricSeries]:
        if step <= 0 or end < start:
            raise IntegrationError("A range needs start <= end and a positive step.")
        body = self._get(
            "/loki/api/v1/query_range", {"query": logql, "start": _ns(start), "end": _ns(end), "step": f"{step:g}"}
        )
        data = body["data"]
        if data.get("resultType") != "matrix":
            raise IntegrationError(f"'{logql}' is a log query; ask query_range for it.")
        return [
            MetricSeries(
                labels=dict(item.get("metric") or {}),
                points=[(_seconds(t), float(v)) for t, v in item.get("values") or []],
            )
            for item in data.get("result") or []
        ]

    def metric_instant(self, logql: str, *, at: float) -> list[MetricSeries]:
        body = self._get("/loki/api/v1/query", {"query": logql, "time": _ns(at)})
        data = body["data"]
        if data.get("resultType") != "vector":
            raise IntegrationError(f"'{logql}' is not a metric query.")
        return _vector(data)

    def label_values(self, label: str, *, start: float, end: float, selector: str = "") -> list[str]:
        check_range(start, end)
        params = {"start": _ns(start), "end": _ns(end), **({"query": selector} if selector else {})}
        body = self._get(f"/loki/api/v1/label/{quote(label, safe='')}/values", params)
        return sorted(str(value) for value in body.get("data") or [])

    def volume(self, selector: str, *, start: float, end: float, by: tuple[str, ...]) -> list[MetricSeries]:
        """From the index (volume_enabled: true); on older Loki, from bytes_over_time over the whole range."""
        check_range(start, end)
        params = {"query": selector, "start": _ns(start), "end": _ns(end), "limit": 1000}
        if by:
            params["targetLabels"] = ",".join(by)
        try:
            body = self._get("/loki/api/v1/index/volume", params)
        except IntegrationError as exc:
            if "404" not in exc.message and "volume" not in exc.message.lower():
                raise
            grouping = f" by ({', '.join(by)})" if by else ""
            return self.metric_instant(f"sum{grouping} (bytes_over_time({selector} [{int(end - start)}s]))", at=end)
        return _vector(body["data"])

    def patterns(self, selector: str, *, start: float, end: float, step: float) -> list[PatternSeries]:
        """Loki 3's pattern ingester (pattern_ingester.enabled: true); IntegrationError when it is off."""
        check_range(start, end)
        params = {"query": selector, "start": _ns(start), "end": _ns(end), "step": f"{step:g}"}
        try:
            body = self._get("/loki/api/v1/patterns", params)
        except IntegrationError as exc:
            if "404" in exc.message:
                raise IntegrationError(
                    "This Loki serves no patterns: enable pattern_ingester (Loki 3.0 or later)."
                ) from exc
            raise
        return [
            PatternSeries(
                pattern=str(item["pattern"]),
                level=str(item.get("level") or ""),
                samples=[(_seconds(t), int(c)) for t, c in item.get("samples") or []],
            )
            for item in body.get("data") or []
        ]


def _vector(data: dict[str, Any]) -> list[MetricSeries]:
    return [
        MetricSeries(
            labels=dict(item.get("metric") or {}), points=[(_seconds(item["value"][0]), float(item["value"][1]))]
        )
        for item in data.get("result") or []
    ]
