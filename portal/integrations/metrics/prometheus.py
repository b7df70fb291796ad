"""Prometheus over its HTTP API (prometheus-api-client): timeouts, retries on 5xx, clear errors for bad PromQL."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any

import requests
from prometheus_api_client import PrometheusApiClientException, PrometheusConnect
from urllib3.util.retry import Retry

from portal.integrations.errors import IntegrationError
from portal.integrations.metrics.base import MetricsSource, Query, Series
from portal.integrations.metrics.promql import promql


class PrometheusMetrics(MetricsSource):
    def __init__(self, url: str, timeout: float = 10.0, retries: int = 3, token: str = "") -> None:
        retry = Retry(
            total=retries,
            backoff_factor=0.2,
            status_forcelist=(500, 502, 503, 504),
            allowed_methods=frozenset({"GET", "POST"}),
        )
        headers = {"Authorization": f"Bearer {token}"} if token else None
        self.url = url
        self.timeout = timeout
        self.client = PrometheusConnect(url=url, headers=headers, retry=retry, timeout=math.ceil(timeout))

    def _call(self, fn: Any, *args: Any, **kwargs: Any) -> list[dict[str, Any]]:
        try:
            result: list[dict[str, Any]] = fn(*args, **kwargs)
        except PrometheusApiClientException as exc:
            text = str(exc)
            permanent = "bad_data" in text or "400" in text or "422" in text
            raise IntegrationError(f"Prometheus rejected the query: {text[:500]}", permanent=permanent) from exc
        except requests.RequestException as exc:
            raise IntegrationError(f"Prometheus at {self.url} did not answer: {exc}", permanent=False) from exc
        return result

    def query(self, expression: str, *, at: float) -> list[Series]:
        """Run a raw PromQL instant query."""
        raw = self._call(self.client.custom_query, expression, params={"time": at})
        return [
            Series(labels=r["metric"], points=[(float(r["value"][0]), float(r["value"][1]))])
            for r in raw
            if not math.isnan(float(r["value"][1]))
        ]

    def query_range(self, expression: str, *, start: float, end: float, step: float) -> list[Series]:
        """Run a raw PromQL range query."""
        raw = self._call(
            self.client.custom_query_range, expression, start_time=_dt(start), end_time=_dt(end), step=f"{step:g}s"
        )
        return [
            Series(
                labels=r["metric"], points=[(float(t), float(v)) for t, v in r["values"] if not math.isnan(float(v))]
            )
            for r in raw
        ]

    def instant(self, query: Query, *, at: float) -> list[Series]:
        return self.query(promql(query), at=at)

    def range(self, query: Query, *, start: float, end: float, step: float) -> list[Series]:
        return self.query_range(promql(query), start=start, end=end, step=step)


def _dt(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=UTC)
